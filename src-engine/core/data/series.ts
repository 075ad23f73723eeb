import { Rng } from '../../base/rng';
import type { LoadedDataset } from './types';
import { DATA_LIMITS, DataError } from './types';
import { taskFor } from '../../catalog/tasks';
import { chronologicalSplit, type WindowRange } from './split';
import { readSeriesTable, type SeriesTable } from './series-table';

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
export function seriesDataset(values: Float32Array, window: number, name: string, steps: { test: number; valOfRest: number } = { test: SERIES_TEST_SHARE, valOfRest: 0.1 }, horizon = 1): LoadedDataset & { note: string } {
  // Window i reads values [i, i + window) and its target, `horizon` steps on: `span` values in all.
  const span = window + horizon - 1;
  const count = values.length - span;
  if (count < 10) throw new DataError('DATA_TOO_SMALL', `${name}: ${values.length} values make too few windows of ${window}${horizon > 1 ? ` predicting ${horizon} steps ahead` : ''} (at least ${span + 10} values are needed).`);
  const split = chronologicalSplit(count, span, steps, name);
  // The values the training windows read: their steps and their targets.
  const seen = split.train.to + span;
  let mean = 0;
  for (let i = 0; i < seen; i++) mean += values[i];
  mean /= seen;
  let sq = 0;
  for (let i = 0; i < seen; i++) sq += (values[i] - mean) ** 2;
  const std = Math.sqrt(sq / seen) > 1e-12 ? Math.sqrt(sq / seen) : 1;
  const z = values;
  // Window i is values [i, i + window), its target values[i + window + horizon − 1].
  const windows = (r: WindowRange, label: string) => {
    const n = r.to - r.from;
    const features = new Float32Array(n * window);
    const targets = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      features.set(z.subarray(r.from + k, r.from + k + window), k * window);
      targets[k] = z[r.from + k + span];
    }
    return { name: label, task: taskFor('values'), count: n, features, featureShape: [window, 1], targets, targetShape: [1], numClasses: 0, classNames: [], featureNames: ['value'] };
  };
  const n = (r: WindowRange) => (r.to - r.from).toLocaleString('en-US');
  return {
    train: windows(split.train, name),
    val: windows(split.val, `${name} (validation)`),
    test: windows(split.test, `${name} (test)`),
    series: { gap: span },
    note:
      `${values.length.toLocaleString('en-US')} values, windows of ${window}${horizon > 1 ? `, the value ${horizon} steps after each to predict` : ''}, split in time order: train ${n(split.train)}, validation ${n(split.val)}, test ${n(split.test)} windows, ` +
      `${span} windows left out before each later split (no window shares a value with another split's); the training windows' values have mean ${mean.toPrecision(4)} and std ${std.toPrecision(4)} (the run standardises inputs and targets with its training split's figures; predictions read in the series' units)`,
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
  const { train, val, test, series } = seriesDataset(values, window, `waves (T = ${window})`, steps);
  return { train, val, test, ...(series ? { series } : {}) };
}

/**
 * A CSV column as a time series (the series set, #83: `readSeriesTable`): the column named `column`
 * (or, without one, the last column of numbers), in time order by its time column (`time`, else
 * one of ISO dates or increasing times found; else row order), its gaps handled as `gaps` says
 * (refuse, interpolate, drop); a table of one column is that column. Windows of `window` values,
 * the target the value `horizon` steps after each (default 1: the next).
 */
export function csvSeries(text: string, o: { column?: string; time?: string; gaps?: string; window?: number; horizon?: number; name: string; delimiter?: string; steps?: { test: number; valOfRest: number } }): LoadedDataset & { note: string; table: SeriesTable } {
  const window = o.window ?? 20;
  if (!Number.isInteger(window) || window < 2 || window > 1000) throw new DataError('DATA_BAD_OPTION', `${o.name}: window must be a whole number from 2 to 1000 (got ${window}).`);
  const horizon = o.horizon ?? 1;
  if (!Number.isInteger(horizon) || horizon < 1 || horizon > 1000) throw new DataError('DATA_BAD_OPTION', `${o.name}: horizon must be a whole number of steps from 1 to 1000 (got ${horizon}).`);
  const table = readSeriesTable(text, o);
  const loaded = seriesDataset(table.values, window, `${o.name}: ${table.column}`, o.steps, horizon);
  return { ...loaded, note: [loaded.note, ...table.notes].join('; '), table };
}
