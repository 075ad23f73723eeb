import { constant } from './constant';
import { step } from './step';
import { exponential } from './exponential';
import { cosine } from './cosine';
import { warmupCosine } from './warmup-cosine';
import { onecycle } from './onecycle';
import { plateau } from './plateau';

/** The learning-rate schedules, one line each, in the order the app lists them. */
export const SCHEDULE_DEFS = [constant, step, exponential, cosine, warmupCosine, onecycle, plateau] as const;
