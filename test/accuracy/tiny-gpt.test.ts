/**
 * The tiny GPT (#31): examples/tiny-gpt.json, a character-level Transformer (two blocks, four
 * causal heads, E = 64, T = 64) on Debian's fortunes, trained as it ships (3 epochs of 1,126 steps
 * of 32 windows) on 2 CPU threads: validation loss ≤ 2.2 nats a character (a unigram model of the
 * text scores ≈ 3.3), its test accuracy at the next character above every baseline a run of it
 * stands beside (the most frequent character; the n-gram count model over the last three, 44.82 %:
 * the template trained 1 epoch at 3e-3, as it shipped before, scored 38.54 %), and text sampled
 * from a prompt. Long: `npm run test:accuracy`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGraph } from '../../src-engine/core/autodiff/executor';
import { summaryBaselines } from '../../src-engine/core/metrics/baselines';
import type { GraphIR } from '../../src-engine/base/ir/types';
import { prepareData } from '../../src-engine/core/data';
import { modelFromCheckpoint } from '../../src-engine/core/export/model';
import { sampleText } from '../../src-engine/core/export/sample-text';
import { Trainer } from '../../src-engine/core/train';
import { createCpuBackend, type CpuBackend } from '../../src-engine/node/cpu';
import { loadDataset } from '../../src-engine/node/datasets';
import { cached } from './cache';

const ROOT = join(import.meta.dirname, '..', '..');
let backend: CpuBackend;

beforeAll(async () => {
  backend = await createCpuBackend({ threads: 2 });
});
afterAll(() => backend?.dispose());

describe('tiny GPT on fortunes (2 threads)', () => {
  it('validation loss ≤ 2.2 nats a character after its 3 epochs, test accuracy above its baselines, and it writes text from a prompt', async () => {
    const graph = JSON.parse(readFileSync(join(ROOT, 'examples', 'tiny-gpt.json'), 'utf8')) as GraphIR;
    const cfg = graph.training!;
    const loaded = loadDataset(cfg.dataset, cfg.seed);
    const { value } = await cached('tiny-gpt', { graph, backend: backend.description, data: loaded.report?.fingerprint }, async () => {
      const data = prepareData(loaded, cfg.dataset, cfg.seed);
      const trainer = new Trainer(graph, data, backend, { compile: compileGraph });
      const done = await trainer.run();
      const model = modelFromCheckpoint(graph, trainer.loop.capture(), { classNames: data.train.classNames });
      const samples = [0.5, 0.8].map((temperature) => sampleText(model, { prompt: 'Q: What', length: 160, temperature, seed: 1 }, backend));
      const baselines = summaryBaselines(data, cfg, done.test).baselines ?? {};
      const baselineAccuracy = Object.fromEntries(Object.entries(baselines).map(([name, b]) => [name, b.test.accuracy ?? NaN]));
      return { val: done.val?.loss ?? NaN, seconds: done.seconds, test: done.test?.loss ?? NaN, accuracy: done.test?.accuracy ?? NaN, baselineAccuracy, samples };
    });
    console.log(`tiny-gpt: validation loss ${value.val.toFixed(3)}, test ${value.test.toFixed(3)}, test accuracy ${(100 * value.accuracy).toFixed(2)} % (baselines: ${JSON.stringify(value.baselineAccuracy)}) after ${value.seconds.toFixed(0)} s on ${backend.description}`);
    for (const s of value.samples) console.log(`sample: ${JSON.stringify(s)}`);
    expect(value.val).toBeLessThanOrEqual(2.2);
    // The baselines a character model's run stands beside: both fitted, and the network above each.
    expect(Object.keys(value.baselineAccuracy).sort()).toEqual(['majority', 'n-gram']);
    for (const b of Object.values(value.baselineAccuracy)) expect(value.accuracy).toBeGreaterThan(b);
    expect(value.samples.every((s) => s.startsWith('Q: What') && s.length === 167)).toBe(true);
  });
});
