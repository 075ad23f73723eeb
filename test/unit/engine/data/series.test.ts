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
  it('waves: windows of T values, the next value the target, the test split the last stretch of the series', () => {
    const { train, test } = loadBuiltinDataset({ name: 'waves', options: { samples: 500, length: 10 } }, 2)!;
    const t = 10;
    expect([train.featureShape, train.targetShape, train.task]).toEqual([[t, 1], [1], 'regression']);
    // 510 values: the test split holds the windows whose target lies in the last 20 % (102 values).
    expect([train.count, test!.count]).toEqual([398, 102]);
    const windowOf = (ds: typeof train, k: number) => Array.from(ds.features.subarray(k * t, k * t + t));
    // Window k + 1 is window k moved on by one value, its last value window k's target, and the
    // test split goes on where the training split stops.
    for (let k = 0; k + 1 < train.count; k += 37) {
      expect(windowOf(train, k + 1).slice(0, t - 1)).toEqual(windowOf(train, k).slice(1));
      expect(windowOf(train, k + 1)[t - 1]).toBe(train.targets[k]);
    }
    expect(windowOf(test!, 0)[t - 1]).toBe(train.targets[train.count - 1]);
    // Standardised with the training stretch's figures: its targets near mean 0, std 1.
    const mean = train.targets.reduce((a, b) => a + b, 0) / train.count;
    const std = Math.sqrt(train.targets.reduce((a, b) => a + (b - mean) ** 2, 0) / train.count);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(std - 1)).toBeLessThan(0.05);
  });

  it('a CSV column: by name (else the last), in row order; a cell that is not a number is refused with its line; read from a file with a fingerprint', () => {
    const rows = Array.from({ length: 60 }, (_, i) => `2026-01-${i},${(i * 0.5).toFixed(1)},${i % 7}`);
    const text = ['day,temp,weekday', ...rows].join('\n');
    const byName = csvSeries(text, { name: 't.csv', column: 'temp', window: 5 });
    expect(byName.train.name).toBe('t.csv: temp');
    expect(byName.note).toMatch(/^60 values, windows of 5; the last 20 % is the test split; standardised with the training stretch's mean 11\.75 and std/);
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
    expect([loaded.train.count, loaded.test!.count, loaded.report!.kind, loaded.report!.files]).toEqual([43, 12, 'series', 1]);
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
    expect(data.notes![0]).toMatch(/^300 values, windows of 20; the last 20 % is the test split/);
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
