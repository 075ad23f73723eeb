import { DataError, type TableColumnEncoding, type TableEncoding } from './types';

export type { TableColumnEncoding, TableEncoding } from './types';

/** The `format` of a table encoding (`TableEncoding`). */
export const TABLE_ENCODING_FORMAT: TableEncoding['format'] = 'netwright.table';
export const TABLE_ENCODING_VERSION = 1;

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
  if (typeof o.target !== 'string') return bad('no target column');
  if (!Array.isArray(o.columns) || o.columns.length === 0 || o.columns.length > 100_000) return bad('no columns');
  const columns = o.columns.map((c: Partial<TableColumnEncoding>, i): TableColumnEncoding => {
    if (typeof c !== 'object' || c === null || typeof c.name !== 'string') return bad(`column ${i + 1} has no name`);
    if (c.kind !== 'numeric' && c.kind !== 'one-hot' && c.kind !== 'index') return bad(`column "${c.name}" is of kind ${String(c.kind)}`);
    const text = c.kind !== 'numeric';
    if (text && (!Array.isArray(c.categories) || c.categories.length === 0 || !c.categories.every((v) => typeof v === 'string'))) return bad(`column "${c.name}" has no categories`);
    const fillOk = c.fill === undefined || (text ? c.fill === null || (typeof c.fill === 'string' && c.categories!.includes(c.fill)) : typeof c.fill === 'number' && Number.isFinite(c.fill));
    if (!fillOk) return bad(`column "${c.name}" has a fill value of the wrong kind`);
    return { name: c.name, kind: c.kind, ...(text ? { categories: [...c.categories!] } : {}), ...(c.fill !== undefined ? { fill: c.fill } : {}), ...(c.indicator ? { indicator: true } : {}) };
  });
  return { format: TABLE_ENCODING_FORMAT, version: TABLE_ENCODING_VERSION, columns, target: o.target };
}
