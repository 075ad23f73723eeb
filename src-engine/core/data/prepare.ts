import type { DatasetConfig } from '../../base/ir/types';
import { Rng } from '../../base/rng';
import { applyNormalization, fitChannelNormalization, fitNormalization } from './normalize';
import type { Normalization, NormalizationKind } from './normalize';
import { chronologicalSplit, rollingOriginFolds, stratifiedFolds, stratifiedSample, stratifiedSplit, type WindowRange } from './split';
import { splitIssue, splitSteps } from '../../base/ir/split';
import { checkAugmentation, checkTransform } from './transforms';
import type { Augmentation, FeatureTransform } from './transforms';
import { forEachChunk, materialize, normalizedSource, subsetOf } from './stream';
import type { Dataset, LoadedDataset, SampleSource, Samples } from './types';
import { DataError, featureSize, isStreamed, targetSize } from './types';
import { taskOf } from '../../catalog/tasks';
import { fitTargetNormalization, standardizesTargets, standardizeTargets, type TargetNormalization } from './target-normalization';
import { checkDataset } from './validate';
import { getDataset } from '../../catalog/datasets/registry';

/**
 * The most training samples a streamed split's normalisation is fitted on: a stratified draw of
 * this many (seeded) when the split is larger, read twice (mean, then spread). A split in memory
 * is fitted on all its samples; so is a streamed one up to this size, with the same figures.
 */
export const STREAMED_FIT_SAMPLES = 2_000;

/** Train/validation/test splits ready for a Trainer, with everything needed to redo them. */
export interface PreparedData<S extends Samples = Dataset> {
  /** In memory, or (`S` = `Samples`) streamed from disk: a folder over its memory budget (`memoryBudget`). */
  train: S;
  /** May be empty (`validationSplit: 0`). */
  val: S;
  test: S;
  /** When the splits are streamed: the bytes of decoded samples their source may hold (docs/data.md). */
  memoryBudget?: number;
  /** Fitted on `train` and already applied to all three; save it with the model. */
  normalization: Normalization | null;
  /** Corruption applied to network inputs per batch (targets stay clean). */
  transform: FeatureTransform;
  /** What the target Input receives. */
  target: 'label' | 'features';
  /** Random shifts/rotations of training batches (none when absent). */
  augment?: Augmentation;
  /**
   * A regression's target standardisation (`targetNormalization: standard`, the default), fitted on
   * `train`'s targets and already applied to all three splits' targets; save it with the model.
   */
  targetNormalization?: TargetNormalization;
}

/**
 * The normalisation a dataset config asks for: `options.normalize`, else its set's declared default
 * (registry.ts: per-channel for image folders and the shapes, per-feature for tables and arrays, none for the rest). The
 * PyTorch export's train.py is told the same.
 */
export function normalizationKind(config: DatasetConfig): NormalizationKind {
  const fallback = getDataset(config.name)?.options.normalize?.default ?? 'none';
  return (config.options?.normalize ?? fallback) as NormalizationKind;
}

/**
 * Turn a loaded dataset into splits: carve a stratified test split when the set has none
 * (`options.testSplit`, default 0.2), apply `limit`, hold out `validationSplit` (default 0.1)
 * of what is left, fit normalisation on the training split and apply it to all three, and check
 * every split for NaN and out-of-range labels. A `split` setting ({ train, val, test }, shares of
 * the data: base/ir/split.ts) replaces the two fractions (`splitSteps`). Every split is stratified
 * for classes (each class in proportion, by the seed); a time series is split in time order by its
 * loader (core/data/series.ts). With `fold`, the test split is that fold of a stratified k-fold
 * partition (`crossValidationFolds`) and validation is carved from the other folds.
 *
 * A streamed set (`loaded.memoryBudget`) is split the same way, by the labels it holds, into views
 * of its source: the same samples in the same order as in memory. When the samples the run uses fit
 * in the budget (a `limit`), they are read into memory; otherwise the splits stay streamed, the
 * normalisation is fitted on a pass over the training split (at most STREAMED_FIT_SAMPLES) and
 * applied to each batch as it is read.
 *
 * `limit` caps the training split and, for quick runs, the validation and test splits too.
 * `options.normalize`: `none` | `raw` (images × 255, their stored 0–255 scale) | `per-feature` |
 * `global` (default `per-feature` for Iris, housing and CSV, `none` for images, already in [0, 1], and for
 * the synthetic sets).
 */
