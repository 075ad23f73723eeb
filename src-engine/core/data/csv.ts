import { csv } from '../../catalog/datasets/csv';
import { CATEGORICAL_ENCODINGS, MISSING_POLICIES } from '../../catalog/datasets/options';
import { DATA_LIMITS, DataError } from './types';
import type { Dataset, SourceReport } from './types';
import { encodeTableRow, isMissing, parseNumber, TABLE_ENCODING_FORMAT, TABLE_ENCODING_VERSION, type TableColumnEncoding, type TableEncoding } from './table-encoding';
import { type DataTask, hasClasses, taskFor } from '../../catalog/tasks';

/**
 * Split CSV text into rows of cells (RFC 4180): fields may be quoted, quotes inside quoted fields
 * are doubled, quoted fields may hold the delimiter and line breaks; CRLF and LF both end a row.
 * Blank lines are skipped. Returns each row with the 1-based line it starts on.
 *
 * @throws DataError `DATA_TOO_LARGE` past `maxCells` cells, before they are all held in memory;
 *   `DATA_CSV_BAD_ROW` for a row longer than `maxRowChars` characters (a file that is one huge line).
 */
export function parseCsvRows(text: string, delimiter = ',', maxCells: number = DATA_LIMITS.maxCsvCells, maxRowChars: number = DATA_LIMITS.maxCsvRowChars): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let cellWasQuoted = false;
  let line = 1;
  let rowLine = 1;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // byte-order mark
  let cellCount = 0;
  const tooMany = () => new DataError('DATA_TOO_LARGE', `CSV: more than ${maxCells.toLocaleString('en-US')} cells (line ${line}); Netwright loads CSVs up to that size.`);
  let rowStart = i;
  const endRow = (): void => {
    if (++cellCount > maxCells) throw tooMany();
    cells.push(cellWasQuoted ? cell : cell.trim());
    if (!(cells.length === 1 && cells[0] === '' && !cellWasQuoted)) rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
    cellWasQuoted = false;
  };
  for (; i < text.length; i++) {
    const c = text[i];
    if (i - rowStart > maxRowChars) {
      throw new DataError('DATA_CSV_BAD_ROW', `CSV line ${rowLine}: a row longer than ${maxRowChars.toLocaleString('en-US')} characters; is this a table (one record per line)?`);
    }
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"') {
      if (cell.trim() !== '') {
        throw new DataError('DATA_CSV_BAD_QUOTE', `CSV line ${line}: a quote in the middle of an unquoted field; quote the whole field and double inner quotes ("").`);
      }
      cell = '';
      quoted = true;
      cellWasQuoted = true;
    } else if (c === delimiter) {
      if (++cellCount > maxCells) throw tooMany();
      cells.push(cellWasQuoted ? cell : cell.trim());
      cell = '';
      cellWasQuoted = false;
    } else if (c === '\n' || c === '\r') {
      endRow();
      if (c === '\r' && text[i + 1] === '\n') i++;
      line++;
      rowLine = line;
      rowStart = i + 1;
    } else {
      if (cellWasQuoted && c !== ' ' && c !== '\t') {
        throw new DataError('DATA_CSV_BAD_QUOTE', `CSV line ${line}: text after a closing quote; double quotes inside a quoted field ("").`);
      }
      if (!cellWasQuoted) cell += c;
    }
  }
  if (quoted) throw new DataError('DATA_CSV_BAD_QUOTE', `CSV line ${rowLine}: a quoted field is never closed.`);
  if (cell !== '' || cells.length > 0 || cellWasQuoted) endRow();
  return rows;
}

/** What to do with missing feature cells (empty, NaN, NA, null, None, ?). */
export type MissingPolicy = (typeof MISSING_POLICIES)[number];
/** How a text (categorical) feature column becomes numbers. */
export type CategoricalEncoding = (typeof CATEGORICAL_ENCODINGS)[number];
export type ColumnRole = 'feature' | 'target' | 'ignore';

