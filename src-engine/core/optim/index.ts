import type { Backend } from '../backend/types';
import type { OptimizerConfig } from '../../base/ir/types';
import type { OptimParam, Optimizer } from './types';
import { optimizerDefinition } from './registry';

export type { OptimParam, Optimizer, OptimizerState } from './types';
export { paramKey } from './types';
export { clipGradNorm, clipGradValue } from './clip';
export { createSchedule, scheduleDefinition, stepsPerBatchByDefault, type Schedule, type ScheduleState } from './schedules';
export { defineSchedule, type AnyScheduleDefinition, type ScheduleDefinition } from './schedule-def';
export { optimizerDefinition } from './registry';
export { OPTIMIZER_DEFS } from './optimizer-kinds';
export { SCHEDULE_DEFS } from './schedule-kinds/registry';
export { defineOptimizer, type AnyOptimizerDefinition, type OptimizerDefinition } from './optimizer-def';
export { EarlyStopping, isImprovement, type EarlyStoppingState, type EarlyStoppingUpdate } from './early-stopping';

/**
 * Build the optimizer a training config names, over the graph's parameters. Buffers (momentum,
 * Adam moments) are allocated here, once; `step()` allocates nothing.
 *
 * Defaults are PyTorch's: SGD momentum 0; Adam β=(0.9, 0.999), ε=1e-8, weight decay 0;
 * AdamW the same with weight decay 0.01; RMSprop α=0.99, ε=1e-8.
 * Weight decay applies only to parameters with `decay: true` (see `OptimParam.decay`).
 *
 * @example
 * ```ts
 * const opt = createOptimizer(graph.training.optimizer, compiled.params);
 * opt.step();
 * ```
 * @param backend when given and it has the update's fused kernel (`Backend.fusedUpdate`), the
 *   optimizer runs it and keeps its state in the backend's memory.
 * @throws Error with code `OPTIM_BAD_HYPERPARAM` for an invalid setting, `OPTIM_UNKNOWN` for an unknown kind.
 */
export function createOptimizer(config: OptimizerConfig, params: readonly OptimParam[], backend?: Backend): Optimizer {
  return optimizerDefinition(String((config as { kind: unknown }).kind)).create(params, config as never, backend);
}
