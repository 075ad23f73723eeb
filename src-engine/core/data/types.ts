/**
 * In-memory datasets. Features are float32, row-major, one sample after another; every sample has
 * the same per-sample shape (`featureShape`, without the batch dimension).
 */
import { taskOf, type Task } from '../../catalog/tasks';

/** What the targets mean (catalog/tasks.ts): class indices, values, or the (clean) features themselves. */
export type DatasetTask = Task;

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
   * Classification: one class index per sample (exact small integers), or one per position when
   * `targetShape` is `[T]` (a language model's next tokens: `count × T`). Regression: `count ×
   * sizeOf(targetShape)` values. Reconstruction: empty (targets are the features).
   */
  targets: Float32Array;
  /** Per-sample target shape: `[]` for a class index (`[T]`: one per position), `[k]` for k regression outputs. */
  targetShape: number[];
  /** Number of classes (0 when not a classification set). */
  numClasses: number;
  /** Class names, index = class index (empty when not a classification set). */
  classNames: string[];
  /** Feature names where known (CSV headers, Iris). */
  featureNames?: string[];
  /** A text-classification set (core/data/labelled-text.ts): how its features read back as text. */
  text?: TextEncoding;
  /** A table (core/data/csv.ts): how a row of its columns becomes a sample's features (core/data/table-encoding.ts). */
  table?: TableEncoding;
  /** A text-classification set as loaded (before the split): each sample's text, as read. The PyTorch export ships them for train.py, which encodes them itself. */
  texts?: string[];
  /** An image folder as loaded (before the split): the file each sample was decoded from (the PyTorch export copies them). */
  files?: SampleFiles;
}

/** One feature column of a table as the model takes it: its values in the input's order. */
export interface TableColumnEncoding {
  /** The column's header. */
  name: string;
  /** `numeric`: its number; `one-hot`: one 0/1 value per category; `index`: the category's index. */
  kind: 'numeric' | 'one-hot' | 'index';
  /** A text column's categories, sorted (a one-hot value each, or their indices). */
  categories?: string[];
  /**
   * What a missing cell takes, where training filled gaps (options.missing mean, median,
   * most-frequent, indicator): a number, or the most frequent category; null: no category (the
   * indicator policy's text columns: a one-hot of zeros, index −1). Absent: a missing cell is refused.
   */
  fill?: number | string | null;
  /** A 0/1 "was missing" value after the column's own (the indicator policy, on a column that had gaps). */
  indicator?: boolean;
}

/**
 * How a table's row becomes a model's input, as data that leaves with the model (the JSON model's
 * `table`, a stored run's checkpoints), so `netwright predict` reads a new table of the same
 * columns, text ones included, exactly as training read its rows (`encodeTableRow`; docs/data.md
 * "Tables"). The features Input takes `width` values: the columns' own, in order.
 */
export interface TableEncoding {
  format: 'netwright.table';
  version: number;
  columns: TableColumnEncoding[];
  /** The column the model predicts (left out of the input). */
  target: string;
}

/** How a labelled-text set's samples were encoded: the vocabulary (index = token id), the tokens, and ids or counts. */
export interface TextEncoding {
  vocabulary: string[];
  tokens: 'chars' | 'words';
  features: 'ids' | 'counts';
}

/**
 * A dataset whose features are fetched by index instead of held in memory: what a source streamed
 * from disk gives (issue #30 item 3; node/image-folder.ts `imageFolderSource`, docs/data.md
 * "Folders larger than memory"). The labels are held (splits and stratified sampling need them, 4
 * bytes a sample); features come a batch at a time. The batch feeder and the loop's evaluation
 * take one wherever they take a `Dataset` (`Samples`).
 */
export interface SampleSource extends Omit<Dataset, 'features'> {
  /** Write samples `indices`, in order, into `out` (`indices.length × featureSize` values). */
  read(indices: ArrayLike<number>, out: Float32Array): void;
  /**
   * Start decoding `indices` ahead of their `read` (worker threads), resolving when they are ready;
   * a source without it decodes in `read`. What a `read` of samples being loaded gives is the same.
   */
  load?(indices: Int32Array): Promise<void>;
  /** Files found unreadable while reading (a file changed or damaged since the scan), with why. */
  readonly skipped: readonly SkippedFile[];
  /**
   * The image files the samples are decoded from (a folder streamed from disk), sample for sample:
   * `root` and each sample's path relative to it. The PyTorch export's train.py reads them itself.
   */
  readonly files?: SampleFiles;
}

/**
 * The image files a set's samples were decoded from, sample for sample: the chosen folder (`root`)
 * and each sample's path relative to it ('/'-separated). `bytes(i)` (an image folder in memory)
 * reads sample i's file again, so the PyTorch export can copy the user's files rather than their
 * resized pixels: the bytes that were decoded, or undefined when the file changed since.
 */
export interface SampleFiles {
  readonly root: string;
  readonly paths: readonly string[];
  readonly bytes?: (i: number) => Uint8Array | undefined;
}

/** Samples in memory (`Dataset`) or fetched by index (`SampleSource`): what a split of `PreparedData` is. */
export type Samples = Dataset | SampleSource;

/** Whether `s` is fetched by index (streamed) rather than held in memory. */
export function isStreamed(s: Samples): s is SampleSource {
  return !('features' in s);
}

/**
 * A copy of `count` samples of `s` from sample `from` (a preview, a probe's fixed samples): from
 * memory, or read from a streamed source.
 */
export function sampleFeatures(s: Samples, from: number, count: number): Float32Array {
  const fs = featureSize(s);
  const n = Math.max(0, Math.min(count, s.count - from));
  if (!isStreamed(s)) return s.features.slice(from * fs, (from + n) * fs);
  const out = new Float32Array(n * fs);
  s.read(Int32Array.from({ length: n }, (_, i) => from + i), out);
  return out;
}

/**
 * A dataset as loaded, before the train/val/test split: some sets ship their own test split. `S`:
 * `Dataset` from the in-memory loaders (`loadDataset`); `Samples` where a set may be streamed
 * (node/datasets.ts `loadSamples`: an image folder over its memory budget).
 */
export interface LoadedDataset<S extends Samples = Dataset> {
  train: S;
  /** The set's official test split (MNIST), or undefined to carve one out of `train`. */
  test?: S;
  /** The set's own validation split (an image folder's `val/`), or undefined to carve one out of `train`. */
  val?: S;
  /** What loading a user's files found: the content fingerprint, counts and every file skipped, with why. */
  report?: SourceReport;
  /** A streamed set: the bytes of decoded samples it may hold (its cache and prefetched batches). */
  memoryBudget?: number;
  /** The folder whose IDX files were read (MNIST, Fashion-MNIST): an exported train.py reads the same files. */
  idxFolder?: string;
  /**
   * Windows of one time series in time order (core/data/series.ts): `gap` windows (a window's span)
   * are left out before each later split, and cross-validation rolls its origin forward
   * (`rollingOriginFolds`) instead of dealing samples into folds.
   */
  series?: { gap: number };
  /**
   * Its samples are this object's alone: no loader keeps them for another load (an image folder
   * read with `reuse: false`). Only then may `prepareData(…, { consume: true })` make its splits in place.
   */
  owned?: boolean;
}

/** `s` in memory, or DATA_TOO_LARGE: for what needs every sample at once (export of a dataset, benchmarks of built-in sets). */
export function inMemory(s: Samples, what = 'this'): Dataset {
  if (isStreamed(s)) throw new DataError('DATA_TOO_LARGE', `${s.name} is streamed from disk (larger than its memory budget); ${what} needs it in memory.`);
  return s;
}

/** A file a source skipped, with the reason (never a silent drop). */
export interface SkippedFile {
  /** Path relative to the chosen folder (or the file's name). */
  path: string;
  reason: string;
  /** A skip while training from a streamed folder: `DATA_IMAGE_UNREADABLE` (the sample was fed as zeros). */
  code?: 'DATA_IMAGE_UNREADABLE';
}

/** What a user's data source held when it was read (docs/data.md). */
export interface SourceReport {
  /** The dataset read (its name: an image folder, a table, arrays…). */
  kind: string;
  /** sha256 over the files read (relative paths and bytes): a changed folder or file changes it. */
  fingerprint: string;
  /** Files found that looked like data (images, the table, the archive). */
  files: number;
  skipped: SkippedFile[];
  /** Samples per class (classification), by class name. */
  classCounts?: Record<string, number>;
  /** Tables: per column, how it was read (numeric, categorical with its categories, ignored) and its missing cells. */
  columns?: { name: string; role: 'feature' | 'target' | 'ignore'; kind: 'numeric' | 'categorical'; missing: number; categories?: number }[];
  /** Tables: rows dropped by the missing-value policy `drop`. */
  droppedRows?: number;
  /** Notes for the user (how images were converted, which policy filled gaps). */
  notes: string[];
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
  /** A split whose fractions are out of range or do not sum to 1, or that cannot be made of this data (base/ir/split.ts). */
  | 'DATA_BAD_SPLIT'
  /** A time series with a gap (a row without a value, a missing time step) and the `refuse` policy (core/data/series-table.ts). */
  | 'DATA_SERIES_GAP'
  /** A time series whose times do not increase, or a row without its time. */
  | 'DATA_SERIES_ORDER'
  | 'DATA_NOT_FOUND'
  | 'DATA_TOO_SMALL'
  /** Over DATA_LIMITS: refused before anything that large is allocated. */
  | 'DATA_TOO_LARGE'
  /** A path outside what the user chose (web mode: the workspace; Electron: a file they picked). */
  | 'DATA_NOT_ALLOWED'
  /** A device, FIFO or folder where a data file was expected. */
  | 'DATA_NOT_A_FILE'
  /** An image folder with no class sub-folders holding readable images. */
  | 'DATA_IMAGES_EMPTY'
  /** An image folder with a single class: nothing to tell apart. */
  | 'DATA_IMAGES_ONE_CLASS'
  /** A table column with more distinct text values than one-hot encoding takes. */
  | 'DATA_CSV_TOO_MANY_CATEGORIES'
  /** A table of labelled texts without the text or label column asked for (or with one column). */
  | 'DATA_TEXT_NO_COLUMN'
  /** A labelled text with an empty text or label. */
  | 'DATA_TEXT_EMPTY'
  /** Labelled texts all of one class. */
  | 'DATA_TEXT_ONE_CLASS'
  /** A text whose label is not one of a trained model's classes (core/data/model-texts.ts). */
  | 'DATA_TEXT_UNKNOWN_CLASS'
  /** A damaged .npy/.npz (bad magic, a header that lies about the shape, a broken zip). */
  | 'DATA_NPY_BAD'
  /** The data no longer matches the fingerprint saved with the project. */
  | 'DATA_CHANGED'
  /** An image of a streamed folder that could not be read when its batch was assembled (a reported skip, not an error). */
  | 'DATA_IMAGE_UNREADABLE'
  /** A segmentation folder (images/ + masks/): an image without its mask, a mask that is not a PNG, a mask of another size, a pixel that is not a class id. */
  | 'DATA_MASK_MISSING'
  | 'DATA_MASK_FORMAT'
  | 'DATA_MASK_SIZE'
  | 'DATA_MASK_CLASS';

/**
 * How large a dataset may be. A project file names its dataset, so these are what a file from a
 * stranger can make the engine allocate: each is checked before the allocation it bounds.
 */
export const DATA_LIMITS = {
  /** Feature and target values of one loaded set (2²⁷ float32 = 512 MiB; MNIST is 47 M). */
  maxValues: 2 ** 27,
  /** Samples a synthetic set may generate (the Train dock offers up to 1,000,000). */
  maxSamples: 1_000_000,
  /** CSV text read from disk. */
  maxCsvBytes: 128 * 2 ** 20,
  /** Cells of a CSV (a cell costs a string and an array slot while parsing). */
  maxCsvCells: 16_000_000,
  /** Characters in one CSV row (a one-line "table" of 100 MB stops here). */
  maxCsvRowChars: 1_000_000,
  /** One IDX file, raw or decompressed. */
  maxIdxBytes: 256 * 2 ** 20,
  /** Pixels one image may declare (8192 × 8192), checked from its header before it is decoded. */
  maxImagePixels: 2 ** 26,
  /** One image file on disk. */
  maxImageBytes: 64 * 2 ** 20,
  /** Files an image folder may hold (scanned entries, images or not). */
  maxFolderEntries: 1_000_000,
  /** One .npy/.npz file on disk, and each array decompressed from an .npz. */
  maxArrayBytes: 1024 * 2 ** 20,
  /** Distinct values one categorical table column may have (each becomes a one-hot column). */
  maxCategories: 100,
  /** Text read for a character-level language model (a `.txt` file, or all of Debian's fortunes together). */
  maxTextBytes: 64 * 2 ** 20,
} as const;
export type DataLimits = { -readonly [K in keyof typeof DATA_LIMITS]: number };

/** `n` in MiB for messages. */
export const mib = (n: number) => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 2 : 0)} MiB`;

/** A data problem the user can act on. `code` is stable; `message` says what and where. */
export class DataError extends Error {
  readonly code: DataErrorCode;
  /**
   * The reading option that fixes it (`missing`: the missing-value policy; `roles`: a column's
   * role), for each front end to name its own control: the app's "Missing values" select and Role
   * column, the CLI's `--missing` and the graph's `options.roles`.
   */
  readonly option?: 'missing' | 'roles' | 'gaps';
  constructor(code: DataErrorCode, message: string, option?: 'missing' | 'roles' | 'gaps') {
    super(message);
    this.name = 'DataError';
    this.code = code;
    if (option) this.option = option;
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
  const ts = taskOf(ds.task).targets === 'features' ? 0 : targetSize(ds);
  const n = indices.length;
  const features = new Float32Array(n * fs);
  const targets = new Float32Array(n * ts);
  for (let i = 0; i < n; i++) {
    const s = indices[i];
    features.set(ds.features.subarray(s * fs, (s + 1) * fs), i * fs);
    if (ts > 0) targets.set(ds.targets.subarray(s * ts, (s + 1) * ts), i * ts);
  }
  return { ...ds, name, count: n, features, targets, featureShape: [...ds.featureShape], targetShape: [...ds.targetShape], ...(ds.texts ? { texts: Array.from(indices, (i) => ds.texts![i]) } : {}) };
}
