import { isStreamed, type BatchFeeder, type Samples, type SkippedFile } from '../data';
import type { TrainingConfig } from '../../base/ir/types';
import type { MetricAccumulator, MetricValues } from '../metrics';
import { EarlyStopping, type EarlyStoppingState } from '../optim';
import type { Rng } from '../../base/rng';
import type { LoopHooks, StepContext } from './hooks';
import { TrainError } from './types';
import type { DeviceCapture, LoopEpoch, StepPhases, StepVerdict, TrainableGraph } from './types';

/** Files named in one epoch's `dataSkipped` (the count covers them all). */
const MAX_SKIPS_REPORTED = 50;

/** What the phases of a step leave for the loop: the step's verdict and what the device captured. */
export interface StepState {
  verdict: StepVerdict;
  /** What a hook asked the device to measure at group 0's update. */
  capture: DeviceCapture | undefined;
  /** The share of `capture` the current group's update takes. */
  part: DeviceCapture | undefined;
}

/** A run's state across its steps (`TrainingLoop.run`'s own, one object: no allocation per step). */
export interface LoopRun<P extends TrainableGraph> {
  readonly t0: number;
  readonly order: Int32Array;
  readonly shuffleRng: Rng;
  readonly transformRng: Rng;
  readonly feeder: BatchFeeder;
  readonly trainMetrics: MetricAccumulator;
  readonly batchMetrics: MetricAccumulator;
  readonly groupLosses: Record<string, number> | undefined;
  readonly ctx: StepContext<P>;
  readonly step: StepState;
  readonly phases: StepPhases;
  readonly maxSteps: number;
  readonly totalSteps: number;
  lastProgress: number;
  samplesSinceProgress: number;
  /** The epoch in progress: its start, its losses' sum and count, the latest batch's loss. */
  epochStart: number;
  lossSum: number;
  lossCount: number;
  batchLoss: number;
  firstEpoch: number;
  firstBatch: number;
  epochsRun: number;
  /** The time left, from the steps and epoch ends measured so far. */
  readonly eta: EtaClock;
}

/**
 * A run's time left from what it measured (#82: "ETA 5m15s" for epochs of 0.4 s, when the time to
 * compute a frozen backbone's features once was averaged into every step): the seconds its steps
 * took since the first one — not the compile, the feature cache, the resident upload or a pause
 * before or between them — and what each epoch's end (validation, checkpoints) took, each times
 * what remains of it.
 *
 * @example
 * ```ts
 * const eta = new EtaClock();
 * eta.start(performance.now(), control.pausedMs, steps);
 * // … an epoch's end took 0.2 s:
 * eta.epochEnded(0.2);
 * eta.seconds(performance.now(), control.pausedMs, steps, totalSteps, endsLeft);
 * ```
 */
export class EtaClock {
  private from = 0;
  private pausedFrom = 0;
  private stepsFrom = 0;
  private endsSeconds = 0;
  private ends = 0;

  /** The steps start now (`pausedMs`: the run control's paused time so far; `steps`: those applied before, a resumed run's). */
  start(now: number, pausedMs: number, steps: number): void {
    this.from = now;
    this.pausedFrom = pausedMs;
    this.stepsFrom = steps;
  }

  /** An epoch's end (validation, schedule, checkpoints) took `seconds`. */
  epochEnded(seconds: number): void {
    this.endsSeconds += seconds;
    this.ends++;
  }

  /**
   * Seconds left at `steps` of `totalSteps` with `endsLeft` epoch ends to come: the mean step's
   * time (the time since `start`, less pauses and epoch ends) times the steps left, plus the mean
   * epoch end's times the ends left (none measured yet: not counted).
   */
  seconds(now: number, pausedMs: number, steps: number, totalSteps: number, endsLeft: number): number {
    const done = Math.max(1, steps - this.stepsFrom);
    const stepping = Math.max(0, (now - this.from - (pausedMs - this.pausedFrom)) / 1000 - this.endsSeconds);
    const perEnd = this.ends > 0 ? this.endsSeconds / this.ends : 0;
    return (stepping / done) * Math.max(0, totalSteps - steps) + perEnd * Math.max(0, endsLeft);
  }
}

/** An epoch's metrics: the training split's, and the validation split's when it was evaluated. */
export interface EpochMetrics {
  train: MetricValues;
  val?: MetricValues;
}

