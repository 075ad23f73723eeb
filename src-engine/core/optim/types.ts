import type { Tensor } from '../../base/tensor';
import type { ErrorCode } from '../../base/errors';

/**
 * One trainable tensor as the optimizer sees it. The executor's `CompiledGraph.params` entries
 * fit this shape as they are.
 */
export interface OptimParam {
  /** The node that owns the parameter; with `name` it keys the optimizer state in checkpoints. */
  nodeId?: string;
  name?: string;
  value: Tensor;
  grad: Tensor;
  /**
   * Whether weight decay applies to this parameter (weights yes; biases and norm scales no).
   *
   * NOTE: PyTorch decays every parameter given to the optimizer unless the user builds param
   * groups; Netwright follows the common practice of exempting biases and norm parameters, per
   * the op's ParamSpec. Set `decay: true` on every parameter to reproduce PyTorch's default.
   */
  decay: boolean;
}

/**
 * An optimizer's resumable state, as plain data (structured-clone friendly). Buffers are copies,
 * so a saved state does not change when training goes on.
 */
export interface OptimizerState {
  kind: string;
  lr: number;
  /** Steps taken so far. */
  step: number;
  /** Per-parameter buffers, keyed by `paramKey` then by buffer name (e.g. `expAvg`). */
  slots: Record<string, Record<string, Float32Array | readonly number[]>>;
}

/**
 * Updates parameters in place from their gradients.
 *
 * @example
 * ```ts
 * const opt = createOptimizer(graph.training.optimizer, compiled.params);
 * for (const batch of batches) { compiled.trainStep(batch); opt.step(schedule.lr); }
 * ```
 */
export interface Optimizer {
  readonly kind: string;
  /** Learning rate used by the next `step()`. */
  lr: number;
  /** Steps taken so far. */
  readonly stepCount: number;
  /** Apply one update from the current gradients; `lr`, when given, replaces `this.lr` first. */
  step(lr?: number): void;
  /** Zero every gradient (the executor also zeroes them before each backward pass). */
  zeroGrad(): void;
  /**
   * The state, for checkpoints: a copy, or with `view` the optimizer's own buffers (no allocation;
   * valid until the next step — for writing out at once, or copying into a kept checkpoint).
   */
  state(view?: boolean): OptimizerState;
  /** Restore a state saved by `state()` from an optimizer of the same kind over the same parameters. */
  loadState(state: OptimizerState): void;
}

/** Key of a parameter in saved optimizer state: `nodeId.name`, or `#index` when unnamed. */
export function paramKey(p: Pick<OptimParam, 'nodeId' | 'name'>, index: number): string {
  return p.nodeId !== undefined && p.name !== undefined ? `${p.nodeId}.${p.name}` : `#${index}`;
}

/** An Error with a stable `code`, prefixed to the message as elsewhere in the engine. */
export function optimError(code: ErrorCode, message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}
