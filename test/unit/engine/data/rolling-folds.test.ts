/**
 * #83, `--folds K` on a time series: rolling-origin (forward-chaining) cross-validation. Each fold
 * tests on one of the last K blocks of windows and trains on the windows before it less a gap, as
 * scikit-learn's `TimeSeriesSplit(n_splits=K, gap=…)` — its indices are checked against
 * scikit-learn's own (Debian's python3-sklearn, /usr/bin/python3) — and within that prefix the last
 * share is the validation split, after a gap of its own; no window of one split shares a value with
 * another's. The CLI reports the folds' mean ± sd as for a table (a series' --folds was refused).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chronologicalSplit, prepareData, rollingOriginFolds, unsplitSeries, type Dataset } from '../../../../src-engine/core/data';
import { seriesDataset } from '../../../../src-engine/core/data/series';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import { pythonHas } from '../../python-found';

const hasSklearn = pythonHas('/usr/bin/python3', ['sklearn']);
if (!hasSklearn) console.warn('rolling-folds.test.ts: scikit-learn is not installed for /usr/bin/python3 (apt-get install -y python3-sklearn); its comparison is skipped.');

/** TimeSeriesSplit's folds for each (n, k, gap): `[train indices, test indices]` per fold, or the error it raises. */
function timeSeriesSplit(cases: [number, number, number][]): ({ train: number[]; test: number[] }[] | { error: string })[] {
  const script = `
import json, sys
import numpy as np
from sklearn.model_selection import TimeSeriesSplit
out = []
for n, k, gap in json.load(sys.stdin):
    try:
        out.append([{'train': tr.tolist(), 'test': te.tolist()} for tr, te in TimeSeriesSplit(n_splits=k, gap=gap).split(np.zeros(n))])
    except ValueError as e:
        out.append({'error': str(e)})
print(json.dumps(out))`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe.skipIf(!hasSklearn)('rollingOriginFolds is TimeSeriesSplit(n_splits=K, gap)', () => {
  it('the same train and test indices for several (n, K, gap), and refused where scikit-learn raises', () => {
    const cases: [number, number, number][] = [[100, 3, 5], [53, 4, 0], [1000, 5, 24], [37, 2, 10], [526, 5, 24], [30, 5, 10], [12, 5, 3]];
    const want = timeSeriesSplit(cases);
    cases.forEach(([n, k, gap], c) => {
      const w = want[c];
      if ('error' in w) {
        expect(() => rollingOriginFolds(n, k, gap), `(${n}, ${k}, ${gap}): ${w.error}`).toThrow(expect.objectContaining({ code: 'DATA_TOO_SMALL' }));
        return;
      }
      const folds = rollingOriginFolds(n, k, gap);
      expect(folds.map((f) => ({ train: range(f.train.from, f.train.to), test: range(f.test.from, f.test.to) })), `(${n}, ${k}, ${gap})`).toEqual(w);
    });
    // Two of the cases are refused, so both paths were compared.
    expect(want.filter((w) => 'error' in w)).toHaveLength(2);
  });
});

describe('a series fold in prepareData', () => {
  it('tests on its block, validates on the end of the prefix before it, trains before that, gaps between: no two splits read one value', () => {
    const window = 5;
    // A ramp: a window's values are their own indices, so each split's values say where it lies.
    const values = Float32Array.from({ length: 125 }, (_, i) => i);
    const config = { name: 'ramp', validationSplit: 0.2, targetNormalization: 'none' as const, options: { normalize: 'none' } };
    const loaded = seriesDataset(values, window, 'ramp', { test: 0, valOfRest: 0 });
    expect(loaded.series).toEqual({ gap: window });
    expect(loaded.train.count).toBe(120);
    const folds = rollingOriginFolds(120, 3, window);
    const reads = (ds: Dataset) => [...new Set([...ds.features, ...ds.targets])].sort((a, b) => a - b);
    for (let index = 0; index < 3; index++) {
      const data = prepareData(loaded, config, 1, { k: 3, index });
      const f = folds[index];
      const inner = chronologicalSplit(f.train.to, window, { test: 0, valOfRest: 0.2 });
      // Window i reads values i … i + 5 (its five steps and its target).
      expect(reads(data.test as Dataset)).toEqual(range(f.test.from, f.test.to + window));
      expect(reads(data.val as Dataset)).toEqual(range(inner.val.from, inner.val.to + window));
      expect(reads(data.train as Dataset)).toEqual(range(0, inner.train.to + window));
      expect(reads(data.train as Dataset).at(-1)!).toBeLessThan(reads(data.val as Dataset)[0]);
      expect(reads(data.val as Dataset).at(-1)!).toBeLessThan(reads(data.test as Dataset)[0]);
    }
    // A series read with its own validation and test windows set apart cannot be rolled over.
    expect(() => prepareData(seriesDataset(values, window, 'ramp'), config, 1, { k: 3, index: 0 })).toThrow(expect.objectContaining({ code: 'DATA_BAD_SPLIT' }));
    expect(unsplitSeries({ name: 'waves', split: { train: 0.7, val: 0.1, test: 0.2 }, options: { samples: 400 } })).toEqual({ name: 'waves', validationSplit: 0, options: { samples: 400, testSplit: 0 } });
  });
});

describe('netwright train --folds on a series', () => {
  it('three folds in time order, each fold\'s splits as rollingOriginFolds cuts them, the test metrics\' mean ± sd', async () => {
    const g: GraphIR = {
      format: 'netwright.graph',
      version: 2,
      name: 'waves, linear',
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [20, 1], source: 'features' }, inputs: [] },
        { id: 'y', op: 'Input', attrs: { shape: [1], source: 'target' }, inputs: [] },
        { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['x'] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['flat'] },
        { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['fc', 'y'] },
      ],
      outputs: { prediction: 'fc', loss: 'loss' },
      training: { dataset: { name: 'waves', options: { samples: 400 } }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 32, epochs: 1, seed: 1, metrics: ['mse'] },
    };
    const file = join(mkdtempSync(join(tmpdir(), 'nw-series-folds-')), 'waves.json');
    writeFileSync(file, JSON.stringify(g));
    let out = '';
    let err = '';
    const code = await trainCli([file, '--folds', '3', '--threads', '1', '--json'], (s) => (out += s), (s) => (err += s));
    expect(code, err).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; samples?: Record<string, number>; test?: { mse: number }; folds?: { k: number; metrics: Record<string, { mean: number; sd: number; values: number[] }> } });
    // 400 windows of 20: blocks of 100 tested, each trained on what comes before less 20 windows, its last tenth validation after 20 more.
    const starts = lines.filter((l) => l.type === 'start').map((l) => l.samples);
    const expected = rollingOriginFolds(400, 3, 20).map((f) => {
      const inner = chronologicalSplit(f.train.to, 20, { test: 0, valOfRest: 0.1 });
      return { train: inner.train.to, val: inner.val.to - inner.val.from, test: f.test.to - f.test.from };
    });
    expect(starts).toEqual(expected);
    expect(expected).toEqual([{ train: 52, val: 8, test: 100 }, { train: 142, val: 18, test: 100 }, { train: 232, val: 28, test: 100 }]);
    const folds = lines.filter((l) => l.type === 'fold').map((l) => l.test!.mse);
    const done = lines.at(-1)!;
    expect(done.type).toBe('done');
    expect(done.folds!.k).toBe(3);
    expect(done.folds!.metrics.mse.values).toEqual(folds);
    const mean = folds.reduce((a, b) => a + b, 0) / 3;
    expect(done.folds!.metrics.mse.mean).toBeCloseTo(mean, 12);
    expect(done.folds!.metrics.mse.sd).toBeCloseTo(Math.sqrt(folds.reduce((a, v) => a + (v - mean) ** 2, 0) / 2), 12);
  }, 60_000);
});
