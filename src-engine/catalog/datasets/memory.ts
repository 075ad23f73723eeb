import { samples, seqLength } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const memory = declareDataset({
  name: 'memory',
  label: 'remember the first symbol (sequence)',
  doc: 'Sequences of one-hot symbols; the class is the first step’s symbol, every later step a distractor. Chance is 1/symbols: the lesson of how far back a recurrent net can carry what it saw.',
  task: taskFor('classes'),
  options: { samples: samples(2000), length: seqLength, symbols: { kind: 'int', default: 8, min: 2, max: 64, doc: 'Symbols in the alphabet (the features per step, and the classes).' } },
});
