/**
 * #83 deliverable 4: targets in their own units. A regression on targets in the hundreds (the
 * diabetes set's 25–346) learns them standardised with the training split's mean and std
 * (`training.dataset.targetNormalization`, standard by default), and every value that leaves —
 * `netwright predict`, `netwright evaluate`'s metrics, the ONNX file, the JSON model — is in the
 * target's units. `targetNormalization: none` trains them as they are, as before.
 *
 * The expected figures are recomputed here from the exported weights: a Linear(1) on the inputs
 * standardised with the model's normalisation, then × std + mean of the target's standardisation.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { exportOnnx } from '../../../../src-engine/core/export/onnx';
import { importOnnx } from '../../../../src-engine/core/import/onnx/import';
import { modelFromJSON, modelToJSON } from '../../../../src-engine/core/export/json';
import type { TrainedModel } from '../../../../src-engine/core/export/model';
import { main as evaluateCli } from '../../../../src-engine/node/evaluate-cli';
import { main as predictCli } from '../../../../src-engine/node/predict-cli';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import { runOrt } from '../export/onnx/harness';
import { HAS_TORCH, exportTo, torchProcess } from '../export/torch-harness';
import { modelSafetensors } from '../../../../src-engine/core/export/pytorch';
import { loadWeights } from '../../../../src-engine/core/import/state-dict';
import { largeRawTargets, prepareData } from '../../../../src-engine/core/data';
import { divergenceHint } from '../../../../src-engine/app/session/divergence-guard';
import { datasetPreview } from '../../../../src-engine/app/session/preview';
import { SampleProbe } from '../../../../src-engine/app/probes/sample-probe';
import { probeSamples } from '../../../../src-engine/app/handlers/context';
import { predictSample } from '../../../../src-engine/app/session/predict';
import { Predictor } from '../../../../src-engine/core/train/predictor';
import { MetricAccumulator } from '../../../../src-engine/core/metrics/accumulator';

const ROWS = 300;
const tmp = () => mkdtempSync(join(tmpdir(), 'nw-target-units-'));

/** Three measurements and a target of 150 ± ~90 (25 to ~330, as the diabetes set's), nearly linear in them. */
function row(i: number): [number, number, number, number] {
  const a = Number(Math.sin(i * 0.7).toFixed(3));
  const b = Number(Math.cos(i * 1.3).toFixed(3));
  const c = Number((((i * 37) % 100) / 50 - 1).toFixed(3));
  const y = Number((150 + 60 * a - 40 * b + 30 * c + 3 * Math.sin(i * 5.1)).toFixed(2));
  return [a, b, c, y];
}

function writeData(dir: string): string {
  const file = join(dir, 'diabetes-like.csv');
  writeFileSync(file, `a,b,c,y\n${Array.from({ length: ROWS }, (_, i) => row(i).join(',')).join('\n')}\n`);
  return file;
}

/** x[3] → Linear(1) → MSELoss against y[1]: a linear regression, trained with Adam. */
function design(path: string, targetNormalization?: 'standard' | 'none'): GraphIR {
  return {
    format: 'netwright.graph',
    version: 4,
    name: 'linear',
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [3], source: 'features' }, inputs: [] },
      { id: 'y', op: 'Input', attrs: { shape: [1], source: 'target' }, inputs: [] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['x'] },
      { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['fc', 'y'] },
    ],
    outputs: { prediction: 'fc', loss: 'loss' },
    training: {
      dataset: { name: 'csv', options: { path, targetColumn: 'y' }, ...(targetNormalization ? { targetNormalization } : {}) },
      loss: 'loss',
      optimizer: { kind: 'adam', lr: 0.05 },
      batchSize: 32,
      epochs: 30,
      seed: 1,
      metrics: ['mse', 'mae', 'r2'],
    },
  };
}

