import type { ScheduleConfig } from '../../base/ir/types';
import type { ScheduleDeclaration } from '../../catalog/schedules/types';
import type { Schedule } from './schedule-base';

/** The settings of the schedule `K`, as a training config holds them. */
export type ScheduleSettings<K extends ScheduleConfig['kind']> = Extract<ScheduleConfig, { kind: K }>;

/**
 * One learning-rate schedule, declared once (one file per schedule in `schedule-kinds/`, one line
 * in their registry): its declaration (settings, spread in from its `declareSchedule`, which
 * catalog-gen.ts prints into the catalog), how the engine's loop steps it, and how the exported
 * train.py reproduces it.
 * Shaped like `defineOp`.
 */
export interface ScheduleDefinition<K extends ScheduleConfig['kind'] = ScheduleConfig['kind']> extends ScheduleDeclaration<K> {
  /** The schedule over `baseLr` (the optimizer's rate). @throws `SCHEDULE_BAD_CONFIG` for settings that cannot work. */
  create(settings: ScheduleSettings<K>, baseLr: number): Schedule;
  /**
   * The same rule in train.py: `lrAt`, the body of `def lr_at(t, base)` with `s` the settings (a
   * closed form, stepped by a `LambdaLR`), or `scheduler`, the body of `def make_schedule(optimizer)`
   * returning a PyTorch scheduler that `step(metric)` drives (`metric: true`).
   */
  pytorch: { lrAt: string } | { scheduler: string; metric: true };
  /**
   * What the tests compare it with, declared beside its maths (test/unit/engine/schedules-torch.test.ts
   * reads it; optional only so that a new file compiles: that test names a schedule without one).
   */
  testDomain?: ScheduleTestDomain<K>;
}

/**
 * A schedule's test domain: its counterpart in PyTorch and the settings to compare at. For every
 * case, the rates before each of the first `steps` optimizer steps — the engine's (`step()`, and
 * `lrAt` where it has one), PyTorch's counterpart's and the exported train.py's (`pytorch`) — must agree.
 *
 * @example
 * testDomain: { torch: "S.StepLR(optimizer, step_size=s['stepSize'], gamma=s['gamma'])", cases: [{ settings: { stepSize: 7, gamma: 0.5 } }] }
 */
export interface ScheduleTestDomain<K extends ScheduleConfig['kind'] = ScheduleConfig['kind']> {
  /**
   * The same schedule in `torch.optim.lr_scheduler`: a Python expression over `optimizer`, `s` (the
   * case's settings, a dict with every key it gives) and `S` (`torch.optim.lr_scheduler`); or
   * `{ none: why }` where PyTorch has none (its cases are then compared with train.py's rule alone).
   */
  torch: string | { none: string };
  /**
   * The settings compared (together they must set every declared setting away from its default once).
   * `baseLr` defaults to 0.1, `steps` to 30; `metrics` (one per step) feed a schedule that watches one.
   */
  cases: readonly { name: string; settings: Omit<ScheduleSettings<K>, 'kind'>; baseLr?: number; steps?: number; metrics?: readonly number[] }[];
}

/** Declare a schedule (identity, for the types). */
export function defineSchedule<K extends ScheduleConfig['kind']>(def: ScheduleDefinition<K>): ScheduleDefinition<K> {
  return def;
}

/** Any one schedule's declaration (what the registry lists). */
export type AnyScheduleDefinition = { [K in ScheduleConfig['kind']]: ScheduleDefinition<K> }[ScheduleConfig['kind']];
