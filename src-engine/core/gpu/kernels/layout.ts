/// <reference types="@webgpu/types" />
/**
 * Transpose and Slice on the GPU, as `core/ops/transpose.ts` and `core/ops/slice.ts` (ShuffleNet's
 * channel shuffle and channel split):
 * - Transpose: one invocation per output value gathers `y[o] = x[src(o)]`, src from o's
 *   coordinates and the input's strides in the permuted order; the backward is the same gather
 *   over dx's values with the inverse permutation, `dx[j] += dy[dst(j)]` — a permutation, so each
 *   value of dx is written by one invocation and adds exactly what the op file adds.
 * - Slice: Concat's strided block copy (`elementwise.ts`): `outer` rows of `length·inner` values
 *   from the input's row at `start·inner`; the backward adds the same blocks into dx.
 *
 * Shapes, strides and offsets are uniforms ({@link MAX_RANK} dims): one pipeline per direction.
 */
import { intAttr } from '../../ops/shape-util';
import { permOf } from '../../ops/transpose';
import type { GpuContext, GpuTensor } from '../context';
import type { GpuDispatch } from '../gemm';
import { bindDispatch, grid1d, kernel1d, words } from './dispatch';
import { blockCopy } from './elementwise';
import { MAX_RANK, slot, slots, stridesOf } from './strided';
import type { GpuOpKernel } from './types';

const GATHER_PARAMS = `struct Params {
  total: u32, rank: u32, rowStride: u32, srcOff: u32,
  dstOff: u32, _a: u32, _b: u32, _c: u32,
  dims: array<vec4<u32>, 2>,
  src: array<vec4<u32>, 2>,
}`;

/** `DST[o] (+)= SRC[Σ c_k·src_k]` for o's coordinates c over `dims`. */
function gatherShader(accumulate: boolean): string {
  return kernel1d(
    GATHER_PARAMS,
    [
      ['SRC', 'read'],
      ['DST', 'read_write'],
    ],
    `  var rest = i;
  var s = 0u;
  for (var k = P.rank; k > 0u; k = k - 1u) {
    let d = ${slot('P.dims', 'k - 1u')};
    s = s + (rest % d) * ${slot('P.src', 'k - 1u')};
    rest = rest / d;
  }
  DST[P.dstOff + i] = ${accumulate ? 'DST[P.dstOff + i] + ' : ''}SRC[P.srcOff + s];
`,
  );
}

/** Gather into every value of `dst` (laid out as `dims`) from `src` at `srcStrides` (per dim of `dims`). */
export function gather(ctx: GpuContext, src: GpuTensor, dst: GpuTensor, dims: readonly number[], srcStrides: readonly number[], accumulate: boolean): GpuDispatch {
  const { workgroups, rowStride } = grid1d(ctx, dst.length);
  return bindDispatch(
    ctx,
    accumulate ? 'gather:add' : 'gather:copy',
    () => gatherShader(accumulate),
    [src.buffer, dst.buffer],
    words([dst.length, dims.length, rowStride, src.offset, dst.offset, 0, 0, 0, ...slots(dims, 'Transpose'), ...slots(srcStrides, 'Transpose')]),
    workgroups,
  );
}

export const transposeKernel: GpuOpKernel = {
  prepare({ ctx, attrs, inputShapes, outputShape, inputs, output, dOutput, dInputs }) {
    const perm = permOf(attrs);
    const inStrides = stridesOf(inputShapes[0]);
    const outStrides = stridesOf(outputShape);
    // Output dim k reads input dim perm[k]; input dim perm[k] is output dim k.
    const forward = [gather(ctx, inputs[0], output, outputShape, perm.map((p) => inStrides[p]), false)];
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, k) => (inverse[p] = k));
    const dx = dInputs[0];
    const backward = dOutput && dx ? [gather(ctx, dOutput, dx, inputShapes[0], inverse.map((k) => outStrides[k]), true)] : [];
    return { forward, backward };
  },
  unsupported: (attrs) => (permOf(attrs).length > MAX_RANK ? `a Transpose of more than ${MAX_RANK} dims` : null),
};

export const sliceKernel: GpuOpKernel = {
  prepare({ ctx, attrs, inputShapes, inputs, output, dOutput, dInputs }) {
    const shape = inputShapes[0];
    const axis = intAttr(attrs, 'axis');
    const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    const len = intAttr(attrs, 'length') * inner;
    const row = shape[axis] * inner;
    const at = intAttr(attrs, 'start') * inner;
    const forward = [blockCopy(ctx, { rows: outer, len, src: inputs[0], srcRow: row, srcAt: at, dst: output, dstRow: len, dstAt: 0 }, false)];
    const dx = dInputs[0];
    const backward = dOutput && dx ? [blockCopy(ctx, { rows: outer, len, src: dOutput, srcRow: len, srcAt: 0, dst: dx, dstRow: row, dstAt: at }, true)] : [];
    return { forward, backward };
  },
};
