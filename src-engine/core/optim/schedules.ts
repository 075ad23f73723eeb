import type { ScheduleConfig } from '../../base/ir/types';
import { optimError } from './types';

/**
 * A learning-rate schedule. `lr` is the rate for the next optimizer step; `step()` advances the
 * schedule by one unit (an epoch or an optimizer step, as the training config's `scheduleUnit`
 * says) and returns the new rate — the same protocol as a PyTorch scheduler: after `k` calls of
 * `step()`, `lr` equals PyTorch's `get_last_lr()` after `k` calls of `scheduler.step()`.
 *
 * @example
 * ```ts
 * const sched = createSchedule({ kind: 'cosine', tMax: epochs }, 0.1);
 * for (let e = 0; e < epochs; e++) { trainEpoch(sched.lr); sched.step(); }
 * ```
 */
export interface Schedule {
  readonly kind: ScheduleConfig['kind'];
  /** Learning rate for the next optimizer step. */
  readonly lr: number;
  /** Calls of `step()` so far. */
  readonly stepCount: number;
  /**
   * Advance one unit and return the new learning rate. `metric` is required by `plateau`
   * (the monitored validation value) and ignored by the others.
   */
  step(metric?: number): number;
  /** The rate after `t` steps, in closed form. Absent for `plateau`, whose rate depends on the metrics seen. */
  lrAt?(t: number): number;
  state(): ScheduleState;
  loadState(state: ScheduleState): void;
}

/** A schedule's resumable state, as plain data. */
export interface ScheduleState {
  kind: string;
  stepCount: number;
  lr: number;
  /** ReduceLROnPlateau bookkeeping. */
  plateau?: { best: number; badSteps: number; cooldownCounter: number };
}

/**
 * Build the schedule a training config names. `baseLr` is the optimizer's configured rate
 * (ignored by `onecycle`, which is driven by its own `maxLr`, as PyTorch's OneCycleLR is).
 * No config means a constant rate.
 *
 * @throws Error with code `SCHEDULE_BAD_CONFIG` for settings that cannot work (e.g. `tMax` ≤ 0).
 */
export function createSchedule(config: ScheduleConfig | undefined, baseLr: number): Schedule {
  const c = config ?? { kind: 'constant' };
  switch (c.kind) {
    case 'constant':
      return new ClosedFormSchedule('constant', () => baseLr);
    case 'step': {
      check(c.kind, 'stepSize', c.stepSize, Number.isInteger(c.stepSize) && c.stepSize > 0, 'a positive integer');
      check(c.kind, 'gamma', c.gamma, c.gamma > 0, 'positive');
      return new ClosedFormSchedule('step', (t) => baseLr * Math.pow(c.gamma, Math.floor(t / c.stepSize)));
    }
    case 'exponential':
      check(c.kind, 'gamma', c.gamma, c.gamma > 0, 'positive');
      return new ClosedFormSchedule('exponential', (t) => baseLr * Math.pow(c.gamma, t));
    case 'cosine': {
      check(c.kind, 'tMax', c.tMax, c.tMax > 0, 'positive');
      const etaMin = c.etaMin ?? 0;
      // PyTorch CosineAnnealingLR's closed form; past tMax it keeps following the cosine back up,
      // as PyTorch does (use warmup-cosine to stay at etaMin instead).
      return new ClosedFormSchedule(
        'cosine',
        (t) => etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * t) / c.tMax))) / 2,
      );
    }
    case 'warmup-cosine': {
      const { warmupSteps: w, totalSteps: total } = c;
      const etaMin = c.etaMin ?? 0;
      check(c.kind, 'warmupSteps', w, Number.isInteger(w) && w >= 0, 'an integer ≥ 0');
      check(c.kind, 'totalSteps', total, Number.isInteger(total) && total > w, `an integer > warmupSteps (${w})`);
      // Linear warmup from 0 (step 0 has rate 0, as transformers' get_cosine_schedule_with_warmup),
      // then a half cosine from baseLr down to etaMin at totalSteps, then etaMin.
      return new ClosedFormSchedule('warmup-cosine', (t) => {
        if (t < w) return (baseLr * t) / w;
        const progress = Math.min(1, (t - w) / (total - w));
        return etaMin + ((baseLr - etaMin) * (1 + Math.cos(Math.PI * progress))) / 2;
      });
    }
    case 'onecycle':
      return new ClosedFormSchedule('onecycle', oneCycle(c));
    case 'plateau':
      return new PlateauSchedule(baseLr, c);
    default: {
      const kind = (c as { kind: unknown }).kind;
      throw optimError('SCHEDULE_UNKNOWN', `Unknown learning-rate schedule "${String(kind)}".`);
    }
  }
}

/**
 * PyTorch OneCycleLR (1.13) with `anneal_strategy='cos'`, `three_phase=False`: from
 * `maxLr/divFactor` up to `maxLr` over the first `pctStart·totalSteps − 1` steps, then down to
 * `maxLr/(divFactor·finalDivFactor)` at step `totalSteps − 1`.
 *
 * NOTE: PyTorch raises if stepped past `totalSteps`; here later steps keep the final rate.
 * PyTorch also cycles momentum (β1) inversely by default; Netwright schedules only the rate.
 */
