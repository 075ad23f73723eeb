import { SERIES_GAP_POLICIES } from '../../catalog/datasets/options';
import { parseCsvRows, sniffDelimiter } from './csv';
import { DataError } from './types';

/**
 * What a series does with its gaps (#83): a value missing from a row (an empty cell, `NA`, `n/a`…)
 * and, where the table has a time column, the time steps missing between two rows (a week with no
 * row in weekly data). `refuse` (the default): the series is refused naming the first gap, with the
 * fix; `interpolate`: each gap is filled on the straight line between the values either side of it
 * (in time, where there is a time column), so the windows keep their spacing; `drop`: the rows
 * without a value are left out and missing steps are not filled, so a window may span a gap.
 */
export { SERIES_GAP_POLICIES };
export type SeriesGapPolicy = (typeof SERIES_GAP_POLICIES)[number];

/** Cells read as a missing value rather than a bad one (case aside). */
const MISSING_CELL = /^(|na|n\/a|nan|null|none|-|\?)$/i;
/** ISO 8601 dates (`2024-03-07`, `2024-03`, `2024-03-07T12:00`, `2024-03-07 12:00:00Z`) and `2024/3/7`. */
const DATE_CELL = /^\d{4}-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?$|^\d{4}\/\d{1,2}\/\d{1,2}$/;
/** A numeric column is the time by its name only (a column of increasing numbers could be the series itself). */
const TIME_NAME = /^(t|time|times|date|dates|datetime|timestamp|ds|day|days|week|weeks|month|months|year|years|decimal[ _]?date|step|steps|period|index)$/i;

/** A time series read from a table: its values in time order, where its time came from, and its gaps. */
export interface SeriesTable {
  values: Float32Array;
  /** The column the values are. */
  column: string;
  /** Every column's name (the first row's, or `value`/`column N` for a table without a header). */
  columns: string[];
  /** The time column (dates or numbers that increase), with the first and last time and the usual step; absent: row order. */
  time?: { column: string; kind: 'dates' | 'numbers'; first: string; last: string; step: string };
  /** Gaps found: values missing from rows, and time steps missing between rows (with a time column). */
  gaps: { cells: number; steps: number };
  policy: SeriesGapPolicy;
  /** What was read and done, one line each (the scan and `netwright train` show them). */
  notes: string[];
}

/** A cell as a time: milliseconds since 1970 for a date, the number itself for a number column; undefined when it is neither. */
function dateOf(cell: string): number | undefined {
  if (!DATE_CELL.test(cell)) return undefined;
  const iso = cell.includes('/') ? cell.split('/').map((p, i) => (i === 0 ? p : p.padStart(2, '0'))).join('-') : cell.replace(' ', 'T');
  // A date without a zone is read as UTC (Date.parse reads a date-time without one as local time).
  const t = Date.parse(/T/.test(iso) && !/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? `${iso}Z` : iso);
  return Number.isFinite(t) ? t : undefined;
}

const numberOf = (cell: string): number | undefined => {
  if (cell === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cell)) return undefined;
  const v = Number(cell);
  return Number.isFinite(v) ? v : undefined;
};

/** The time the column at `c` holds in every row (dates, or numbers under a time-like name), or undefined. */
function timesOf(rows: readonly { cells: string[] }[], c: number, name: string, asked: boolean): { kind: 'dates' | 'numbers'; at: (number | undefined)[] } | undefined {
  const cells = rows.map((r) => (r.cells[c] ?? '').trim());
  const present = cells.filter((s) => !MISSING_CELL.test(s));
  if (present.length === 0) return undefined;
  if (present.every((s) => dateOf(s) !== undefined)) return { kind: 'dates', at: cells.map((s) => (MISSING_CELL.test(s) ? undefined : dateOf(s))) };
  if ((asked || TIME_NAME.test(name)) && present.every((s) => numberOf(s) !== undefined)) return { kind: 'numbers', at: cells.map((s) => (MISSING_CELL.test(s) ? undefined : numberOf(s))) };
  return undefined;
}

const DAY = 86_400_000;

/** A time step in words: `7 days`, `1 month (about)`, `0.25`. */
function stepText(step: number, kind: 'dates' | 'numbers'): string {
  if (kind === 'numbers') return String(Number(step.toPrecision(6)));
  if (step % DAY === 0 || step >= DAY) {
    const days = step / DAY;
    if (days >= 28 && days <= 31) return 'about a month';
    if (days >= 365 && days <= 366) return 'a year';
    return `${Number(days.toPrecision(4))} day${days === 1 ? '' : 's'}`;
  }
  const minutes = step / 60_000;
  return minutes >= 60 ? `${Number((minutes / 60).toPrecision(4))} h` : `${Number(minutes.toPrecision(4))} min`;
}

const timeText = (t: number, kind: 'dates' | 'numbers') => (kind === 'numbers' ? String(t) : new Date(t).toISOString().replace(/T00:00:00\.000Z$/, '').replace(/\.000Z$/, 'Z'));

