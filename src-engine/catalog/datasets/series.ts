import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const series = declareDataset({
  name: 'series',
  label: 'time series: a CSV column',
  doc: 'Your time series: a column of a CSV (options.column; default the last), its rows in time order: windows of options.window steps, the next value to predict; the last 20 % is the test split. Standardised with the training stretch\'s mean and std.',
  task: taskFor('values'),
  targetShape: [1],
  files: true,
  timeSeries: true,
  options: { window: { kind: 'int', default: 20, min: 2, max: 1000, doc: 'Steps per window: the features Input is [window, 1].' } },
});
