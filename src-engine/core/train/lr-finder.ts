import { DEFAULT_SCHEDULE } from '../../catalog/schedules/registry';
import type { TrainingConfig } from '../../base/ir/types';
import type { Backend } from '../backend/types';
import type { CheckedGraph } from '../analysis/checked';
import type { PreparedData, Samples } from '../data';
import { TrainingLoop } from './loop';
import type { CompileFn, TrainableGraph } from './types';
import { TrainError } from './types';

/** The learning-rate range test's defaults (fastai's `lr_find`: 1e-7 to 10 over 100 steps, β 0.98, stop at 4× the best). */
export const LR_FIND_DEFAULTS = { start: 1e-7, end: 10, steps: 100, beta: 0.98, divergence: 4 } as const;
/** The widest range the test takes (as the learning-rate override's bounds), and its step counts. */
export const LR_FIND_LIMITS = { min: 1e-12, max: 1e6, minSteps: 5, maxSteps: 1000 } as const;

/** A range test's settings: the rates from `start` to `end` over `steps` steps. */
export interface LrRange {
  start: number;
  end: number;
  steps: number;
}

/** What a range test found: the curve, where it stopped, and the suggested rate. */
export interface LrFinding {
  /** The rate each recorded step trained with (`lrs[i]` = start·(end/start)^(i/(steps−1))). */
  lrs: number[];
  /** Each step's batch loss, before its update (NaN/Inf as null). */
  losses: (number | null)[];
  /** The losses smoothed (EMA, β 0.98, bias-corrected), null from a non-finite loss on. */
  smoothed: (number | null)[];
  /** The suggested rate: the steepest descent of the smoothed loss against log(rate) before its minimum; null when the loss never fell. */
  suggestion: number | null;
  /** The rate at which the smoothed loss diverged (> 4× its best, or NaN/Inf); null when the test ran all its steps. */
  stoppedAt: number | null;
}

/** Throws `TRAIN_LR_RANGE` unless 0 < start < end (within the limits) and the steps are a whole number within them. */
export function checkLrRange({ start, end, steps }: LrRange): void {
  const { min, max, minSteps, maxSteps } = LR_FIND_LIMITS;
  const ok = (x: number) => Number.isFinite(x) && x >= min && x <= max;
  if (!ok(start) || !ok(end) || !(start < end)) throw new TrainError('TRAIN_LR_RANGE', `The learning-rate range must run upwards within ${min}…${max} (got ${start} to ${end}).`);
  if (!(Number.isInteger(steps) && steps >= minSteps && steps <= maxSteps)) throw new TrainError('TRAIN_LR_RANGE', `The range test takes ${minSteps} to ${maxSteps} steps (got ${steps}).`);
}

/** The rate of step `i` of `steps`: exponential from `start` (i = 0) to `end` (i = steps − 1). */
export function lrAt({ start, end, steps }: LrRange, i: number): number {
  return start * (end / start) ** (i / (steps - 1));
}

/**
 * The losses' exponential moving average with bias correction (as Adam's moments and TensorBoard's
 * smoothing): avg_i = β·avg_{i−1} + (1−β)·loss_i, smoothed_i = avg_i / (1 − β^(i+1)). A non-finite
 * loss ends the curve (null from there on).
 */
export function smoothLosses(losses: readonly (number | null)[], beta: number = LR_FIND_DEFAULTS.beta): (number | null)[] {
  let avg = 0;
  let broken = false;
  return losses.map((loss, i) => {
    if (broken || loss === null || !Number.isFinite(loss)) {
      broken = true;
      return null;
    }
    avg = beta * avg + (1 - beta) * loss;
    return avg / (1 - beta ** (i + 1));
  });
}

/**
 * The suggested rate: where the smoothed loss falls fastest against log(rate), before its
 * minimum — the rate at the most negative finite difference (smoothed_{i+1} − smoothed_i) /
 * (log lr_{i+1} − log lr_i) over the points up to the minimum (fastai's "steepest" rule). The
 * first `skip` points are left out (default: 10, or a fifth of a shorter curve, as fastai's
 * `skip_start`): there the average has seen a few batches only, and their noise reads as slope.
 * Null when there is no descent (the loss never fell after them).
 */
export function suggestLr(lrs: readonly number[], smoothed: readonly (number | null)[], skip = Math.min(10, Math.floor(smoothed.length / 5))): number | null {
  let last = -1;
  let min = 0;
  for (let i = 0; i < smoothed.length && smoothed[i] !== null; i++) {
    last = i;
    if (smoothed[i]! < smoothed[min]!) min = i;
  }
  if (last < 1 || min < 1) return null;
  let best = 0;
  let at = -1;
  for (let i = skip; i < min; i++) {
    const slope = (smoothed[i + 1]! - smoothed[i]!) / (Math.log(lrs[i + 1]) - Math.log(lrs[i]));
    if (slope < best) {
      best = slope;
      at = i;
    }
  }
  return at < 0 ? null : lrs[at];
}

