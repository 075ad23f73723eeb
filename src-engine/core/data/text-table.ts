import { csv } from '../../catalog/datasets/csv';
import { rectangularRows, targetColumnByName } from './csv';
import type { LabelledText } from './labelled-text';
import { DataError } from './types';

/** How a CSV/TSV of labelled texts is read (a table of texts): which column is the text, which the label. */
export interface TextTableOptions {
  /** Shown in messages, e.g. the file's name. */
  name?: string;
  /** The text column, by header name or 0-based number; default `guessTextColumns`' pick. */
  textColumn?: string | number;
  /** The label column, by header name or 0-based number; default `guessTextColumns`' pick. */
  labelColumn?: string | number;
  delimiter?: string;
  /** Whether the first row names the columns (default true). */
  header?: boolean;
}

/** What a table of labelled texts holds: the texts with class indices, the classes (sorted), and the columns read. */
export interface TextTable {
  texts: LabelledText[];
  classNames: string[];
  /** Every column's name (the header, or `column 1`…). */
  columns: string[];
  textColumn: string;
  labelColumn: string;
  /** Whether each column was chosen by the user or guessed. */
  chosen: { text: boolean; label: boolean };
}

/** Label columns with more distinct values than this are not guessed as the label (a text-like column). */
const MAX_GUESSED_CLASSES = 100;

/** Header names that say a column holds the texts (case and spaces aside), in order of preference. */
export const TEXT_COLUMN_NAMES: readonly string[] = ['text', 'texts', 'review', 'sentence', 'comment', 'message', 'content', 'body', 'document', 'tweet'];

/**
 * The columns a table of texts most likely means. The label: a column named like one (`label`,
 * `class`, `target`…; targetColumnByName). The text: a column named like one (`text`, `review`,
 * `sentence`…), else of the other columns the one whose cells are longest on average. With no
 * label named, the label is the column, other than the text, with the fewest distinct values (at
 * least two; at most 100), the last on a tie. Names come first: by length alone, a table of short
 * texts with long labels (`ok,positive`) took its labels for the texts and its texts for the labels.
 *
 * @example guessTextColumns(['id', 'review', 'sentiment'], rows) // { text: 1, label: 2 }
 */
export function guessTextColumns(header: readonly string[], body: readonly { cells: string[] }[]): { text: number; label: number } {
  const namedLabel = header.indexOf(targetColumnByName(header) ?? '\0');
  const names = header.map((h) => h.trim().toLowerCase());
  const namedText = TEXT_COLUMN_NAMES.map((n) => names.indexOf(n)).find((c) => c >= 0 && c !== namedLabel);
  const mean = header.map((_, c) => (c === namedLabel ? -1 : body.reduce((a, r) => a + r.cells[c].length, 0) / Math.max(1, body.length)));
  const text = namedText ?? mean.reduce((best, m, c) => (m > mean[best] ? c : best), 0);
  if (namedLabel >= 0 && namedLabel !== text) return { text, label: namedLabel };
  const others = header.map((_, c) => c).filter((c) => c !== text);
  const distinct = new Map(others.map((c) => [c, new Set(body.map((r) => r.cells[c].trim())).size]));
  const fits = others.filter((c) => distinct.get(c)! >= 2 && distinct.get(c)! <= MAX_GUESSED_CLASSES);
  // The fewest classes, the last column on a tie; none fits: the last other column (its error says why).
  const label = fits.reduce((best, c) => (best < 0 || distinct.get(c)! <= distinct.get(best)! ? c : best), -1);
  return { text, label: label >= 0 ? label : others[others.length - 1] };
}

function columnIndex(want: string | number, header: readonly string[], what: 'text' | 'label', name: string): number {
  const i = typeof want === 'number' ? want : header.indexOf(want) >= 0 ? header.indexOf(want) : /^\d+$/.test(want) ? Number(want) : -1;
  if (!(Number.isInteger(i) && i >= 0 && i < header.length)) {
    throw new DataError('DATA_TEXT_NO_COLUMN', `${name}: no ${what} column ${JSON.stringify(want)}; the table has ${header.map((h) => JSON.stringify(h)).join(', ')} (name one from its header row, or give its 0-based number).`);
  }
  return i;
}

/**
 * Read a CSV/TSV whose one column is a text and another its label (RFC 4180 quoting: a text may
 * hold commas, quotes and line breaks). Classes are the distinct labels, sorted (numerically when
 * all are numbers). Then `labelledTextDataset` splits and tokenises them as it does a text folder.
 *
 * @throws DataError `DATA_CSV_BAD_QUOTE`, `DATA_CSV_BAD_ROW` (a ragged row, with its line),
 *   `DATA_CSV_EMPTY`; `DATA_TEXT_NO_COLUMN` for a column the table lacks (or a table of one column);
 *   `DATA_TEXT_EMPTY` for a row with an empty text or label (with its line); `DATA_TEXT_ONE_CLASS`
 *   when the label column holds one value.
 */
export function csvLabelledTexts(source: string, o: TextTableOptions = {}): TextTable {
  const name = o.name ?? csv.name;
  const { header, body } = rectangularRows(source, name, { ...(o.delimiter ? { delimiter: o.delimiter } : {}), ...(o.header !== undefined ? { header: o.header } : {}) });
  if (header.length < 2) throw new DataError('DATA_TEXT_NO_COLUMN', `${name}: the table has one column; it needs a text column and a label column${o.delimiter === undefined ? ' (a TSV is read with tabs when its name ends in .tsv)' : ''}.`);
  const guess = o.textColumn === undefined || o.labelColumn === undefined ? guessTextColumns(header, body) : undefined;
  const text = o.textColumn === undefined ? guess!.text : columnIndex(o.textColumn, header, 'text', name);
  let label = o.labelColumn === undefined ? guess!.label : columnIndex(o.labelColumn, header, 'label', name);
  if (label === text && o.labelColumn === undefined) label = header.findIndex((_, c) => c !== text);
  if (label === text) throw new DataError('DATA_TEXT_NO_COLUMN', `${name}: the text and the label are the same column (${JSON.stringify(header[text])}); choose two columns.`);
  const column = (c: number, what: 'text' | 'label') => `column ${JSON.stringify(header[c])}${(what === 'text' ? o.textColumn : o.labelColumn) === undefined ? `, guessed as the ${what}s: name the ${what} column if it is another` : ''}`;
  for (const r of body) {
    if (r.cells[text].trim() === '') throw new DataError('DATA_TEXT_EMPTY', `${name}: line ${r.line} has an empty text (${column(text, 'text')}); fill it or delete the row.`);
    if (r.cells[label].trim() === '') throw new DataError('DATA_TEXT_EMPTY', `${name}: line ${r.line} has no label (${column(label, 'label')}); fill it or delete the row.`);
  }
  const values = [...new Set(body.map((r) => r.cells[label].trim()))];
  if (values.length < 2) throw new DataError('DATA_TEXT_ONE_CLASS', `${name}: every row's label (column ${JSON.stringify(header[label])}) is ${JSON.stringify(values[0])}; a classifier needs at least two classes — is it the label column?`);
  const numeric = values.every((v) => v !== '' && Number.isFinite(Number(v)));
  const classNames = numeric ? values.sort((a, b) => Number(a) - Number(b)) : values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(classNames.map((c, i) => [c, i]));
  return {
    texts: body.map((r) => ({ text: r.cells[text], label: index.get(r.cells[label].trim())! })),
    classNames,
    columns: header,
    textColumn: header[text],
    labelColumn: header[label],
    chosen: { text: o.textColumn !== undefined, label: o.labelColumn !== undefined },
  };
}