export interface CsvOptions {
  /** Target column: header name or 0-based index (default: the last column). */
  targetColumn?: string | number;
  /**
   * The task (catalog/tasks.ts): one of class targets reads a class per distinct target value,
   * one of values a numeric target; `auto` (default): classes when a target is not a number or the
   * targets are integers with at most 20 distinct values, values otherwise.
   */
  task?: DataTask | 'auto';
  /** Whether the first row names the columns (default true). */
  header?: boolean;
  delimiter?: string;
  /** Name for messages and the UI. */
  name?: string;
  /** Column roles by header name or 0-based number: `target` (overrides targetColumn), `ignore`, `feature` (the default). */
  roles?: Readonly<Record<string, ColumnRole>>;
  /**
   * Missing feature cells: `error` (default: refused, naming line and column), `drop` the row,
   * fill with the column's `mean` / `median` / `most-frequent` value, or `indicator`: fill with
   * the mean and add a 0/1 column saying the cell was missing. Text columns are filled with their
   * most frequent value (`indicator`: all-zero one-hot plus the indicator). A row whose target is
   * missing is dropped under every policy but `error`. Fill values are computed over all rows.
   */
  missing?: MissingPolicy;
  /** Text feature columns: `one-hot` (default: one 0/1 column per value), `index` (one column of category numbers), `error` (refused). */
  categorical?: CategoricalEncoding;
}

/** A table read from CSV: the dataset and how each column was read. */
export interface CsvTable {
  dataset: Dataset;
  columns: NonNullable<SourceReport['columns']>;
  droppedRows: number;
  /** Text feature columns whose every cell reads as a number written with a decimal comma (`1,5`): read as categories, which the report says. */
  decimalCommas: string[];
}

/** A number written with a decimal comma (`1,5`, `-12,25`): a spreadsheet's export where the comma is the decimal separator. */
const DECIMAL_COMMA = /^[+-]?\d+,\d+$/;

const MAX_LISTED = 5;

/** Header names that say "this is what to predict", in the order they are preferred (matched case-insensitively). */
export const TARGET_COLUMN_NAMES: readonly string[] = ['label', 'labels', 'target', 'class', 'y', 'survived', 'outcome', 'species', 'diagnosis', 'churn'];

/**
 * The column a table's header names as its target (`Survived`, `label`, `Class`…, in the order of
 * `TARGET_COLUMN_NAMES`, case and spaces aside), or undefined when none does: then the target
 * must be asked for (the last column is only a guess).
 *
 * @example targetColumnByName(['PassengerId', 'Survived', 'Age', 'Embarked']) // 'Survived'
 */
export function targetColumnByName(header: readonly string[]): string | undefined {
  const names = header.map((h) => h.trim().toLowerCase());
  for (const want of TARGET_COLUMN_NAMES) {
    const i = names.indexOf(want);
    if (i >= 0) return header[i];
  }
  return undefined;
}

/**
 * Build a dataset from CSV text (see `csvTable`). Class indices follow the sorted distinct labels
 * (numeric order when all labels are numbers).
 */
export function csvDataset(text: string, options: CsvOptions = {}): Dataset {
  return csvTable(text, options).dataset;
}

/**
 * Read a table: columns get roles (one target, features, ignored ones); a feature column is
 * numeric when every present cell is a number, categorical (one-hot or index encoded) otherwise;
 * missing cells are counted and handled by `options.missing`. Messages name lines and column
 * numbers, never the file's contents (issue #17).
 *
 * @throws DataError `DATA_NAN` naming row and column for missing cells under `missing: 'error'`,
 *   `DATA_CSV_BAD_CELL` for text in a column under `categorical: 'error'`, `DATA_CSV_NO_TARGET`,
 *   `DATA_CSV_BAD_ROW` (ragged rows), `DATA_CSV_TOO_MANY_CATEGORIES`.
 */
export function csvTable(text: string, options: CsvOptions = {}): CsvTable {
  const name = options.name ?? csv.name;
  const missing = options.missing ?? 'error';
  const encoding = options.categorical ?? 'one-hot';
  if (!MISSING_POLICIES.includes(missing)) throw new DataError('DATA_BAD_OPTION', `${name}: options.missing must be one of ${MISSING_POLICIES.join(', ')}.`);
  if (!CATEGORICAL_ENCODINGS.includes(encoding)) throw new DataError('DATA_BAD_OPTION', `${name}: options.categorical must be one of ${CATEGORICAL_ENCODINGS.join(', ')}.`);
  const { width, header, body: rows } = rectangularRows(text, name, options);
  if (width < 2) throw new DataError('DATA_CSV_EMPTY', `${name}: the CSV needs at least one feature column and a target column.`);
  const { roles, target, featureCols } = columnRoles(header, options, name);
  const t: TableRead = { name, missing, encoding, header, roles, target, featureCols, body: rows, droppedRows: 0, kinds: [], missingCounts: [] };
  dropMissingTargets(t);
  readFeatureColumns(t);
  const plan = encodingPlan(t);
  const table = tableEncodingOf(t, plan);
  const { features, featureNames, width: nf } = encodeFeatures(t, plan, table);
  const base = { name, count: t.body.length, features, featureShape: [nf], featureNames, table };
  const decimalCommas = plan.filter((p) => p.kind === 'categorical' && p.categories.some((v) => DECIMAL_COMMA.test(v)) && p.categories.every((v) => DECIMAL_COMMA.test(v) || !Number.isNaN(parseNumber(v)))).map((p) => t.header[p.c]);
  return { dataset: { ...base, ...readTargets(t, options.task ?? 'auto') }, columns: columnSummaries(t, plan), droppedRows: t.droppedRows, decimalCommas };
}

