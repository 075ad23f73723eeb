import type { Rng } from '../../base/rng';
import type { Dataset } from './types';
import { DataError } from './types';
import { hasClasses } from '../../catalog/tasks';

/** What a split needs of a dataset: its labels (in memory or streamed alike). */
type Labelled = Pick<Dataset, 'count' | 'task' | 'targets' | 'targetShape'>;

/**
 * Split sample indices into `[kept, heldOut]`, holding out `fraction` of each class
 * (stratified) for classification sets with one label per sample and of all samples otherwise. Seeded by `rng`.
 *
 * NOTE: per class, the held-out count is `round(fraction × classCount)`, so tiny classes may
 * contribute none; both parts keep ascending sample order so that later shuffles alone decide
 * the order of visits.
 */
export function stratifiedSplit(ds: Labelled, fraction: number, rng: Rng, pool?: ArrayLike<number>): [Int32Array, Int32Array] {
  const all = pool ? Array.from(pool) : Array.from({ length: ds.count }, (_, i) => i);
  if (fraction <= 0) return [Int32Array.from(all), new Int32Array(0)];
  const groups = new Map<number, number[]>();
  for (const i of all) {
    // Per-position labels (a language model's next tokens) have no one class to stratify by.
    const key = hasClasses(ds.task) && ds.targetShape.length === 0 ? ds.targets[i] : 0;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  }
  const kept: number[] = [];
  const held: number[] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const g = rng.shuffle(groups.get(key)!);
    const h = Math.min(g.length, Math.round(fraction * g.length));
    for (let j = 0; j < g.length; j++) (j < h ? held : kept).push(g[j]);
  }
  kept.sort((a, b) => a - b);
  held.sort((a, b) => a - b);
  return [Int32Array.from(kept), Int32Array.from(held)];
}

/** Up to `limit` indices of `pool`, drawn stratified (class proportions kept), ascending. */
export function stratifiedSample(ds: Labelled, pool: ArrayLike<number>, limit: number, rng: Rng): Int32Array {
  if (limit >= pool.length) return Int32Array.from(pool);
  const [, held] = stratifiedSplit(ds, limit / pool.length, rng, pool);
  return held.length > limit ? held.subarray(0, limit) : held;
}

/** A fresh permutation of `0..n-1` written into `order` (no allocation). */
export function shuffleInto(order: Int32Array, rng: Rng): Int32Array {
  for (let i = 0; i < order.length; i++) order[i] = i;
  return rng.shuffle(order);
}

/** A stretch of window positions `[from, to)`. */
export interface WindowRange {
  from: number;
  to: number;
}

/** The three stretches of a time series' windows, in time order, and the windows left out between them. */
export interface ChronologicalSplit {
  train: WindowRange;
  val: WindowRange;
  test: WindowRange;
  /** Windows dropped before each later split so that none shares a value with a window of the split before it. */
  gap: number;
}

/**
 * A time series' `count` windows split in time order (#83): training first, then validation, then
 * test, as scikit-learn's `TimeSeriesSplit(gap=…)` does. Window `i` reads values `i … i + window`
 * (its `window` steps and the target after them), so two windows share no value when they are
 * more than `window` apart: `window` windows are left out before the validation stretch and before
 * the test stretch (the gap), and no window of one split overlaps one of another.
 *
 * The test stretch is the last `round(test × count)` windows; validation the last
 * `round(valOfRest × (count − test))` before its gap; training the rest before the second gap
 * (the two steps `splitSteps` gives, as for any set).
 *
 * @throws DataError `DATA_TOO_SMALL` when fewer than 5 training windows are left.
 * @example chronologicalSplit(100, 10, { test: 0.2, valOfRest: 0.1 }) // train [0, 52), val [62, 70), test [80, 100), gap 10
 */
export function chronologicalSplit(count: number, window: number, steps: { test: number; valOfRest: number }, name = 'the series'): ChronologicalSplit {
  const nTest = Math.round(steps.test * count);
  const nVal = Math.round(steps.valOfRest * (count - nTest));
  const testFrom = count - nTest;
  const valTo = nTest > 0 ? testFrom - window : testFrom;
  const valFrom = valTo - nVal;
  const trainTo = nVal > 0 ? valFrom - window : valFrom;
  if (trainTo < 5) {
    throw new DataError('DATA_TOO_SMALL', `${name}: ${count} windows of ${window} leave ${Math.max(0, trainTo)} to train on once ${nVal} validation and ${nTest} test windows and a gap of ${window} windows before each are set apart; give a longer series, a shorter window, or smaller validation and test shares.`);
  }
  return { train: { from: 0, to: trainTo }, val: { from: valFrom, to: valTo }, test: { from: testFrom, to: count }, gap: window };
}

