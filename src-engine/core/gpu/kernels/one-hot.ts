/// <reference types="@webgpu/types" />
/**
 * OneHot on the GPU, as `core/ops/one-hot.ts`: one invocation per output element `(row, k)`
 * writes 1 where the row's index — the input value truncated toward zero, an index in
 * [−C, −1] counting from the end — is k, else 0. An index out of range (or NaN) writes `[−C, index]`
 * to the step's status (`ID_STATUS`) and the executor fails the step with E_ID_RANGE, as the op
 * file refuses it (#83). The conversion to i32 saturates in WGSL, so a huge value is out of range.
 * No backward: an index has no gradient.
 */
import { intAttr } from '../../ops/shape-util';
import { bindDispatch, grid1d, kernel1d, words } from './dispatch';
import { ID_STATUS } from './sequence';
import type { GpuOpKernel } from './types';

const PARAMS = `struct Params { c: u32, xOff: u32, yOff: u32, rowStride: u32, total: u32, sOff: u32, _b: u32, _c: u32, }`;

// The first value of each row checks its index.
const FORWARD = `${kernel1d(PARAMS, [['X', 'read'], ['Y', 'read_write'], ['STATUS', 'read_write']], `  let c = i32(P.c);
  let v = X[P.xOff + i / P.c];
  if (i % P.c == 0u) { idStatus(v, P.c); }
  var k = i32(trunc(v));
  if (k < 0) { k = k + c; }
  Y[P.yOff + i] = select(0.0, 1.0, k == i32(i % P.c));
`)}
${ID_STATUS}`;

export const oneHotKernel: GpuOpKernel = {
  prepare({ ctx, attrs, inputs, output, status }) {
    const c = intAttr(attrs, 'numClasses');
    const g = grid1d(ctx, output.length);
    const x = inputs[0];
    return { forward: [bindDispatch(ctx, 'onehot:fwd', () => FORWARD, [x.buffer, output.buffer, status.buffer], words([c, x.offset, output.offset, g.rowStride, output.length, status.offset, 0, 0]), g.workgroups)], backward: [] };
  },
};
