import { DATA_LIMITS, DataError } from './types';
import type { Dataset } from './types';

/**
 * Split CSV text into rows of cells (RFC 4180): fields may be quoted, quotes inside quoted fields
 * are doubled, quoted fields may hold the delimiter and line breaks; CRLF and LF both end a row.
 * Blank lines are skipped. Returns each row with the 1-based line it starts on.
 *
 * @throws DataError `DATA_TOO_LARGE` past `maxCells` cells, before they are all held in memory.
 */
export function parseCsvRows(text: string, delimiter = ',', maxCells: number = DATA_LIMITS.maxCsvCells): { line: number; cells: string[] }[] {
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

export interface CsvOptions {
  /** Target column: header name or 0-based index (default: the last column). */
  targetColumn?: string | number;
  /**
   * `classification`: one class per distinct target value; `regression`: numeric target;
   * `auto` (default): classification when a target is not a number or the targets are integers
   * with at most 20 distinct values, regression otherwise.
   */
  task?: 'classification' | 'regression' | 'auto';
  /** Whether the first row names the columns (default true). */
  header?: boolean;
  delimiter?: string;
  /** Name for messages and the UI. */
  name?: string;
}

const MAX_LISTED = 5;

/**
 * Build a dataset from CSV text: every column but the target is a numeric feature.
 * Class indices follow the sorted distinct labels (numeric order when all labels are numbers).
 *
 * @throws DataError `DATA_NAN` naming row and column for empty/NaN cells, `DATA_CSV_BAD_CELL`
 *   for non-numeric features, `DATA_CSV_NO_TARGET` for an unknown target column.
 */
export function csvDataset(text: string, options: CsvOptions = {}): Dataset {
  const name = options.name ?? 'csv';
  const rows = parseCsvRows(text, options.delimiter ?? ',');
  const hasHeader = options.header ?? true;
  if (rows.length < (hasHeader ? 2 : 1)) throw new DataError('DATA_CSV_EMPTY', `${name}: the CSV has no data rows.`);
  const width = rows[0].cells.length;
  const header = hasHeader ? rows[0].cells : Array.from({ length: width }, (_, i) => `column ${i + 1}`);
  const body = hasHeader ? rows.slice(1) : rows;
  for (const r of body) {
    if (r.cells.length !== width) {
      throw new DataError('DATA_CSV_BAD_ROW', `${name}: line ${r.line} has ${r.cells.length} fields, the ${hasHeader ? 'header' : 'first row'} has ${width}.`);
    }
  }
  if (width < 2) throw new DataError('DATA_CSV_EMPTY', `${name}: the CSV needs at least one feature column and a target column.`);

  let target: number;
  const tc = options.targetColumn;
  if (tc === undefined) target = width - 1;
  else if (typeof tc === 'number') target = tc;
  else {
    target = header.indexOf(tc);
    if (target < 0 && /^\d+$/.test(tc)) target = Number(tc);
  }
  if (!(target >= 0 && target < width) || !Number.isInteger(target)) {
    // NOTE: messages never quote the file's contents (header names, cells): they name lines and
    // column numbers, so an error cannot be used to read a file (issue #17).
    throw new DataError('DATA_CSV_NO_TARGET', `${name}: no target column ${JSON.stringify(tc)}; the CSV has ${width} columns (name one from its header row, or give its 0-based number).`);
  }

  const n = body.length;
  const nf = width - 1;
  if (n * width > DATA_LIMITS.maxValues) throw new DataError('DATA_TOO_LARGE', `${name}: ${n} rows × ${width} columns is over the limit of ${DATA_LIMITS.maxValues.toLocaleString('en-US')} values.`);
  const features = new Float32Array(n * nf);
  const problems: string[] = [];
  let nanCount = 0;
  let badCount = 0;
  for (let r = 0; r < n; r++) {
    const cells = body[r].cells;
    let f = 0;
    for (let c = 0; c < width; c++) {
      if (c === target) continue;
      const s = cells[c];
      const v = parseNumber(s);
      if (Number.isNaN(v)) {
        const missing = s === '' || /^(nan|na|n\/a|null|none|\?)$/i.test(s);
        if (missing) nanCount++;
        else badCount++;
        if (problems.length < MAX_LISTED) {
          problems.push(`line ${body[r].line}, column ${c + 1}: ${missing ? (s === '' ? 'empty cell' : 'missing value') : 'not a number'}`);
        }
      }
      features[r * nf + f++] = v;
    }
  }
  if (problems.length > 0) {
    const total = nanCount + badCount;
    throw new DataError(
      nanCount > 0 ? 'DATA_NAN' : 'DATA_CSV_BAD_CELL',
      `${name}: ${total} feature cell${total === 1 ? '' : 's'} cannot be used (${problems.join('; ')}${total > problems.length ? '; …' : ''}). ` +
        'Fill or drop those rows, or make the column the target.',
    );
  }

  const raw = body.map((r) => r.cells[target]);
  const numeric = raw.map(parseNumber);
  const allNumeric = numeric.every((v) => !Number.isNaN(v));
  let task = options.task ?? 'auto';
  if (task === 'auto') {
    const distinct = new Set(numeric);
    task = !allNumeric || (numeric.every(Number.isInteger) && distinct.size <= 20) ? 'classification' : 'regression';
  }
  const featureNames = header.filter((_, c) => c !== target);
  if (task === 'regression') {
    const bad = raw.findIndex((_, i) => Number.isNaN(numeric[i]));
    if (bad >= 0) {
      throw new DataError('DATA_NAN', `${name}: line ${body[bad].line}, target column ${target + 1}: not a number (regression needs numeric targets).`);
    }
    return { name, task, count: n, features, featureShape: [nf], targets: Float32Array.from(numeric), targetShape: [1], numClasses: 0, classNames: [], featureNames };
  }
  const emptyLabel = raw.findIndex((s) => s === '');
  if (emptyLabel >= 0) {
    throw new DataError('DATA_NAN', `${name}: line ${body[emptyLabel].line}, target column ${target + 1}: empty label.`);
  }
  const labels = [...new Set(raw)];
  if (allNumeric) labels.sort((a, b) => parseNumber(a) - parseNumber(b));
  else labels.sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const targets = Float32Array.from(raw, (s) => index.get(s)!);
  return { name, task: 'classification', count: n, features, featureShape: [nf], targets, targetShape: [], numClasses: labels.length, classNames: labels, featureNames };
}

function parseNumber(s: string): number {
  if (s.trim() === '') return NaN;
  const v = Number(s);
  return Number.isFinite(v) ? v : NaN;
}
