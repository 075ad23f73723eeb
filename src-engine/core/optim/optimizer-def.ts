import type { OptimizerConfig } from '../../base/ir/types';
import type { Backend } from '../backend/types';
import type { SettingSpec } from './setting-spec';
import type { OptimParam, Optimizer } from './types';

/** The settings of the optimizer `K`, as a training config holds them. */
export type OptimizerSettings<K extends OptimizerConfig['kind']> = Extract<OptimizerConfig, { kind: K }>;

/**
 * Everything about one optimizer, declared once (one file per optimizer, one line in
 * `optimizer-kinds.ts`): the parameters the Train dock offers, its state slots, its CPU update and
 * how the exported train.py builds it. Shaped like `defineOp`.
 */
export interface OptimizerDefinition<K extends OptimizerConfig['kind'] = OptimizerConfig['kind']> extends SettingSpec<K> {
  /** A rate known to train the usual small networks: the ceiling of what a divergence hint suggests. */
  knownGoodLr: number;
  /** The buffers it keeps per parameter, each the parameter's size, by name (as its saved state names them). */
  slots(settings: OptimizerSettings<K>): string[];
  /** The optimizer over `params`; `backend`, when it has a fused update, may run it. */
  create(params: readonly OptimParam[], settings: OptimizerSettings<K>, backend?: Backend): Optimizer;
  /**
   * The same optimizer in train.py: a Python expression over `groups` (the decayed and the
   * undecayed parameters, each group with its `weight_decay`), `lr` and `o` (the settings).
   */
  pytorch: string;
}

/** Declare an optimizer (identity, for the types). */
export function defineOptimizer<K extends OptimizerConfig['kind']>(def: OptimizerDefinition<K>): OptimizerDefinition<K> {
  return def;
}

/** Any one optimizer's declaration (what the registry lists). */
export type AnyOptimizerDefinition = { [K in OptimizerConfig['kind']]: OptimizerDefinition<K> }[OptimizerConfig['kind']];
