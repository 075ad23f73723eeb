import type { OpBackwardContext, OpForwardContext } from './types';
import { isOpName, type OpName } from './registry';

/** A backend's faster kernel of one op: its forward and/or backward in place of the op file's own. */
export interface OpKernelOverride {
  forward?(ctx: OpForwardContext): void;
  backward?(ctx: OpBackwardContext): void;
  /** This override's backward honours `OpBackwardContext.dInputsFresh` (see OpDef). */
  assignsFreshGradients?: boolean;
}

/** A backend's kernel set: per op (by registered name, so a misspelt or removed op is a type error), its faster kernel. */
export type KernelSet = Readonly<Partial<Record<OpName, OpKernelOverride>>>;

/** One step of a fused chain as the executor runs it: its op's context, `training` set before each call. */
export type FusedStepContext = OpBackwardContext & { training: boolean };

/**
 * A backend's kernel for a chain of ops run as one (the executor fuses them, core/autodiff/fusion.ts):
 * each op of `ops` is the sole consumer of the one before it, which feeds it alone. Fusing saves
 * the passes over memory between them (a BatchNorm → ReLU → MaxPool2d stores only the pooled
 * output, not the two full-size ones in between).
 */
export interface FusionRule {
  readonly ops: readonly OpName[];
  /** The chain's kernel for these steps (their shapes and attrs), or null where it does not apply. */
  build(steps: readonly FusedStepContext[]): FusedKernel | null;
}

/**
 * What a fused chain runs. Together, `forward` then `backward` write what the ops' own would,
 * except the interior outputs and gradients (those of every op but the last, and of every input
 * but the first op's), which the `materialize*` calls write on demand, exactly as the ops would
 * have: the executor calls them when something reads one (a probe's histogram).
 */
export interface FusedKernel {
  /** Every op's forward: the last op's output, every op's workspace, buffers (running statistics). */
  forward(): void;
  /** Every op's backward: the first op's input gradient (honouring its `dInputsFresh`), every parameter gradient. */
  backward(): void;
  /** Write the interior outputs from what `forward` kept. */
  materializeOutputs(): void;
  /** Write the interior gradients (after `materializeOutputs`) from what `backward` read. */
  materializeGrads(): void;
}

/** `op`'s kernel in `set`, for a name held as a string (a node's `op`): none for a name the registry lacks. */
export function kernelFor(set: KernelSet | undefined, op: string): OpKernelOverride | undefined {
  return set && isOpName(op) ? set[op] : undefined;
}
