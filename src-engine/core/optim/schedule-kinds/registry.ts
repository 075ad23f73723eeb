import type { ScheduleKind } from '../../../catalog/schedules/registry';
import { constant } from './constant';
import { step } from './step';
import { exponential } from './exponential';
import { cosine } from './cosine';
import { warmupCosine } from './warmup-cosine';
import { onecycle } from './onecycle';
import { plateau } from './plateau';

/**
 * The one table of learning-rate schedules, one line each, in the order the app lists them: each
 * file declares a schedule's settings and how it steps. Their settings are printed into
 * catalog/schedules/generated.ts (`npx tsx src-engine/node/catalog-gen.ts`).
 */
export const SCHEDULE_DEFS = [constant, step, exponential, cosine, warmupCosine, onecycle, plateau] as const;

// A kind in the printed catalog without its file here fails to compile, naming the kind (and a file
// here whose kind the catalog lacks fails at its `defineSchedule`): run catalog-gen.ts.
type Undefined = Exclude<ScheduleKind, (typeof SCHEDULE_DEFS)[number]['kind']>;
export const EVERY_SCHEDULE_DEFINED: [Undefined] extends [never] ? true : Undefined = true;
