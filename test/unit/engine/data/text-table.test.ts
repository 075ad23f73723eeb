/**
 * Labelled texts from a table (#48, `text-csv`): the text and label columns picked (by the user or
 * guessed), coded errors for a missing column, an empty text, one class and a malformed row, and
 * the same split and tokens as a text folder of the same texts.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvLabelledTexts, guessTextColumns } from '../../../../src-engine/core/data/text-table';
import { loadDataset } from '../../../../src-engine/node/datasets';

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

describe('text-csv', () => {
  it('splits and tokenises as a text folder of the same texts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-text-csv-'));
    writeFileSync(join(dir, 'pets.csv'), CSV);
    for (const c of ['cats', 'dogs']) mkdirSync(join(dir, 'pets', c), { recursive: true });
    ROWS.forEach((r, i) => writeFileSync(join(dir, 'pets', r[2], `${String(i).padStart(2, '0')}.txt`), r[1]));
    const options = { tokens: 'words', maxLength: 6, testSplit: 0.25 };
    const fromCsv = loadDataset({ name: 'text-csv', options: { ...options, path: join(dir, 'pets.csv') } });
    const fromFolder = loadDataset({ name: 'text-folder', options: { ...options, path: join(dir, 'pets') } });
    expect(fromCsv.train.classNames).toEqual(['cats', 'dogs']);
    expect(fromCsv.train.text).toEqual(fromFolder.train.text);
    // The folder lists each class's files in turn, the table its rows as they come: the same texts, in another order.
    const rows = (d: typeof fromCsv.train) => Array.from({ length: d.count }, (_, s) => [...d.features.subarray(s * 6, s * 6 + 6), d.targets[s]].join(' ')).sort();
    expect(rows(fromCsv.train)).toEqual(rows(fromFolder.train));
    expect(fromCsv.report?.notes[0]).toBe('text from column "review" (its longest cells), label from "kind" (guessed)');
    expect(() => loadDataset({ name: 'text-csv', options: { path: join(dir, 'pets.csv'), labelColumn: 'nope' } })).toThrow(expect.objectContaining({ code: 'DATA_TEXT_NO_COLUMN' }));
  });
});
