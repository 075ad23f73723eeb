import { normalize } from './options';
import { declareDataset } from './types';

export const iris = declareDataset({
  name: 'iris', label: 'Iris', doc: '150 flowers, 4 measurements, 3 species.', task: 'classification', featureShape: [4], options: { normalize: { ...normalize, default: 'per-feature' } },
});
