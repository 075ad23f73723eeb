import { Rng } from '../../base/rng';
import { parseCsvRows, sniffDelimiter } from './csv';
import type { LoadedDataset } from './types';
import { DATA_LIMITS, DataError } from './types';
import { taskFor } from '../../catalog/tasks';
import { chronologicalSplit, type WindowRange } from './split';

/** Of a series, the share of its windows at its end that is the test split by default (later values are never trained on). */
export const SERIES_TEST_SHARE = 0.2;

/**
 * Windows of a time series (issue #31 item 2): each sample is `window` consecutive values
 * (`[window, 1]`, a sequence of one feature), its target the value that follows (regression, one
 * number). The windows are split in time order (`chronologicalSplit`, #83): training first, then
 * validation, then test (by default the last SERIES_TEST_SHARE of the windows, and a tenth of the
 * rest for validation: `steps`), with a gap of one window before each later split, so a model is
 * validated and tested on stretches it never saw, as forecasting is, and no value of a training
 * window is in a validation or test window.
 *
 * The windows keep the series' own units (#83): a run standardises them as any set's, the inputs
 * with the training split's figures (the series sets' `normalize` defaults to `global`) and the
 * targets likewise (`targetNormalization`), both saved with the model, so a forecast and its
 * metrics read in the series' units and a model takes raw windows. `note` gives the training
 * windows' mean and std (what the values are standardised about) and the split.
 *
 * @throws DataError `DATA_TOO_SMALL` when the series is too short for a window and the splits.
 */
export function seriesDataset(values: Float32Array, window: number, name: string, steps: { test: number; valOfRest: number } = { test: SERIES_TEST_SHARE, valOfRest: 0.1 }): LoadedDataset & { note: string } {
  const count = values.length - window;
  if (count < 10) throw new DataError('DATA_TOO_SMALL', `${name}: ${values.length} values make too few windows of ${window} (at least ${window + 10} values are needed).`);
  const split = chronologicalSplit(count, window, steps, name);
  // The values the training windows read: their steps and their targets.
  const seen = split.train.to + window;
  let mean = 0;
  for (let i = 0; i < seen; i++) mean += values[i];
  mean /= seen;
  let sq = 0;
  for (let i = 0; i < seen; i++) sq += (values[i] - mean) ** 2;
  const std = Math.sqrt(sq / seen) > 1e-12 ? Math.sqrt(sq / seen) : 1;
  const z = values;
  // Window i is values [i, i + window), its target values[i + window].
  const windows = (r: WindowRange, label: string) => {
    const n = r.to - r.from;
    const features = new Float32Array(n * window);
    const targets = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      features.set(z.subarray(r.from + k, r.from + k + window), k * window);
      targets[k] = z[r.from + k + window];
    }
    return { name: label, task: taskFor('values'), count: n, features, featureShape: [window, 1], targets, targetShape: [1], numClasses: 0, classNames: [], featureNames: ['value'] };
  };
  const n = (r: WindowRange) => (r.to - r.from).toLocaleString('en-US');
  return {
    train: windows(split.train, name),
    val: windows(split.val, `${name} (validation)`),
    test: windows(split.test, `${name} (test)`),
    note:
      `${values.length.toLocaleString('en-US')} values, windows of ${window}, split in time order: train ${n(split.train)}, validation ${n(split.val)}, test ${n(split.test)} windows, ` +
      `${window} windows left out before each later split (no window shares a value with another split's); the training windows' values have mean ${mean.toPrecision(4)} and std ${std.toPrecision(4)} (the run standardises inputs and targets with its training split's figures; predictions read in the series' units)`,
  };
}

/**
 * A generated time series (the waves set), two sines of periods 25 and 60 steps (the second at half the
 * amplitude and a random phase) plus N(0, 0.1²) noise, `samples + length` values long.
 */
export function wavesDataset(o: { samples?: number; length?: number; seed: number }, steps?: { test: number; valOfRest: number }): LoadedDataset {
  const samples = o.samples ?? 2000;
  const window = o.length ?? 20;
  if (!Number.isInteger(samples) || samples < 10 || samples > DATA_LIMITS.maxSamples) throw new DataError('DATA_BAD_OPTION', `waves: samples must be a whole number from 10 to ${DATA_LIMITS.maxSamples} (got ${samples}).`);
  if (!Number.isInteger(window) || window < 2 || window > 1000) throw new DataError('DATA_BAD_OPTION', `waves: length must be a whole number from 2 to 1000 (got ${window}).`);
  const rng = new Rng(o.seed);
  const phase = 2 * Math.PI * rng.uniform();
  const values = Float32Array.from({ length: samples + window }, (_, t) => Math.sin((2 * Math.PI * t) / 25) + 0.5 * Math.sin((2 * Math.PI * t) / 60 + phase) + 0.1 * rng.normal());
  const { train, val, test } = seriesDataset(values, window, `waves (T = ${window})`, steps);
  return { train, val, test };
}

/**
 * A CSV column as a time series (the series set): the column named `column` (or, without one, the last
 * column), its cells numbers in row order. A cell that is not a number is refused with its line.
 */
export function csvSeries(text: string, o: { column?: string; window?: number; name: string; delimiter?: string; steps?: { test: number; valOfRest: number } }): LoadedDataset & { note: string } {
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
  return seriesDataset(values, window, `${o.name}: ${header[col]}`, o.steps);
}
