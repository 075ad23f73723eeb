import { normalize, testSplit } from './options';
import { declareDataset } from './types';

export const npz = declareDataset({
  name: 'npz',
  label: 'NumPy arrays (.npz)',
  doc: 'Your arrays: an .npz with x (samples first) and y (labels or targets), from np.savez.',
  task: 'auto',
  files: true,
  options: {
    normalize: { ...normalize, default: 'per-feature' },
    task: { kind: 'enum', default: 'auto', values: ['auto', 'classification', 'regression'], doc: 'auto: classification for integer labels, regression for float targets.' },
    testSplit: testSplit,
  },
});
