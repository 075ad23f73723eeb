import { noise, samples } from './options';
import { declareDataset } from './types';

export const spirals = declareDataset({
  name: 'spirals', label: 'spirals', doc: 'Interleaved spiral arms, one per class.', task: 'classification', featureShape: [2], options: { samples: samples(), noise: noise(0.1), classes: { kind: 'int', default: 2, min: 2, max: 10, doc: 'Spiral arms.' } },
});