type Row = { line: number; cells: string[] };

/** What `csvTable` has read so far: the options, the columns' roles, the rows kept, each feature column's kind and missing count. */
interface TableRead {
  name: string;
  missing: MissingPolicy;
  encoding: CategoricalEncoding;
  header: string[];
  roles: ColumnRole[];
  target: number;
  featureCols: number[];
  body: Row[];
  droppedRows: number;
  /** Per feature column (in `featureCols`' order). */
  kinds: ('numeric' | 'categorical')[];
  missingCounts: number[];
}

/** How one feature column is encoded: its categories, its fill value, its output width. */
type ColumnPlan = { c: number; kind: 'numeric' | 'categorical'; categories: string[]; fill: string | undefined; fillNumber: number; indicator: boolean; width: number };

/** Each column's role (`options.roles`, the target column), the target's number, the feature columns. */
function columnRoles(header: readonly string[], options: CsvOptions, name: string): { roles: ColumnRole[]; target: number; featureCols: number[] } {
  const width = header.length;
  const columnOf = (key: string | number): number => {
    if (typeof key === 'number') return key;
    const i = header.indexOf(key);
    return i < 0 && /^\d+$/.test(key) ? Number(key) : i;
  };
  const roles: ColumnRole[] = new Array<ColumnRole>(width).fill('feature');
  for (const [key, role] of Object.entries(options.roles ?? {})) {
    const c = columnOf(key);
    if (!(Number.isInteger(c) && c >= 0 && c < width)) throw new DataError('DATA_BAD_OPTION', `${name}: options.roles names a column the CSV does not have (it has ${width} columns).`);
    if (role !== 'feature' && role !== 'target' && role !== 'ignore') throw new DataError('DATA_BAD_OPTION', `${name}: a column role must be feature, target or ignore.`);
    roles[c] = role;
  }
  const roleTargets = roles.flatMap((r, c) => (r === 'target' ? [c] : []));
  if (roleTargets.length > 1) throw new DataError('DATA_BAD_OPTION', `${name}: options.roles names ${roleTargets.length} target columns; one is supported.`);
  const tc = options.targetColumn;
  const target = roleTargets[0] ?? (tc === undefined ? width - 1 : columnOf(tc));
  if (!(target >= 0 && target < width) || !Number.isInteger(target)) {
    // NOTE: messages never quote the file's contents (header names, cells): they name lines and
    // column numbers, so an error cannot be used to read a file (issue #17).
    throw new DataError('DATA_CSV_NO_TARGET', `${name}: no target column ${JSON.stringify(tc)}; the CSV has ${width} columns (name one from its header row, or give its 0-based number).`);
  }
  roles[target] = 'target';
  const featureCols = roles.flatMap((r, c) => (r === 'feature' ? [c] : []));
  if (featureCols.length === 0) throw new DataError('DATA_CSV_EMPTY', `${name}: no feature columns are left (every column but the target is ignored).`);
  return { roles, target, featureCols };
}

/** Rows whose target is missing: refused under `error`, dropped otherwise. */
function dropMissingTargets(t: TableRead): void {
  const emptyLabel = t.body.findIndex((r) => isMissing(r.cells[t.target]));
  if (emptyLabel < 0) return;
  if (t.missing === 'error') {
    throw new DataError('DATA_NAN', `${t.name}: line ${t.body[emptyLabel].line}, target column ${t.target + 1}: missing (empty) target. Choose a missing-value policy (drop, or a fill) to drop such rows.`, 'missing');
  }
  const kept = t.body.filter((r) => !isMissing(r.cells[t.target]));
  t.droppedRows += t.body.length - kept.length;
  t.body = kept;
}

