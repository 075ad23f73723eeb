import { samples, seqLength } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const parity = declareDataset({
  name: 'parity',
  label: 'parity of bits (sequence)',
  doc: 'Sequences of bits; the class is whether the count of ones is odd. No part of a sequence says anything alone: chance (50 %) until the net keeps a running XOR over every step.',
  task: taskFor('classes'),
  options: { samples: samples(2000), length: seqLength },
});
