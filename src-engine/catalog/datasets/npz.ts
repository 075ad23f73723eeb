import { normalize, testSplit } from './options';
import { declareDataset } from './types';
import { DATA_TASK_NAMES } from '../tasks';

export const npz = declareDataset({
  name: 'npz',
  label: 'NumPy arrays (.npz)',
  doc: 'Your arrays: an .npz with x (samples first) and y (labels or targets), from np.savez.',
  task: 'auto',
  files: true,
  options: {
    normalize: { ...normalize, default: 'per-feature' },
    task: { kind: 'enum', default: 'auto', values: ['auto', ...DATA_TASK_NAMES], doc: 'auto: classification for integer labels, regression for float targets.' },
    testSplit: testSplit,
  },
});
