import { taskFor } from '../../catalog/tasks';
import { DataError, type Dataset, type TableColumnEncoding, type TableEncoding } from './types';

export type { TableColumnEncoding, TableEncoding } from './types';

/** The `format` of a table encoding (`TableEncoding`). */
export const TABLE_ENCODING_FORMAT: TableEncoding['format'] = 'netwright.table';
export const TABLE_ENCODING_VERSION = 1;

/** The most columns, categories a column and characters a name a model file's table may have (the protocol's bounds: ProbeSamples.table). */
const MAX_COLUMNS = 10_000;
const MAX_CATEGORIES = 1000;
const MAX_NAME = 1000;

/** Values a column gives the input. */
export function columnWidth(c: TableColumnEncoding): number {
  return (c.kind === 'one-hot' ? c.categories!.length : 1) + (c.indicator ? 1 : 0);
}

/** Values per sample of the input a table encoding gives. */
export function tableWidth(e: TableEncoding): number {
  return e.columns.reduce((a, c) => a + columnWidth(c), 0);
}

/** An empty cell or a missing-value marker (`NaN`, `NA`, `N/A`, `null`, `None`, `?`, any case). */
export const isMissing = (s: string): boolean => s === '' || /^(nan|na|n\/a|null|none|\?)$/i.test(s);

/** A cell's number: NaN when it is blank or not a finite number. */
export function parseNumber(s: string): number {
  if (s.trim() === '') return NaN;
  const v = Number(s);
  return Number.isFinite(v) ? v : NaN;
}

/**
 * Write one row's input at `out[at …]`: column k of the encoding reads `cell(k)`. The one encoder
 * of training (core/data/csv.ts, every row of the table) and of `netwright predict` (a new row, by
 * the columns' names), so both give the same values.
 *
 * @throws DataError `DATA_NAN` for a missing cell the encoding has no fill for, `DATA_CSV_BAD_CELL`
 *   for a number column's text or a text column's value training never saw (naming `where`).
 */
export function encodeTableRow(e: TableEncoding, cell: (k: number) => string, out: Float32Array, at: number, where = 'the row'): void {
  let f = at;
  e.columns.forEach((c, k) => {
    const s = cell(k);
    const gap = isMissing(s);
    if (gap && c.fill === undefined) throw new DataError('DATA_NAN', `${where}, column "${c.name}": missing, and the model was trained without gaps there; give a value.`);
    if (c.kind === 'numeric') {
      const v = gap ? (c.fill as number) : parseNumber(s);
      if (Number.isNaN(v)) throw new DataError('DATA_CSV_BAD_CELL', `${where}, column "${c.name}": not a number.`);
      out[f++] = v;
    } else {
      const v = gap ? c.fill : s;
      const idx = typeof v === 'string' ? c.categories!.indexOf(v) : -1;
      if (!gap && idx < 0) throw new DataError('DATA_CSV_BAD_CELL', `${where}, column "${c.name}": a value the model was not trained on (it knows ${c.categories!.slice(0, 8).join(', ')}${c.categories!.length > 8 ? ', …' : ''}).`);
      if (c.kind === 'one-hot') {
        if (idx >= 0) out[f + idx] = 1;
        f += c.categories!.length;
      } else out[f++] = idx;
    }
    if (c.indicator) out[f++] = gap ? 1 : 0;
  });
}

/**
 * A sample's input read back as a row of its table, as far as the encoding allows (the inverse
 * of `encodeTableRow`, on values before normalisation): a number column's value (6 significant
 * digits; a filled gap reads as its fill), a text column's category (blank where none is set: a
 * gap under the indicator policy), blank where the indicator says the cell was missing. For the
 * Playground's test samples: a pick shows its row, to change one value and see the answer move.
 */
export function decodeTableRow(e: TableEncoding, x: ArrayLike<number>): Record<string, string> {
  const row: Record<string, string> = {};
  let f = 0;
  for (const c of e.columns) {
    let v = '';
    if (c.kind === 'numeric') v = String(Number(x[f++].toPrecision(6)));
    else if (c.kind === 'index') v = c.categories![Math.round(x[f++])] ?? '';
    else {
      const n = c.categories!.length;
      for (let k = 0; k < n; k++) if (x[f + k] > 0.5) v = c.categories![k];
      f += n;
    }
    if (c.indicator && x[f++] > 0.5) v = '';
    row[c.name] = v;
  }
  return row;
}

/**
 * A table encoding read from a model file, checked, or a DataError (`DATA_BAD_OPTION`) naming
 * what is wrong (`what`: where it was read, for the message).
 */
