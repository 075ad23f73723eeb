/**
 * Labelled texts from a table (#48, `text-csv`): the text and label columns picked (by the user or
 * guessed), coded errors for a missing column, an empty text, one class and a malformed row, and
 * the same split and tokens as a text folder of the same texts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { csvLabelledTexts, guessTextColumns } from '../../../../src-engine/core/data/text-table';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { scanData } from '../../../../src-engine/node/data-scan';
import { UNRESTRICTED } from '../../../../src-engine/node/data-access';
import { DataScanResult } from '../../../../src-engine/protocol';
import { encodeLabelledText, labelledTextDataset, tokenizerOf, UNK_ID } from '../../../../src-engine/core/data';
import { textSample } from '../../../../src-engine/app/session/predict';

const ROWS = [
  ['1', 'The cat purrs, then sleeps all day.', 'cats'],
  ['2', 'A dog barks at the "postman".', 'dogs'],
  ['3', 'Cats chase mice\nand climb.', 'cats'],
  ['4', 'Dogs fetch sticks.', 'dogs'],
  ['5', 'The cat ignores you.', 'cats'],
  ['6', 'My dog digs holes.', 'dogs'],
  ['7', 'Cats nap in the sun.', 'cats'],
  ['8', 'Dogs love walks.', 'dogs'],
];
const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const csvOf = (header: string[], rows: string[][], sep = ',') => [header, ...rows].map((r) => r.map(quote).join(sep)).join('\n') + '\n';
const CSV = csvOf(['id', 'review', 'kind'], ROWS);

describe('csvLabelledTexts', () => {
  it('guesses the longest column as the text and the low-cardinality one as the label', () => {
    const t = csvLabelledTexts(CSV, { name: 'pets.csv' });
    expect([t.textColumn, t.labelColumn, t.chosen]).toEqual(['review', 'kind', { text: false, label: false }]);
    expect(t.classNames).toEqual(['cats', 'dogs']);
    expect(t.texts[1]).toEqual({ text: 'A dog barks at the "postman".', label: 1 });
    expect(t.texts[2].text).toBe('Cats chase mice\nand climb.');
    // A column named like a label wins over fewer distinct values.
    const named = csvOf(['flag', 'text', 'label'], ROWS.map((r, i) => [String(i % 2), r[1], ['a', 'b', 'c'][i % 3]]));
    expect(csvLabelledTexts(named).labelColumn).toBe('label');
    expect(guessTextColumns(['flag', 'text', 'label'], [{ cells: ['0', 'long text', 'a'] }, { cells: ['1', 'longer text', 'b'] }, { cells: ['1', 'x', 'c'] }])).toEqual({ text: 1, label: 2 });
  });

  it('takes columns named like a text and a label by their names, before the cells\' lengths (#57)', () => {
    // Short texts, long labels: by length alone the labels were the texts and the texts the labels,
    // and a row with no text was 'line 4 has no label (column "text")'.
    const short = 'text,label\ngood,positive\nbad,negative\n,positive\nfine,positive\n';
    expect(() => csvLabelledTexts(short, { name: 's.csv' })).toThrow(expect.objectContaining({ code: 'DATA_TEXT_EMPTY', message: 's.csv: line 4 has an empty text (column "text", guessed as the texts: name the text column if it is another); fill it or delete the row.' }));
    const t = csvLabelledTexts(short.replace('\n,positive', '\nmeh,positive'));
    expect([t.textColumn, t.labelColumn, t.classNames]).toEqual(['text', 'label', ['negative', 'positive']]);
    expect(guessTextColumns(['sentiment', 'Review'], [{ cells: ['positive', 'ok'] }, { cells: ['negative', 'bad'] }])).toEqual({ text: 1, label: 0 });
    // A label named, no text named: the longest of the other columns.
    expect(guessTextColumns(['class', 'id', 'words'], [{ cells: ['long label a', '1', 'hi there'] }, { cells: ['long label b', '2', 'yo'] }])).toEqual({ text: 2, label: 0 });
  });

  it('says why a test split is empty: every class too small, or a label of its own for every text (#57)', () => {
    const options = { tokens: 'words', features: 'ids', maxLength: 4, minCount: 1, maxVocabulary: 100, testFraction: 0.2, splitSeed: 1 } as const;
    const own = Array.from({ length: 100_000 }, (_, i) => ({ text: `t${i}`, label: i }));
    expect(() => labelledTextDataset(own, { ...options, name: 'own.csv', classNames: own.map((t) => String(t.label)) })).toThrow(
      expect.objectContaining({ code: 'DATA_TOO_SMALL', message: "own.csv: the test split would be empty: it takes 20 % of each class's texts, none of a class of fewer than 3, and the 100,000 classes of these 100,000 texts have at most 1 each: every text has a label of its own. Is the label column the right one?" }),
    );
    const pairs = Array.from({ length: 40 }, (_, i) => ({ text: `t${i}`, label: i % 20 }));
    expect(() => labelledTextDataset(pairs, { ...options, name: 'pairs.csv', classNames: pairs.slice(0, 20).map((t) => String(t.label)) })).toThrow(expect.objectContaining({ message: expect.stringContaining('the 20 classes of these 40 texts have at most 2 each. Add texts to the classes, or raise options.testSplit.') }));
    expect(labelledTextDataset(pairs, { ...options, name: 'pairs.csv', classNames: pairs.slice(0, 20).map((t) => String(t.label)), testFraction: 0.25 }).test?.count).toBe(20);
  });

  it('takes the columns the user picks, by name or number, and reads a TSV', () => {
    const t = csvLabelledTexts(csvOf(['id', 'review', 'kind'], ROWS, '\t'), { delimiter: '\t', textColumn: 'review', labelColumn: 0 });
    expect([t.textColumn, t.labelColumn, t.classNames.slice(0, 3)]).toEqual(['review', 'id', ['1', '2', '3']]);
  });

  it('says what is wrong with a coded error', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return [(e as { code: string }).code, (e as Error).message];
      }
      return ['no error'];
    };
    expect(code(() => csvLabelledTexts(CSV, { textColumn: 'body' }))).toEqual(['DATA_TEXT_NO_COLUMN', expect.stringContaining('no text column "body"')]);
    expect(code(() => csvLabelledTexts(CSV, { labelColumn: 7 }))[0]).toBe('DATA_TEXT_NO_COLUMN');
    expect(code(() => csvLabelledTexts('text\nhello\nworld\n'))[0]).toBe('DATA_TEXT_NO_COLUMN');
    expect(code(() => csvLabelledTexts(csvOf(['text', 'label'], [['hi', 'a'], ['', 'b']]), { name: 'e.csv' }))).toEqual(['DATA_TEXT_EMPTY', expect.stringContaining('line 3 has an empty text')]);
    expect(code(() => csvLabelledTexts(csvOf(['text', 'label'], [['hi there', 'a'], ['ho', 'a']]), { name: 'o.csv' }))).toEqual(['DATA_TEXT_ONE_CLASS', expect.stringContaining('"a"')]);
    expect(code(() => csvLabelledTexts('text,label\nhi,a\nho,b,extra\n'))).toEqual(['DATA_CSV_BAD_ROW', expect.stringContaining('line 3')]);
    expect(code(() => csvLabelledTexts('text,label\n"hi,a\n'))[0]).toBe('DATA_CSV_BAD_QUOTE');
  });
});

/** The texts as a table, as a folder per class, and a table whose label column holds one value. */
const dir = mkdtempSync(join(tmpdir(), 'nw-text-csv-'));
writeFileSync(join(dir, 'pets.csv'), CSV);
writeFileSync(join(dir, 'same.csv'), csvOf(['text', 'label', 'id'], ROWS.map((r) => [r[1], 'x', r[0]])));
for (const c of ['cats', 'dogs']) mkdirSync(join(dir, 'pets', c), { recursive: true });
ROWS.forEach((r, i) => writeFileSync(join(dir, 'pets', r[2], `${String(i).padStart(2, '0')}.txt`), r[1]));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('text-csv', () => {
  it('splits and tokenises as a text folder of the same texts', () => {
    const options = { tokens: 'words', maxLength: 6, testSplit: 0.25 };
    const fromCsv = loadDataset({ name: 'text-csv', options: { ...options, path: join(dir, 'pets.csv') } });
    const fromFolder = loadDataset({ name: 'text-folder', options: { ...options, path: join(dir, 'pets') } });
    expect(fromCsv.train.classNames).toEqual(['cats', 'dogs']);
    expect(fromCsv.train.text).toEqual(fromFolder.train.text);
    // The folder lists each class's files in turn, the table its rows as they come: the same texts, in another order.
    const rows = (d: typeof fromCsv.train) => Array.from({ length: d.count }, (_, s) => [...d.features.subarray(s * 6, s * 6 + 6), d.targets[s]].join(' ')).sort();
    expect(rows(fromCsv.train)).toEqual(rows(fromFolder.train));
    expect(fromCsv.report?.notes[0]).toBe('text from column "review" (guessed), label from "kind" (guessed)');
    expect(() => loadDataset({ name: 'text-csv', options: { path: join(dir, 'pets.csv'), labelColumn: 'nope' } })).toThrow(expect.objectContaining({ code: 'DATA_TEXT_NO_COLUMN' }));
  });
});

