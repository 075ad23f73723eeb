/// <reference types="@webgpu/types" />
/**
 * The contract between the GPU executor (`../executor.ts`) and one op's WGSL kernels. Each op
 * that runs on the GPU has one entry in the table of `registry.ts`; the executor builds every
 * dispatch once per compiled graph and batch size through `prepare`, and a step only encodes them.
 */
import type { Attrs } from '../../../base/ir/types';
import type { Rng } from '../../../base/rng';
import type { GpuContext, GpuTensor } from '../context';
import type { GpuDispatch } from '../gemm';

/** What `prepare` gets: the node's tensors on the device, as the op files' contexts on the CPU. */
export interface GpuKernelArgs {
  readonly ctx: GpuContext;
  readonly nodeId: string;
  /** The node's attributes with defaults filled in (analyzeGraph's graph). */
  readonly attrs: Attrs;
  readonly inputShapes: readonly (readonly number[])[];
  readonly outputShape: readonly number[];
  readonly inputs: readonly GpuTensor[];
  readonly output: GpuTensor;
  readonly params: Readonly<Record<string, GpuTensor>>;
  readonly dParams: Readonly<Record<string, GpuTensor>>;
  /**
   * The node's persistent state that is not trained (BatchNorm's running statistics), by the op
   * file's buffer names: shared by every batch size's plan, synced to the host with the parameters.
   */
  readonly buffers: Readonly<Record<string, GpuTensor>>;
  /** dLoss/dOutput, or null when this node's backward does not run. */
  readonly dOutput: GpuTensor | null;
  /** dLoss/dInput per input, null for inputs that need no gradient (backwards add into these). */
  readonly dInputs: readonly (GpuTensor | null)[];
  /** A zeroed device tensor private to this node (allocated once). */
  workspace(name: string, length: number): GpuTensor;
  /**
   * Two floats the executor reads back with the loss: a kernel that finds bad input (a class
   * label out of range) writes `[1, value]` there, and the step fails with the op's coded error.
   */
  readonly status: GpuTensor;
  /**
   * The host mirror's stream that training forwards draw from (Dropout's keys): the CPU
   * executor's, so a kernel that draws what the op file draws, in `beforeForward`, keeps the two
   * backends in step.
   */
  readonly rng: Rng;
}

/** The dispatches of one node, in the order they run. */
export interface GpuNodeDispatches {
  forward: GpuDispatch[];
  /**
   * The forward in eval mode, where it differs from the training forward (BatchNorm normalises
   * with its running statistics and leaves them alone). Absent: `forward` runs in both modes.
   */
  evalForward?: GpuDispatch[];
  /**
   * The backward of a training step (the GPU has no eval-mode backward: `trainStep` always
   * trains). Empty when `dOutput` is null. They add into `dInputs`/`dParams`, as the op files'
   * backwards do.
   */
  backward: GpuDispatch[];
  /**
   * Called before each forward (training or eval) is encoded, in node order: a kernel whose
   * uniforms change per step (Dropout's key) rewrites them here, drawing from `rng` exactly what
   * the op file's forward draws in that mode.
   */
  beforeForward?(training: boolean): void;
}

/** One op's GPU kernels. */
export interface GpuOpKernel {
  prepare(args: GpuKernelArgs): GpuNodeDispatches;
  /**
   * Why this node cannot run on the GPU (an attribute value the kernel does not handle), or null.
   * The executor refuses such a graph with E_GPU_NO_KERNEL instead of running it differently.
   */
  unsupported?(attrs: Attrs): string | null;
}
