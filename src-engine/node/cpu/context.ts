import type { GemmArgs } from '../../core/backend/types';
import type { SharedHeap } from './heap';
import type { Kernel, KernelName, KernelPlan, ParamName } from './kernel';

/** What op overrides need from the CPU backend: the heap, the pool and scratch. */
export interface CpuContext {
  readonly heap: SharedHeap;
  /** Threads sharing work, the caller included. */
  readonly threads: number;
  /**
   * Byte address of `array`'s first `length` floats in the heap: the view itself when it is a heap
   * view, else a staged copy (`copyIn`: copied in now; `out`: copied back by `unstage`).
   * @throws CPU006 when the array is shorter than `length`.
   */
  addressOf(array: Float32Array, length: number, what: string, copyIn: boolean, out: boolean): number;
  /** Copy staged outputs back and release the staging area. Call in `finally` after `addressOf`. */
  unstage(): void;
  /** One scratch block of at least `bytes` per thread (byte addresses; index = thread). */
  threadScratch(bytes: number): readonly number[];
  /** One shared scratch block of at least `bytes` (e.g. per-task partial sums). */
  sharedScratch(bytes: number): number;
  /** Set per-thread values of a kind (see KIND) for the next `run`. */
  setThreadValues(kind: number, values: readonly number[]): void;
  /**
   * Kernel `name` (a `.wat` export; generated/kernel-table.ts lists them with their parameters),
   * to call by named arguments. Create it once, with the override, and call it every step.
   *
   * @example
   * ```ts
   * const sums = cpu.kernel('colSums', { range: ['j0', 'j1'], align: 4 });
   * sums.run({ dy, xh: 0, rows, cols, db, ddot: 0, j0: 0, j1: cols }, parts);
   * ```
   */
  kernel<K extends KernelName, T extends ParamName<K> = never>(name: K, plan?: KernelPlan<K, T>): Kernel<K, T>;
  /**
   * Independent GEMMs (no one's output is another's operand) in one parallel round, with the
   * results of `backend.gemm` on each in turn (e.g. a layer's input and weight gradients).
   * `beside`: the calling thread's own work meanwhile, independent of the GEMMs (reads nothing
   * they write, writes nothing they touch; kernels called on the calling thread only), e.g. the
   * layer's bias column sums (see `WorkerPool.run`).
   */
  gemmMany(list: readonly GemmArgs[], beside?: () => void): void;
  /**
   * C = op(A)·op(B) with `bias` (n floats) added to every row (`args.accumulate` false): the same
   * bits as C's rows filled with the bias and `backend.gemm` accumulating onto them, without
   * writing C before the product and reading it back (gemm.wat's $gemmBias).
   */
  gemmBias(args: GemmArgs, bias: Float32Array): void;
}