/**
 * Each feature column's kind and missing count; the cells the options cannot use refused (text
 * under `categorical: 'error'`, gaps under `missing: 'error'`); rows with gaps dropped under `drop`.
 */
function readFeatureColumns(t: TableRead): void {
  const { body, featureCols, name } = t;
  t.kinds = featureCols.map((c) => (body.every((r) => isMissing(r.cells[c]) || !Number.isNaN(parseNumber(r.cells[c]))) ? ('numeric' as const) : ('categorical' as const)));
  t.missingCounts = featureCols.map((c) => body.reduce((n, r) => n + (isMissing(r.cells[c]) ? 1 : 0), 0));
  const totalMissing = t.missingCounts.reduce((a, b) => a + b, 0);
  if (t.encoding === 'error' && t.kinds.includes('categorical')) refuseTextCells(t);
  if (totalMissing > 0 && t.missing === 'error') refuseMissingCells(t, totalMissing);
  if (t.missing === 'drop' && totalMissing > 0) {
    const kept = body.filter((r) => featureCols.every((c) => !isMissing(r.cells[c])));
    t.droppedRows += body.length - kept.length;
    t.body = kept;
  }
  if (t.body.length === 0) throw new DataError('DATA_CSV_EMPTY', `${name}: no rows are left after dropping those with missing values.`);
}

function refuseTextCells(t: TableRead): never {
  const problems: string[] = [];
  let bad = 0;
  for (const r of t.body) {
    t.featureCols.forEach((c, k) => {
      if (t.kinds[k] === 'categorical' && !isMissing(r.cells[c]) && Number.isNaN(parseNumber(r.cells[c]))) {
        bad++;
        if (problems.length < MAX_LISTED) problems.push(`line ${r.line}, column ${c + 1}: not a number`);
      }
    });
  }
  throw new DataError('DATA_CSV_BAD_CELL', `${t.name}: ${bad} feature cell${bad === 1 ? '' : 's'} cannot be used (${problems.join('; ')}${bad > problems.length ? '; …' : ''}). Encode text columns (options.categorical one-hot or index) or ignore them.`);
}

function refuseMissingCells(t: TableRead, totalMissing: number): never {
  const problems: string[] = [];
  for (const r of t.body) {
    for (const c of t.featureCols) {
      const s = r.cells[c];
      if (isMissing(s) && problems.length < MAX_LISTED) problems.push(`line ${r.line}, column ${c + 1}: ${s === '' ? 'empty cell' : 'missing value'}`);
    }
    if (problems.length >= MAX_LISTED) break;
  }
  throw new DataError(
    'DATA_NAN',
    `${t.name}: ${totalMissing} feature cell${totalMissing === 1 ? '' : 's'} cannot be used (${problems.join('; ')}${totalMissing > problems.length ? '; …' : ''}). ` +
      'Fill or drop those rows, make the column the target, or choose a missing-value policy: drop, mean, median, most-frequent or indicator.',
    'missing',
  );
}

/** Per feature column: categories, fill value, output width. */
function encodingPlan(t: TableRead): ColumnPlan[] {
  const { missing, encoding, name } = t;
  return t.featureCols.map((c, k) => {
    const present = t.body.map((r) => r.cells[c]).filter((s) => !isMissing(s));
    const hasMissing = missing !== 'drop' && t.missingCounts[k] > 0;
    const indicator = missing === 'indicator' && hasMissing;
    if (t.kinds[k] === 'categorical') {
      const counts = new Map<string, number>();
      for (const s of present) counts.set(s, (counts.get(s) ?? 0) + 1);
      const categories = [...counts.keys()].sort();
      if (categories.length > DATA_LIMITS.maxCategories) {
        throw new DataError('DATA_CSV_TOO_MANY_CATEGORIES', `${name}: column ${c + 1} has ${categories.length} distinct text values (up to ${DATA_LIMITS.maxCategories} are encoded); ignore it or clean it.`, 'roles');
      }
      let mode = categories[0];
      for (const v of categories) if (counts.get(v)! > counts.get(mode)!) mode = v;
      const fill = missing === 'indicator' ? undefined : mode;
      return { c, kind: 'categorical' as const, categories, fill, fillNumber: 0, indicator, width: (encoding === 'one-hot' ? categories.length : 1) + (indicator ? 1 : 0) };
    }
    const values = present.map(parseNumber);
    return { c, kind: 'numeric' as const, categories: [], fill: undefined, fillNumber: hasMissing ? statistic(values, missing) : 0, indicator, width: 1 + (indicator ? 1 : 0) };
  });
}

