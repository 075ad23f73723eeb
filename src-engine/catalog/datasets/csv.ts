import { CATEGORICAL_ENCODINGS, MISSING_POLICIES, normalize, testSplit } from './options';
import { declareDataset } from './types';
import { DATA_TASK_NAMES } from '../tasks';

export const csv = declareDataset({
  name: 'csv',
  label: 'Table (CSV/TSV)',
  doc: 'Your table: one row per sample, a target column; text columns are one-hot encoded, missing cells handled by a policy.',
  task: 'auto',
  files: true,
  options: {
    normalize: { ...normalize, default: 'per-feature' },
    missing: { kind: 'enum', default: 'error', values: MISSING_POLICIES, doc: 'Missing cells: error (refuse, naming them), drop the row, fill with mean / median / most-frequent, or indicator (mean plus a 0/1 "was missing" column).' },
    categorical: { kind: 'enum', default: 'one-hot', values: CATEGORICAL_ENCODINGS, doc: 'Text columns: one-hot (a 0/1 column per value), index (one column of category numbers), error (refuse).' },
    task: { kind: 'enum', default: 'auto', values: ['auto', ...DATA_TASK_NAMES], doc: 'auto: classification for text or few whole-number targets, regression otherwise.' },
    testSplit: testSplit,
  },
});