export function prepareData<S extends Samples = Dataset>(loaded: LoadedDataset<S>, config: DatasetConfig, seed: number, fold?: Fold, { consume = false }: PrepareOptions = {}): PreparedData<S> {
  const rng = new Rng((seed ^ 0x5eed5) >>> 0);
  const full: Samples = loaded.train;
  // Splits made of `loaded.train`'s own samples, reordered in place (`consume`): one copy of the samples, not two (#82).
  const inPlace = consume && loaded.owned === true && !fold && config.limit === undefined && !isStreamed(full);
  checkTransform(config.transform, full.featureShape);
  checkAugmentation(config.augment, full.featureShape, full.targetShape);
  const splitProblem = config.split === undefined ? undefined : splitIssue(config.split);
  if (splitProblem) throw new DataError('DATA_BAD_SPLIT', `${full.name}: ${splitProblem}`);
  const { test: testFraction, valOfRest: valFraction } = splitSteps(config);
  if (!(valFraction >= 0 && valFraction < 1)) throw new DataError('DATA_BAD_OPTION', `validationSplit must be in [0, 1) (got ${valFraction}).`);
  if (!(testFraction >= 0 && testFraction < 1)) throw new DataError('DATA_BAD_OPTION', `testSplit must be in [0, 1) (got ${testFraction}).`);

  let pool: Int32Array;
  let test: Samples;
  // The test split's samples of `full` (one carved from it); with `inPlace`, `test` is made below.
  let heldOut: Int32Array | undefined;
  if (fold) {
    // Cross-validation: fold `index` of `k` is the test split, the validation split is carved from the others.
    if (!(Number.isInteger(fold.k) && fold.k >= 2 && fold.index >= 0 && fold.index < fold.k)) throw new DataError('DATA_BAD_SPLIT', `folds: k must be a whole number ≥ 2 and the fold one of 0…k − 1 (got fold ${fold.index} of ${fold.k}).`);
    // A series' folds roll forward in time; its fold comes back as its own three splits.
    if (loaded.series) return prepareData(seriesFold(loaded, fold, valFraction), config, seed);
    if (loaded.test || loaded.val) throw new DataError('DATA_BAD_SPLIT', `${full.name}: cross-validation splits one set into folds; this data comes with its own ${loaded.test ? 'test' : 'validation'} split (a folder's test/ or val/, a separate test or validation file).`);
    if (full.count < fold.k) throw new DataError('DATA_TOO_SMALL', `${full.name}: ${full.count} samples cannot make ${fold.k} folds.`);
    const folds = crossValidationFolds(full, fold.k, seed);
    pool = Int32Array.from(folds.flatMap((f, i) => (i === fold.index ? [] : Array.from(f)))).sort();
    test = subsetOf(full, folds[fold.index], `${full.name} (test)`);
  } else if (loaded.test) {
    pool = Int32Array.from({ length: full.count }, (_, i) => i);
    test = loaded.test;
  } else {
    const [rest, held] = stratifiedSplit(full, testFraction, rng);
    pool = rest;
    heldOut = held;
    test = inPlace ? full : subsetOf(full, held, `${full.name} (test)`);
  }
  const limit = config.limit;
  if (limit !== undefined) {
    if (!(Number.isInteger(limit) && limit > 0)) throw new DataError('DATA_BAD_OPTION', `limit must be a whole number > 0 (got ${limit}).`);
    const cap = Math.ceil(limit / (1 - valFraction));
    pool = stratifiedSample(full, pool, cap, rng);
    if (test.count > limit) test = subsetOf(test, stratifiedSample(test, Int32Array.from({ length: test.count }, (_, i) => i), limit, rng), test.name);
  }
  // A set with its own validation split (an image folder's val/) keeps it; otherwise one is carved.
  const [splitTrain, valIdx] = stratifiedSplit(full, loaded.val ? 0 : valFraction, rng, pool);
  let trainIdx = splitTrain;
  // Per-class rounding can leave one or two extra samples; `limit` is a hard cap.
  if (limit !== undefined && trainIdx.length > limit) trainIdx = stratifiedSample(full, trainIdx, limit, rng);
  if (trainIdx.length === 0) throw new DataError('DATA_TOO_SMALL', `${full.name}: no training samples are left after the validation and test splits.`);
  const base = full.name.replace(/ \(.*\)$/, '');
  const ownVal = loaded.val;
  const carved = inPlace ? splitsInPlace(full as Dataset, [trainIdx, ownVal ? undefined : valIdx, heldOut], [`${base} (train)`, `${base} (validation)`, `${full.name} (test)`]) : undefined;
  // (Where the parts are not every sample once, `test` is still the placeholder: carved as a copy.)
  if (inPlace && heldOut) test = carved?.[2] ?? subsetOf(full, heldOut, `${full.name} (test)`);
  let train = carved?.[0] ?? subsetOf(full, trainIdx, `${base} (train)`);
  // (A copy: normalisation below works in place, and the host may cache what it loaded.)
  let val = ownVal ? (isStreamed(ownVal) ? subsetOf(ownVal, identity(ownVal.count), `${base} (validation)`) : { ...ownVal, name: `${base} (validation)`, features: ownVal.features.slice() }) : (carved?.[1] ?? subsetOf(full, valIdx, `${base} (validation)`));
  // A set's own validation split is capped by `limit` like its test split (a quick run on a text's held-out block).
  if (loaded.val && limit !== undefined && val.count > limit) val = subsetOf(val, stratifiedSample(val, identity(val.count), limit, rng), val.name);
  if (!loaded.test) test.name = `${base} (test)`;
  // A streamed set whose samples in use fit its budget (a limited run) is read into memory.
  let memoryBudget = loaded.memoryBudget;
  if (memoryBudget !== undefined && (train.count + val.count + test.count) * featureSize(train) * 4 <= memoryBudget) {
    const inMemory = (s: Samples): Samples => (isStreamed(s) ? materialize(s) : s);
    [train, val, test] = [inMemory(train), inMemory(val), inMemory(test)];
    memoryBudget = undefined;
  }

  for (const ds of [train, val, test]) checkDataset(ds);
  if (test.featureShape.join(',') !== train.featureShape.join(',')) {
    throw new DataError('DATA_IDX_MISMATCH', `${base}: test samples have shape [${test.featureShape}] but training samples [${train.featureShape}].`);
  }

  const kind = normalizationKind(config);
  if (!['none', 'raw', 'per-feature', 'per-channel', 'global'].includes(kind)) {
    throw new DataError('DATA_BAD_OPTION', `options.normalize must be none, raw, per-feature, per-channel or global (got ${JSON.stringify(kind)}).`);
  }
  if ((kind === 'raw' || kind === 'per-channel') && train.featureShape.length !== 3) {
    throw new DataError('DATA_BAD_OPTION', `options.normalize "${kind}" applies to images [C, H, W]; ${base} has samples of shape [${train.featureShape}].`);
  }
  let normalization: Normalization | null = null;
  if (kind !== 'none') {
    // NOTE: images are stored scaled to [0, 1]; "raw" undoes that as x / (1/255), so it is saved
    // and exported like any global standardisation.
    const fitOn = isStreamed(train) ? streamedPass(train, seed) : train;
    if (kind === 'per-channel') normalization = fitChannelNormalization(fitOn).normalization;
    else normalization = kind === 'raw' ? { kind: 'global', mean: [0], std: [1 / 255] } : fitNormalization(fitOn, kind);
    const fs = featureSize(train);
    const norm = normalization;
    const normalized = (s: Samples): Samples => {
      if (isStreamed(s)) return normalizedSource(s, norm);
      // The loader's own test split may be cached by the host: normalise a copy.
      const own = s === loaded.test ? { ...s, features: s.features.slice() } : s;
      applyNormalization(norm, own.features, fs);
      return own;
    };
    [train, val, test] = [normalized(train), normalized(val), normalized(test)];
    // A value far from a nearly constant training column overflows float32 once divided by its std (#83: refused, not trained on).
    for (const s of [train, val, test]) if (!isStreamed(s)) checkNormalized(s, norm);
  }
  // The target in standardised units, fitted on the training split's targets only (#83).
  let targetNormalization: TargetNormalization | undefined;
  if (standardizesTargets(config, train.task)) {
    targetNormalization = fitTargetNormalization(train.targets, targetSize(train), base);
    [train, val, test] = [train, val, test].map((s) => withStandardizedTargets(s, targetNormalization!));
  }
  // (Streamed splits only where `loaded` had streamed ones: `S` is `Samples` then.)
  return {
    ...(targetNormalization ? { targetNormalization } : {}),
    train: train as S,
    val: val as S,
    test: test as S,
    normalization,
    transform: config.transform ?? { kind: 'none' },
    target: config.target ?? 'label',
    ...(config.augment ? { augment: config.augment } : {}),
    ...(memoryBudget !== undefined && [train, val, test].some(isStreamed) ? { memoryBudget } : {}),
  };
}

