import { refitSetting, type SettingsOf } from '../settings';
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

/** A training config as a schedule's fit reads it. */
interface ScheduledRun {
  schedule?: ScheduleConfig;
  /** Per epoch or per batch (the IR's `scheduleUnit`); unset: the schedule's own (`perStep`). */
  scheduleUnit?: string;
  epochs: number;
  optimizer: { lr: number };
}

/**
 * The schedule of `after`, a run edited from `before`: where only its epochs or its rate changed,
 * the schedule's parameters fitted to them follow (`refitSetting`: a cosine spans the run's epochs
 * still, one-cycle peaks at 10× the new rate), in the unit the schedule steps in. A schedule edited
 * itself in that same change is kept as written.
 */
export function refitSchedule(before: ScheduledRun, after: ScheduledRun): ScheduleConfig | undefined {
  const s = after.schedule;
  if (!s || JSON.stringify(before.schedule) !== JSON.stringify(s) || before.scheduleUnit !== after.scheduleUnit) return s;
  const inSteps = after.scheduleUnit ? after.scheduleUnit !== 'epoch' : SCHEDULES.find((d) => d.kind === s.kind)?.perStep === true;
  const context = (r: ScheduledRun) => ({ epochs: r.epochs, lr: r.optimizer.lr });
  return refitSetting(SCHEDULES, s, context(before), context(after), inSteps);
}
