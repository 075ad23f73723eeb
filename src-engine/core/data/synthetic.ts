import { Rng } from '../../base/rng';
import { getDataset } from '../../catalog/datasets/registry';
import { DATA_LIMITS, DataError } from './types';
import type { Dataset } from './types';
import { taskFor } from '../../catalog/tasks';

/** Options shared by the synthetic 2-D sets. */
export interface SyntheticOptions {
  /** Number of samples (default 500). */
  samples?: number;
  /** Std of Gaussian noise added to each coordinate (blobs: the cluster std). */
  noise?: number;
  /** Number of classes (spirals and blobs; default 2 and 3). */
  classes?: number;
  /** Generator seed. */
  seed?: number;
  /** circles: inner radius / outer radius (default 0.5). */
  factor?: number;
}

/** Puts sample `i` at (a, b) plus noise, with class `label`. */
type Put = (i: number, a: number, b: number, label: number) => void;
/** Draws the `n` points of one set in class order; returns its class count. */
type Draw = (n: number, options: SyntheticOptions, put: Put, rng: Rng, name: string) => number;

/**
 * The seeded 2-D toy sets, by their names as `DatasetConfig.name` spells them (declared in
 * catalog/datasets/, with their options' defaults):
 *
 * - two moons: scikit-learn's make_moons (two interleaving half circles).
 * - circles: make_circles (a small circle inside a large one, radius ratio `factor`).
 * - spirals: `classes` interleaved arms turning 1.75 times around the origin.
 * - XOR: uniform points in [-1, 1]², class 1 where x·y < 0.
 * - blobs: `classes` isotropic Gaussian clusters with centres drawn in [-6, 6]², std `noise`.
 */
const DRAWS = {
  'two-moons': (n, _o, put) => {
    const nOut = Math.floor(n / 2);
    const nIn = n - nOut;
    for (let i = 0; i < nOut; i++) {
      const t = nOut === 1 ? 0 : (Math.PI * i) / (nOut - 1);
      put(i, Math.cos(t), Math.sin(t), 0);
    }
    for (let i = 0; i < nIn; i++) {
      const t = nIn === 1 ? 0 : (Math.PI * i) / (nIn - 1);
      put(nOut + i, 1 - Math.cos(t), 1 - Math.sin(t) - 0.5, 1);
    }
    return 2;
  },
  circles: (n, options, put, _rng, name) => {
    const factor = options.factor ?? 0.5;
    if (!(factor > 0 && factor < 1)) throw new DataError('DATA_BAD_OPTION', `${name}: factor must be in (0, 1) (got ${factor}).`);
    const nOut = Math.floor(n / 2);
    const nIn = n - nOut;
    for (let i = 0; i < nOut; i++) {
      const t = (2 * Math.PI * i) / nOut;
      put(i, Math.cos(t), Math.sin(t), 0);
    }
    for (let i = 0; i < nIn; i++) {
      const t = (2 * Math.PI * i) / nIn;
      put(nOut + i, factor * Math.cos(t), factor * Math.sin(t), 1);
    }
    return 2;
  },
  spirals: (n, options, put, _rng, name) => {
    const classes = options.classes ?? 2;
    checkClasses(name, classes, n);
    for (let i = 0; i < n; i++) {
      const k = i % classes;
      const r = (Math.floor(i / classes) + 1) / Math.ceil(n / classes);
      const t = 1.75 * 2 * Math.PI * r + (2 * Math.PI * k) / classes;
      put(i, r * Math.cos(t), r * Math.sin(t), k);
    }
    return classes;
  },
  xor: (n, _o, put, rng) => {
    for (let i = 0; i < n; i++) {
      const a = 2 * rng.uniform() - 1;
      const b = 2 * rng.uniform() - 1;
      put(i, a, b, a * b < 0 ? 1 : 0);
    }
    return 2;
  },
  blobs: (n, options, put, rng, name) => {
    const classes = options.classes ?? 3;
    checkClasses(name, classes, n);
    const centres = Array.from({ length: classes }, () => [12 * rng.uniform() - 6, 12 * rng.uniform() - 6]);
    for (let i = 0; i < n; i++) {
      const k = i % classes;
      put(i, centres[k][0], centres[k][1], k);
    }
    return classes;
  },
} satisfies Record<string, Draw>;

export type SyntheticName = keyof typeof DRAWS;
/** The synthetic sets' names. */
export const SYNTHETIC_SETS = Object.keys(DRAWS) as SyntheticName[];

export function isSynthetic(name: string): name is SyntheticName {
  return Object.hasOwn(DRAWS, name);
}

/**
 * Generate a seeded 2-D toy set (`DRAWS`). Points are generated in class order, then shuffled with
 * the same seed, so one seed always gives the same array. Options left out take their declared
 * defaults (catalog/datasets/).
 */
export function syntheticDataset(name: SyntheticName, options: SyntheticOptions = {}): Dataset {
  const n = options.samples ?? 500;
  if (!Number.isInteger(n) || n < 2) throw new DataError('DATA_BAD_OPTION', `${name}: samples must be an integer ≥ 2 (got ${n}).`);
  if (n > DATA_LIMITS.maxSamples) throw new DataError('DATA_TOO_LARGE', `${name}: ${n} samples is over the limit of ${DATA_LIMITS.maxSamples.toLocaleString('en-US')}; use fewer.`);
  const noise = options.noise ?? Number(getDataset(name)?.options.noise?.default ?? 0.1);
  if (!(noise >= 0)) throw new DataError('DATA_BAD_OPTION', `${name}: noise must be ≥ 0 (got ${noise}).`);
  const rng = new Rng(options.seed ?? 0);
  const x = new Float32Array(2 * n);
  const y = new Float32Array(n);
  const put: Put = (i, a, b, label) => {
    x[2 * i] = a + noise * rng.normal();
    x[2 * i + 1] = b + noise * rng.normal();
    y[i] = label;
  };
  const classes = DRAWS[name](n, options, put, rng, name);
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const features = new Float32Array(2 * n);
  const targets = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    features[2 * i] = x[2 * order[i]];
    features[2 * i + 1] = x[2 * order[i] + 1];
    targets[i] = y[order[i]];
  }
  return {
    name,
    task: taskFor('classes'),
    count: n,
    features,
    featureShape: [2],
    targets,
    targetShape: [],
    numClasses: classes,
    classNames: Array.from({ length: classes }, (_, k) => `class ${k}`),
    featureNames: ['x', 'y'],
  };
}

function checkClasses(name: string, classes: number, n: number): void {
  if (!Number.isInteger(classes) || classes < 2 || classes > n) {
    throw new DataError('DATA_BAD_OPTION', `${name}: classes must be an integer between 2 and the sample count (got ${classes}).`);
  }
}
