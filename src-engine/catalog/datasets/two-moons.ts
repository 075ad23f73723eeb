import { noise, samples } from './options';
import { declareDataset } from './types';

export const twoMoons = declareDataset({
  name: 'two-moons', label: 'two moons', doc: 'Two interleaved half circles: a non-linear boundary.', task: 'classification', featureShape: [2], options: { samples: samples(), noise: noise(0.1) },
});
