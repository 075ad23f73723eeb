import { normalize } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const series = declareDataset({
  name: 'series',
  label: 'time series: a CSV column',
  doc: 'Your time series: a column of a CSV (options.column; default the last), its rows in time order: windows of options.window steps, the next value to predict; the last 20 % is the test split. Read in its own units; a run standardises the windows (normalize, global by default) and the values to predict (targetNormalization) with the training split\'s figures, and shows predictions in the series\' units.',
  task: taskFor('values'),
  targetShape: [1],
  files: true,
  timeSeries: true,
  options: { window: { kind: 'int', default: 20, min: 2, max: 1000, doc: 'Steps per window: the features Input is [window, 1].' }, normalize: { ...normalize, default: 'global' } },
});
