/**
 * `lessons.report` over the protocol (the Learn gallery's in-painting figure): two stored runs, a
 * judge classifier and an in-painting autoencoder, trained here on a tiny image set; the engine
 * judges the in-painter's test split (as that run trained: its `limit` included) and answers one
 * row per class. Checked against what the runs themselves report, and for its coded errors.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '../../../src-engine/base/rng';
import type { DatasetConfig, GraphIR } from '../../../src-engine/base/ir/types';
import { prepareData, type LoadedDataset } from '../../../src-engine/core/data';
import { RunStore } from '../../../src-engine/node/run-store';
import { setupEngine } from './fixtures';

/** 8 × 8 images of three classes: a horizontal bar two pixels high at the top, middle or bottom, with noise. */
function bars(seed: number): LoadedDataset {
  const count = 300;
  const rng = new Rng(seed + 7);
  const features = new Float32Array(count * 64);
  const targets = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const k = i % 3;
    targets[i] = k;
    for (let p = 0; p < 64; p++) {
      const row = Math.floor(p / 8);
      features[i * 64 + p] = Math.min(1, Math.max(0, (row >= 3 * k && row < 3 * k + 2 ? 0.8 : 0.1) + 0.4 * rng.normal()));
    }
  }
  return { train: { name: 'bars', task: 'classification', count, features, featureShape: [1, 8, 8], targets, targetShape: [], numClasses: 3, classNames: ['top', 'middle', 'bottom'] } };
}

const training = (dataset: DatasetConfig, metrics: string[]): NonNullable<GraphIR['training']> => ({ dataset, loss: 'loss', optimizer: { kind: 'adam', lr: 0.05 }, batchSize: 32, epochs: 3, seed: 1, metrics });

const judgeGraph: GraphIR = {
  format: 'netwright.graph',
  version: 1,
  nodes: [
    { id: 'image', op: 'Input', attrs: { shape: [1, 8, 8], source: 'features' }, inputs: [] },
    { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
    { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['image'] },
    { id: 'fc', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['flat'] },
    { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
  ],
  outputs: { logits: 'fc', loss: 'loss' },
  // Trained briefly, so it misreads some clean images: its test accuracy is a figure, not a ceiling of 1.
  training: { ...training({ name: 'bars', validationSplit: 0.1 }, ['accuracy']), optimizer: { kind: 'adam', lr: 0.002 }, epochs: 1 },
};

/** The in-painter: a small autoencoder fed images with a 5 × 5 square hidden, target the clean image; `limit` as a quick run's. */
const inpainterGraph = (limit?: number): GraphIR => ({
  format: 'netwright.graph',
  version: 1,
  nodes: [
    { id: 'masked', op: 'Input', attrs: { shape: [1, 8, 8], source: 'features' }, inputs: [] },
    { id: 'clean', op: 'Input', attrs: { shape: [64], source: 'target' }, inputs: [] },
    { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['masked'] },
    { id: 'fc1', op: 'Linear', attrs: { outFeatures: 16 }, inputs: ['flat'] },
    { id: 'relu', op: 'ReLU', attrs: {}, inputs: ['fc1'] },
    { id: 'fc2', op: 'Linear', attrs: { outFeatures: 64 }, inputs: ['relu'] },
    { id: 'out', op: 'Sigmoid', attrs: {}, inputs: ['fc2'] },
    { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['out', 'clean'] },
  ],
  outputs: { reconstruction: 'out', loss: 'loss' },
  training: { ...training({ name: 'bars', transform: { kind: 'block-mask', size: 5 }, target: 'features', validationSplit: 0.1, ...(limit ? { limit } : {}) }, ['mse']), predictionOutput: 'reconstruction' },
});

let engines: ReturnType<typeof setupEngine>[] = [];
afterEach(() => {
  for (const e of engines) e.service.dispose();
  engines = [];
});

/** An engine with a run store and the bars set; `train` runs a graph to the end and answers its stored id and final test metrics. */
function engine(withStore = true) {
  const e = setupEngine({ loadDataset: (config, seed) => bars(seed), ...(withStore ? { runs: new RunStore(mkdtempSync(join(tmpdir(), 'nw-runs-'))) } : {}) });
  engines.push(e);
  const train = async (graph: GraphIR) => {
    const start = await e.client.request('train.start', { graph, probes: false });
    const done = await e.waitFor('train.done', (d) => d.runId === start.runId, 20_000);
    return { id: start.storedRunId!, done };
  };
  return { ...e, train };
}

describe('lessons.report (in-painting)', () => {
  it('reads the in-painter’s test split with the judge, per class: the clean reading is the judge’s own test accuracy; a quick in-painter is judged on fewer samples', async () => {
    const { client, train } = engine();
    const judge = await train(judgeGraph);
    const inpainter = await train(inpainterGraph());
    const quick = await train(inpainterGraph(40));

    const report = await client.request('lessons.report', { kind: 'inpainting', runs: { judge: judge.id, inpainter: inpainter.id } });
    // The in-painter's test split, as prepared for its run (same data, seed and limit).
    const split = (g: GraphIR) => prepareData(bars(1), g.training!.dataset, g.training!.seed).test;
    expect(report.samples).toBe(split(inpainterGraph()).count);
    expect(report.rows.map((r) => r.label)).toEqual(['top', 'middle', 'bottom']);
    expect(report.rows.reduce((s, r) => s + r.count, 0)).toBe(report.samples);
    for (const r of report.rows) {
      expect(Object.keys(r.values).sort()).toEqual(['clean', 'inpainted', 'masked']);
      for (const v of Object.values(r.values)) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
    // Unmasked, the judge reads the test digits exactly as its own run's test evaluation did (the
    // judge's and the in-painter's splits are the same samples: same set, seed and no limit; the
    // event's metrics carry 6 significant digits, one sample is 1/60).
    const clean = report.rows.reduce((s, r) => s + r.values.clean! * r.count, 0) / report.samples;
    expect(judge.done.test!.accuracy!).toBeLessThan(0.9);
    expect(clean).toBeCloseTo(judge.done.test!.accuracy!, 5);
    // The judge reads the masked images differently from the clean ones: the mask the in-painter trained with was applied.
    expect(report.rows.some((r) => r.values.masked !== r.values.clean)).toBe(true);

    const small = await client.request('lessons.report', { kind: 'inpainting', runs: { judge: judge.id, inpainter: quick.id } });
    expect(small.samples).toBe(split(inpainterGraph(40)).count);
    expect(small.samples).toBeLessThan(report.samples);
  }, 60_000);

  it('answers coded errors: runs in the wrong roles, an unknown run, a malformed id, no run store', async () => {
    const { client, train } = engine();
    const judge = await train(judgeGraph);
    const inpainter = await train(inpainterGraph());
    await expect(client.request('lessons.report', { kind: 'inpainting', runs: { judge: inpainter.id, inpainter: judge.id } })).rejects.toMatchObject({ code: 'E_LESSON_REPORT_RUNS' });
    await expect(client.request('lessons.report', { kind: 'inpainting', runs: { judge: judge.id, inpainter: '20000101-000000-zzzz' } })).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    await expect(client.request('lessons.report', { kind: 'inpainting', runs: { judge: judge.id, inpainter: 'run-2' } })).rejects.toMatchObject({ code: 'E_PROTOCOL_BAD_PARAMS' });
    const bare = engine(false);
    await expect(bare.client.request('lessons.report', { kind: 'inpainting', runs: { judge: judge.id, inpainter: inpainter.id } })).rejects.toMatchObject({ code: 'E_RUNS_UNAVAILABLE' });
  }, 60_000);
});
