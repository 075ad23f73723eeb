/**
 * #83 deliverable 3, "Splits the user sees and sets", end to end through `netwright train`: the
 * start record counts each split (per class for a classifier); `--split TRAIN,VAL,TEST` sets the
 * shares (checked: DATA_BAD_SPLIT), each class split in proportion; `--val-data` and `--test-data`
 * are the validation and test splits as given; `--folds K` runs K folds and reports each test
 * metric's mean ± sd over them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../../src-engine/node/train-cli';
import { main as evaluate } from '../../../../src-engine/node/evaluate-cli';
import { RunStore } from '../../../../src-engine/node/run-store';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'examples');
const IRIS = join(EXAMPLES, 'iris-mlp.json');

type Line = Record<string, unknown> & { type: string };
type Count = { count: number; perClass?: Record<string, number> };
type Start = { type: 'start'; samples: { train: number; val: number; test: number }; splits: { train: Count; val: Count; test: Count } };

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  const lines = out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
  return { code, out, err, lines };
}

const startOf = (lines: Line[]) => lines.find((l) => l.type === 'start') as unknown as Start;

/** A table of three classes told apart by f1 (a 0–2, b 4–6, c 8–10), `perClass` rows of each, rows in the order of `classes`. */
function table(dir: string, name: string, perClass: number, classes = ['a', 'b', 'c'], offset = 0): string {
  const rows = ['f1,f2,label'];
  classes.forEach((c) => {
    const centre = ({ a: 1, b: 5, c: 9 } as Record<string, number>)[c] ?? 3;
    for (let i = 0; i < perClass; i++) rows.push(`${(centre + (((i + offset) * 37) % 20) / 10 - 1).toFixed(2)},${(((i + offset) * 13) % 7).toFixed(1)},${c}`);
  });
  const file = join(dir, name);
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

describe('train CLI: splits the user sees and sets (#83)', () => {
  it('the start record counts each split and each class in it; the human output names them too', async () => {
    const r = await cli([IRIS, '--epochs', '1', '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    const s = startOf(r.lines);
    // Iris: 50 of each class; the default split holds out 20 % of each class for test (10), then 10 % of the rest (4) for validation.
    expect(s.splits.test).toEqual({ count: 30, perClass: { setosa: 10, versicolor: 10, virginica: 10 } });
    expect(s.splits.val).toEqual({ count: 12, perClass: { setosa: 4, versicolor: 4, virginica: 4 } });
    expect(s.splits.train).toEqual({ count: 108, perClass: { setosa: 36, versicolor: 36, virginica: 36 } });
    expect(s.samples).toEqual({ train: 108, val: 12, test: 30 });
    const human = await cli([IRIS, '--epochs', '1', '--threads', '1']);
    expect(human.out).toContain('  train 108: setosa 36, versicolor 36, virginica 36\n');
    expect(human.out).toContain('  test 30: setosa 10, versicolor 10, virginica 10\n');
  });

  it('--split 0.6,0.2,0.2 splits each class in those shares, the same way for the same seed', async () => {
    const r = await cli([IRIS, '--split', '0.6,0.2,0.2', '--epochs', '1', '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    const s = startOf(r.lines);
    expect(s.splits.train).toEqual({ count: 90, perClass: { setosa: 30, versicolor: 30, virginica: 30 } });
    expect(s.splits.val).toEqual({ count: 30, perClass: { setosa: 10, versicolor: 10, virginica: 10 } });
    expect(s.splits.test).toEqual({ count: 30, perClass: { setosa: 10, versicolor: 10, virginica: 10 } });
  });

  it('--split is checked: three numbers (CLI_USAGE), each in [0, 1), training > 0, summing to 1 (DATA_BAD_SPLIT)', async () => {
    const bad = async (split: string) => {
      const r = await cli([IRIS, '--split', split, '--epochs', '1', '--json']);
      expect(r.code).toBe(2);
      return r.lines.find((l) => l.type === 'error') as unknown as { code: string; message: string };
    };
    expect((await bad('0.7,0.3')).code).toBe('CLI_USAGE');
    expect((await bad('0.7,x,0.1')).code).toBe('CLI_USAGE');
    const sum = await bad('0.7,0.2,0.2');
    expect(sum.code).toBe('DATA_BAD_SPLIT');
    expect(sum.message).toContain('must sum to 1 (train 0.7 + val 0.2 + test 0.2 = 1.1)');
    const range = await bad('1,0,0');
    expect(range.code).toBe('DATA_BAD_SPLIT');
    expect(range.message).toContain("train fraction must be a number in [0, 1) (got 1)");
    expect((await bad('0.9,-0.1,0.2')).code).toBe('DATA_BAD_SPLIT');
    expect((await bad('0,0.5,0.5')).message).toContain('train > 0');
  });

  it('--val-data and --test-data are the validation and test splits as given: every row, classes matched by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-splits-'));
    const train = table(dir, 'train.csv', 20);
    // The test file lists its classes in another order and lacks one; the validation file has 5 of each.
    const val = table(dir, 'val.csv', 5, ['a', 'b', 'c'], 3);
    const test = table(dir, 'test.csv', 7, ['c', 'a'], 5);
    const r = await cli([IRIS, '--data', train, '--val-data', val, '--test-data', test, '--epochs', '1', '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    const s = startOf(r.lines);
    expect(s.splits.val).toEqual({ count: 15, perClass: { a: 5, b: 5, c: 5 } });
    expect(s.splits.test).toEqual({ count: 14, perClass: { a: 7, b: 0, c: 7 } });
    // Nothing is carved from the training file: all its 60 rows train.
    expect(s.splits.train).toEqual({ count: 60, perClass: { a: 20, b: 20, c: 20 } });
    // The design keeps the files (training.dataset.splitFiles): evaluating the trained model measures the same 14 test rows, not a share of the training file.
    const model = join(dir, 'model.json');
    const exported = await cli([IRIS, '--data', train, '--val-data', val, '--test-data', test, '--epochs', '1', '--threads', '1', '--json', '--export', model]);
    expect(exported.code, exported.out + exported.err).toBe(0);
    const done = exported.lines.find((l) => l.type === 'done') as unknown as { test: { loss: number; accuracy: number } };
    let out = '';
    expect(await evaluate([model, '--threads', '1', '--json'], (t) => (out += t), (t) => (out += t))).toBe(0);
    const e = JSON.parse(out.trim()) as { samples: number; metrics: { loss: number; accuracy: number } };
    expect(e.samples).toBe(14);
    expect(e.metrics.accuracy).toBe(done.test.accuracy);
    expect(e.metrics.loss).toBeCloseTo(done.test.loss, 6);
    // A share of the data for a split a file gives is refused.
    const both = await cli([IRIS, '--data', train, '--test-data', test, '--split', '0.8,0.1,0.1', '--epochs', '1', '--json']);
    expect(both.code).toBe(2);
    expect(both.lines.find((l) => l.type === 'error')).toMatchObject({ code: 'DATA_BAD_SPLIT' });
    // A class the training data does not have is refused, naming it.
    const other = table(dir, 'other.csv', 3, ['a', 'd']);
    const unknown = await cli([IRIS, '--data', train, '--test-data', other, '--epochs', '1', '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.lines.find((l) => l.type === 'error')).toMatchObject({ code: 'DATA_CSV_BAD_CELL' });
  });

  it('--folds 3: three runs, each tested on its own third of every class, then each test metric\'s mean ± sd over the folds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-folds-'));
    const data = table(dir, 'small.csv', 12);
    const r = await cli([IRIS, '--data', data, '--folds', '3', '--epochs', '2', '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    const starts = r.lines.filter((l) => l.type === 'start') as unknown as (Start & { fold: { index: number; k: number } })[];
    expect(starts.map((s) => s.fold)).toEqual([1, 2, 3].map((index) => ({ index, k: 3 })));
    // 36 rows, 12 of each class: each fold tests on 4 of each.
    for (const s of starts) expect(s.splits.test).toEqual({ count: 12, perClass: { a: 4, b: 4, c: 4 } });
    const folds = r.lines.filter((l) => l.type === 'fold') as unknown as { test: Record<string, number> }[];
    expect(folds).toHaveLength(3);
    const done = r.lines.at(-1) as { type: string; folds: { k: number; metrics: Record<string, { mean: number; sd: number; values: number[] }> } };
    expect(done.type).toBe('done');
    expect(done.folds.k).toBe(3);
    for (const m of ['loss', 'accuracy', 'f1']) {
      const values = folds.map((f) => f.test[m]);
      const mean = (values[0] + values[1] + values[2]) / 3;
      const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / 2);
      expect(done.folds.metrics[m].values).toEqual(values);
      expect(done.folds.metrics[m].mean).toBeCloseTo(mean, 12);
      expect(done.folds.metrics[m].sd).toBeCloseTo(sd, 12);
    }
    // With --runs, each fold is a run of its own, named by its fold.
    const runs = join(dir, 'runs');
    const human = await cli([IRIS, '--data', data, '--folds', '3', '--epochs', '2', '--threads', '1', '--runs', runs]);
    expect(new RunStore(runs).list().map((m) => m.name).sort()).toEqual([1, 2, 3].map((i) => `small MLP (2-16-3) · fold ${i}/3`));
    expect(human.out).toMatch(/3-fold cross-validation, test metrics \(mean ± sd over the folds\):\n {2}loss +[\d.]+ ± [\d.]+ {2}\([\d.]+, [\d.]+, [\d.]+\)/);
    expect(human.out).toMatch(/\n {2}accuracy +[\d.]+ ± [\d.]+/);
  });
});
