import { normalize } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const iris = declareDataset({
  name: 'iris', label: 'Iris', doc: '150 flowers, 4 measurements, 3 species.', task: taskFor('classes'), featureShape: [4], options: { normalize: { ...normalize, default: 'per-feature' } },
});
