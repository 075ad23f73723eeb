import { normalize, samples, seqLength } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const waves = declareDataset({
  name: 'waves',
  label: 'time series: waves',
  doc: 'A generated time series (two sines, periods 25 and 60, and noise): windows of `length` steps, the next value to predict; the last 20 % of the series is the test split (forecasting a stretch never seen).',
  task: taskFor('values'),
  targetShape: [1],
  timeSeries: true,
  options: { samples: samples(2000), length: seqLength, normalize: { ...normalize, default: 'global' } },
});
