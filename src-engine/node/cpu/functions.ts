import { MAX_TASKS } from './pool';

/** Most tasks a GEMM is cut into. */
export const MAX_TASKS_GEMM = 16;

/** Elements below which a memory-bound kernel runs on the calling thread alone. */
export const MIN_ELEMENTS_PER_THREAD = 1 << 15;

/**
 * How many tasks to cut a kernel over `elements` values (at most `units` pieces) into: one on a
 * single thread; otherwise up to 4 per thread, so that a thread the OS deschedules only delays
 * its share (the others claim the rest), but none smaller than MIN_ELEMENTS_PER_THREAD / `cost`.
 * `cost`: work per element relative to a memory-bound pass (e.g. ~8 for a sigmoid's polynomial
 * e^x, ~16 for Adam's square root and two divisions), so compute-bound kernels split sooner.
 */
export function partsFor(elements: number, threads: number, units = Infinity, cost = 1): number {
  if (threads <= 1) return 1;
  return Math.max(1, Math.min(4 * threads, MAX_TASKS, units, Math.floor((elements * cost) / MIN_ELEMENTS_PER_THREAD)));
}

/** Per-thread value kinds (WorkerPool.setThreadValues): a task argument marked in its mask is replaced by the running thread's value. */
export const KIND = {
  /** GEMM packing scratch. */
  gemmScratch: 0,
  /** Free for an override's per-thread scratch pointers (set before each run). */
  a: 1,
  b: 2,
} as const;
