import type { OpBackwardContext } from '../ops/types';
import type { OpName } from '../ops/registry';

/**
 * One step of a fused chain as the executor runs it: its op's context, `training` set before each
 * call; `statsFrozen`: a node whose running statistics are frozen (a frozen BatchNorm), so that it
 * runs in eval mode at every call, training steps included.
 */
export type FusedStepContext = OpBackwardContext & { training: boolean; readonly statsFrozen: boolean };

/**
 * A backend's kernel for a chain of ops run as one (the executor fuses them, core/autodiff/fusion.ts):
 * each op of `ops` is the sole consumer of the one before it, which feeds it alone. Fusing saves
 * the passes over memory between them (a BatchNorm → ReLU → MaxPool2d stores only the pooled
 * output, not the two full-size ones in between).
 */
export interface KernelFusion {
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
  /**
   * `materializeOutputs` reads the chain's inputs (those of its first op) again: the executor keeps
   * them where it keeps the interior outputs asked for (a Conv2d → BatchNorm chain computes the
   * convolution again; a BatchNorm chain's x̂ suffices).
   */
  readonly rereadsInputs?: boolean;
  /** Write the interior gradients (after `materializeOutputs`) from what `backward` read. */
  materializeGrads(): void;
}
