import { normalize, SERIES_GAP_POLICIES } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const series = declareDataset({
  name: 'series',
  label: 'time series: a CSV column',
  doc: 'Your time series: a column of a CSV (options.column; default the last column of numbers), in time order by its time column (options.time, else a column of ISO dates or increasing times found; else row order), or a CSV of one column: windows of options.window steps, the value options.horizon steps on to predict; gaps (a row without a value, a missing time step) refused, interpolated or dropped (options.gaps); the last 20 % is the test split. Read in its own units; a run standardises the windows (normalize, global by default) and the values to predict (targetNormalization) with the training split\'s figures, and shows predictions in the series\' units.',
  task: taskFor('values'),
  targetShape: [1],
  files: true,
  timeSeries: true,
  options: {
    window: { kind: 'int', default: 20, min: 2, max: 1000, doc: 'Steps per window: the features Input is [window, 1].' },
    horizon: { kind: 'int', default: 1, min: 1, max: 1000, doc: 'Steps ahead to predict: 1, the value right after the window; 4, the fourth after it.' },
    gaps: { kind: 'enum', default: 'refuse', values: SERIES_GAP_POLICIES, doc: 'A row without a value or a missing time step: refuse (say where), interpolate (fill on the line between its neighbours) or drop (leave those rows out).' },
    normalize: { ...normalize, default: 'global' },
  },
});
