/**
 * The reports at the end of `netwright train` and from `netwright evaluate` (#83 deliverable 5): a
 * classifier's classification_report table, balanced accuracy and ECE; a regression's RMSE, MAE and
 * R²; `--json` carries them with the reliability bins and the predicted-vs-true pairs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as evaluateCli } from '../../../../src-engine/node/evaluate-cli';
import { main as trainCli } from '../../../../src-engine/node/train-cli';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'examples');

async function run(cli: typeof trainCli, args: string[]) {
  let out = '';
  let err = '';
  const code = await cli(args, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('metric reports on the command line', () => {
  it('a classifier: the report table, balanced accuracy and ECE printed, and in --json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-report-'));
    const model = join(dir, 'iris.json');
    const train = await run(trainCli, [join(EXAMPLES, 'iris-mlp.json'), '--epochs', '15', '--threads', '1', '--export', model]);
    expect(train.code).toBe(0);
    expect(train.out).toMatch(/^\s+precision\s+recall\s+f1-score\s+support\n\n\s+setosa\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}\s+10\n/m);
    expect(train.out).toMatch(/^weighted avg\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}\s+30$/m);
    expect(train.out).toMatch(/^balanced accuracy \d\.\d{3} {2}expected calibration error \d\.\d{4} \(15 bins\)$/m);

    const text = await run(evaluateCli, [model, '--threads', '1']);
    expect(text.code).toBe(0);
    // The evaluation prints the same report training printed for the same weights.
    const table = /^\s+precision[\s\S]*?\(15 bins\)\n/m.exec(train.out)![0];
    expect(text.out).toContain(table);

    const e = JSON.parse((await run(evaluateCli, [model, '--threads', '1', '--json'])).out);
    const m = e.metrics;
    expect(m.report.classes.map((c: { support: number }) => c.support)).toEqual([10, 10, 10]);
    expect(m.report.accuracy).toBe(m.accuracy);
    expect(m['balanced-accuracy']).toBeCloseTo(m.report.macro.recall, 12);
    expect(m.reliability.count.reduce((a: number, b: number) => a + b, 0)).toBe(30);
    expect(m.ece).toBeGreaterThanOrEqual(0);
    expect(m.ece).toBeLessThan(1);

    const done = (await run(trainCli, [join(EXAMPLES, 'iris-mlp.json'), '--epochs', '15', '--threads', '1', '--json'])).out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((r) => r.type === 'done');
    expect(done.test.report).toEqual(m.report);
    expect(done.test.ece).toBeCloseTo(m.ece, 12);
  }, 60_000);

  it('a regression: RMSE, MAE and R² printed; the pairs in --json are what they measure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-report-'));
    const model = join(dir, 'housing.json');
    const train = await run(trainCli, [join(EXAMPLES, 'housing-mlp.json'), '--epochs', '3', '--limit', '400', '--threads', '1', '--export', model]);
    expect(train.code).toBe(0);
    expect(train.out).toMatch(/^RMSE \d+\.\d+ {2}MAE \d+\.\d+ {2}R² -?\d\.\d{4}$/m);
    const e = JSON.parse((await run(evaluateCli, [model, '--threads', '1', '--json'])).out);
    const { residuals, rmse, mae, mse } = e.metrics;
    expect(residuals.outputs).toBe(1);
    expect(residuals.true.length).toBe(e.samples);
    let sq = 0;
    let abs = 0;
    for (let i = 0; i < residuals.true.length; i++) {
      sq += (residuals.predicted[i] - residuals.true[i]) ** 2;
      abs += Math.abs(residuals.predicted[i] - residuals.true[i]);
    }
    expect(rmse).toBeCloseTo(Math.sqrt(sq / e.samples), 9);
    expect(rmse * rmse).toBeCloseTo(mse, 9);
    expect(mae).toBeCloseTo(abs / e.samples, 9);
  }, 60_000);
});