describe('data.scan of labelled texts (Add data…)', () => {
  const options = { tokens: 'words', maxLength: 6, testSplit: 0.25 };

  it('a table of texts: the columns picked, texts with their labels, class counts; its dataset trains as scanned', async () => {
    const r = await scanData({ scanId: 't1', path: join(dir, 'pets.csv'), kind: 'text-csv', options }, { access: UNRESTRICTED });
    expect(DataScanResult.safeParse(r).success).toBe(true);
    expect(r.problem).toBeUndefined();
    expect(r.labelled).toMatchObject({ texts: 8, tokens: 'words', columns: ['id', 'review', 'kind'], textColumn: 'review', labelColumn: 'kind' });
    expect(r.labelled!.samples.slice(0, 2)).toEqual([{ text: ROWS[0][1], label: 'cats' }, { text: ROWS[1][1], label: 'dogs' }]);
    expect(r.classes.map((c) => [c.name, c.count, c.splits.train, c.splits.test])).toEqual([['cats', 4, 3, 1], ['dogs', 4, 3, 1]]);
    expect(r.featureShape).toEqual([6]);
    const loaded = loadDataset(r.dataset);
    expect(loaded.train.text!.vocabulary.length).toBe(r.labelled!.vocabulary);
  });

  it('a folder of .txt per class is read as texts, whatever folder kind was asked', async () => {
    const r = await scanData({ scanId: 't2', path: join(dir, 'pets'), kind: 'image-folder' }, { access: UNRESTRICTED });
    expect([r.kind, r.dataset.name, r.labelled?.texts, r.labelled?.columns]).toEqual(['text-folder', 'text-folder', 8, undefined]);
  });

  it('a table that cannot be used says why, with its columns to choose from', async () => {
    const r = await scanData({ scanId: 't3', path: join(dir, 'same.csv'), kind: 'text-csv', options: { labelColumn: 'label' } }, { access: UNRESTRICTED });
    expect(DataScanResult.safeParse(r).success).toBe(true);
    expect(r.problem?.code).toBe('DATA_TEXT_ONE_CLASS');
    expect(r.labelled?.columns).toEqual(['text', 'label', 'id']);
  });
});

