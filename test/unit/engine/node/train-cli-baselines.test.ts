/**
 * #83 end to end: `netwright train` sets baselines beside its test figures, fitted on the run's own
 * training split and measured on its test split with its metrics — the `--json` done record's
 * `baselines`, the summary's lines, the run record's summary — and says so in a sentence when the
 * network does worse.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { main } from '../../../../src-engine/node/train-cli';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'examples');

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  const lines = out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown> & { type: string });
  return { code, out, err, lines };
}

/** A linear model on windows of the waves series, trained one epoch at a learning rate too small to learn. */
function wavesDesign(): string {
  const g: GraphIR = {
    format: 'netwright.graph',
    version: 2,
    name: 'waves, barely trained',
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [40, 1], source: 'features' }, inputs: [] },
      { id: 'y', op: 'Input', attrs: { shape: [1], source: 'target' }, inputs: [] },
      { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['x'] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['flat'] },
      { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['fc', 'y'] },
    ],
    outputs: { prediction: 'fc', loss: 'loss' },
    training: { dataset: { name: 'waves', options: { samples: 600, length: 40 } }, loss: 'loss', optimizer: { kind: 'sgd', lr: 1e-5 }, batchSize: 32, epochs: 1, seed: 1, metrics: ['mse', 'r2'] },
  };
  const file = join(mkdtempSync(join(tmpdir(), 'nw-cli-baselines-')), 'waves.json');
  writeFileSync(file, JSON.stringify(g));
  return file;
}

type Done = { type: 'done'; test: { mse: number }; baselines: Record<string, { mse: number; r2: number }>; verdict?: string };

describe('train CLI: baselines beside the result (#83)', () => {
  it('a series: the done record has the mean, the last value, the season and a linear model on the lags, and the verdict says the network is worse', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'nw-cli-baselines-runs-'));
    const r = await cli([wavesDesign(), '--threads', '1', '--json', '--runs', runs]);
    expect(r.code, r.out + r.err).toBe(0);
    const done = r.lines.at(-1) as unknown as Done;
    expect(done.type).toBe('done');
    expect(Object.keys(done.baselines)).toEqual(['mean', 'last-value', 'seasonal-naive', 'linear-lags']);
    for (const b of Object.values(done.baselines)) expect(Object.keys(b)).toEqual(['mse', 'r2']);
    // The mean's R² on a test split it was not fitted on is about 0; the last value of a smooth series is far better.
    expect(Math.abs(done.baselines.mean.r2)).toBeLessThan(0.05);
    expect(done.baselines['last-value'].mse).toBeLessThan(0.2 * done.baselines.mean.mse);
    const best = Math.min(...Object.values(done.baselines).map((b) => b.mse));
    expect(done.test.mse).toBeGreaterThan(best);
    expect(done.verdict).toBe(`The network's test MSE ${done.test.mse.toPrecision(3)} is worse than a linear model on the lags (${done.baselines['linear-lags'].mse.toPrecision(3)}).`);
    // The run record keeps them beside the run's test figures, with their validation figures and notes: the app's Runs read them.
    const [run] = readdirSync(runs).filter((f) => /^\d{8}-/.test(f));
    const meta = JSON.parse(readFileSync(join(runs, run, 'run.json'), 'utf8')) as { summary: { baselines: Record<string, { test: { mse: number }; val?: { mse: number }; note?: string }>; baselineVerdict?: string } };
    expect(Object.keys(meta.summary.baselines)).toEqual(Object.keys(done.baselines));
    expect(meta.summary.baselines['last-value'].test.mse).toBe(done.baselines['last-value'].mse);
    expect(meta.summary.baselines['linear-lags'].val!.mse).toBeGreaterThan(0);
    expect(meta.summary.baselines['linear-lags'].note).toBe('ridge on the 40 values of the window');
    expect(meta.summary.baselineVerdict).toBe(done.verdict);
    // The summary: each baseline on a line, then the sentence.
    const human = await cli([wavesDesign(), '--threads', '1']);
    expect(human.out).toMatch(/baselines on the same test split:\n {2}mean +MSE [\d.]+ {2}R² -?[\d.]+\n {2}last-value +MSE/);
    expect(human.out).toContain(`${done.verdict}\n`);
  });

  it('a table of classes (Iris): the majority class and logistic regression, in the run\'s metrics', async () => {
    const r = await cli([join(EXAMPLES, 'iris-mlp.json'), '--epochs', '1', '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    const done = r.lines.at(-1) as unknown as { baselines: Record<string, { accuracy: number }> };
    expect(Object.keys(done.baselines)).toEqual(['majority', 'logistic']);
    expect(done.baselines.majority.accuracy).toBeLessThan(0.5);
    expect(done.baselines.logistic.accuracy).toBeGreaterThan(0.85);
  });
});
