import { noise, samples } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const twoMoons = declareDataset({
  name: 'two-moons', label: 'two moons', doc: 'Two interleaved half circles: a non-linear boundary.', task: taskFor('classes'), featureShape: [2], options: { samples: samples(), noise: noise(0.1) },
});
