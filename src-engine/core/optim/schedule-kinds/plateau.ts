import { optimError } from '../types';
import { check, checkKind, type Schedule, type ScheduleState } from '../schedule-base';
import { defineSchedule } from '../schedule-def';
import { choice, float, int } from '../../../catalog/settings';
import { declareSchedule } from '../../../catalog/schedules/types';

/** Its settings, as the Train dock and the IR read them (catalog/schedules/generated.ts lists every schedule's). */
const declared = declareSchedule({
  kind: 'plateau',
  label: 'reduce on plateau',
  doc: 'Multiply the rate by factor when the validation loss stops improving (ReduceLROnPlateau).',
  params: {
    factor: float(0.1, 'Factor applied when the loss plateaus.', 0, 1),
    patience: int(10, 'Epochs without improvement before reducing.', 0),
    threshold: float(1e-4, 'Relative improvement that counts.', 0),
    minLr: float(0, 'The rate never goes below this.', 0),
    cooldown: int(0, 'Epochs to wait after a reduction.', 0),
    mode: choice('min', ['min', 'max'], 'Whether the watched value should go down or up.'),
  },
});

export const plateau = defineSchedule({
  ...declared,
  create: (c, baseLr) => new PlateauSchedule(baseLr, c),
  pytorch: {
    metric: true,
    scheduler: `return torch.optim.lr_scheduler.ReduceLROnPlateau(
    optimizer, mode=s.get('mode', 'min'), factor=s.get('factor', 0.1), patience=s.get('patience', 10),
    threshold=s.get('threshold', 1e-4), cooldown=s.get('cooldown', 0), min_lr=s.get('minLr', 0))`,
  },
  testDomain: {
    torch: "S.ReduceLROnPlateau(optimizer, mode=s['mode'], factor=s['factor'], patience=s['patience'], threshold=s['threshold'], cooldown=s['cooldown'], min_lr=s['minLr'])",
    cases: [
      {
        name: 'min, down to minLr',
        settings: { mode: 'min', factor: 0.5, patience: 2, threshold: 0.01, minLr: 0.004 },
        metrics: [1.0, 0.9, 0.85, 0.849, 0.86, 0.848, 0.9, 0.7, 0.69, 0.695, 0.7, 0.71, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.49999, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3],
      },
      { name: 'defaults, a flat loss', settings: {}, metrics: Array.from({ length: 30 }, () => 1) },
      {
        name: 'max, with cooldown',
        settings: { mode: 'max', factor: 0.3, patience: 1, cooldown: 2 },
        metrics: [0.1, 0.3, 0.5, 0.5, 0.5, 0.52, 0.6, 0.6, 0.6, 0.6, 0.6, 0.61, 0.7, 0.7, 0.7, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
      },
    ],
  },
});

/**
 * PyTorch ReduceLROnPlateau (1.13, `threshold_mode='rel'`): when the metric has not improved on
 * the best seen by more than `threshold` (relative) for more than `patience` steps, multiply the
 * rate by `factor`, not going below `minLr`. Defaults: mode min, factor 0.1, patience 10,
 * threshold 1e-4, cooldown 0, minLr 0.
 */
export class PlateauSchedule implements Schedule {
  readonly kind = declared.kind;
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
    check(this.kind, 'factor', this.factor, this.factor > 0 && this.factor < 1, 'in (0, 1)');
    check(this.kind, 'patience', this.patience, Number.isInteger(this.patience) && this.patience >= 0, 'an integer ≥ 0');
    check(this.kind, 'threshold', this.threshold, this.threshold >= 0, '≥ 0');
    check(this.kind, 'cooldown', this.cooldown, Number.isInteger(this.cooldown) && this.cooldown >= 0, 'an integer ≥ 0');
    check(this.kind, 'minLr', this.minLr, this.minLr >= 0, '≥ 0');
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