/** `s` with its targets standardised: a copy (the loader's splits may be cached by the host). */
function withStandardizedTargets(s: Samples, norm: TargetNormalization): Samples {
  const own = isStreamed(s) ? subsetOf(s, identity(s.count), s.name) : { ...s };
  own.targets = isStreamed(s) ? own.targets : s.targets.slice();
  standardizeTargets(norm, own.targets);
  return own;
}

const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** How `prepareData` may treat what it is given. */
export interface PrepareOptions {
  /**
   * Nothing reads the loaded set again (`netwright train`'s one run): when its samples are its own
   * (`LoadedDataset.owned`) and the splits take every one of them (no `limit`, no folds), they are
   * reordered in place and the splits are views of them, normalised there — the same samples bit
   * for bit, held once. The loaded set must not be read after.
   */
  consume?: boolean;
}

/**
 * The splits of `full` whose samples are `parts` (a part absent: none made), as `subset` makes them
 * but in `full`'s own memory: when the parts together take every sample once, `full`'s samples are
 * permuted in place into their order and each split is a view of its run; otherwise undefined.
 */
function splitsInPlace(full: Dataset, parts: readonly (Int32Array | undefined)[], names: readonly string[]): (Dataset | undefined)[] | undefined {
  const order = new Int32Array(full.count);
  let n = 0;
  for (const p of parts) {
    if (!p) continue;
    if (n + p.length > full.count) return undefined;
    order.set(p, n);
    n += p.length;
  }
  const seen = new Uint8Array(full.count);
  for (const i of order) seen[i]++;
  if (n !== full.count || seen.some((c) => c !== 1)) return undefined;
  const fs = featureSize(full);
  const x = full.features;
  // Row i becomes row order[i], cycle by cycle, one row held aside per cycle.
  const row = new Float32Array(fs);
  const done = new Uint8Array(full.count);
  for (let start = 0; start < full.count; start++) {
    if (done[start] || order[start] === start) continue;
    row.set(x.subarray(start * fs, (start + 1) * fs));
    let j = start;
    for (;;) {
      done[j] = 1;
      const from = order[j];
      if (from === start) {
        x.set(row, j * fs);
        break;
      }
      x.copyWithin(j * fs, from * fs, (from + 1) * fs);
      j = from;
    }
  }
  // The targets (and texts) as `subset` copies them; the features are views.
  const ts = taskOf(full.task).targets === 'features' ? 0 : targetSize(full);
  let at = 0;
  return parts.map((p, k) => {
    if (!p) return undefined;
    const targets = new Float32Array(p.length * ts);
    for (let i = 0; i < p.length; i++) targets.set(full.targets.subarray(p[i] * ts, (p[i] + 1) * ts), i * ts);
    const features = x.subarray(at * fs, (at + p.length) * fs);
    at += p.length;
    return { ...full, name: names[k], count: p.length, features, targets, featureShape: [...full.featureShape], targetShape: [...full.targetShape], ...(full.texts ? { texts: Array.from(p, (i) => full.texts![i]) } : {}) };
  });
}

