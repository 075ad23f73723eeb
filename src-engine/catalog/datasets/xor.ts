import { noise, samples } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const xor = declareDataset({
  name: 'xor', label: 'XOR', doc: 'Four clusters in the corners, opposite corners alike.', task: taskFor('classes'), featureShape: [2], options: { samples: samples(), noise: noise(0) },
});