describe('a typed text in the Playground (model.predict text)', () => {
  it('is encoded exactly as the training texts were: the same vocabulary, <unk> for unseen tokens, ids or counts', () => {
    for (const features of ['ids', 'counts'] as const) {
      const loaded = loadDataset({ name: 'text-csv', options: { path: join(dir, 'pets.csv'), tokens: 'words', maxLength: 6, testSplit: 0.25, features } });
      const width = loaded.train.featureShape[0];
      const rowsOf = (d: typeof loaded.train) => Array.from({ length: d.count }, (_, s) => d.features.subarray(s * width, (s + 1) * width).join(' '));
      const typed = ROWS.map((r) => textSample({ tokenizer: tokenizerOf(loaded.train.text!, width), featureShape: [width] }, r[1]).join(' '));
      expect(typed.sort()).toEqual([...rowsOf(loaded.train), ...rowsOf(loaded.test!)].sort());
      const vocabulary = loaded.train.text!.vocabulary;
      if (features === 'ids') expect(Array.from(encodeLabelledText('Zebras cats', loaded.train.text!, width))).toEqual([UNK_ID, Math.max(UNK_ID, vocabulary.indexOf('cats')), 0, 0, 0, 0]);
    }
    expect(() => textSample({ featureShape: [6] }, 'hello')).toThrow(expect.objectContaining({ code: 'E_PREDICT_TEXT' }));
  });
});