export interface LrFinderOptions<P extends TrainableGraph = TrainableGraph> extends Partial<LrRange> {
  /** Compiles the graph (the executor's `compileGraph`, or a GPU build); a plan it hands back is trained and then put back as it was. */
  compile: CompileFn<P>;
  /** Weights to start from (`nodeId.name` → values; the design's `startFrom`), as `TrainingLoop.warmStart`. */
  from?: Readonly<Record<string, Float32Array>>;
  /** Settings that replace the graph's (the batch size, say). */
  overrides?: Partial<TrainingConfig>;
  yieldToHost?: () => Promise<void>;
  /** The run control, once the test's loop exists (a caller that may stop it). */
  onLoop?: (loop: TrainingLoop<P>) => void;
}

/**
 * The learning-rate range test (Smith 2015; fastai's `lr_find`): from the current weights, train
 * `steps` batches with the rate growing exponentially from `start` to `end`, recording each
 * step's loss; stop early once the smoothed loss exceeds 4× its best (or is NaN/Inf). The
 * weights, buffers and optimizer state are then put back exactly as they were, so the test
 * changes nothing. The loop's recipe is the run's (its optimizer, clipping, Dropout, the input
 * transform, the data shuffled with the seed), with a constant schedule and no validation, test
 * or checkpoints.
 *
 * @example
 * ```ts
 * const f = await findLearningRate(checked, data, backend, { compile: compileGraph });
 * console.log(f.suggestion); // e.g. 0.0063
 * ```
 */
export async function findLearningRate<P extends TrainableGraph>(checked: CheckedGraph, data: PreparedData<Samples>, backend: Backend, options: LrFinderOptions<P>): Promise<LrFinding> {
  const range: LrRange = { start: options.start ?? LR_FIND_DEFAULTS.start, end: options.end ?? LR_FIND_DEFAULTS.end, steps: options.steps ?? LR_FIND_DEFAULTS.steps };
  checkLrRange(range);
  const t = checked.training;
  if (!t) throw new TrainError('TRAIN_NO_CONFIG', 'The graph has no training settings (dataset, loss, optimizer); add them before finding a learning rate.');
  const batchSize = Math.min(options.overrides?.batchSize ?? t.batchSize, data.train.count);
  const stepsPerEpoch = Math.max(1, Math.ceil(data.train.count / batchSize));
  // Early stopping watches epochs the test does not have; the rate is the test's, so a constant schedule.
  const { earlyStopping: _early, ...training } = { ...t, ...options.overrides };
  const lrs: number[] = [];
  const losses: (number | null)[] = [];
  let avg = 0;
  let best = Infinity;
  let stoppedAt: number | null = null;
  const beta = LR_FIND_DEFAULTS.beta;
  const loop: TrainingLoop<P> = new TrainingLoop(checked.withTraining(training), data, backend, {
    compile: options.compile,
    overrides: { batchSize, epochs: Math.ceil(range.steps / stepsPerEpoch), schedule: DEFAULT_SCHEDULE, scheduleUnit: 'step' },
    maxSteps: range.steps,
    validate: false,
    test: false,
    checkpoints: false,
    ...(options.yieldToHost ? { yieldToHost: options.yieldToHost } : {}),
    hooks: [
      {
        afterStep: ({ loss }) => {
          const i = lrs.length;
          const finite = Number.isFinite(loss);
          lrs.push(loop.lr);
          losses.push(finite ? loss : null);
          if (finite) avg = beta * avg + (1 - beta) * loss;
          const smooth = avg / (1 - beta ** (i + 1));
          if (!finite || (i > 0 && smooth > LR_FIND_DEFAULTS.divergence * best)) {
            stoppedAt = loop.lr;
            loop.control.stop();
            return;
          }
          best = Math.min(best, smooth);
          loop.control.lrFactor = lrAt(range, i + 1) / base;
        },
      },
    ],
  });
  options.onLoop?.(loop);
  const base = loop.groups[0].schedule.lr;
  if (options.from) loop.warmStart(options.from);
  await loop.sync();
  const before = loop.capture();
  loop.control.lrFactor = range.start / base;
  try {
    await loop.run();
  } finally {
    loop.restore(before);
  }
  const smoothed = smoothLosses(losses, beta);
  return { lrs, losses, smoothed, suggestion: suggestLr(lrs, smoothed), stoppedAt };
}
