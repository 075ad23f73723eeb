import type { ScheduleConfig } from '../../base/ir/types';
import { DEFAULT_SCHEDULE, unknownScheduleMessage } from '../../catalog/schedules/registry';
import type { Schedule } from './schedule-base';
import type { AnyScheduleDefinition } from './schedule-def';
import { SCHEDULE_DEFS } from './schedule-kinds/registry';
import { optimError } from './types';

export type { Schedule, ScheduleState } from './schedule-base';

/** The declaration of schedule `kind`. @throws `SCHEDULE_UNKNOWN` for a kind no file declares. */
export function scheduleDefinition(kind: string): AnyScheduleDefinition {
  const def = (SCHEDULE_DEFS as readonly AnyScheduleDefinition[]).find((d) => d.kind === kind);
  if (!def) throw optimError('SCHEDULE_UNKNOWN', unknownScheduleMessage(kind));
  return def;
}

/** Whether `schedule` steps per optimizer step (else per epoch) when `scheduleUnit` is not set. */
export function stepsPerBatchByDefault(schedule: ScheduleConfig | undefined): boolean {
  return schedule !== undefined && scheduleDefinition(schedule.kind).perStep === true;
}

/**
 * Build the schedule a training config names. `baseLr` is the optimizer's configured rate
 * (ignored by one-cycle, which is driven by its own `maxLr`, as PyTorch's OneCycleLR is).
 * No config means the default schedule (a constant rate).
 *
 * @throws Error with code `SCHEDULE_BAD_CONFIG` for settings that cannot work (e.g. `tMax` ≤ 0),
 *   `SCHEDULE_UNKNOWN` for an unknown kind.
 */
export function createSchedule(config: ScheduleConfig | undefined, baseLr: number): Schedule {
  const c: ScheduleConfig = config ?? DEFAULT_SCHEDULE;
  return scheduleDefinition(String(c.kind)).create(c as never, baseLr);
}
