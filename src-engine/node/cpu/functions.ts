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
} as const;

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

/** How many threads a memory-bound kernel over `elements` values should use. */
export function partsFor(elements: number, threads: number, units = Infinity): number {
  return Math.max(1, Math.min(threads, units, Math.floor(elements / MIN_ELEMENTS_PER_THREAD)));
}
