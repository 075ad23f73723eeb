import type { SharedHeap } from './heap';

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
   * Run kernel `fn` (see FN) once per task, claimed dynamically by the threads (the caller
   * included). `masks[i]` marks task i's arguments that are per-thread kinds.
   */
  run(fn: number, tasks: readonly (readonly number[])[], masks?: readonly number[]): void;
  /** Call kernel `fn` once on the calling thread and return its result. */
  call(fn: number, args: readonly number[]): number;
}
