/// <reference types="@webgpu/types" />
/**
 * OneHot on the GPU, as `core/ops/one-hot.ts`: one invocation per output element `(row, k)`
 * writes 1 where the row's index — the input value truncated toward zero, an index in
 * [−C, −1] counting from the end — is k, else 0 (so an index out of range gives a row of zeros).
 * The conversion to i32 saturates in WGSL, so a huge value is out of range rather than wrapped.
 * No backward: an index has no gradient.
 */
import { intAttr } from '../../ops/shape-util';
import { bindDispatch, grid1d, kernel1d, words } from './dispatch';
import type { GpuOpKernel } from './types';

const PARAMS = `struct Params { c: u32, xOff: u32, yOff: u32, rowStride: u32, total: u32, _a: u32, _b: u32, _c: u32, }`;

const FORWARD = kernel1d(PARAMS, [['X', 'read'], ['Y', 'read_write']], `  let c = i32(P.c);
  var k = i32(trunc(X[P.xOff + i / P.c]));
  if (k < 0) { k = k + c; }
  Y[P.yOff + i] = select(0.0, 1.0, k == i32(i % P.c));
`);

export const oneHotKernel: GpuOpKernel = {
  prepare({ ctx, attrs, inputs, output }) {
    const c = intAttr(attrs, 'numClasses');
    const g = grid1d(ctx, output.length);
    const x = inputs[0];
    return { forward: [bindDispatch(ctx, 'onehot:fwd', () => FORWARD, [x.buffer, output.buffer], words([c, x.offset, output.offset, g.rowStride, output.length, 0, 0, 0]), g.workgroups)], backward: [] };
  },
};