async function run(cli: typeof trainCli, args: string[]) {
  let out = '';
  let err = '';
  const code = await cli(args, (s) => (out += s), (s) => (err += s));
  const lines = out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown> & { type: string });
  return { code, out, err, lines };
}

/** The model's prediction for raw inputs, from its weights: w · (x − mean) / std + b, then × std + mean of the target's standardisation when it has one. */
function expected(model: TrainedModel, x: readonly number[]): number {
  const n = model.normalization!;
  const w = model.params['fc.weight'];
  let v = model.params['fc.bias'][0];
  for (let k = 0; k < 3; k++) v += w[k] * ((x[k] - n.mean[k]) / n.std[k]);
  const t = model.targetNormalization;
  return t ? v * t.std[0] + t.mean[0] : v;
}

/** MSE, MAE and R² of `model` over all rows, in the target's units (float64). */
function metricsOverAll(model: TrainedModel) {
  const rows = Array.from({ length: ROWS }, (_, i) => row(i));
  const err = rows.map((r) => expected(model, r.slice(0, 3)) - r[3]);
  const mean = rows.reduce((s, r) => s + r[3], 0) / ROWS;
  const ssTot = rows.reduce((s, r) => s + (r[3] - mean) ** 2, 0);
  const sq = err.reduce((s, e) => s + e * e, 0);
  return { mse: sq / ROWS, mae: err.reduce((s, e) => s + Math.abs(e), 0) / ROWS, r2: 1 - sq / ssTot };
}

const close = (actual: number, want: number, rel = 1e-4) => expect(Math.abs(actual - want)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(want)));

