/// <reference types="@webgpu/types" />
/**
 * Multiply on the GPU, as `core/ops/multiply.ts`: `y = a · b` with dims of size 1 broadcast (a
 * squeeze-excite gate [N, C, 1, 1] times the features [N, C, H, W]).
 * - forward: one invocation per output value, each input read at its broadcast index (a stride
 *   of 0 along its dims of size 1);
 * - backward, per input that needs a gradient: one invocation per value of that input sums
 *   `dy · other` over the output values that read it — its broadcast dims, walked in increasing
 *   output order — starting from the gradient's current value: the op file's `+=` in its order, so
 *   the sums are the same float32 additions (a gather: no two invocations write one value).
 *
 * Shapes and strides are uniforms ({@link MAX_RANK} dims): one pipeline per direction.
 */
import type { GpuContext, GpuTensor } from '../context';
import type { GpuDispatch } from '../gemm';
import { bindDispatch, grid1d, kernel1d, words } from './dispatch';
import { slot, slots, stridesOf } from './strided';
import type { GpuOpKernel } from './types';

const FORWARD = kernel1d(
  `struct Params {
  total: u32, rank: u32, rowStride: u32, offA: u32,
  offB: u32, offY: u32, _a: u32, _b: u32,
  dims: array<vec4<u32>, 2>,
  sa: array<vec4<u32>, 2>,
  sb: array<vec4<u32>, 2>,
}`,
  [
    ['A', 'read'],
    ['B', 'read'],
    ['Y', 'read_write'],
  ],
  `  var rest = i;
  var ia = 0u;
  var ib = 0u;
  for (var k = P.rank; k > 0u; k = k - 1u) {
    let d = ${slot('P.dims', 'k - 1u')};
    let c = rest % d;
    rest = rest / d;
    ia = ia + c * ${slot('P.sa', 'k - 1u')};
    ib = ib + c * ${slot('P.sb', 'k - 1u')};
  }
  Y[P.offY + i] = A[P.offA + ia] * B[P.offB + ib];
`,
);

// One invocation per value j of the input S whose gradient DS is summed: its coordinates over
// `own` (the input's dims), the broadcast ones (own 1, output > 1) enumerated by r.
const BACKWARD = kernel1d(
  `struct Params {
  total: u32, rank: u32, rowStride: u32, reps: u32,
  offDy: u32, offO: u32, offDs: u32, _a: u32,
  out: array<vec4<u32>, 2>,
  own: array<vec4<u32>, 2>,
  outStride: array<vec4<u32>, 2>,
  other: array<vec4<u32>, 2>,
}`,
  [
    ['DY', 'read'],
    ['O', 'read'],
    ['DS', 'read_write'],
  ],
  `  var acc = DS[P.offDs + i];
  for (var r = 0u; r < P.reps; r = r + 1u) {
    var restJ = i;
    var restR = r;
    var o = 0u;
    var io = 0u;
    for (var k = P.rank; k > 0u; k = k - 1u) {
      let sd = ${slot('P.own', 'k - 1u')};
      let od = ${slot('P.out', 'k - 1u')};
      var c = 0u;
      if (sd == od) {
        c = restJ % sd;
        restJ = restJ / sd;
      } else {
        c = restR % od;
        restR = restR / od;
      }
      o = o + c * ${slot('P.outStride', 'k - 1u')};
      io = io + c * ${slot('P.other', 'k - 1u')};
    }
    acc = acc + DY[P.offDy + o] * O[P.offO + io];
  }
  DS[P.offDs + i] = acc;
`,
);

/** Strides of an input of `shape` read at the coordinates of `out` (0 along its broadcast dims). */
const broadcastStrides = (shape: readonly number[], out: readonly number[]) => stridesOf(shape).map((s, k) => (shape[k] === 1 && out[k] !== 1 ? 0 : s));

/** `ds += Σ dy · other` for the input of `self`'s shape, the other input of `otherShape`. */
function backward(ctx: GpuContext, dy: GpuTensor, other: GpuTensor, ds: GpuTensor, self: readonly number[], otherShape: readonly number[], out: readonly number[]): GpuDispatch {
  const reps = out.reduce((p, d, k) => (self[k] === d ? p : p * d), 1);
  const { workgroups, rowStride } = grid1d(ctx, ds.length);
  return bindDispatch(
    ctx,
    'multiply:backward',
    () => BACKWARD,
    [dy.buffer, other.buffer, ds.buffer],
    words([ds.length, out.length, rowStride, reps, dy.offset, other.offset, ds.offset, 0, ...slots(out, 'Multiply'), ...slots(self, 'Multiply'), ...slots(stridesOf(out), 'Multiply'), ...slots(broadcastStrides(otherShape, out), 'Multiply')]),
    workgroups,
    2 * dy.length,
  );
}

export const multiplyKernel: GpuOpKernel = {
  prepare({ ctx, inputShapes, outputShape, inputs, output, dOutput, dInputs }) {
    const [a, b] = inputs;
    const [sa, sb] = inputShapes;
    const { workgroups, rowStride } = grid1d(ctx, output.length);
    const forward = [
      bindDispatch(
        ctx,
        'multiply:forward',
        () => FORWARD,
        [a.buffer, b.buffer, output.buffer],
        words([output.length, outputShape.length, rowStride, a.offset, b.offset, output.offset, 0, 0, ...slots(outputShape, 'Multiply'), ...slots(broadcastStrides(sa, outputShape), 'Multiply'), ...slots(broadcastStrides(sb, outputShape), 'Multiply')]),
        workgroups,
        output.length,
      ),
    ];
    const back: GpuDispatch[] = [];
    if (dOutput) {
      const [da, db] = dInputs;
      if (da) back.push(backward(ctx, dOutput, b, da, sa, sb, outputShape));
      if (db) back.push(backward(ctx, dOutput, a, db, sb, sa, outputShape));
    }
    return { forward, backward: back };
  },
};
