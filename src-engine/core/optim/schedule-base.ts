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

/** A schedule whose rate after `t` steps is `lrAt(t)`: every schedule but those that watch a metric. */
export class ClosedFormSchedule implements Schedule {
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

export function checkKind(kind: string, state: ScheduleState): void {
  if (state.kind !== kind) {
    throw optimError('SCHEDULE_STATE_MISMATCH', `Saved schedule state is for ${state.kind}, this run uses ${kind}.`);
  }
}

export function check(kind: string, name: string, value: number, ok: boolean, rule: string): void {
  if (!Number.isFinite(value) || !ok) {
    throw optimError('SCHEDULE_BAD_CONFIG', badScheduleMessage(kind, name, value, rule));
  }
}

/** `SCHEDULE_BAD_CONFIG`'s message: setting `name` of schedule `kind` of value `value` is not `rule` (`> 0`). */
export function badScheduleMessage(kind: string, name: string, value: unknown, rule: string): string {
  return `Schedule ${kind}: ${name} = ${String(value)} is invalid; it must be ${rule}.`;
}
