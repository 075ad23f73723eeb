import { noise, samples } from './options';
import { declareDataset } from './types';

export const xor = declareDataset({
  name: 'xor', label: 'XOR', doc: 'Four clusters in the corners, opposite corners alike.', task: 'classification', featureShape: [2], options: { samples: samples(), noise: noise(0) },
});