/**
 * The epochs' metrics as early stopping and the best checkpoint see them: the watched metric
 * (`earlyStopping.metric`, else validation loss), whether an epoch is the best so far, and whether
 * early stopping ends the run.
 */
export class BestWatch implements Pick<LoopHooks, 'name' | 'state' | 'loadState'> {
  /** Its key in a checkpoint's `hooks`: early stopping's state goes on across a resume. */
  readonly name = 'earlyStopping';
  readonly early: EarlyStopping | null;
  /** The latest epoch's metrics, and the best one's. */
  last: EpochMetrics | null = null;
  best: EpochMetrics | null = null;
  private readonly monitor: { split: 'train' | 'val'; name: string };
  private readonly mode: 'min' | 'max';
  private bestValue: number;

  constructor(private readonly config: TrainingConfig) {
    this.early = config.earlyStopping ? new EarlyStopping(config.earlyStopping) : null;
    this.monitor = parseMonitor(config.earlyStopping?.metric ?? 'val_loss');
    this.mode = this.early?.mode ?? 'min';
    this.bestValue = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** Take an epoch's metrics: whether they are the best so far, and whether early stopping stops now. */
  update(metrics: EpochMetrics): { best: boolean; stop: boolean } {
    const watched = pick(this.monitor.split === 'val' && metrics.val ? metrics.val : metrics.train, this.monitor.name);
    const minDelta = this.config.earlyStopping?.minDelta ?? 0;
    const best = this.best === null || (this.mode === 'min' ? watched < this.bestValue - minDelta : watched > this.bestValue + minDelta);
    const stop = this.early ? this.early.update(watched).stop : false;
    this.last = metrics;
    if (best) {
      this.bestValue = watched;
      this.best = metrics;
    }
    return { best, stop };
  }

  /** Early stopping's patience count and best value (none without early stopping). */
  state(): EarlyStoppingState | undefined {
    return this.early?.state();
  }

  /** What `state` kept, from a resumed checkpoint; a value of another shape (a hand-edited file) leaves early stopping as it starts. */
  loadState(s: unknown): void {
    if (this.early && isEarlyStoppingState(s)) this.early.loadState(s);
  }
}

function isEarlyStoppingState(s: unknown): s is EarlyStoppingState {
  const o = s as Partial<Record<keyof EarlyStoppingState, unknown>> | null;
  const whole = (x: unknown) => Number.isInteger(x) && (x as number) >= -1;
  return typeof o === 'object' && o !== null && (o.best === null || typeof o.best === 'number') && whole(o.bestIndex) && whole(o.count) && whole(o.wait);
}

/** Streamed splits' files skipped while reading, reported with the epoch they happened in. */
export class SkipTracker {
  private readonly lists: (readonly SkippedFile[])[];
  private readonly seen: number[];

  constructor(splits: readonly Samples[]) {
    this.lists = [...new Set(splits.filter(isStreamed).map((s) => s.skipped))];
    this.seen = this.lists.map((l) => l.length);
  }

  /** The skips since the last call (at most `MAX_SKIPS_REPORTED` files named), or undefined. */
  newSkips(): LoopEpoch['dataSkipped'] {
    const files: SkippedFile[] = [];
    let count = 0;
    this.lists.forEach((l, i) => {
      count += l.length - this.seen[i];
      for (let k = this.seen[i]; k < l.length && files.length < MAX_SKIPS_REPORTED; k++) files.push(l[k]);
      this.seen[i] = l.length;
    });
    return count > 0 ? { count, files } : undefined;
  }
}

/** `val_loss`, `val.accuracy`, `train_loss`, `accuracy` → which split and metric to watch. */
export function parseMonitor(metric: string): { split: 'train' | 'val'; name: string } {
  const m = /^(val|train)[_.](.+)$/.exec(metric);
  return m ? { split: m[1] as 'train' | 'val', name: m[2] } : { split: 'val', name: metric };
}

function pick(v: MetricValues, name: string): number {
  const x = (v as unknown as Record<string, unknown>)[name];
  if (typeof x !== 'number') {
    throw new TrainError('TRAIN_BAD_CONFIG', `Early stopping watches "${name}", which is not computed; add it to training.metrics or watch "val_loss".`);
  }
  return x;
}
