/**
 * In-memory datasets. Features are float32, row-major, one sample after another; every sample has
 * the same per-sample shape (`featureShape`, without the batch dimension).
 */

/** What the targets mean. `reconstruction`: the target is the (clean) features themselves. */
export type DatasetTask = 'classification' | 'regression' | 'reconstruction';

export interface Dataset {
  /** Display name, e.g. `mnist (train)`. */
  name: string;
  task: DatasetTask;
  /** Number of samples. */
  count: number;
  /** `count × sizeOf(featureShape)` values. */
  features: Float32Array;
  /** Per-sample feature shape, e.g. `[1, 28, 28]` or `[4]`. */
  featureShape: number[];
  /**
   * Classification: one class index per sample (exact small integers). Regression: `count ×
   * sizeOf(targetShape)` values. Reconstruction: empty (targets are the features).
   */
  targets: Float32Array;
  /** Per-sample target shape: `[]` for a class index, `[k]` for k regression outputs. */
  targetShape: number[];
  /** Number of classes (0 when not a classification set). */
  numClasses: number;
  /** Class names, index = class index (empty when not a classification set). */
  classNames: string[];
  /** Feature names where known (CSV headers, Iris). */
  featureNames?: string[];
}

/** A dataset as loaded, before the train/val/test split: some sets ship their own test split. */
export interface LoadedDataset {
  train: Dataset;
  /** The set's official test split (MNIST), or undefined to carve one out of `train`. */
  test?: Dataset;
}

/** Stable error codes for everything the data layer can reject. */
export type DataErrorCode =
  | 'DATA_IDX_TRUNCATED'
  | 'DATA_IDX_BAD_MAGIC'
  | 'DATA_IDX_BAD_TYPE'
  | 'DATA_IDX_BAD_DIMS'
  | 'DATA_IDX_BAD_LENGTH'
  | 'DATA_IDX_MISMATCH'
  | 'DATA_CSV_EMPTY'
  | 'DATA_CSV_BAD_ROW'
  | 'DATA_CSV_BAD_QUOTE'
  | 'DATA_CSV_NO_TARGET'
  | 'DATA_CSV_BAD_CELL'
  | 'DATA_NAN'
  | 'DATA_LABEL_RANGE'
  | 'DATA_UNKNOWN'
  | 'DATA_BAD_OPTION'
  | 'DATA_NOT_FOUND'
  | 'DATA_TOO_SMALL';

/** A data problem the user can act on. `code` is stable; `message` says what and where. */
export class DataError extends Error {
  readonly code: DataErrorCode;
  constructor(code: DataErrorCode, message: string) {
    super(message);
    this.name = 'DataError';
    this.code = code;
  }
}

export function featureSize(ds: Pick<Dataset, 'featureShape'>): number {
  let n = 1;
  for (const d of ds.featureShape) n *= d;
  return n;
}

export function targetSize(ds: Pick<Dataset, 'targetShape'>): number {
  let n = 1;
  for (const d of ds.targetShape) n *= d;
  return n;
}

/** A copy of the samples at `indices`, in that order. */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const fs = featureSize(ds);
  const ts = ds.task === 'reconstruction' ? 0 : targetSize(ds);
  const n = indices.length;
  const features = new Float32Array(n * fs);
  const targets = new Float32Array(n * ts);
  for (let i = 0; i < n; i++) {
    const s = indices[i];
    features.set(ds.features.subarray(s * fs, (s + 1) * fs), i * fs);
    if (ts > 0) targets.set(ds.targets.subarray(s * ts, (s + 1) * ts), i * ts);
  }
  return { ...ds, name, count: n, features, targets, featureShape: [...ds.featureShape], targetShape: [...ds.targetShape] };
}
