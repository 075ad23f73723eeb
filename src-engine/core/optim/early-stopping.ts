import { optimError } from './types';

/** Whether `current` beats `best` by more than `minDelta` in the direction `mode` asks for. */
export function isImprovement(mode: 'min' | 'max', current: number, best: number, minDelta = 0): boolean {
  if (Number.isNaN(current)) return false;
  return mode === 'min' ? current < best - minDelta : current > best + minDelta;
}

/** Early stopping's count as JSON: the best value (null before a finite one), its evaluation, the evaluations seen and since the best. */
export interface EarlyStoppingState {
  best: number | null;
  bestIndex: number;
  count: number;
  wait: number;
}

/** What `EarlyStopping.update` concluded about one evaluation. */
export interface EarlyStoppingUpdate {
  /** The value is the best so far: save it as the "best" checkpoint. */
  improved: boolean;
  /** `patience` evaluations in a row without improvement: stop training. */
  stop: boolean;
  /** Best value so far and the (0-based) evaluation it came from. */
  best: number;
  bestIndex: number;
  /** Evaluations since the best one. */
  wait: number;
}

/**
 * Stop training when a monitored metric stops improving, and tell the trainer which evaluation
 * is the best so far (the one to keep as the "best" checkpoint; the "last" is simply the latest).
 *
 * Semantics as Keras' `EarlyStopping` / Lightning's: an evaluation improves when it beats the best
 * by more than `minDelta`; after `patience` evaluations in a row without improvement, `stop` is
 * true. A NaN metric never improves.
 *
 * @example
 * ```ts
 * const es = new EarlyStopping({ metric: 'val_loss', mode: 'min', patience: 5, minDelta: 1e-4 });
 * const { improved, stop } = es.update(valLoss);
 * if (improved) saveCheckpoint('best');
 * if (stop) break;
 * ```
 */
export class EarlyStopping {
  readonly metric: string;
  readonly mode: 'min' | 'max';
  readonly patience: number;
  readonly minDelta: number;
  private bestValue: number;
  private bestAt = -1;
  private count = 0;
  private waited = 0;

  constructor(cfg: { metric: string; mode: 'min' | 'max'; patience: number; minDelta?: number }) {
    if (!Number.isInteger(cfg.patience) || cfg.patience < 0) {
      throw optimError('EARLY_STOP_BAD_CONFIG', `Early stopping patience must be an integer ≥ 0, got ${cfg.patience}.`);
    }
    const minDelta = cfg.minDelta ?? 0;
    if (!(minDelta >= 0)) {
      throw optimError('EARLY_STOP_BAD_CONFIG', `Early stopping minDelta must be ≥ 0, got ${minDelta}.`);
    }
    this.metric = cfg.metric;
    this.mode = cfg.mode;
    this.patience = cfg.patience;
    this.minDelta = minDelta;
    this.bestValue = cfg.mode === 'min' ? Infinity : -Infinity;
  }

  /** Best value so far (±Infinity before the first finite value). */
  get best(): number {
    return this.bestValue;
  }

  /** Index of the best evaluation so far, −1 before any improvement. */
  get bestIndex(): number {
    return this.bestAt;
  }

  /** Record the metric of the next evaluation. */
  update(value: number): EarlyStoppingUpdate {
    const index = this.count++;
    const improved = isImprovement(this.mode, value, this.bestValue, this.minDelta);
    if (improved) {
      this.bestValue = value;
      this.bestAt = index;
      this.waited = 0;
    } else {
      this.waited++;
    }
    return { improved, stop: this.waited >= this.patience && !improved, best: this.bestValue, bestIndex: this.bestAt, wait: this.waited };
  }

  /** What goes on across a resume (a checkpoint keeps it: `BestWatch`, core/train/run-state.ts). */
  state(): EarlyStoppingState {
    return { best: Number.isFinite(this.bestValue) ? this.bestValue : null, bestIndex: this.bestAt, count: this.count, wait: this.waited };
  }

  loadState(s: EarlyStoppingState): void {
    this.bestValue = s.best ?? (this.mode === 'min' ? Infinity : -Infinity);
    this.bestAt = s.bestIndex;
    this.count = s.count;
    this.waited = s.wait;
  }
}