/**
 * A time series from a CSV table (#83): the column `column` (else the last column of numbers that
 * is not the time), in time order. A time column — `time`, else the first whose cells are all ISO
 * dates (`2024-03-07`, `2024-03`, with a time of day or not), or all numbers under a time-like name
 * (`t`, `year`, `decimal date`…) — orders the rows: its times must increase, and a step much longer
 * than the usual one (more than 1.5 times the median) is that many steps missing. A table of one
 * column is that column; one whose first row is numbers has no header. Gaps are handled as `gaps`
 * says (`SERIES_GAP_POLICIES`; default `refuse`).
 *
 * @throws DataError `DATA_SERIES_GAP` (a gap, with `refuse`), `DATA_SERIES_ORDER` (times that do
 *   not increase), `DATA_CSV_BAD_CELL` (a value that is not a number), `DATA_BAD_OPTION`,
 *   `DATA_TOO_SMALL`.
 */
export function readSeriesTable(text: string, o: { name: string; column?: string; time?: string; gaps?: string; delimiter?: string }): SeriesTable {
  const policy = (o.gaps ?? 'refuse') as SeriesGapPolicy;
  if (!SERIES_GAP_POLICIES.includes(policy)) throw new DataError('DATA_BAD_OPTION', `${o.name}: gaps must be ${SERIES_GAP_POLICIES.join(', ')} (got ${JSON.stringify(o.gaps)}).`);
  const all = parseCsvRows(text, o.delimiter ?? sniffDelimiter(text));
  if (all.length === 0) throw new DataError('DATA_TOO_SMALL', `${o.name}: the file holds no rows.`);
  // A first row of numbers (or dates and numbers) is data: the table has no header.
  const headed = !all[0].cells.every((c) => numberOf(c.trim()) !== undefined || dateOf(c.trim()) !== undefined);
  const width = Math.max(...all.map((r) => r.cells.length));
  const columns = headed ? all[0].cells.map((c) => c.trim()) : width === 1 ? ['value'] : Array.from({ length: width }, (_, i) => `column ${i + 1}`);
  const rows = headed ? all.slice(1) : all;
  if (rows.length < 2) throw new DataError('DATA_TOO_SMALL', `${o.name}: the table has no rows under its header.`);
  const find = (name: string, what: string) => {
    const i = columns.indexOf(name);
    if (i < 0) throw new DataError('DATA_BAD_OPTION', `${o.name}: no column ${JSON.stringify(name)} (columns: ${columns.slice(0, 20).join(', ')}${columns.length > 20 ? ', …' : ''}); name the column to read ${what}.`);
    return i;
  };

  // The time column: as named, else the first that reads as times.
  let timeCol = o.time !== undefined ? find(o.time, 'the times from') : -1;
  let times = timeCol >= 0 ? timesOf(rows, timeCol, columns[timeCol], true) : undefined;
  if (timeCol >= 0 && !times) throw new DataError('DATA_BAD_OPTION', `${o.name}: column ${columns[timeCol]} does not hold times (ISO dates such as 2024-03-07, or numbers).`);
  if (timeCol < 0) {
    for (let c = 0; c < columns.length && !times; c++) {
      if (c === (o.column !== undefined ? columns.indexOf(o.column) : -1)) continue;
      times = timesOf(rows, c, columns[c], false);
      if (times) timeCol = c;
    }
    // The only column is the series, whatever its name.
    if (timeCol >= 0 && columns.length === 1) [times, timeCol] = [undefined, -1];
  }

  // The values: the column named, else the last column of numbers besides the time.
  const numeric = (c: number) => rows.every((r) => {
    const s = (r.cells[c] ?? '').trim();
    return MISSING_CELL.test(s) || numberOf(s) !== undefined;
  });
  let col = o.column !== undefined ? find(o.column, 'the series from') : -1;
  if (col < 0) for (let c = columns.length - 1; c >= 0 && col < 0; c--) if (c !== timeCol && numeric(c)) col = c;
  if (col < 0) col = columns.length - 1 === timeCol ? 0 : columns.length - 1;
  const values: number[] = [];
  let cells = 0;
  let firstCell: { line: number; cell: string } | undefined;
  for (const r of rows) {
    const cell = (r.cells[col] ?? '').trim();
    if (MISSING_CELL.test(cell)) {
      cells++;
      firstCell ??= { line: r.line, cell };
      values.push(NaN);
      continue;
    }
    const v = numberOf(cell);
    if (v === undefined) throw new DataError('DATA_CSV_BAD_CELL', `${o.name}: line ${r.line}, column ${columns[col]}: ${JSON.stringify(cell.slice(0, 40))} is not a number (a time series needs a number in every row).`);
    values.push(v);
  }

  // Time order and missing steps.
  const at = times?.at;
  let steps = 0;
  let step = 0;
  let firstStep: { line: number; missing: number; after: number } | undefined;
  if (times && at) {
    for (let i = 0; i < rows.length; i++) {
      if (at[i] === undefined) throw new DataError('DATA_SERIES_ORDER', `${o.name}: line ${rows[i].line} has no time in column ${columns[timeCol]}; give every row its time.`);
      if (i > 0 && !(at[i]! > at[i - 1]!)) {
        throw new DataError('DATA_SERIES_ORDER', `${o.name}: line ${rows[i].line}: ${columns[timeCol]} ${rows[i].cells[timeCol].trim()} does not come after ${rows[i - 1].cells[timeCol].trim()} (line ${rows[i - 1].line}); a series needs its rows in time order, one per time: sort the file by ${columns[timeCol]}.`);
      }
    }
    const diffs = at.slice(1).map((t, i) => t! - at![i]!).sort((a, b) => a - b);
    step = diffs[Math.floor(diffs.length / 2)];
    for (let i = 1; i < rows.length; i++) {
      const d = at[i]! - at[i - 1]!;
      const missing = d > 1.5 * step ? Math.round(d / step) - 1 : 0;
      if (missing > 0) {
        steps += missing;
        firstStep ??= { line: rows[i].line, missing, after: at[i - 1]! };
      }
    }
  }
  const notes: string[] = [];
  const timeInfo = times ? { column: columns[timeCol], kind: times.kind, first: timeText(at![0]!, times.kind), last: timeText(at![at!.length - 1]!, times.kind), step: stepText(step, times.kind) } : undefined;
  notes.push(
    timeInfo
      ? `a time series: ${columns[col]}, in time order by ${timeInfo.column} (${timeInfo.first} to ${timeInfo.last}, a step of ${timeInfo.step})`
      : `a time series: ${columns[col]}, in row order${columns.length === 1 ? ' (the table\'s only column)' : ''}`,
  );
  if (cells + steps > 0) {
    const found = [cells ? `${cells.toLocaleString('en-US')} row${cells === 1 ? '' : 's'} without a value` : '', steps ? `${steps.toLocaleString('en-US')} missing time step${steps === 1 ? '' : 's'}` : ''].filter(Boolean).join(' and ');
    if (policy === 'refuse') {
      const first = firstCell && (!firstStep || firstCell.line <= firstStep.line)
        ? `line ${firstCell.line}, column ${columns[col]}: ${JSON.stringify(firstCell.cell)} is not a number`
        : `line ${firstStep!.line}: ${firstStep!.missing} time step${firstStep!.missing === 1 ? '' : 's'} of ${timeInfo!.step} missing after ${timeText(firstStep!.after, times!.kind)}`;
      throw new DataError('DATA_SERIES_GAP', `${o.name}: ${first}, a gap in the series (${found} in all). Choose what to do with gaps: interpolate (fill each on the line between its neighbours) or drop (leave those rows out).`, 'gaps');
    }
    notes.push(policy === 'interpolate' ? `${found}: filled on the straight line between the values either side` : `${found}: rows without a value left out${steps ? '; missing steps not filled (a window may span a gap)' : ''}`);
  }

  let out: number[] = values;
  if (policy === 'drop') out = values.filter((v) => Number.isFinite(v));
  else if (policy === 'interpolate' && cells + steps > 0) out = interpolated(values, at, step);
  if (policy === 'interpolate') {
    // Values missing before the first value or after the last have no neighbour on one side: left out.
    const lead = out.findIndex((v) => Number.isFinite(v));
    const tail = lead < 0 ? -1 : out.length - 1 - [...out].reverse().findIndex((v) => Number.isFinite(v));
    const cut = lead < 0 ? out.length : lead + out.length - 1 - tail;
    if (cut > 0) notes.push(`${cut} missing value${cut === 1 ? '' : 's'} at the start or end left out (nothing to interpolate from)`);
    out = lead < 0 ? [] : out.slice(lead, tail + 1);
  }
  return { values: Float32Array.from(out), column: columns[col], columns, ...(timeInfo ? { time: timeInfo } : {}), gaps: { cells, steps }, policy, notes };
}

/**
 * `values` with missing steps inserted (`at`: each row's time, step: the usual one) and every NaN
 * on the straight line between its neighbours in time (in position without times). Leading and
 * trailing NaNs stay.
 */
function interpolated(values: readonly number[], at: readonly (number | undefined)[] | undefined, step: number): number[] {
  const v: number[] = [];
  const t: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (at && i > 0) {
      const d = at[i]! - at[i - 1]!;
      const missing = d > 1.5 * step ? Math.round(d / step) - 1 : 0;
      for (let k = 1; k <= missing; k++) {
        v.push(NaN);
        t.push(at[i - 1]! + (d * k) / (missing + 1));
      }
    }
    v.push(values[i]);
    t.push(at ? at[i]! : i);
  }
  let prev = -1;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) continue;
    if (prev >= 0 && i - prev > 1) for (let k = prev + 1; k < i; k++) v[k] = v[prev] + ((v[i] - v[prev]) * (t[k] - t[prev])) / (t[i] - t[prev]);
    prev = i;
  }
  return v;
}
