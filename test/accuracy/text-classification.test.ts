/**
 * Text classification (#48): examples/fortunes-topics.json, a character Embedding(32) + LSTM(64),
 * mean over time, Linear head, on Debian's fortunes filed by topic (3,099 fortunes, a fixed 80/20
 * split), trained with its defaults on 2 CPU threads: test accuracy ≥ 0.58 (PyTorch on the same
 * files and split: 0.59–0.60; always the largest topic: 0.34). Beside it the bag-of-words Linear
 * model (examples/fortunes-topics-bow.json) on the same split: ≥ 0.65 (PyTorch's logistic
 * regression: 0.69), and above the LSTM, as the Learn gallery's lesson says. That lesson
 * (text-lstm-vs-bow) trains the same two templates: one training of each serves both (runs.ts).
 * Long: `npm run test:accuracy`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../src-engine/base/ir/types';
import { createCpuBackend, type CpuBackend } from '../../src-engine/node/cpu';
import { DEBIAN_FORTUNES_DIR } from '../../src-engine/node/datasets';
import { trainedRun } from './runs';

const ROOT = join(import.meta.dirname, '..', '..');
let backend: CpuBackend;

beforeAll(async () => {
  backend = await createCpuBackend({ threads: 2 });
});
afterAll(() => backend?.dispose());

async function testAccuracy(name: string): Promise<{ accuracy: number; seconds: number }> {
  const graph = JSON.parse(readFileSync(join(ROOT, 'examples', `${name}.json`), 'utf8')) as GraphIR;
  const run = await trainedRun(graph, backend);
  const value = { accuracy: run.test?.accuracy ?? NaN, seconds: run.seconds };
  console.log(`${name}: test accuracy ${value.accuracy.toFixed(3)} after ${value.seconds.toFixed(0)} s on ${backend.description}`);
  return value;
}

describe.skipIf(!existsSync(DEBIAN_FORTUNES_DIR))('fortunes by topic (2 threads)', () => {
  it('the character LSTM reaches ≥ 0.58 test accuracy with its defaults; the bag of words ≥ 0.65, above it', async () => {
    const lstm = await testAccuracy('fortunes-topics');
    const bow = await testAccuracy('fortunes-topics-bow');
    expect(lstm.accuracy).toBeGreaterThanOrEqual(0.58);
    expect(bow.accuracy).toBeGreaterThanOrEqual(0.65);
    expect(bow.accuracy).toBeGreaterThan(lstm.accuracy);
  });
});
