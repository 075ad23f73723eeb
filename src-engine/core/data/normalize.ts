import { DataError } from './types';
import type { Dataset } from './types';

/**
 * Input standardisation `x' = (x − mean) / std`, fitted on the training split only and stored
 * as plain numbers so it can be saved with the model and applied again at inference.
 */
export interface Normalization {
  /** `per-feature`: one mean/std per feature; `global`: one for all features. */
  kind: 'per-feature' | 'global';
  mean: number[];
  std: number[];
}

/**
 * `raw`: images back on their 0–255 scale (a `global` normalisation with mean 0, std 1/255).
 * `per-channel`: one mean/std per image channel (torchvision's `Normalize(mean, std)`), stored as
 * a `per-feature` normalisation with each channel's figures repeated over its pixels, so it is
 * saved, applied and exported exactly as any per-feature one.
 */
export type NormalizationKind = 'none' | 'raw' | 'per-channel' | Normalization['kind'];

/**
 * The samples a normalisation is fitted on, as passes: `pass(visit)` calls `visit(x, count)` with
 * consecutive runs of samples (`count × featureSize` values each), the same samples in the same
 * order on every pass. In memory: the whole array in one run; streamed: chunks read from disk
 * (stream.ts `forEachChunk`). The sums run sample by sample either way, so the figures are the same
 * bit for bit.
 */
export interface SamplePass {
  name: string;
  featureShape: readonly number[];
  count: number;
  pass(visit: (x: Float32Array, count: number) => void): void;
}

const inMemoryPass = (ds: Dataset): SamplePass => ({ name: ds.name, featureShape: ds.featureShape, count: ds.count, pass: (visit) => visit(ds.features, ds.count) });

/**
 * Fit one mean and std per channel of `[C, H, W]` samples on `ds` (population std, float64 sums),
 * returned as a per-feature normalisation (see NormalizationKind) plus the per-channel figures.
 */
export function fitChannelNormalization(ds: Dataset | SamplePass): { normalization: Normalization; channelMean: number[]; channelStd: number[] } {
  const src = 'pass' in ds ? ds : inMemoryPass(ds);
  if (src.featureShape.length !== 3) throw new DataError('DATA_BAD_OPTION', `${src.name}: per-channel normalisation applies to images [C, H, W]; samples have shape [${src.featureShape}].`);
  if (src.count === 0) throw new DataError('DATA_TOO_SMALL', `${src.name}: cannot fit a normalisation on an empty training split.`);
  const [c, h, w] = src.featureShape;
  const plane = h * w;
  const fs = c * plane;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  src.pass((x, count) => {
    for (let i = 0; i < count; i++) for (let k = 0; k < c; k++) for (let p = i * fs + k * plane, e = p + plane; p < e; p++) sum[k] += x[p];
  });
  const n = src.count * plane;
  const channelMean = Array.from(sum, (s) => s / n);
  src.pass((x, count) => {
    for (let i = 0; i < count; i++) {
      for (let k = 0; k < c; k++) {
        const m = channelMean[k];
        for (let p = i * fs + k * plane, e = p + plane; p < e; p++) sq[k] += (x[p] - m) ** 2;
      }
    }
  });
  const channelStd = Array.from(sq, (s) => {
    const v = Math.sqrt(s / n);
    return v > 1e-12 ? v : 1;
  });
  const mean = new Array<number>(fs);
  const std = new Array<number>(fs);
  for (let k = 0; k < c; k++) {
    mean.fill(channelMean[k], k * plane, (k + 1) * plane);
    std.fill(channelStd[k], k * plane, (k + 1) * plane);
  }
  return { normalization: { kind: 'per-feature', mean, std }, channelMean, channelStd };
}

/**
 * Fit mean and std (population std, as sklearn's StandardScaler) on `ds`.
 *
 * NOTE: accumulates in float64 with a two-pass algorithm; a constant feature gets std 1 rather
 * than 0 so it maps to 0 instead of NaN.
 */
export function fitNormalization(ds: Dataset | SamplePass, kind: Normalization['kind']): Normalization {
  const src = 'pass' in ds ? ds : inMemoryPass(ds);
  let fs = 1;
  for (const d of src.featureShape) fs *= d;
  const n = src.count;
  if (n === 0) throw new DataError('DATA_TOO_SMALL', `${src.name}: cannot fit a normalisation on an empty training split.`);
  const groups = kind === 'global' ? 1 : fs;
  const mean = new Float64Array(groups);
  const sq = new Float64Array(groups);
  src.pass((x, count) => {
    for (let i = 0; i < count; i++) for (let f = 0; f < fs; f++) mean[kind === 'global' ? 0 : f] += x[i * fs + f];
  });
  const perGroup = kind === 'global' ? n * fs : n;
  for (let g = 0; g < groups; g++) mean[g] /= perGroup;
  src.pass((x, count) => {
    for (let i = 0; i < count; i++) {
      for (let f = 0; f < fs; f++) {
        const g = kind === 'global' ? 0 : f;
        const d = x[i * fs + f] - mean[g];
        sq[g] += d * d;
      }
    }
  });
  const std = Array.from(sq, (s) => {
    const v = Math.sqrt(s / perGroup);
    return v > 1e-12 ? v : 1;
  });
  return { kind, mean: Array.from(mean), std };
}

/** Undo a fitted normalisation on one sample's `features` (in place): back to the data's units. */
export function undoNormalization(norm: Normalization, features: Float32Array): void {
  for (let k = 0; k < features.length; k++) features[k] = features[k] * norm.std[k % norm.std.length] + norm.mean[k % norm.mean.length];
}

/** Apply a fitted normalisation to `features` (in place); `fs` is the per-sample size. */
export function applyNormalization(norm: Normalization, features: Float32Array, fs: number): void {
  if (norm.kind === 'global') {
    const m = norm.mean[0];
    const inv = 1 / norm.std[0];
    for (let i = 0; i < features.length; i++) features[i] = (features[i] - m) * inv;
    return;
  }
  if (norm.mean.length !== fs) throw new DataError('DATA_BAD_OPTION', `normalisation has ${norm.mean.length} features, data has ${fs}.`);
  for (let i = 0; i < features.length; i += fs) {
    for (let f = 0; f < fs; f++) features[i + f] = (features[i + f] - norm.mean[f]) / norm.std[f];
  }
}
