import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../../src-engine/catalog/datasets/registry';
import { OPTIMIZERS } from '../../../src-engine/catalog/optimizers/registry';
import { SCHEDULES } from '../../../src-engine/catalog/schedules/registry';
import { listTransforms } from '../../../src-engine/catalog/transforms/registry';
import { TASKS } from '../../../src-engine/catalog/tasks';

/**
 * A registered kind (an optimizer, a learning-rate schedule, an input transform, a dataset, a task) is
 * named in at most two files: its declaration and, at most, one other (its implementation, where
 * the two are still apart). Code elsewhere asks the registry (the declaration's `kind`, its
 * traits), so adding a kind stays one file and one registry line (#45). Counted: source files of
 * src-engine, src-renderer and src-main holding the kind quoted (`'adam'`, "adam" or `adam`),
 * printed catalogs (`generated`) left out.
 */
const root = path.resolve(__dirname, '../../..');
const LIMIT = 2;

/** Files that are designs written as data, not code: a design names the kinds it trains with, as an example's .json does. */
const DATA_FILES: Record<string, string> = {
  'src-renderer/src/lessons/catalog.ts': "the lessons' designs: each names its dataset, optimizer and transform, as a saved design does",
  'src-renderer/src/editor/templates.ts': 'the starter designs of File ▸ New, as data',
};

/**
 * Kinds still named in more than two files, with their count now: the list may only shrink (a
 * kind may not join it, nor its count grow), and an entry whose count fell must be lowered.
 */
const WORD = 'also a word other code quotes for other meanings (counted all the same, so a new use shows)';
const STILL_SPREAD: Record<string, { files: number; why: string }> = {
  step: { files: 28, why: `${WORD}: a training step (runs, charts, TensorBoard events; the run records \`netwright runs\` and the torchrun follower read; a checkpoint's counter named in its error)` },
  none: { files: 41, why: `${WORD}: the 'none' of many options (missing values, normalisation, export modes)` },
  mask: { files: 11, why: `${WORD}: attention and dropout masks` },
  shapes: { files: 3, why: `${WORD}: a graph's shapes` },
  memory: { files: 4, why: `${WORD}: a CPU feature (wasm shared memory)` },
  text: { files: 10, why: `${WORD}: a text (a parameter, a prompt, a label column, a vocabulary option's value, TensorBoard's text plugin, model.explain's per-word answer); as the dataset, named by its declaration, its data format's label and its loader (node/datasets.ts)` },
};

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter((f) => !/(^|\/)generated(\/|\.ts$)/.test(f) && !(f in DATA_FILES));
}

const KINDS = [...OPTIMIZERS.map((o) => o.kind), ...SCHEDULES.map((s) => s.kind), ...listTransforms().map((t) => t.kind), ...DATASETS.map((d) => d.name), ...TASKS.map((t) => t.task)];

/** Per kind, the files naming it quoted. */
function filesNaming(kinds: readonly string[], texts: ReadonlyMap<string, string>): Map<string, string[]> {
  const quoted = (k: string) => new RegExp(`(['"\`])${k.replace(/[-]/g, '\\-')}\\1`);
  return new Map(kinds.map((k) => [k, [...texts].filter(([, t]) => quoted(k).test(t)).map(([f]) => f)]));
}

describe('registered kinds are named in at most two files', () => {
  const texts = new Map(['src-engine', 'src-renderer/src', 'src-main'].flatMap(sources).map((f) => [f, readFileSync(path.join(root, f), 'utf8')]));
  const found = filesNaming(KINDS, texts);

  it('the count finds a quoted kind and nothing else', () => {
    const planted = new Map([
      ['a.ts', "optimizer: { kind: 'adam' }"],
      ['b.ts', 'const k = "adam";'],
      ['c.ts', 'x = `adam`'],
      ['d.ts', "'adamw' and adam and 'adam-like'"],
    ]);
    expect(filesNaming(['adam'], planted).get('adam')).toEqual(['a.ts', 'b.ts', 'c.ts']);
    expect(texts.size).toBeGreaterThan(300);
    expect(KINDS.length).toBeGreaterThan(30);
  });

  it(`no kind outside the list is in more than ${LIMIT} files`, () => {
    const over = [...found].filter(([k, files]) => files.length > (STILL_SPREAD[k]?.files ?? LIMIT));
    expect(over.map(([k, files]) => `${k} (${files.length}${k in STILL_SPREAD ? `, listed ${STILL_SPREAD[k].files}` : ''}): ${files.join(', ')}`)).toEqual([]);
  });

  it('the list only names kinds at their count now (lower an entry whose kind spread less)', () => {
    const stale = Object.entries(STILL_SPREAD).filter(([k, e]) => (found.get(k)?.length ?? 0) < e.files);
    expect(stale.map(([k, e]) => `${k}: listed ${e.files}, now ${found.get(k)?.length ?? 0}`)).toEqual([]);
  });

  it('the data files listed exist', () => {
    expect(Object.keys(DATA_FILES).filter((f) => !existsSync(path.join(root, f)))).toEqual([]);
  });
});