function oneCycle(c: Extract<ScheduleConfig, { kind: 'onecycle' }>): (t: number) => number {
  const total = c.totalSteps;
  const pctStart = c.pctStart ?? 0.3;
  const divFactor = c.divFactor ?? 25;
  const finalDivFactor = c.finalDivFactor ?? 1e4;
  check(c.kind, 'totalSteps', total, Number.isInteger(total) && total > 1, 'an integer > 1');
  check(c.kind, 'maxLr', c.maxLr, c.maxLr > 0, 'positive');
  check(c.kind, 'pctStart', pctStart, pctStart > 0 && pctStart < 1, 'in (0, 1)');
  check(c.kind, 'divFactor', divFactor, divFactor > 0, 'positive');
  check(c.kind, 'finalDivFactor', finalDivFactor, finalDivFactor > 0, 'positive');
  const initialLr = c.maxLr / divFactor;
  const minLr = initialLr / finalDivFactor;
  const warmEnd = pctStart * total - 1;
  const lastStep = total - 1;
  const cosAnneal = (start: number, end: number, pct: number): number =>
    end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  return (t) => {
    const s = Math.min(t, lastStep);
    if (s <= warmEnd) return cosAnneal(initialLr, c.maxLr, s / warmEnd);
    return cosAnneal(c.maxLr, minLr, (s - warmEnd) / (lastStep - warmEnd));
  };
}

class ClosedFormSchedule implements Schedule {
  private t = 0;
  private current: number;

  constructor(
    readonly kind: ScheduleConfig['kind'],
    readonly lrAt: (t: number) => number,
  ) {
    this.current = lrAt(0);
  }

  get lr(): number {
    return this.current;
  }

  get stepCount(): number {
    return this.t;
  }

  step(): number {
    this.t++;
    this.current = this.lrAt(this.t);
    return this.current;
  }

  state(): ScheduleState {
    return { kind: this.kind, stepCount: this.t, lr: this.current };
  }

  loadState(state: ScheduleState): void {
    checkKind(this.kind, state);
    this.t = state.stepCount;
    this.current = this.lrAt(this.t);
  }
}

/**
 * PyTorch ReduceLROnPlateau (1.13, `threshold_mode='rel'`): when the metric has not improved on
 * the best seen by more than `threshold` (relative) for more than `patience` steps, multiply the
 * rate by `factor`, not going below `minLr`. Defaults: mode min, factor 0.1, patience 10,
 * threshold 1e-4, cooldown 0, minLr 0.
 */
export class PlateauSchedule implements Schedule {
  readonly kind = 'plateau';
  private t = 0;
  private current: number;
  private best: number;
  private badSteps = 0;
  private cooldownCounter = 0;
  private readonly mode: 'min' | 'max';
  private readonly factor: number;
  private readonly patience: number;
  private readonly threshold: number;
  private readonly cooldown: number;
  private readonly minLr: number;

  constructor(
    baseLr: number,
    c: { factor?: number; patience?: number; threshold?: number; minLr?: number; mode?: 'min' | 'max'; cooldown?: number },
  ) {
    this.current = baseLr;
    this.mode = c.mode ?? 'min';
    this.factor = c.factor ?? 0.1;
    this.patience = c.patience ?? 10;
    this.threshold = c.threshold ?? 1e-4;
    this.cooldown = c.cooldown ?? 0;
    this.minLr = c.minLr ?? 0;
    check('plateau', 'factor', this.factor, this.factor > 0 && this.factor < 1, 'in (0, 1)');
    check('plateau', 'patience', this.patience, Number.isInteger(this.patience) && this.patience >= 0, 'an integer ≥ 0');
    check('plateau', 'threshold', this.threshold, this.threshold >= 0, '≥ 0');
    check('plateau', 'cooldown', this.cooldown, Number.isInteger(this.cooldown) && this.cooldown >= 0, 'an integer ≥ 0');
    check('plateau', 'minLr', this.minLr, this.minLr >= 0, '≥ 0');
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  get lr(): number {
    return this.current;
  }

  get stepCount(): number {
    return this.t;
  }

  step(metric?: number): number {
    if (metric === undefined) {
      throw optimError('SCHEDULE_NEEDS_METRIC', 'The plateau schedule needs the monitored metric at every step.');
    }
    this.t++;
    const better =
      this.mode === 'min' ? metric < this.best * (1 - this.threshold) : metric > this.best * (1 + this.threshold);
    if (better) {
      this.best = metric;
      this.badSteps = 0;
    } else {
      this.badSteps++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.badSteps = 0;
    }
    if (this.badSteps > this.patience) {
      const next = Math.max(this.current * this.factor, this.minLr);
      // PyTorch's eps = 1e-8: changes smaller than this are ignored.
      if (this.current - next > 1e-8) this.current = next;
      this.cooldownCounter = this.cooldown;
      this.badSteps = 0;
    }
    return this.current;
  }

  state(): ScheduleState {
    return {
      kind: this.kind,
      stepCount: this.t,
      lr: this.current,
      plateau: { best: this.best, badSteps: this.badSteps, cooldownCounter: this.cooldownCounter },
    };
  }

  loadState(state: ScheduleState): void {
    checkKind(this.kind, state);
    if (!state.plateau) throw optimError('SCHEDULE_STATE_MISMATCH', 'Saved plateau schedule state has no plateau bookkeeping.');
    this.t = state.stepCount;
    this.current = state.lr;
    // JSON turns ±Infinity (no best yet) into null.
    const best = state.plateau.best as number | null;
    this.best = typeof best === 'number' ? best : this.mode === 'min' ? Infinity : -Infinity;
    this.badSteps = state.plateau.badSteps;
    this.cooldownCounter = state.plateau.cooldownCounter;
  }
}

function checkKind(kind: string, state: ScheduleState): void {
  if (state.kind !== kind) {
    throw optimError('SCHEDULE_STATE_MISMATCH', `Saved schedule state is for ${state.kind}, this run uses ${kind}.`);
  }
}

function check(kind: string, name: string, value: number, ok: boolean, rule: string): void {
  if (!Number.isFinite(value) || !ok) {
    throw optimError('SCHEDULE_BAD_CONFIG', `Schedule ${kind}: ${name} = ${value} is invalid; it must be ${rule}.`);
  }
}
