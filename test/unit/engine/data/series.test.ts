/**
 * Issue #31 item 2, the sequence data still missing: parity (a sequence task made in code) and
 * time series, generated (`waves`) or a CSV column (`series`): windows of T values, the next value
 * to predict, the last 20 % of the series the test split; and a GRU forecasts the waves.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import { loadBuiltinDataset, prepareData } from '../../../../src-engine/core/data';
import { csvSeries } from '../../../../src-engine/core/data/series';
import { Trainer } from '../../../../src-engine/core/train';
import { createCpuBackend } from '../../../../src-engine/node/cpu';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { graph, node } from '../graphs';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { main } from '../../../../src-engine/node/train-cli';

describe('parity', () => {
  it('sequences of bits, the class whether the count of ones is odd', () => {
    const ds = loadBuiltinDataset({ name: 'parity', options: { samples: 300, length: 12 } }, 4)!.train;
    expect([ds.featureShape, ds.classNames, ds.count]).toEqual([[12, 1], ['even', 'odd'], 300]);
    for (let i = 0; i < ds.count; i++) {
      const bits = Array.from(ds.features.subarray(i * 12, i * 12 + 12));
      expect(bits.every((b) => b === 0 || b === 1)).toBe(true);
      expect(ds.targets[i]).toBe(bits.reduce((a, b) => a ^ b, 0));
    }
    const odd = ds.targets.reduce((a, b) => a + b, 0);
    expect(odd).toBeGreaterThan(100);
    expect(odd).toBeLessThan(200);
  });
});

describe('time series', () => {
  it('waves: windows of T values, the next value the target, split in time order with a gap of one window (#83)', () => {
    const { train, val, test } = loadBuiltinDataset({ name: 'waves', options: { samples: 500, length: 10 } }, 2)!;
    const t = 10;
    expect([train.featureShape, train.targetShape, train.task]).toEqual([[t, 1], [1], 'regression']);
    // 510 values, 500 windows: the last 100 test, 10 left out, the 40 before them validation, 10 left out, 340 train.
    expect([train.count, val!.count, test!.count]).toEqual([340, 40, 100]);
    const windowOf = (ds: typeof train, k: number) => Array.from(ds.features.subarray(k * t, k * t + t));
    // Window k + 1 is window k moved on by one value, its last value window k's target, and the
    // test split goes on where the training split stops.
    for (let k = 0; k + 1 < train.count; k += 37) {
      expect(windowOf(train, k + 1).slice(0, t - 1)).toEqual(windowOf(train, k).slice(1));
      expect(windowOf(train, k + 1)[t - 1]).toBe(train.targets[k]);
    }
    // The validation and test windows are later ones: none starts with a value a training window ends with.
    const trainValues = new Set(Array.from(train.targets));
    for (const ds of [val!, test!]) for (let k = 0; k < ds.count; k++) expect(trainValues.has(windowOf(ds, k)[0])).toBe(false);
    // The loader keeps the series' units (#83); the run standardises the windows (global) and the targets with its training split's figures, kept with the model.
    const data = prepareData(loadBuiltinDataset({ name: 'waves', options: { samples: 500, length: 10 } }, 2)!, { name: 'waves', options: { samples: 500, length: 10 } }, 2);
    expect(data.normalization?.kind).toBe('global');
    expect(data.targetNormalization?.mean).toHaveLength(1);
    const y = data.train.targets;
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    const std = Math.sqrt(y.reduce((a, b) => a + (b - mean) ** 2, 0) / y.length);
    expect(Math.abs(mean)).toBeLessThan(1e-5);
    expect(Math.abs(std - 1)).toBeLessThan(1e-5);
    // Put back, they are the loader's values.
    expect(data.targetNormalization!.mean[0] + y[0] * data.targetNormalization!.std[0]).toBeCloseTo(train.targets[0], 4);
  });

  it('a CSV column: by name (else the last), in row order; a cell that is not a number is refused with its line; read from a file with a fingerprint', () => {
    const rows = Array.from({ length: 60 }, (_, i) => `2026-01-${i},${(i * 0.5).toFixed(1)},${i % 7}`);
    const text = ['day,temp,weekday', ...rows].join('\n');
    const byName = csvSeries(text, { name: 't.csv', column: 'temp', window: 5 });
    expect(byName.train.name).toBe('t.csv: temp');
    // 55 windows: test the last 11, validation 4 before a gap of 5, train 30 before another gap (values 0–34: 0, 0.5, … 17, mean 8.5).
    expect(byName.note).toMatch(/^60 values, windows of 5, split in time order: train 30, validation 4, test 11 windows, 5 windows left out before each later split .* mean 8\.500 /);
    // A straight line stays one once standardised: each target one step on from its window's end.
    const step = byName.train.features[1] - byName.train.features[0];
    expect(byName.train.targets[0] - byName.train.features[4]).toBeCloseTo(step, 5);
    expect(csvSeries(text, { name: 't.csv', window: 5 }).train.name).toBe('t.csv: weekday');
    expect(() => csvSeries(text.replace('2026-01-7,3.5', '2026-01-7,n/a'), { name: 't.csv', column: 'temp', window: 5 })).toThrow(/line 9, column temp: "n\/a" is not a number/);
    expect(() => csvSeries(text, { name: 't.csv', column: 'rain', window: 5 })).toThrow(/no column "rain" \(columns: day, temp, weekday\)/);
    expect(() => csvSeries(text.split('\n').slice(0, 8).join('\n'), { name: 't.csv', column: 'temp', window: 5 })).toThrow(/too few windows of 5/);
    const file = join(mkdtempSync(join(tmpdir(), 'nw-series-')), 'weather.csv');
    writeFileSync(file, text);
    const loaded = loadDataset({ name: 'series', options: { path: file, column: 'temp', window: 5 } });
    expect([loaded.train.count, loaded.val!.count, loaded.test!.count, loaded.report!.kind, loaded.report!.files]).toEqual([30, 4, 11, 'series', 1]);
    expect(loaded.report!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the CLI: a design made for a time series takes --data FILE.csv --target COLUMN as its series, the window its Input\'s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-series-cli-'));
    const rows = Array.from({ length: 300 }, (_, i) => `${i},${Math.sin(i / 5).toFixed(4)}`);
    writeFileSync(join(dir, 'signal.csv'), ['t,level', ...rows].join('\n'));
    writeFileSync(join(dir, 'design.json'), JSON.stringify(wavesGru()));
    let out = '';
    const code = await main([join(dir, 'design.json'), '--data', join(dir, 'signal.csv'), '--target', 'level', '--epochs', '1', '--threads', '1', '--json'], (t) => (out += t), () => undefined);
    const events = out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; kind?: string; notes?: string[] });
    expect(code, out).toBe(0);
    const data = events.find((e) => e.type === 'data')!;
    expect(data.kind).toBe('series');
    expect(data.notes![0]).toMatch(/^300 values, windows of 20, split in time order: train 162, validation 22, test 56 windows/);
    expect(events.at(-1)!.type).toBe('done');
  });

  it('a GRU forecasts the waves: its test MSE far below the series\' variance (1, standardised)', async () => {
    const g = wavesGru();
    const t = g.training!;
    const data = prepareData(loadBuiltinDataset(t.dataset, t.seed)!, t.dataset, t.seed);
    const backend = await createCpuBackend({ threads: 1 });
    try {
      const trainer = new Trainer(checkedOrThrow(g), data, backend, { compile: compileGraph });
      const done = await trainer.run();
      console.info(`waves, GRU(16): test MSE ${done.test?.loss}`);
      expect(done.test!.loss).toBeLessThan(0.1);
    } finally {
      backend.dispose();
    }
  });
});

/** A GRU(16) forecaster of the next value from 20, on the generated waves. */
function wavesGru(): GraphIR {
  return graph(
    [
      node('x', 'Input', [], { shape: [20, 1], source: 'features' }),
      node('y', 'Input', [], { shape: [1], source: 'target' }),
      node('gru', 'GRU', ['x'], { hiddenSize: 16, output: 'last' }),
      node('out', 'Linear', ['gru'], { outFeatures: 1 }),
      node('loss', 'MSELoss', ['out', 'y']),
    ],
    { prediction: 'out', loss: 'loss' },
    { dataset: { name: 'waves', options: { samples: 1500 } }, optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 32, epochs: 4, metrics: [] },
  );
}