/** One fold of a k-fold cross-validation (`netwright train --folds K`): fold `index` (0-based) of `k` is the test split. */
export interface Fold {
  k: number;
  index: number;
}

/**
 * The `k` folds a cross-validated run tests on, one after another (`stratifiedFolds`, seeded by
 * the run's seed on a stream of their own, so every fold's run cuts the same folds).
 */
export function crossValidationFolds(full: Pick<Samples, 'count' | 'task' | 'targets' | 'targetShape'>, k: number, seed: number): Int32Array[] {
  return stratifiedFolds(full, k, new Rng((seed ^ 0xf01d5) >>> 0));
}

/**
 * Fold `index` of a series' rolling-origin cross-validation (`rollingOriginFolds`, as scikit-learn's
 * `TimeSeriesSplit(gap=…)`): tested on its block, trained on the windows before it less the gap,
 * the last `valOfRest` of those (after a gap of its own, `chronologicalSplit`) its validation split.
 * `loaded` holds every window in `train` (read with no validation or test share: `unsplitSeries`).
 */
function seriesFold<S extends Samples>(loaded: LoadedDataset<S>, fold: Fold, valOfRest: number): LoadedDataset<S> {
  const full = loaded.train;
  const gap = loaded.series!.gap;
  if ((loaded.val?.count ?? 0) > 0 || (loaded.test?.count ?? 0) > 0) {
    throw new DataError('DATA_BAD_SPLIT', `${full.name}: cross-validation of a series rolls over all its windows; this one was read with validation or test windows set apart (read it with no test or validation share: unsplitSeries).`);
  }
  const f = rollingOriginFolds(full.count, fold.k, gap, full.name)[fold.index];
  const inner = chronologicalSplit(f.train.to, gap, { test: 0, valOfRest }, `${full.name} (fold ${fold.index + 1} of ${fold.k})`);
  const range = (r: WindowRange) => Int32Array.from({ length: r.to - r.from }, (_, i) => r.from + i);
  const base = full.name.replace(/ \(.*\)$/, '');
  return {
    train: subsetOf(full, range(inner.train), full.name) as S,
    val: subsetOf(full, range(inner.val), `${base} (validation)`) as S,
    test: subsetOf(full, range(f.test), `${base} (test)`) as S,
    series: loaded.series!,
  };
}