/**
 * The plan as the encoding that leaves with the model: a gap's fill only where training filled
 * gaps (a numeric column that had some; every text column's most frequent value, or none under
 * the indicator policy), so a new row is read as the training rows were.
 */
function tableEncodingOf(t: TableRead, plan: readonly ColumnPlan[]): TableEncoding {
  const fills = t.missing !== 'error' && t.missing !== 'drop';
  const columns = plan.map((p, k): TableColumnEncoding => {
    const name = t.header[p.c];
    const indicator = p.indicator ? { indicator: true } : {};
    if (p.kind === 'numeric') return { name, kind: 'numeric', ...(fills && t.missingCounts[k] > 0 ? { fill: p.fillNumber } : {}), ...indicator };
    return { name, kind: t.encoding === 'index' ? 'index' : 'one-hot', categories: [...p.categories], ...(fills ? { fill: p.fill ?? null } : {}), ...indicator };
  });
  return { format: TABLE_ENCODING_FORMAT, version: TABLE_ENCODING_VERSION, columns, target: t.header[t.target] };
}

/** The feature matrix `[rows, width]` the plan encodes (each row by `encodeTableRow`, as `netwright predict` reads one), and its columns' names. */
function encodeFeatures(t: TableRead, plan: readonly ColumnPlan[], table: TableEncoding): { features: Float32Array; featureNames: string[]; width: number } {
  const { body, header, encoding } = t;
  const n = body.length;
  const nf = plan.reduce((a, p) => a + p.width, 0);
  if (n * (nf + 1) > DATA_LIMITS.maxValues) throw new DataError('DATA_TOO_LARGE', `${t.name}: ${n} rows × ${nf} encoded columns is over the limit of ${DATA_LIMITS.maxValues.toLocaleString('en-US')} values.`);
  const features = new Float32Array(n * nf);
  const featureNames: string[] = [];
  for (const p of plan) {
    if (p.kind === 'numeric') featureNames.push(header[p.c]);
    else if (encoding === 'one-hot') for (const v of p.categories) featureNames.push(`${header[p.c]}=${v}`);
    else featureNames.push(header[p.c]);
    if (p.indicator) featureNames.push(`${header[p.c]} missing`);
  }
  for (let r = 0; r < n; r++) {
    const cells = body[r].cells;
    encodeTableRow(table, (k) => cells[plan[k].c], features, r * nf, `${t.name}: line ${body[r].line}`);
  }
  return { features, featureNames, width: nf };
}

/** How each column was read (the report the UI shows). */
function columnSummaries(t: TableRead, plan: readonly ColumnPlan[]): CsvTable['columns'] {
  const { body } = t;
  return t.header.map((h, c) => {
    const k = t.featureCols.indexOf(c);
    const p = k >= 0 ? plan[k] : undefined;
    const kind = p ? p.kind : body.every((r) => !Number.isNaN(parseNumber(r.cells[c]))) ? 'numeric' : 'categorical';
    return { name: h, role: t.roles[c], kind, missing: k >= 0 ? t.missingCounts[k] : body.reduce((m, r) => m + (isMissing(r.cells[c]) ? 1 : 0), 0), ...(p?.kind === 'categorical' ? { categories: p.categories.length } : {}) };
  });
}

/** The targets and task: numbers for a regression, class indices (of the sorted distinct labels) for a classification. */
function readTargets(t: TableRead, asked: NonNullable<CsvOptions['task']>): Pick<Dataset, 'task' | 'targets' | 'targetShape' | 'numClasses' | 'classNames'> {
  const raw = t.body.map((r) => r.cells[t.target]);
  const numeric = raw.map(parseNumber);
  const allNumeric = numeric.every((v) => !Number.isNaN(v));
  let task = asked;
  if (task === 'auto') {
    const distinct = new Set(numeric);
    task = !allNumeric || (numeric.every(Number.isInteger) && distinct.size <= 20) ? taskFor('classes') : taskFor('values');
  }
  if (!hasClasses(task)) {
    const bad = raw.findIndex((_, i) => Number.isNaN(numeric[i]));
    if (bad >= 0) {
      throw new DataError('DATA_NAN', `${t.name}: line ${t.body[bad].line}, target column ${t.target + 1}: not a number (regression needs numeric targets).`);
    }
    return { task, targets: Float32Array.from(numeric), targetShape: [1], numClasses: 0, classNames: [] };
  }
  const labels = [...new Set(raw)];
  if (allNumeric) labels.sort((a, b) => parseNumber(a) - parseNumber(b));
  else labels.sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const targets = Float32Array.from(raw, (s) => index.get(s)!);
  return { task: taskFor('classes'), targets, targetShape: [], numClasses: labels.length, classNames: labels };
}

