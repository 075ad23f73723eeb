import type { CompiledGraph } from '../../core/autodiff/executor';
import type { TrainableGraph } from '../../core/train';

/**
 * The plans a session's loop runs: the executor's (`CompiledGraph`, which the probes read), with
 * a `device` when they run on one (the GPU's). Its hooks see the loop and each step's plan as these.
 */
export type SessionPlan = CompiledGraph & Pick<TrainableGraph, 'device'>;
