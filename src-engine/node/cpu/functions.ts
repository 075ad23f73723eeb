/** Kernel exports the thread pool can run, as `module.export`; tasks name them by index (FN). */
export const FN_NAMES = ['gemm.gemm', 'conv.im2col', 'conv.col2im', 'conv.conv2dForward', 'conv.conv2dBackward'] as const;

export const FN = {
  gemm: 0,
  im2col: 1,
  col2im: 2,
  conv2dForward: 3,
  conv2dBackward: 4,
} as const;
