import type { DatasetConfig } from '../../base/ir/types';
import { TARGET_NORMALIZATIONS } from '../../catalog/datasets/options';
import { taskOf } from '../../catalog/tasks';
import { DataError } from './types';
import type { Samples } from './types';

/**
 * A regression target's standardisation `y' = (y − mean) / std`, one mean and std per target
 * value (column), fitted on the training split only (scikit-learn's `TransformedTargetRegressor`
 * with a `StandardScaler`). The network learns `y'`; everything that shows, predicts, exports or
 * measures a value undoes it (`restoreTargets`), so a diabetes model reads 25–346 and a CO₂
 * forecast reads ppm. Saved with the model as `targetNormalization` beside the input's `normalization`.
 */
export interface TargetNormalization {
  mean: number[];
  std: number[];
}

/** A target normalisation as read (its figures not to be changed). */
type TargetScale = { readonly mean: readonly number[]; readonly std: readonly number[] };

/** `training.dataset.targetNormalization`: standard (the default), or off (targets trained as they are). */
export type TargetNormalizationKind = NonNullable<DatasetConfig['targetNormalization']>;

export { TARGET_NORMALIZATIONS };

/**
 * Whether a run of `config` on samples of `task` standardises its targets: values regressed from
 * the data's targets (not a reconstruction's own features, not class labels), unless the setting
 * is off.
 */
export function standardizesTargets(config: Pick<DatasetConfig, 'targetNormalization' | 'target'>, task: Samples['task']): boolean {
  const kind = config.targetNormalization ?? 'standard';
  if (!(TARGET_NORMALIZATIONS as readonly string[]).includes(kind)) throw new DataError('DATA_BAD_OPTION', `targetNormalization must be ${TARGET_NORMALIZATIONS.join(' or ')} (got ${JSON.stringify(kind)}).`);
  return kind === 'standard' && (config.target ?? 'label') === 'label' && taskOf(task).targets === 'values';
}

/**
 * Fit one mean and std per target column on the training split's targets (population std,
 * float64 sums). A constant column gets std 1 (it maps to 0, not NaN).
 */
export function fitTargetNormalization(targets: Float32Array, width: number, name: string): TargetNormalization {
  const n = width > 0 ? targets.length / width : 0;
  if (n === 0) throw new DataError('DATA_TOO_SMALL', `${name}: cannot fit the target's standardisation on an empty training split.`);
  const mean = new Float64Array(width);
  const sq = new Float64Array(width);
  for (let i = 0; i < targets.length; i++) mean[i % width] += targets[i];
  for (let c = 0; c < width; c++) mean[c] /= n;
  for (let i = 0; i < targets.length; i++) sq[i % width] += (targets[i] - mean[i % width]) ** 2;
  const std = Array.from(sq, (s) => {
    const v = Math.sqrt(s / n);
    return v > 1e-12 ? v : 1;
  });
  return { mean: Array.from(mean), std };
}

/** Standardise `values` (rows of `norm.mean.length` target values) in place: into the units the network learns. */
export function standardizeTargets(norm: TargetScale, values: Float32Array): void {
  const w = norm.mean.length;
  for (let i = 0; i < values.length; i++) values[i] = (values[i] - norm.mean[i % w]) / norm.std[i % w];
}

/** Undo `standardizeTargets` on `values` (rows of predictions or targets) in place: back to the data's units. */
export function restoreTargets(norm: TargetScale, values: Float32Array | number[]): void {
  const w = norm.mean.length;
  for (let i = 0; i < values.length; i++) values[i] = values[i] * norm.std[i % w] + norm.mean[i % w];
}

/** A copy of `values` back in the data's units (`restoreTargets`); `values` itself when there is nothing to undo. */
export function restoredTargets(norm: TargetScale | null | undefined, values: Float32Array): Float32Array {
  if (!norm) return values;
  const out = Float32Array.from(values);
  restoreTargets(norm, out);
  return out;
}

/** A damaged or hand-edited `targetNormalization` (from a model file): its problem, or undefined when it is one. */
export function targetNormalizationProblem(n: unknown): string | undefined {
  const o = n as Partial<TargetNormalization> | null;
  if (typeof o !== 'object' || o === null || !Array.isArray(o.mean) || !Array.isArray(o.std) || o.mean.length !== o.std.length || o.mean.length === 0) return 'it needs as many means as standard deviations (one per target value)';
  const badMean = o.mean.findIndex((m) => typeof m !== 'number' || !Number.isFinite(m));
  if (badMean >= 0) return `target value ${badMean}'s mean is not a finite number`;
  const badStd = o.std.findIndex((s) => typeof s !== 'number' || !(Number.isFinite(s) && s > 0));
  if (badStd >= 0) return `target value ${badStd}'s standard deviation is ${String(o.std[badStd])}; it must be a positive number`;
  return undefined;
}

/** A target this far from 0 or this spread (in its own units) is worth standardising: a loss of its squares starts in the thousands. */
export const LARGE_TARGET_SCALE = 10;

/**
 * A regression trained on its targets in their own units (`targetNormalization: none`) whose
 * training targets are large (mean or std of at least LARGE_TARGET_SCALE): their mean and std over
 * all values, for the divergence tip; undefined otherwise (standardised, classes, small values).
 */
export function largeRawTargets(data: { targetNormalization?: TargetNormalization; target: 'label' | 'features'; train: Pick<Samples, 'task' | 'targets'> }): { mean: number; std: number } | undefined {
  if (data.targetNormalization || data.target !== 'label' || taskOf(data.train.task).targets !== 'values') return undefined;
  const y = data.train.targets;
  if (y.length === 0) return undefined;
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += y[i];
  const mean = sum / y.length;
  let sq = 0;
  for (let i = 0; i < y.length; i++) sq += (y[i] - mean) ** 2;
  const std = Math.sqrt(sq / y.length);
  return Math.max(Math.abs(mean), std) >= LARGE_TARGET_SCALE ? { mean, std } : undefined;
}

/** The divergence tip's line for targets trained in their own units (`largeRawTargets`). */
export function rawTargetAdvice(t: { mean: number; std: number }): string {
  return `The targets are trained in their own units (mean ${Number(t.mean.toPrecision(4))}, std ${Number(t.std.toPrecision(4))}; targetNormalization is none): set it to standard, the default, so the network learns them standardised and its errors start near 1.`;
}
