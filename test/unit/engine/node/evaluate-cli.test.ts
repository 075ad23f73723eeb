/**
 * `npm run evaluate`: a model the train CLI trained and exported is measured on the same test
 * split, with the same figures the train CLI printed (eval mode: the MNIST MLP's Dropout off; its
 * saved normalisation), without training; bad input exits 2 as `npm run train` does.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

describe('evaluate CLI', () => {
  it('gives a trained example model the test metrics the train CLI printed for it, and its confusion matrix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-evaluate-'));
    const model = join(dir, 'mnist.json');
    const train = await run(trainCli, [join(EXAMPLES, 'mnist-mlp.json'), '--epochs', '1', '--limit', '300', '--threads', '1', '--export', model]);
    expect(train.code).toBe(0);
    const printed = /^test \(epoch 1 weights\): (.*)$/m.exec(train.out)![1];

    const r = await run(evaluateCli, [model, '--threads', '1']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^MNIST MLP \(784-128-64-10\): mnist \(test\), 299 samples \(normalised as the model was trained\)$/m);
    expect(r.out).toContain(`\ntest ${printed}\n`);
    expect(r.out).toMatch(/confusion matrix \(rows: true class, columns: predicted\)\n\s+0\s+1\s+2/);

    const json = await run(evaluateCli, [model, '--threads', '1', '--json']);
    const e = JSON.parse(json.out.trim());
    const trained = JSON.parse(readFileSync(model, 'utf8'));
    expect(e).toMatchObject({ type: 'evaluation', split: 'test', samples: 299, task: 'classification' });
    // The exported model keeps the run's final test figures: the evaluation finds them again.
    expect(e.metrics.loss).toBeCloseTo(trained.metrics.test.loss, 6);
    expect(e.metrics.accuracy).toBe(trained.metrics.test.accuracy);
    expect(e.metrics.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(299);
  }, 60_000);

  it('measures your own data whole with --data (a held-out table), or one split of it with --split', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-evaluate-'));
    const model = join(dir, 'iris.json');
    expect((await run(trainCli, [join(EXAMPLES, 'iris-mlp.json'), '--threads', '1', '--export', model])).code).toBe(0);
    // 30 measurements of the three species, as a table of the user's.
    const rows = Array.from({ length: 30 }, (_, i) => {
      const k = i % 3;
      const w = (i % 5) / 10;
      return [5 + 0.8 * k + w, 3.4 - 0.5 * k + w / 2, 1.4 + 2.3 * k + w, 0.2 + 0.9 * k + w / 2, ['setosa', 'versicolor', 'virginica'][k]].join(',');
    });
    const table = join(dir, 'mine.csv');
    writeFileSync(table, ['sl,sw,pl,pw,species', ...rows].join('\n') + '\n');
    const whole = JSON.parse((await run(evaluateCli, [model, '--data', table, '--target', 'species', '--threads', '1', '--json'])).out);
    expect(whole).toMatchObject({ type: 'evaluation', split: 'all', dataset: 'mine.csv (all)', samples: 30, classNames: ['setosa', 'versicolor', 'virginica'], normalization: 'model' });
    expect(whole.metrics.accuracy).toBeGreaterThan(0.8);
    const test = JSON.parse((await run(evaluateCli, [model, '--data', table, '--target', 'species', '--split', 'test', '--threads', '1', '--json'])).out);
    expect(test).toMatchObject({ split: 'test', samples: 6 });
  }, 30_000);

  it('exits 2 with a coded message on bad input, as npm run train does', async () => {
    const missing = await run(evaluateCli, ['no/such/model.json']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^error CLI_NO_FILE: no\/such\/model\.json/);
    // A bare graph has no weights: it says how to get them.
    const graph = await run(evaluateCli, [join(EXAMPLES, 'iris-mlp.json')]);
    expect(graph.code).toBe(2);
    expect(graph.err).toMatch(/E_EXPORT_NO_WEIGHTS: .*npm run train -- .*--export PATH/);
    const usage = await run(evaluateCli, ['x.json', '--split', 'every', '--json']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.out)).toMatchObject({ type: 'error', code: 'CLI_USAGE', message: '--split must be one of test, val, train, all (got every)' });
    // An import before Add settings: nothing to measure it on.
    const dir = mkdtempSync(join(tmpdir(), 'nw-evaluate-'));
    const trained = join(dir, 'iris.json');
    expect((await run(trainCli, [join(EXAMPLES, 'iris-mlp.json'), '--epochs', '1', '--threads', '1', '--export', trained])).code).toBe(0);
    const m = JSON.parse(readFileSync(trained, 'utf8'));
    delete m.graph.training;
    writeFileSync(trained, JSON.stringify(m));
    const bare = await run(evaluateCli, [trained]);
    expect(bare.code).toBe(2);
    expect(bare.err).toMatch(/^error TRAIN_NO_CONFIG: .*Add settings/);
  }, 30_000);
});
