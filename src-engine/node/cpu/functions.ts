import { MAX_TASKS } from './pool';

/** Kernel exports the thread pool can run, as `module.export`; tasks name them by index (FN). */
export const FN_NAMES = [
  'gemm.gemm',
  'conv.im2col',
  'conv.col2im',
  'conv.conv2dForward',
  'conv.conv2dBackward',
  'elementwise.reluForward',
  'elementwise.reluBackward',
  'elementwise.maxPoolForward',
  'elementwise.maxPoolBackward',
  'elementwise.bnForward',
  'elementwise.bnBackward',
  'optim.adamUpdate',
  'elementwise.sigmoidForward',
  'elementwise.fillZero',
  'elementwise.sumSquaredDiff',
  'elementwise.scaledDiffBackward',
  'elementwise.fillRows',
  'elementwise.colSums',
  'elementwise.sigmoidBackward',
  'winograd.winogradWeights',
  'winograd.winogradConv',
  'winograd.winogradScratchBytes',
  'elementwise.dropoutForward',
  'elementwise.accumulate',
  'winograd.winogradWeightGrad',
  'winograd.winogradWeightGradFinish',
  'activations.unaryForward',
  'activations.unaryBackward',
  'activations.softmaxRows',
  'activations.softmaxBackwardRows',
  'activations.crossEntropyBackwardRows',
  'elementwise.layerNormForward',
  'elementwise.layerNormBackward',
] as const;

export const FN = {
  gemm: 0,
  im2col: 1,
  col2im: 2,
  conv2dForward: 3,
  conv2dBackward: 4,
  reluForward: 5,
  reluBackward: 6,
  maxPoolForward: 7,
  maxPoolBackward: 8,
  bnForward: 9,
  bnBackward: 10,
  adamUpdate: 11,
  sigmoidForward: 12,
  fillZero: 13,
  sumSquaredDiff: 14,
  scaledDiffBackward: 15,
  fillRows: 16,
  colSums: 17,
  sigmoidBackward: 18,
  winogradWeights: 19,
  winogradConv: 20,
  winogradScratchBytes: 21,
  dropoutForward: 22,
  accumulate: 23,
  winogradWeightGrad: 24,
  winogradWeightGradFinish: 25,
  unaryForward: 26,
  unaryBackward: 27,
  softmaxRows: 28,
  softmaxBackwardRows: 29,
  crossEntropyBackwardRows: 30,
  layerNormForward: 31,
  layerNormBackward: 32,
} as const;

/** Most tasks a GEMM is cut into. */
export const MAX_TASKS_GEMM = 16;

/** Elements below which a memory-bound kernel runs on the calling thread alone. */
export const MIN_ELEMENTS_PER_THREAD = 1 << 15;

/** Split [0, n) into `parts` contiguous ranges, boundaries rounded down to multiples of `align`. */
export function ranges(n: number, parts: number, align = 1): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  for (let t = 0; t < parts; t++) {
    const end = t === parts - 1 ? n : Math.floor(((t + 1) * n) / parts / align) * align;
    out.push([start, Math.max(start, end)]);
    start = Math.max(start, end);
  }
  return out;
}

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

/** A mask marking argument positions `indices` as per-thread kinds. */
export function maskOf(...indices: number[]): number {
  let m = 0;
  for (const i of indices) m |= 1 << i;
  return m;
}
