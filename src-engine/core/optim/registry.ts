import type { OptimizerConfig } from '../../base/ir/types';
import type { AnyOptimizerDefinition } from './optimizer-def';
import { OPTIMIZER_DEFS } from './optimizer-kinds';
import { optimError } from './types';
import { unknownOptimizerMessage } from '../../catalog/optimizers/registry';

/** What each optimizer computes (`optimizer-kinds.ts`), in the order the app lists them. */
const DEFINED: readonly AnyOptimizerDefinition[] = OPTIMIZER_DEFS;

/** Buffers the optimizer of `config` keeps per parameter, each the parameter's size (memory estimates). */
export function optimizerSlots(config: OptimizerConfig): number {
  return optimizerDefinition(config.kind).slots(config as never).length;
}

/** The definition of optimizer `kind`. @throws `OPTIM_UNKNOWN` for a kind no file declares. */
export function optimizerDefinition(kind: string): AnyOptimizerDefinition {
  const def = DEFINED.find((o) => o.kind === kind);
  if (!def) throw optimError('OPTIM_UNKNOWN', unknownOptimizerMessage(kind));
  return def;
}

