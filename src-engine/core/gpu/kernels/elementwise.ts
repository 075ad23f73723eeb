/// <reference types="@webgpu/types" />
/**
 * Concat on the GPU, as `core/ops/concat.ts`, built from one strided block copy
 * (`DST[o·dstRow + dstOff + j] (+)= SRC[o·srcRow + srcOff + j]`, one invocation per copied value;
 * `binary.ts` copies a one-input Add with it):
 * - Concat (`torch.cat(dim=axis)`, any per-sample axis, negative counting from the end, any number
 *   of inputs): per input, its blocks of `size[axis]·inner` values land in every output row at
 *   the input's offset along the axis; backward adds the same blocks of dy back into each input's
 *   gradient.
 *
 * NOTE: the arithmetic is the op file's own (copies and `+=`), so it matches the CPU exactly (NaN
 * included).
 */
import { intAttr } from '../../ops/shape-util';
import type { GpuContext, GpuTensor } from '../context';
import type { GpuDispatch } from '../gemm';
import { WORKGROUP, bindDispatch, grid1d, words } from './dispatch';
import type { GpuOpKernel } from './types';

function blockShader(accumulate: boolean): string {
  return `struct Params { n: u32, len: u32, srcRow: u32, srcOff: u32, dstRow: u32, dstOff: u32, rowStride: u32, _a: u32, }
@group(0) @binding(0) var<storage, read> SRC: array<f32>;
@group(0) @binding(1) var<storage, read_write> DST: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  let o = i / P.len;
  let j = i % P.len;
  let d = P.dstOff + o * P.dstRow + j;
  DST[d] = ${accumulate ? 'DST[d] + ' : ''}SRC[P.srcOff + o * P.srcRow + j];
}
`;
}

/** Where a block copy reads and writes: `rows` rows of `len` values, each row `srcRow`/`dstRow` apart. */
export interface Blocks {
  rows: number;
  len: number;
  src: GpuTensor;
  srcRow: number;
  srcAt: number;
  dst: GpuTensor;
  dstRow: number;
  dstAt: number;
}

/** `dst`'s blocks `= src`'s (or `+=` when `accumulate`); `srcAt`/`dstAt` are element offsets inside the tensors. */
export function blockCopy(ctx: GpuContext, b: Blocks, accumulate: boolean): GpuDispatch {
  const n = b.rows * b.len;
  const { workgroups, rowStride } = grid1d(ctx, n);
  const key = accumulate ? 'block:add' : 'block:copy';
  return bindDispatch(
    ctx,
    key,
    () => blockShader(accumulate),
    [b.src.buffer, b.dst.buffer],
    words([n, b.len, b.srcRow, b.src.offset + b.srcAt, b.dstRow, b.dst.offset + b.dstAt, rowStride]),
    workgroups,
  );
}

export const concatKernel: GpuOpKernel = {
  prepare({ ctx, attrs, inputShapes, outputShape, inputs, output, dOutput, dInputs }) {
    const rank = outputShape.length;
    const a = intAttr(attrs, 'axis');
    const axis = a < 0 ? rank + a : a;
    let outer = 1;
    for (let i = 0; i < axis; i++) outer *= outputShape[i];
    let inner = 1;
    for (let i = axis + 1; i < rank; i++) inner *= outputShape[i];
    const outRow = outputShape[axis] * inner;
    const forward: GpuDispatch[] = [];
    const backward: GpuDispatch[] = [];
    let at = 0;
    inputs.forEach((x, k) => {
      const len = inputShapes[k][axis] * inner;
      // An input with a zero-sized axis has nothing to copy (and a dispatch of nothing to gain).
      if (len > 0) {
        forward.push(blockCopy(ctx, { rows: outer, len, src: x, srcRow: len, srcAt: 0, dst: output, dstRow: outRow, dstAt: at }, false));
        const dx = dInputs[k];
        if (dOutput && dx) backward.push(blockCopy(ctx, { rows: outer, len, src: dOutput, srcRow: outRow, srcAt: at, dst: dx, dstRow: len, dstAt: 0 }, true));
      }
      at += len;
    });
    return { forward, backward };
  },
};
