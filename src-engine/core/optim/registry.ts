import type { AnyOptimizerDefinition } from './optimizer-def';
import { OPTIMIZER_DEFS } from './optimizer-kinds';
import { optimError } from './types';
import { unknownOptimizerMessage } from '../../catalog/optimizers/registry';

/** What each optimizer computes (`optimizer-kinds.ts`), in the order the app lists them. */
const DEFINED: readonly AnyOptimizerDefinition[] = OPTIMIZER_DEFS;

/** The definition of optimizer `kind`. @throws `OPTIM_UNKNOWN` for a kind no file declares. */
export function optimizerDefinition(kind: string): AnyOptimizerDefinition {
  const def = DEFINED.find((o) => o.kind === kind);
  if (!def) throw optimError('OPTIM_UNKNOWN', unknownOptimizerMessage(kind));
  return def;
}