/**
 * A time series' dataset settings with no validation or test share, so its loader keeps every
 * window in `train` for cross-validation to roll over (`seriesFold`); other settings as they are.
 */
export function unsplitSeries(config: DatasetConfig): DatasetConfig {
  const { split: _split, ...rest } = config;
  return { ...rest, validationSplit: 0, options: { ...config.options, testSplit: 0 } };
}

/** Every normalised feature finite, else DATA_NAN naming the sample, the feature and the statistics that overflowed it. */
function checkNormalized(ds: Dataset, norm: Normalization): void {
  const fs = featureSize(ds);
  const x = ds.features;
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i])) continue;
    const f = i % fs;
    const k = norm.mean.length === 1 ? 0 : f;
    const name = ds.featureNames?.[f];
    throw new DataError(
      'DATA_NAN',
      `${ds.name}: sample ${Math.floor(i / fs)}, feature ${name ? JSON.stringify(name) : f} is ${x[i]} after normalisation (mean ${norm.mean[k]}, std ${norm.std[k]} on the training split): ` +
        'a value that far from a nearly constant column does not fit a float; drop the column, or set normalize to none.',
    );
  }
}

/** The training split's samples a streamed normalisation is fitted on: all, or a stratified draw of STREAMED_FIT_SAMPLES. */
function streamedPass(train: SampleSource, seed: number) {
  const all = identity(train.count);
  const idx = train.count > STREAMED_FIT_SAMPLES ? stratifiedSample(train, all, STREAMED_FIT_SAMPLES, new Rng((seed ^ 0xf17) >>> 0)) : all;
  return { name: train.name, featureShape: train.featureShape, count: idx.length, pass: (visit: (x: Float32Array, count: number) => void) => forEachChunk(train, idx, visit) };
}
