import { normalize } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const housing = declareDataset({
  name: 'housing', label: 'Housing prices (CSV)', doc: '500 houses (synthetic): area, rooms, age, distance to the centre → price in 100,000s. A regression table shipped as CSV.', task: taskFor('values'), featureShape: [4], targetShape: [1], options: { normalize: { ...normalize, default: 'per-feature' } },
});
