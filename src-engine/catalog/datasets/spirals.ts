import { noise, samples } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const spirals = declareDataset({
  name: 'spirals', label: 'spirals', doc: 'Interleaved spiral arms, one per class.', task: taskFor('classes'), featureShape: [2], options: { samples: samples(), noise: noise(0.1), classes: { kind: 'int', default: 2, min: 2, max: 10, doc: 'Spiral arms.' } },
});
