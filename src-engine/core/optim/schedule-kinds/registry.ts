import type { ScheduleKind } from '../../../catalog/schedules/registry';
import { constant } from './constant';
import { step } from './step';
import { exponential } from './exponential';
import { cosine } from './cosine';
import { warmupCosine } from './warmup-cosine';
import { onecycle } from './onecycle';
import { plateau } from './plateau';

/** What each declared learning-rate schedule (catalog/schedules/) computes, one line each. */
export const SCHEDULE_DEFS = [constant, step, exponential, cosine, warmupCosine, onecycle, plateau] as const;

// A kind declared in the catalog without its definition here fails to compile, naming the kind.
type Undefined = Exclude<ScheduleKind, (typeof SCHEDULE_DEFS)[number]['kind']>;
export const EVERY_SCHEDULE_DEFINED: [Undefined] extends [never] ? true : Undefined = true;
