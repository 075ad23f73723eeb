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
}

/** Declare a schedule (identity, for the types). */
export function defineSchedule<K extends ScheduleConfig['kind']>(def: ScheduleDefinition<K>): ScheduleDefinition<K> {
  return def;
}

/** Any one schedule's declaration (what the registry lists). */
export type AnyScheduleDefinition = { [K in ScheduleConfig['kind']]: ScheduleDefinition<K> }[ScheduleConfig['kind']];
