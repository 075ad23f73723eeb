import type { SettingKind, SettingParams } from '../settings';

/** A learning-rate schedule's declaration: its settings (see `declareSchedule`). */
export interface ScheduleDeclaration<K extends string = string, P extends SettingParams = SettingParams> extends SettingKind<K, P> {
  /** Steps per optimizer step unless `training.scheduleUnit` says otherwise (else per epoch). */
  perStep?: boolean;
}

/**
 * Declare a learning-rate schedule's settings, as `declareOptimizer` does an optimizer's. One file
 * each under `catalog/schedules/`, one line in its registry; the IR's `ScheduleConfig`, its zod
 * schema and the Train dock read it. How it steps and its PyTorch text are `defineSchedule` in
 * core/optim/schedule-kinds/<kind>.ts, under the same kind.
 */
export function declareSchedule<const K extends string, const P extends SettingParams>(d: ScheduleDeclaration<K, P>): ScheduleDeclaration<K, P> {
  return d;
}
