/**
 * #83: a cross-validation's baselines. Each fold's baselines are fitted on its own training split
 * and measured on its test fold (the `fold` record's `baselines`, a line under the fold's figures),
 * and the done record sets each baseline's mean ± sd over the folds (`baselineFolds`) beside the
 * network's (`folds`): `--folds` records carried none, so a cross-validated network had nothing to
 * be read against.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { main } from '../../../../src-engine/node/train-cli';

const IRIS = join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'iris-mlp.json');

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  return { code, out, err, lines: out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown> & { type: string }) };
}

type Fold = { type: 'fold'; test: Record<string, number>; baselines: Record<string, Record<string, number>> };
type Done = { type: 'done'; folds: { k: number }; baselineFolds: Record<string, { k: number; metrics: Record<string, { mean: number; sd: number; values: number[] }> }> };

/** The baselines of the fold records, and the done record's summary of them: each value in fold order, its mean and sample sd. */
function expectSummaries(folds: Fold[], done: Done, names: string[], metric: string) {
  expect(Object.keys(done.baselineFolds)).toEqual(names);
  for (const name of names) {
    const values = folds.map((f) => f.baselines[name][metric]);
    const s = done.baselineFolds[name].metrics[metric];
    expect(s.values).toEqual(values);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(s.mean).toBeCloseTo(mean, 12);
    expect(s.sd).toBeCloseTo(Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)), 12);
  }
}

describe('--folds: baselines per fold and over the folds (#83)', () => {
  it('a table of classes: majority and logistic in every fold record, their mean ± sd in the done record and the summary', async () => {
    const r = await cli([IRIS, '--folds', '3', '--epochs', '1', '--threads', '1', '--json']);
    expect(r.code, r.err).toBe(0);
    const folds = r.lines.filter((l) => l.type === 'fold') as unknown as Fold[];
    expect(folds).toHaveLength(3);
    for (const f of folds) {
      expect(Object.keys(f.baselines)).toEqual(['majority', 'logistic']);
      // Each test fold holds a third of every class: the majority class scores a third of it.
      expect(f.baselines.majority.accuracy).toBeCloseTo(1 / 3, 1);
      expect(f.baselines.logistic.accuracy).toBeGreaterThan(0.85);
    }
    expectSummaries(folds, r.lines.at(-1) as unknown as Done, ['majority', 'logistic'], 'accuracy');
    const human = await cli([IRIS, '--folds', '3', '--epochs', '1', '--threads', '1']);
    expect(human.out).toMatch(/fold 1\/3: [^\n]*\n {2}baselines: majority acc [\d.]+% {2}F1 [\d.]+ · logistic acc [\d.]+%/);
    expect(human.out).toMatch(/baselines, fitted on each fold's training split \(mean ± sd over the folds\):\n {2}majority: accuracy [\d.]+ ± [\d.]+/);
  }, 60_000);

  it('a series in time order: each fold\'s forecasts (last value, linear lags…) fitted on the windows before its block', async () => {
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
    const file = join(mkdtempSync(join(tmpdir(), 'nw-folds-baselines-')), 'waves.json');
    writeFileSync(file, JSON.stringify(g));
    const r = await cli([file, '--folds', '3', '--threads', '1', '--json']);
    expect(r.code, r.err).toBe(0);
    const folds = r.lines.filter((l) => l.type === 'fold') as unknown as Fold[];
    // The waves' seasons (25 and 60 steps) are longer than the window of 20: no seasonal naive.
    for (const f of folds) expect(Object.keys(f.baselines)).toEqual(['mean', 'last-value', 'linear-lags']);
    expectSummaries(folds, r.lines.at(-1) as unknown as Done, ['mean', 'last-value', 'linear-lags'], 'mse');
    // Two sines are predictable from their lags: in every fold the linear model on them beats the training mean.
    for (const f of folds) expect(f.baselines['linear-lags'].mse).toBeLessThan(f.baselines.mean.mse);
  }, 60_000);
});
