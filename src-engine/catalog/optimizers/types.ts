import type { SettingKind, SettingParams } from '../settings';

/** An optimizer's declaration: its settings (see `declareOptimizer`). */
export interface OptimizerDeclaration<K extends string = string, P extends SettingParams = SettingParams> extends SettingKind<K, P> {
  /** A rate known to train the usual small networks: the ceiling of what a divergence hint suggests. */
  knownGoodLr: number;
  /**
   * The buffers it keeps per parameter, each the parameter's size, by the name its saved state
   * gives them; `when` names a setting that must be on (true, or not 0) for the buffer to be kept.
   * Data, so the memory estimate reads it without the updates (`stateSlots`).
   */
  state: readonly OptimizerStateSlot[];
}

/** One buffer an optimizer keeps per parameter (see `OptimizerDeclaration.state`). */
export interface OptimizerStateSlot {
  name: string;
  when?: string;
}

/** The names of the buffers an optimizer declared as `d` keeps with `settings`, in order. */
export function stateSlots(d: Pick<OptimizerDeclaration, 'state'>, settings: object): string[] {
  const on = (when: string) => Boolean((settings as Record<string, unknown>)[when]);
  return d.state.filter((s) => s.when === undefined || on(s.when)).map((s) => s.name);
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
