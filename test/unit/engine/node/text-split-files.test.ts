/**
 * #83: a table of texts takes --val-data and --test-data (it was refused, DATA_BAD_SPLIT: "it is
 * split itself"). The training file's texts all train (no test share carved from it when a test
 * file is given), its tokenizer and vocabulary are fitted on it alone, and the validation and test
 * files are encoded with them — a word only they hold is <unk> — as `netwright evaluate --data` reads
 * texts through a model's tokenizer, so both measure the test file alike.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import { main as evaluateCli } from '../../../../src-engine/node/evaluate-cli';
import { Rng } from '../../../../src-engine/base/rng';

const BOW = join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'fortunes-topics-bow.json');

async function cli(main: typeof trainCli, args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  const lines = out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown> & { type: string });
  return { code, out, err, lines };
}

const WORDS: Record<string, string[]> = { fruit: ['apple', 'banana', 'cherry', 'grape', 'lemon'], vehicle: ['car', 'truck', 'bus', 'train', 'plane'], colour: ['red', 'blue', 'green', 'yellow', 'purple'] };
const COMMON = ['the', 'of', 'and', 'with', 'some'];

/** `n` texts, three classes in turn, each three words of its class and two common ones, plus `extra` (a word no other file has). */
function texts(n: number, rng: Rng, extra?: string): string[] {
  return Array.from({ length: n }, (_, i) => {
    const label = Object.keys(WORDS)[i % 3];
    const pick = (ws: string[]) => ws[Math.floor(rng.uniform() * ws.length)];
    const words = [pick(WORDS[label]), pick(WORDS[label]), pick(WORDS[label]), pick(COMMON), pick(COMMON), ...(extra ? [extra] : [])];
    return `${words.join(' ')},${label}`;
  });
}

describe('a table of texts with --val-data and --test-data (#83)', () => {
  it('trains on every text of its file, validates and tests on the files with the training file\'s vocabulary, as evaluate --data reads them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-text-splits-'));
    const rng = new Rng(83);
    const file = (name: string, rows: string[]) => {
      const path = join(dir, name);
      writeFileSync(path, ['text,label', ...rows].join('\n') + '\n');
      return path;
    };
    const trainRows = texts(60, rng);
    const train = file('train.csv', trainRows);
    const val = file('val.csv', texts(15, rng, 'walrus'));
    const test = file('test.csv', texts(15, rng, 'zebra'));
    const model = join(dir, 'model.json');
    const r = await cli(trainCli, [BOW, '--data', train, '--target', 'label', '--val-data', val, '--test-data', test, '--epochs', '3', '--threads', '1', '--json', '--export', model]);
    expect(r.code, r.out + r.err).toBe(0);
    const start = r.lines.find((l) => l.type === 'start') as unknown as { splits: Record<string, { count: number; perClass: Record<string, number> }> };
    expect(start.splits.train).toEqual({ count: 60, perClass: { colour: 20, fruit: 20, vehicle: 20 } });
    expect(start.splits.val.count).toBe(15);
    expect(start.splits.test).toEqual({ count: 15, perClass: { colour: 5, fruit: 5, vehicle: 5 } });

    // The vocabulary is the training file's words, and only those.
    const saved = JSON.parse(readFileSync(model, 'utf8')) as { tokenizer: { vocabulary: string[] } };
    const trainWords = new Set(trainRows.flatMap((row) => row.split(',')[0].split(' ')));
    expect(new Set(saved.tokenizer.vocabulary)).toEqual(new Set(['<pad>', '<unk>', ...trainWords]));
    expect(saved.tokenizer.vocabulary).not.toContain('zebra');
    expect(saved.tokenizer.vocabulary).not.toContain('walrus');

    // The test file through the model's own tokenizer: the figures the run gave.
    const done = r.lines.find((l) => l.type === 'done') as unknown as { test: { loss: number; accuracy: number } };
    const e = (await cli(evaluateCli, [model, '--data', test, '--threads', '1', '--json'])).lines[0] as unknown as { samples: number; metrics: { loss: number; accuracy: number } };
    expect(e.samples).toBe(15);
    expect(e.metrics.accuracy).toBe(done.test.accuracy);
    expect(e.metrics.loss).toBeCloseTo(done.test.loss, 5);

    // A test file alone: the training file's texts train and validate (its 5 % validation share), none tested.
    const testOnly = await cli(trainCli, [BOW, '--data', train, '--target', 'label', '--test-data', test, '--epochs', '1', '--threads', '1', '--json']);
    expect(testOnly.code, testOnly.err).toBe(0);
    const s = (testOnly.lines.find((l) => l.type === 'start') as unknown as { splits: Record<string, { count: number }> }).splits;
    expect([s.train.count + s.val.count, s.val.count > 0, s.test.count]).toEqual([60, true, 15]);
    // A validation file alone: the training file keeps its own test share.
    const valOnly = await cli(trainCli, [BOW, '--data', train, '--target', 'label', '--val-data', val, '--epochs', '1', '--threads', '1', '--json']);
    expect(valOnly.code, valOnly.err).toBe(0);
    const v = (valOnly.lines.find((l) => l.type === 'start') as unknown as { splits: Record<string, { count: number }> }).splits;
    expect([v.train.count, v.val.count, v.test.count]).toEqual([48, 15, 12]);
  }, 60_000);
});
