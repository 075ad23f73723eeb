import type { KernelSet } from '../ops/kernel-set';
import type { KernelFusion } from './fusion';
import type { BackendPrimitives } from './primitives';

export type { BackendPrimitives, FusedUpdateItem, Conv2dGeometry, GemmArgs } from './primitives';

/**
 * A backend: its primitives (./primitives.ts), which every op's reference kernels run on, and
 * its kernel set, the faster whole-op kernels it brings (core/ops/kernel-set.ts), keyed by op
 * name. The split keeps the types acyclic: the ops name the primitives, this names the ops.
 */
export interface Backend extends BackendPrimitives {
  /**
   * Faster kernels of whole ops for this backend, keyed by `OpName`. The executor uses one when
   * present and the op file's own (reference) forward/backward otherwise; `opCoverage()` says which.
   */
  readonly overrides?: KernelSet;
  /** Chains of ops this backend runs as one kernel (core/autodiff/fusion.ts), longest first. */
  readonly fusions?: readonly KernelFusion[];
}
