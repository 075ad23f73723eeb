import type { SettingKind, SettingParams } from '../settings';

/** An optimizer's declaration: its settings (see `declareOptimizer`). */
export interface OptimizerDeclaration<K extends string = string, P extends SettingParams = SettingParams> extends SettingKind<K, P> {
  /** A rate known to train the usual small networks: the ceiling of what a divergence hint suggests. */
  knownGoodLr: number;
}

/**
 * Declare an optimizer's settings, as `defineOp` declares an op's attributes: its kind, a line for
 * the user, its parameters with PyTorch's defaults and ranges (besides `lr`, which every optimizer
 * takes). Written in the optimizer's one file (core/optim/<kind>.ts, beside what it computes:
 * `defineOptimizer`) and printed into ./generated.ts, which the IR's `OptimizerConfig`, its zod
 * schema and the Train dock read.
 */
export function declareOptimizer<const K extends string, const P extends SettingParams>(d: OptimizerDeclaration<K, P>): OptimizerDeclaration<K, P> {
  return d;
}
