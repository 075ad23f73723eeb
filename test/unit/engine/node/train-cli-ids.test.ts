/**
 * #83 in the CLI: word ids past a design's Embedding. `netwright train` refuses them before the
 * first step (E_ID_RANGE, exit 1, a JSON error line); with `--data` the Embedding grows to the
 * vocabulary, said in a note, as the app's Use this data does.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { main } from '../../../../src-engine/node/train-cli';

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', '..', 'examples');
const tmp = () => mkdtempSync(join(tmpdir(), 'nw-cli-ids-'));

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  const lines = out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown> & { type: string });
  return { code, out, err, lines };
}

/** examples/fortunes-topics.json (a 128-row Embedding made for characters) read as words, 32 a text. */
function wordsDesign(): string {
  const g = JSON.parse(readFileSync(join(EXAMPLES, 'fortunes-topics.json'), 'utf8')) as GraphIR;
  const t = g.training!;
  t.dataset.options = { ...t.dataset.options, tokens: 'words', features: 'ids', maxLength: 32 };
  t.dataset.limit = 64;
  g.nodes.find((n) => n.id === 'chars')!.attrs.shape = [32];
  const file = join(tmp(), 'words.json');
  writeFileSync(file, JSON.stringify(g));
  return file;
}

describe('train CLI: ids past an Embedding (#83)', () => {
  it('word ids of the fortunes into the 128-row Embedding are refused before training: E_ID_RANGE, naming the size to set', async () => {
    const r = await cli([wordsDesign(), '--epochs', '1', '--threads', '1', '--json']);
    expect(r.code).not.toBe(0);
    expect(r.lines.find((l) => l.type === 'error')).toMatchObject({ code: 'E_ID_RANGE', message: expect.stringMatching(/^Embedding “embed” has 128 rows \(ids 0 to 127\) but fortunes-topics \(train\) gives it the id \d+ .*set numEmbeddings to at least \d+/) });
    expect(r.lines.some((l) => l.type === 'done')).toBe(false);
  });

  it('--data reviews.csv: the Embedding grows to the vocabulary, said in a note, and it trains', async () => {
    const csv = join(tmp(), 'reviews.csv');
    const words = Array.from({ length: 300 }, (_, i) => `w${i}`);
    const rows = Array.from({ length: 80 }, (_, i) => `${Array.from({ length: 12 }, (_, j) => words[(i * 13 + j * 7) % 300]).join(' ')} ${i % 2 ? 'good' : 'bad'},${i % 2 ? 'pos' : 'neg'}`);
    writeFileSync(csv, `review,label\n${rows.join('\n')}\n`);
    const r = await cli([wordsDesign(), '--data', csv, '--epochs', '1', '--threads', '1', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    const notes = r.lines.filter((l) => l.type === 'note').map((l) => l.message as string);
    expect(notes).toContainEqual(expect.stringMatching(/^embed now has \d{3} rows, one per id of the vocabulary \(it had 128\); its weights start afresh$/));
    expect(r.lines.at(-1)?.type).toBe('done');
  });
});
