import { samples, seqLength } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const adding = declareDataset({
  name: 'adding',
  label: 'adding problem (sequence)',
  doc: 'Sequences of [value, marker] steps with two marked values, one in each half; the target is their sum. Predicting the mean scores MSE 0.167; a net that remembers across the sequence scores near 0.',
  task: taskFor('values'),
  targetShape: [1],
  options: { samples: samples(2000), length: seqLength },
});
