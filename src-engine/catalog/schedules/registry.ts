import type { SettingsOf } from '../settings';
import { DECLARED } from './generated';
import type { ScheduleDeclaration } from './types';

// The learning-rate schedules' declarations (`DECLARED`, in the order the app lists them) are
// printed into ./generated.ts from their files: adding a schedule = one file,
// core/optim/schedule-kinds/<kind>.ts (its settings and how it steps, `defineSchedule`), one line
// in that folder's registry.ts, then `npx tsx src-engine/node/catalog-gen.ts`. The IR's
// `ScheduleConfig`, its zod schema (base/schemas.ts) and the Train dock read them here.

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
