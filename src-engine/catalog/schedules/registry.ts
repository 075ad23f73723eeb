import type { SettingsOf } from '../settings';
import { constant } from './constant';
import { cosine } from './cosine';
import { exponential } from './exponential';
import { onecycle } from './onecycle';
import { plateau } from './plateau';
import { step } from './step';
import type { ScheduleDeclaration } from './types';
import { warmupCosine } from './warmup-cosine';

/**
 * The one table of learning-rate schedules, in the order the app lists them. The IR's
 * `ScheduleConfig`, its zod schema (base/schemas.ts), the Train dock and the engine's
 * implementations (core/optim/schedule-kinds, keyed by these kinds) read it.
 */
const DECLARED = [constant, step, exponential, cosine, warmupCosine, onecycle, plateau] as const;

/** A `training.schedule`: the union of every declared schedule's `{ kind, ...params }`. */
export type ScheduleConfig = SettingsOf<(typeof DECLARED)[number]>;

export type ScheduleKind = ScheduleConfig['kind'];

/** The schedules' declarations, in the order the app lists them. */
export const SCHEDULES: readonly ScheduleDeclaration<ScheduleKind>[] = DECLARED;

/** `SCHEDULE_UNKNOWN`'s message for `kind`. */
export function unknownScheduleMessage(kind: unknown): string {
  return `Unknown learning-rate schedule "${String(kind)}".`;
}

/** The schedule a design without one trains with: the first declared (a constant rate). */
export const DEFAULT_SCHEDULE: ScheduleConfig = { kind: DECLARED[0].kind };
