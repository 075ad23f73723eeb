import type { SharedHeap } from './heap';

/** What op overrides need from the CPU backend: the heap, the pool and per-thread scratch. */
export interface CpuContext {
  readonly heap: SharedHeap;
  /** Threads sharing work, the caller included. */
  readonly threads: number;
  /** Per-thread GEMM packing scratch (byte addresses); the caller uses the last. */
  readonly gemmScratch: readonly number[];
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
  /** Run kernel `fn` (see FN) once per task, in parallel; the last task runs on the caller. */
  run(fn: number, tasks: readonly (readonly number[])[]): void;
}
