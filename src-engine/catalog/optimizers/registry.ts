import type { SettingsOf } from '../settings';
import { DECLARED } from './generated';
import { stateSlots, type OptimizerDeclaration } from './types';

// The optimizers' declarations (`DECLARED`, in the order the app lists them) are printed into
// ./generated.ts from their files: adding an optimizer = one file, core/optim/<kind>.ts (its
// settings and what it computes, `defineOptimizer`), one line in core/optim/optimizer-kinds.ts,
// then `npx tsx src-engine/node/catalog-gen.ts`. The IR's `OptimizerConfig`, its zod schema
// (base/schemas.ts) and the Train dock read them here, without the updates (CPU, WGSL, PyTorch).

type Flat<T> = { [N in keyof T]: T[N] };
type WithLr<S> = S extends unknown ? Flat<S & { lr: number }> : never;

/** A `training.optimizer`: the union of every declared optimizer's `{ kind, lr, ...params }`. */
export type OptimizerConfig = WithLr<SettingsOf<(typeof DECLARED)[number]>>;

export type OptimizerKind = OptimizerConfig['kind'];

/** The optimizers' declarations, in the order the app lists them. */
export const OPTIMIZERS: readonly OptimizerDeclaration<OptimizerKind>[] = DECLARED;

/** `OPTIM_UNKNOWN`'s message for `kind`, with the declared kinds to pick from. */
export function unknownOptimizerMessage(kind: unknown): string {
  return `Unknown optimizer "${String(kind)}"; use ${OPTIMIZERS.map((o) => o.kind).join(', ')}.`;
}

/** The optimizer of a design that has no training settings yet: the first listed (Adam) at its known-good rate. */
export const DEFAULT_OPTIMIZER: OptimizerConfig = { kind: DECLARED[0].kind, lr: DECLARED[0].knownGoodLr };

/**
 * A learning rate to resume with after `lr` diverged: ten times lower, but no higher than the rate
 * known to train with this optimizer (Adam at 1000 gets 0.001, not 100, which diverges too).
 */
export function suggestLr(kind: string, lr: number): number {
  const good = OPTIMIZERS.find((o) => o.kind === kind)?.knownGoodLr ?? 1e-3;
  return Number(Math.min(lr / 10, good).toPrecision(3));
}

/** Buffers the optimizer of `config` keeps per parameter, each the parameter's size (memory estimates). @throws for a kind no file declares. */
export function optimizerSlots(config: { kind: string }): number {
  const d = OPTIMIZERS.find((o) => o.kind === config.kind);
  if (!d) throw new Error(unknownOptimizerMessage(config.kind));
  return stateSlots(d, config).length;
}
