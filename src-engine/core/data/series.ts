import { Rng } from '../../base/rng';
import { parseCsvRows, sniffDelimiter } from './csv';
import type { LoadedDataset } from './types';
import { DATA_LIMITS, DataError } from './types';
import { taskFor } from '../../catalog/tasks';

/** Of a series, the share at its end that is the test split (later values are never trained on). */
export const SERIES_TEST_SHARE = 0.2;

/**
 * Windows of a time series (issue #31 item 2): each sample is `window` consecutive values
 * (`[window, 1]`, a sequence of one feature), its target the value that follows (regression, one
 * number). The last SERIES_TEST_SHARE of the series is the test split — windows whose target lies
 * there — so a model is tested on a stretch it never saw, as forecasting is; the validation split
 * is carved from the earlier windows as for any set.
 *
 * The values are standardised with the mean and std of the training stretch (features and targets
 * alike, so a prediction reads in the same units as the inputs); `note` gives both figures.
 *
 * @throws DataError `DATA_TOO_SMALL` when the series is shorter than a window and a few targets.
 */
export function seriesDataset(values: Float32Array, window: number, name: string): LoadedDataset & { note: string } {
  const count = values.length - window;
  const cut = Math.floor(values.length * (1 - SERIES_TEST_SHARE));
  if (count < 10 || cut - window < 5) throw new DataError('DATA_TOO_SMALL', `${name}: ${values.length} values make too few windows of ${window} (at least ${Math.ceil((window + 5) / (1 - SERIES_TEST_SHARE)) + 1} values are needed).`);
  let mean = 0;
  for (let i = 0; i < cut; i++) mean += values[i];
  mean /= cut;
  let sq = 0;
  for (let i = 0; i < cut; i++) sq += (values[i] - mean) ** 2;
  const std = Math.sqrt(sq / cut) > 1e-12 ? Math.sqrt(sq / cut) : 1;
  const z = Float32Array.from(values, (v) => (v - mean) / std);
  // Window i is values [i, i + window), its target values[i + window].
  const trainCount = cut - window;
  const split = (from: number, n: number, label: string) => {
    const features = new Float32Array(n * window);
    const targets = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      features.set(z.subarray(from + k, from + k + window), k * window);
      targets[k] = z[from + k + window];
    }
    return { name: label, task: taskFor('values'), count: n, features, featureShape: [window, 1], targets, targetShape: [1], numClasses: 0, classNames: [], featureNames: ['value'] };
  };
  return {
    train: split(0, trainCount, name),
    test: split(trainCount, count - trainCount, `${name} (test)`),
    note: `${values.length.toLocaleString('en-US')} values, windows of ${window}; the last ${Math.round(SERIES_TEST_SHARE * 100)} % is the test split; standardised with the training stretch's mean ${mean.toPrecision(4)} and std ${std.toPrecision(4)}`,
  };
}

/**
 * A generated time series (the waves set), two sines of periods 25 and 60 steps (the second at half the
 * amplitude and a random phase) plus N(0, 0.1²) noise, `samples + length` values long.
 */
export function wavesDataset(o: { samples?: number; length?: number; seed: number }): LoadedDataset {
  const samples = o.samples ?? 2000;
  const window = o.length ?? 20;
  if (!Number.isInteger(samples) || samples < 10 || samples > DATA_LIMITS.maxSamples) throw new DataError('DATA_BAD_OPTION', `waves: samples must be a whole number from 10 to ${DATA_LIMITS.maxSamples} (got ${samples}).`);
  if (!Number.isInteger(window) || window < 2 || window > 1000) throw new DataError('DATA_BAD_OPTION', `waves: length must be a whole number from 2 to 1000 (got ${window}).`);
  const rng = new Rng(o.seed);
  const phase = 2 * Math.PI * rng.uniform();
  const values = Float32Array.from({ length: samples + window }, (_, t) => Math.sin((2 * Math.PI * t) / 25) + 0.5 * Math.sin((2 * Math.PI * t) / 60 + phase) + 0.1 * rng.normal());
  const { train, test } = seriesDataset(values, window, `waves (T = ${window})`);
  return { train, test };
}

/**
 * A CSV column as a time series (the series set): the column named `column` (or, without one, the last
 * column), its cells numbers in row order. A cell that is not a number is refused with its line.
 */
export function csvSeries(text: string, o: { column?: string; window?: number; name: string; delimiter?: string }): LoadedDataset & { note: string } {
  const rows = parseCsvRows(text, o.delimiter ?? sniffDelimiter(text));
  if (rows.length < 2) throw new DataError('DATA_TOO_SMALL', `${o.name}: the table has no rows under its header.`);
  const header = rows[0].cells;
  const col = o.column === undefined ? header.length - 1 : header.indexOf(o.column);
  if (col < 0) throw new DataError('DATA_BAD_OPTION', `${o.name}: no column ${JSON.stringify(o.column)} (columns: ${header.slice(0, 20).join(', ')}${header.length > 20 ? ', …' : ''}).`);
  const values = new Float32Array(rows.length - 1);
  for (let r = 1; r < rows.length; r++) {
    const cell = rows[r].cells[col]?.trim() ?? '';
    const v = cell === '' ? NaN : Number(cell);
    if (!Number.isFinite(v)) throw new DataError('DATA_CSV_BAD_CELL', `${o.name}: line ${rows[r].line}, column ${header[col]}: ${JSON.stringify(cell.slice(0, 40))} is not a number (a time series needs a number in every row).`);
    values[r - 1] = v;
  }
  const window = o.window ?? 20;
  if (!Number.isInteger(window) || window < 2 || window > 1000) throw new DataError('DATA_BAD_OPTION', `${o.name}: window must be a whole number from 2 to 1000 (got ${window}).`);
  return seriesDataset(values, window, `${o.name}: ${header[col]}`);
}