describe('a regression on targets in the hundreds (#83)', () => {
  let dir: string;
  let data: string;
  let inputs: string;
  const trained: Record<'standard' | 'none', { file: string; model: TrainedModel; done: Record<string, unknown> }> = {} as never;

  beforeAll(async () => {
    dir = tmp();
    data = writeData(dir);
    inputs = join(dir, 'new.csv');
    writeFileSync(inputs, `a,b,c\n${[0, 7, 123, 250].map((i) => row(i).slice(0, 3).join(',')).join('\n')}\n`);
    for (const kind of ['standard', 'none'] as const) {
      const graph = join(dir, `${kind}.json`);
      writeFileSync(graph, JSON.stringify(design(data, kind === 'none' ? 'none' : undefined)));
      const file = join(dir, `${kind}.model.json`);
      const r = await run(trainCli, [graph, '--threads', '1', '--json', '--export', file]);
      expect(r.code, r.out + r.err).toBe(0);
      trained[kind] = { file, model: modelFromJSON(readFileSync(file, 'utf8')), done: r.lines.find((l) => l.type === 'done')! };
    }
  }, 60_000);

  it('learns them standardised with the training split\'s figures, kept with the model (JSON model, read back)', () => {
    const t = trained.standard.model.targetNormalization!;
    expect(t.mean).toHaveLength(1);
    // The training split's mean and std of y (~150 and ~60), not 0 and 1.
    expect(t.mean[0]).toBeGreaterThan(130);
    expect(t.mean[0]).toBeLessThan(170);
    expect(t.std[0]).toBeGreaterThan(40);
    expect(modelFromJSON(JSON.stringify(modelToJSON(trained.standard.model))).targetNormalization).toEqual(t);
    // The setting off: none kept, as before.
    expect(trained.none.model.targetNormalization).toBeUndefined();
    expect(JSON.parse(readFileSync(trained.none.file, 'utf8')).targetNormalization).toBeUndefined();
  });

  it('netwright predict answers in the target\'s units', async () => {
    const r = await run(predictCli, [trained.standard.file, inputs, '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    const got = r.lines.filter((l) => l.type === 'prediction').map((l) => (l.values as number[])[0]);
    expect(got).toHaveLength(4);
    [0, 7, 123, 250].forEach((i, k) => {
      close(got[k], expected(trained.standard.model, row(i).slice(0, 3)));
      // In the hundreds, near the true value: a standardised answer would be within a few units of 0.
      expect(Math.abs(got[k] - row(i)[3])).toBeLessThan(15);
    });
    // Off: the raw output, as the old code gave it.
    const off = await run(predictCli, [trained.none.file, inputs, '--json']);
    const raw = off.lines.filter((l) => l.type === 'prediction').map((l) => (l.values as number[])[0]);
    [0, 7, 123, 250].forEach((i, k) => close(raw[k], expected(trained.none.model, row(i).slice(0, 3))));
  });

  it('netwright evaluate reports MSE, MAE and R² in the target\'s units, and the run\'s test figures agree', async () => {
    for (const kind of ['standard', 'none'] as const) {
      const { model, file, done } = trained[kind];
      const all = await run(evaluateCli, [file, '--split', 'all', '--json', '--threads', '1']);
      expect(all.code, all.out + all.err).toBe(0);
      const m = all.lines.find((l) => l.type === 'evaluation')!.metrics as Record<string, number>;
      const want = metricsOverAll(model);
      close(m.mse, want.mse, 1e-3);
      close(m.mae, want.mae, 1e-3);
      close(m.r2, want.r2, 1e-3);
      const test = await run(evaluateCli, [file, '--json', '--threads', '1']);
      const mt = test.lines.find((l) => l.type === 'evaluation')!.metrics as Record<string, number>;
      const reported = done.test as Record<string, number>;
      close(mt.mse, reported.mse, 1e-4);
    }
    // Standardised, the linear model fits within the noise in 30 epochs (MSE of a few units²); trained raw from outputs near 0 it is still far off.
    expect(metricsOverAll(trained.standard.model).r2).toBeGreaterThan(0.95);
  });

  it.skipIf(!HAS_TORCH)('the PyTorch export: model.py\'s predict() answers in the target\'s units; the safetensors metadata carries the standardisation back', async () => {
    const model = trained.standard.model;
    const folder = exportTo(model);
    const xs = [0, 7, 123, 250].map((i) => row(i).slice(0, 3));
    const code = `import torch, model as m\nnet = m.load_weights(m.Net())\nprint(m.predict(net, torch.tensor(${JSON.stringify(xs)}, dtype=torch.float32)).flatten().tolist())`;
    const r = await torchProcess(['-c', code], folder);
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout.trim()) as number[];
    xs.forEach((x, k) => close(got[k], expected(model, x)));
    const back = loadWeights(model.graph, modelSafetensors(model).bytes, 'model.safetensors');
    expect(back.targetNormalization).toEqual(model.targetNormalization);
  }, 60_000);

  it('the ONNX file answers in the target\'s units for raw inputs (its last Mul/Add undo the standardisation)', async () => {
    const xs = [0, 7, 123, 250].map((i) => row(i).slice(0, 3));
    for (const kind of ['standard', 'none'] as const) {
      const model = trained[kind].model;
      const { bytes, outputs } = exportOnnx(model);
      const out = await runOrt(bytes, { x: { data: Float32Array.from(xs.flat()), dims: [4, 3] } });
      const got = out[outputs[0]];
      xs.forEach((x, k) => close(got[k], expected(model, x)));
      // Imported back, the file is the model it was exported from: its standardisation kept as such.
      expect(importOnnx(bytes).model.targetNormalization).toEqual(model.targetNormalization);
    }
  });
});

describe('a series in its own units (#83)', () => {
  it('trains on raw windows of ppm: the model keeps both standardisations, and netwright predict on a raw window answers in ppm, as its ONNX file does', async () => {
    const dir = tmp();
    const csv = join(dir, 'co2.csv');
    const ppm = Array.from({ length: 400 }, (_, t) => Number((315 + 0.15 * t + 3 * Math.sin((2 * Math.PI * t) / 52)).toFixed(2)));
    writeFileSync(csv, `ppm\n${ppm.join('\n')}\n`);
    const g: GraphIR = {
      format: 'netwright.graph',
      version: 4,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [8, 1], source: 'features' }, inputs: [] },
        { id: 'y', op: 'Input', attrs: { shape: [1], source: 'target' }, inputs: [] },
        { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['x'] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['flat'] },
        { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['fc', 'y'] },
      ],
      outputs: { prediction: 'fc', loss: 'loss' },
      training: { dataset: { name: 'series', options: { path: csv, window: 8 } }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.02 }, batchSize: 16, epochs: 20, seed: 1, metrics: ['mse', 'mae'] },
    };
    writeFileSync(join(dir, 'g.json'), JSON.stringify(g));
    const file = join(dir, 'm.json');
    const r = await run(trainCli, [join(dir, 'g.json'), '--threads', '1', '--json', '--export', file]);
    expect(r.code, r.out + r.err).toBe(0);
    const model = modelFromJSON(readFileSync(file, 'utf8'));
    // The windows' standardisation (global) and the target's, both about the series' level (~335 ppm).
    expect(model.normalization?.kind).toBe('global');
    expect(model.normalization!.mean[0]).toBeGreaterThan(320);
    expect(model.targetNormalization!.mean[0]).toBeGreaterThan(320);
    const window = ppm.slice(380, 388);
    writeFileSync(join(dir, 'w.csv'), `${window.map((_, i) => `v${i}`).join(',')}\n${window.join(',')}\n`);
    const p = await run(predictCli, [file, join(dir, 'w.csv'), '--json']);
    expect(p.code, p.out + p.err).toBe(0);
    const got = (p.lines.find((l) => l.type === 'prediction')!.values as number[])[0];
    const n = model.normalization!;
    const t = model.targetNormalization!;
    const w = model.params['fc.weight'];
    let z = model.params['fc.bias'][0];
    window.forEach((v, k) => (z += w[k] * ((v - n.mean[0]) / n.std[0])));
    close(got, z * t.std[0] + t.mean[0]);
    // In ppm, near the value that followed (the old code answered in standard units: ~3).
    expect(Math.abs(got - ppm[388])).toBeLessThan(5);
    const { bytes, outputs } = exportOnnx(model);
    const onnx = (await runOrt(bytes, { x: { data: Float32Array.from(window), dims: [1, 8, 1] } }))[outputs[0]];
    close(onnx[0], got);
  }, 30_000);
});

