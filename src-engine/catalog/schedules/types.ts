import type { SettingKind, SettingParams } from '../settings';

/** A learning-rate schedule's declaration: its settings (see `declareSchedule`). */
export interface ScheduleDeclaration<K extends string = string, P extends SettingParams = SettingParams> extends SettingKind<K, P> {
  /** Steps per optimizer step unless `training.scheduleUnit` says otherwise (else per epoch). */
  perStep?: boolean;
}

/**
 * Declare a learning-rate schedule's settings, as `declareOptimizer` does an optimizer's. Written in
 * the schedule's one file (core/optim/schedule-kinds/<kind>.ts, beside how it steps and its PyTorch
 * text: `defineSchedule`) and printed into ./generated.ts, which the IR's `ScheduleConfig`, its zod
 * schema and the Train dock read.
 */
export function declareSchedule<const K extends string, const P extends SettingParams>(d: ScheduleDeclaration<K, P>): ScheduleDeclaration<K, P> {
  return d;
}