/** The fill value of a numeric column: mean (also for `indicator`), median or most frequent. */
function statistic(values: number[], policy: MissingPolicy): number {
  if (values.length === 0) return 0;
  if (policy === 'median') {
    const s = [...values].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
  if (policy === 'most-frequent') {
    const counts = new Map<number, number>();
    let best = values[0];
    for (const v of values) {
      const k = (counts.get(v) ?? 0) + 1;
      counts.set(v, k);
      if (k > counts.get(best)! || (k === counts.get(best)! && v < best)) best = v;
    }
    return best;
  }
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** One column of a table as `csvColumns` reads it. */
export interface CsvColumnSummary {
  name: string;
  /** `numeric` when every present cell is a number. */
  kind: 'numeric' | 'categorical';
  /** Missing cells (empty, NaN, NA, N/A, null, None, ?). */
  missing: number;
  /** Distinct present values (counted up to 10,000). */
  distinct: number;
}

/**
 * Every column of a table, whatever the roles and policies: its kind, missing cells and distinct
 * values, and the number of data rows (what the add-data preview shows before any is chosen).
 *
 * @throws DataError as `parseCsvRows`, `DATA_CSV_EMPTY`, `DATA_CSV_BAD_ROW` (a ragged row, with its line).
 */
export function csvColumns(text: string, options: Pick<CsvOptions, 'delimiter' | 'header' | 'name'> = {}): { rows: number; columns: CsvColumnSummary[] } {
  const { header, body } = rectangularRows(text, options.name ?? csv.name, options);
  const columns = header.map((h, c): CsvColumnSummary => {
    let missing = 0;
    let numeric = true;
    const values = new Set<string>();
    for (const r of body) {
      const s = r.cells[c];
      if (isMissing(s)) missing++;
      else {
        if (numeric && Number.isNaN(parseNumber(s))) numeric = false;
        if (values.size < 10_000) values.add(s);
      }
    }
    return { name: h, kind: numeric ? 'numeric' : 'categorical', missing, distinct: values.size };
  });
  return { rows: body.length, columns };
}

/**
 * The delimiter of a table whose options name none: a semicolon or a tab where the first line has
 * more of it than commas (a spreadsheet saved where the decimal separator is the comma writes
 * `a;b;label`, `1,5;2;x`), else a comma. Quoted text on that line is not counted.
 */
export function sniffDelimiter(text: string): string {
  const end = text.indexOf('\n');
  const first = (end < 0 ? text : text.slice(0, end)).replace(/"[^"]*"/g, '');
  const count = (c: string) => first.split(c).length - 1;
  const commas = count(',');
  const best = [';', '\t'].reduce((a, c) => (count(c) > count(a) ? c : a));
  return count(best) > commas ? best : ',';
}

/** The rows of a table: the header (or `column 1`…), the data rows, all of one width (else `DATA_CSV_BAD_ROW` with the line). */
export function rectangularRows(text: string, name: string, options: Pick<CsvOptions, 'delimiter' | 'header'>): { width: number; header: string[]; body: { line: number; cells: string[] }[] } {
  const rows = parseCsvRows(text, options.delimiter ?? sniffDelimiter(text));
  const hasHeader = options.header ?? true;
  if (rows.length < (hasHeader ? 2 : 1)) throw new DataError('DATA_CSV_EMPTY', `${name}: the CSV has no data rows.`);
  const width = rows[0].cells.length;
  const header = hasHeader ? rows[0].cells : Array.from({ length: width }, (_, i) => `column ${i + 1}`);
  const body = hasHeader ? rows.slice(1) : rows;
  for (const r of body) {
    if (r.cells.length !== width) throw new DataError('DATA_CSV_BAD_ROW', `${name}: line ${r.line} has ${r.cells.length} fields, the ${hasHeader ? 'header' : 'first row'} has ${width}.`);
  }
  return { width, header, body };
}