export function readTableEncoding(json: unknown, what: string): TableEncoding {
  const bad = (why: string): never => {
    throw new DataError('DATA_BAD_OPTION', `${what} is not a table encoding: ${why}.`);
  };
  const o = json as Partial<TableEncoding> | null;
  if (typeof o !== 'object' || o === null) return bad('not an object');
  if (o.format !== TABLE_ENCODING_FORMAT || o.version !== TABLE_ENCODING_VERSION) return bad(`format ${String(o.format)} version ${String(o.version)}, expected ${TABLE_ENCODING_FORMAT} ${TABLE_ENCODING_VERSION}`);
  if (typeof o.target !== 'string' || o.target.length > MAX_NAME) return bad('no target column');
  if (!Array.isArray(o.columns) || o.columns.length === 0) return bad('no columns');
  if (o.columns.length > MAX_COLUMNS) return bad(`${o.columns.length} columns, more than ${MAX_COLUMNS.toLocaleString('en-US')}`);
  const columns = o.columns.map((c: Partial<TableColumnEncoding>, i): TableColumnEncoding => {
    if (typeof c !== 'object' || c === null || typeof c.name !== 'string' || c.name.length > MAX_NAME) return bad(`column ${i + 1} has no name`);
    if (c.kind !== 'numeric' && c.kind !== 'one-hot' && c.kind !== 'index') return bad(`column "${c.name}" is of kind ${String(c.kind)}`);
    const text = c.kind !== 'numeric';
    if (text && (!Array.isArray(c.categories) || c.categories.length === 0 || c.categories.length > MAX_CATEGORIES || !c.categories.every((v) => typeof v === 'string' && v.length <= MAX_NAME))) return bad(`column "${c.name}" has no categories, or more than ${MAX_CATEGORIES}`);
    const fillOk = c.fill === undefined || (text ? c.fill === null || (typeof c.fill === 'string' && c.categories!.includes(c.fill)) : typeof c.fill === 'number' && Number.isFinite(c.fill));
    if (!fillOk) return bad(`column "${c.name}" has a fill value of the wrong kind`);
    return { name: c.name, kind: c.kind, ...(text ? { categories: [...c.categories!] } : {}), ...(c.fill !== undefined ? { fill: c.fill } : {}), ...(c.indicator ? { indicator: true } : {}) };
  });
  return { format: TABLE_ENCODING_FORMAT, version: TABLE_ENCODING_VERSION, columns, target: o.target };
}

/**
 * Whether a new table is read by the encoding's columns: it names at least one of them. A table of
 * other names (`a,b,c,d`, or none) is a table of numbers in order, as for a model without one.
 */
export function namesAnyColumn(header: readonly string[], e: TableEncoding): boolean {
  return e.columns.some((c) => header.includes(c.name));
}

/**
 * Where each of the encoding's columns is in `header` (by name).
 *
 * @throws DataError `DATA_CSV_BAD_ROW` naming the columns the table lacks.
 */
export function columnsIn(header: readonly string[], e: TableEncoding, name: string): number[] {
  const at = e.columns.map((c) => header.indexOf(c.name));
  const lacking = e.columns.filter((_, k) => at[k] < 0).map((c) => `"${c.name}"`);
  if (lacking.length) throw new DataError('DATA_CSV_BAD_ROW', `${name}: no column${lacking.length === 1 ? '' : 's'} ${lacking.join(', ')}; the model reads ${e.columns.map((c) => c.name).join(', ')}.`);
  return at;
}

/**
 * A new table read as a model trained on a table reads it (`netwright evaluate --data`): each row's
 * features by the model's columns, by name (`encodeTableRow`), and its target the model's target
 * column — a class by its name among the model's `classNames` (their order, not this table's), or a
 * number when it has none (a regression). Rows whose target is missing are left out, as training
 * left them out.
 *
 * @throws DataError `DATA_CSV_NO_TARGET` (no target column), `DATA_CSV_BAD_ROW` (a column the model
 *   reads is absent), `DATA_CSV_BAD_CELL` (a class the model does not know, an unseen category),
 *   `DATA_NAN` (a gap training had none for, a target that is not a number).
 */
export function tableRowsDataset(name: string, header: readonly string[], body: readonly { line: number; cells: string[] }[], e: TableEncoding, classNames: readonly string[]): Dataset {
  const at = columnsIn(header, e, name);
  const target = header.indexOf(e.target);
  if (target < 0) throw new DataError('DATA_CSV_NO_TARGET', `${name}: no column "${e.target}", the one the model predicts, to measure it against.`);
  const rows = body.filter((r) => !isMissing(r.cells[target]));
  if (rows.length === 0) throw new DataError('DATA_CSV_EMPTY', `${name}: no row has a "${e.target}" to measure against.`);
  const width = tableWidth(e);
  const features = new Float32Array(rows.length * width);
  rows.forEach((r, i) => encodeTableRow(e, (k) => r.cells[at[k]], features, i * width, `${name}: line ${r.line}`));
  const classes = classNames.length > 0;
  const index = new Map(classNames.map((c, i) => [c, i]));
  const targets = Float32Array.from(rows, (r) => {
    const s = r.cells[target];
    if (classes) {
      const c = index.get(s);
      if (c === undefined) throw new DataError('DATA_CSV_BAD_CELL', `${name}: line ${r.line}, column "${e.target}": a class the model does not know (it knows ${classNames.slice(0, 8).join(', ')}${classNames.length > 8 ? ', …' : ''}).`);
      return c;
    }
    const v = parseNumber(s);
    if (Number.isNaN(v)) throw new DataError('DATA_NAN', `${name}: line ${r.line}, column "${e.target}": not a number (the model predicts numbers).`);
    return v;
  });
  return {
    name,
    count: rows.length,
    features,
    featureShape: [width],
    targets,
    targetShape: classes ? [] : [1],
    task: taskFor(classes ? 'classes' : 'values'),
    numClasses: classNames.length,
    classNames: [...classNames],
    table: e,
  };
}