/** One fold of a rolling-origin cross-validation: the windows it may train on (a prefix) and the block it is tested on. */
export interface RollingFold {
  train: WindowRange;
  test: WindowRange;
}

/**
 * Rolling-origin (forward-chaining) cross-validation of `count` windows in time order (#83), as
 * scikit-learn's `TimeSeriesSplit(n_splits=k, gap=gap)`: the last `k` blocks of
 * `floor(count / (k + 1))` windows are each a fold's test block, and the fold trains on every window
 * before it less the `gap` windows just before it (a window's span: no training window shares a
 * value with a test window). Later folds train on more of the past, as a forecast made at each
 * origin would.
 *
 * @throws DataError `DATA_TOO_SMALL` when the first fold would have nothing to train on.
 * @example rollingOriginFolds(100, 3, 5) // train [0, 20) test [25, 50); train [0, 45) test [50, 75); train [0, 70) test [75, 100)
 */
export function rollingOriginFolds(count: number, k: number, gap: number, name = 'the series'): RollingFold[] {
  const size = Math.floor(count / (k + 1));
  const first = count - k * size;
  if (size < 1 || first - gap <= 0) {
    throw new DataError('DATA_TOO_SMALL', `${name}: ${count} windows cannot make ${k} folds in time order with a gap of ${gap} windows before each (blocks of ${size}, leaving ${Math.max(0, first - gap)} to train the first on); give a longer series, fewer folds or a shorter window.`);
  }
  return Array.from({ length: k }, (_, i) => {
    const from = first + i * size;
    return { train: { from: 0, to: from - gap }, test: { from, to: from + size } };
  });
}

/**
 * `k` folds of `pool` (default: every sample) for cross-validation, stratified for classes: each
 * class's samples (shuffled by `rng`) dealt round the folds in turn, so each fold holds a `1/k`
 * share of every class (to within one sample) and fold sizes differ by at most one per class.
 * Each fold is ascending; together they are the pool, each sample in exactly one.
 *
 * @example stratifiedFolds(ds, 3, rng) // [fold0, fold1, fold2]: test on fold i, train on the others
 */
export function stratifiedFolds(ds: Labelled, k: number, rng: Rng, pool?: ArrayLike<number>): Int32Array[] {
  const all = pool ? Array.from(pool) : Array.from({ length: ds.count }, (_, i) => i);
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const g of classGroups(ds, all)) {
    // Continue dealing where the last class stopped, so small classes do not all land in fold 0.
    for (const i of rng.shuffle(g)) folds[next++ % k].push(i);
  }
  return folds.map((f) => Int32Array.from(f.sort((a, b) => a - b)));
}

/** `all` grouped by class (one group for sets without one class per sample), classes ascending. */
function classGroups(ds: Labelled, all: number[]): number[][] {
  const groups = new Map<number, number[]>();
  for (const i of all) {
    const key = hasClasses(ds.task) && ds.targetShape.length === 0 ? ds.targets[i] : 0;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  }
  return [...groups.keys()].sort((a, b) => a - b).map((key) => groups.get(key)!);
}

/** How many samples a split holds, and for a classifier (one class per sample) how many of each class, by class name. */
export interface SplitCount {
  count: number;
  perClass?: Record<string, number>;
}

/** The counts a run shows for a split (the CLI's start record, the Train dock's data summary). */
export function splitCount(ds: Labelled & Pick<Dataset, 'classNames' | 'numClasses'>): SplitCount {
  if (!(hasClasses(ds.task) && ds.targetShape.length === 0 && ds.numClasses > 0)) return { count: ds.count };
  const counts = new Array<number>(ds.numClasses).fill(0);
  for (let i = 0; i < ds.count; i++) {
    const c = ds.targets[i];
    if (c >= 0 && c < counts.length) counts[c]++;
  }
  return { count: ds.count, perClass: Object.fromEntries(counts.map((n, c) => [ds.classNames[c] ?? String(c), n])) };
}