describe('where a value is shown (#83)', () => {
  const scale = { mean: [150], std: [60] };

  it('Samples: the probe outputs and the probe samples\' true values are put back in the target\'s units', () => {
    const data = Float32Array.of(0.5, -1);
    const plan = { batchSize: 2, output: () => ({ data, shape: [2, 1] }), input: () => ({ data: new Float32Array(2) }), forward: () => undefined } as never;
    const binding = { featureInput: 'x', targetInput: 'y', predictionNode: 'fc', scores: 'logits' as const, task: 'regression' as const, predictionShape: [1], targetSize: 1 };
    const shown = new SampleProbe(plan, { ...binding, metricTarget: { scale } }, 2, []).measure();
    expect(shown && 'outputs' in shown ? shown.outputs.map((o) => o[0]) : null).toEqual([180, 90]);
    // Without the standardisation: as they are.
    const raw = new SampleProbe(plan, binding, 2, []).measure();
    expect(raw && 'outputs' in raw ? raw.outputs.map((o) => o[0]) : null).toEqual([0.5, -1]);
    const probe = probeSamples([1], Float32Array.of(1, 2), Float32Array.of(0.5, -1), 2, 1, { targetNormalization: scale });
    expect(probe.targets).toEqual([180, 90]);
  });

  it('the Playground (predictSample): a regression\'s output in the target\'s units; a classifier\'s probabilities untouched', () => {
    const out = Float32Array.of(0.5);
    const plan = { batchSize: 1, output: () => ({ data: out, shape: [1, 1] }), input: () => ({ data: new Float32Array(1) }), forward: () => undefined };
    const predictor = new Predictor(plan as never, { featureInput: 'x', targetInput: null, predictionNode: 'fc', scores: 'logits' });
    const p = { predictor, task: 'regression' as const, featureShape: [1], normalization: null, classNames: [] };
    expect(predictSample({ ...p, targetNormalization: scale }, [0], true)).toMatchObject({ kind: 'output', values: [180] });
    expect(predictSample(p, [0], true)).toMatchObject({ kind: 'output', values: [0.5] });
  });

  it('the dataset preview: a regression\'s targets in their own units, as the table holds them', () => {
    const rows = Array.from({ length: 40 }, (_, i) => row(i));
    const ds = { name: 'd', task: 'regression' as const, count: 40, features: Float32Array.from(rows.flatMap((r) => r.slice(0, 3))), featureShape: [3], targets: Float32Array.from(rows.map((r) => r[3])), targetShape: [1], numClasses: 0, classNames: [] };
    const p = datasetPreview({ train: ds }, { name: 'csv', validationSplit: 0 }, 1, 40);
    const truth = new Set(rows.map((r) => Math.fround(r[3])));
    // Every target shown is one of the table's (to float32), none a standardised one near 0.
    for (const s of p.samples) expect([...truth].some((t) => Math.abs(t - (s.target as number[])[0]) < 1e-3)).toBe(true);
  });

  it('the metrics: MSE, MAE and R² of standardised predictions measured in the target\'s units', () => {
    const acc = new MetricAccumulator(['mse', 'mae', 'r2'], { kind: 'values', outputSize: 1, numClasses: 0, scale });
    // Targets 90 and 210 (−1 and 1 standardised), predictions 120 and 180 (−0.5 and 0.5): errors of 30.
    acc.add(2, 0.25, Float32Array.of(-0.5, 0.5), Float32Array.of(-1, 1));
    const m = acc.result();
    expect(m.mse).toBeCloseTo(900, 6);
    expect(m.mae).toBeCloseTo(30, 6);
    expect(m.r2).toBeCloseTo(1 - 1800 / 7200, 6);
    // The loss is the one trained on (standard units).
    expect(m.loss).toBe(0.25);
  });
});

