import { noise, samples } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const blobs = declareDataset({
  name: 'blobs', label: 'blobs', doc: 'Gaussian clusters, one per class.', task: taskFor('classes'), featureShape: [2], options: { samples: samples(), noise: noise(1), classes: { kind: 'int', default: 3, min: 2, max: 10, doc: 'Clusters.' } },
});