describe('the divergence tip (#83)', () => {
  const ds = (targets: number[]) => ({ name: 'd', task: 'regression' as const, count: targets.length, features: new Float32Array(targets.length), featureShape: [1], targets: Float32Array.from(targets), targetShape: [1], numClasses: 0, classNames: [] });

  it('names the target\'s scale when large targets are trained in their own units, and not otherwise', () => {
    const big = ds([25, 100, 200, 346]);
    const prepared = prepareData({ train: big, test: ds([50, 150]) }, { name: 'csv', validationSplit: 0, targetNormalization: 'none' }, 1);
    const raw = largeRawTargets(prepared)!;
    expect(raw.mean).toBeCloseTo(167.75, 6);
    const hint = divergenceHint({ where: 'loss', nodeId: 'loss', op: 'MSELoss' }, 0.1, 0.01, raw);
    expect(hint).toMatch(/^The targets are trained in their own units \(mean 167\.8, std 120\.2; targetNormalization is none\): set it to standard, the default/);
    expect(hint).toContain('Resume with a lower learning rate (now 0.1; try 0.01)');
    // Standardised (the default), or small values: nothing about the scale.
    expect(largeRawTargets(prepareData({ train: big, test: ds([50, 150]) }, { name: 'csv', validationSplit: 0 }, 1))).toBeUndefined();
    expect(largeRawTargets(prepareData({ train: ds([0.1, 0.5, 0.9, 1.2]), test: ds([0.3, 0.4]) }, { name: 'csv', validationSplit: 0, targetNormalization: 'none' }, 1))).toBeUndefined();
    expect(divergenceHint({ where: 'loss', nodeId: 'loss', op: 'MSELoss' }, 0.1, 0.01)).not.toContain('own units');
  });
});
