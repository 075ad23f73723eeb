/// <reference types="@webgpu/types" />
/**
 * Softmax on the GPU, as `core/ops/softmax.ts` (`torch.nn.Softmax(dim=axis)`, any per-sample
 * axis, negative counting from the end): one invocation per slice along the axis (outer × inner
 * of them), walking its `len` values `inner` apart:
 * - forward: the slice's maximum, `e = exp(x − max)` written to y and summed, then `y = e·(1/Σe)`;
 * - backward: `dx += y·(dy − Σ dy·y)` from the forward's output, as the op file.
 *
 * NOTE: the op file's slice is all NaN when it holds a NaN (its maximum is NaN, and exp(NaN) is
 * NaN), a +∞ (+∞ − +∞) or only −∞ (−∞ − −∞). The kernel does not get there through the same
 * arithmetic, because WGSL lets an implementation assume there are no NaNs or infinities, and
 * SwiftShader (measured) answers `exp(NaN) = +∞` and `x != x` false for a NaN x: it tests NaN and
 * ±∞ by their bits and writes the NaN slice itself (a NaN from a uniform). Any other slice has a
 * finite maximum; a −∞ score there gives exp(−∞) = 0, as on the CPU. Sums are float32 in the op
 * file's order where the op file sums in float64, and `exp` is WGSL's (within 3 + 2·|x| ulp by
 * the spec): the probabilities differ by a few float32 roundings relative to themselves.
 *
 * A slice is one invocation, so a slice's work is serial (len values, three passes): right for the
 * usual class or sequence axes; a softmax over tens of thousands of values per slice would want a
 * workgroup per slice instead.
 */
import { intAttr } from '../../ops/shape-util';
import type { GpuDispatch } from '../gemm';
import { WORKGROUP, bindDispatch, grid1d, words } from './dispatch';
import type { GpuOpKernel } from './types';

const PARAMS = `struct Params { slices: u32, len: u32, inner: u32, rowStride: u32, a: u32, b: u32, c: u32, nan: f32, }`;

/** The first element of slice `s` (stride P.inner along the axis). */
const BASE = `fn base(s: u32) -> u32 { return (s / P.inner) * P.len * P.inner + s % P.inner; }`;

/** NaN and ±∞ by their bits: float comparisons with a NaN are not reliable in WGSL (see the file comment). */
const SPECIAL = `fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn isInf(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u; }`;

// Offsets: a = x, b = y; `nan` is a NaN (a WGSL constant expression cannot be one).
const FORWARD = `${PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;
${BASE}
${SPECIAL}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let s = gid.y * P.rowStride + gid.x;
  if (s >= P.slices) { return; }
  let b0 = base(s);
  var m = X[P.a + b0];
  var hasNan = isNan(m);
  for (var k = 1u; k < P.len; k = k + 1u) {
    let v = X[P.a + b0 + k * P.inner];
    if (v > m) { m = v; }
    hasNan = hasNan || isNan(v);
  }
  // The op file's slice is all NaN when its maximum is NaN (a NaN in the slice) or infinite
  // (+∞ − +∞, or a slice of −∞ only): written as such, not left to exp(NaN) (see the file comment).
  if (hasNan || isInf(m)) {
    for (var k = 0u; k < P.len; k = k + 1u) { Y[P.b + b0 + k * P.inner] = P.nan; }
    return;
  }
  var sum = 0.0;
  for (var k = 0u; k < P.len; k = k + 1u) {
    let e = exp(X[P.a + b0 + k * P.inner] - m);
    Y[P.b + b0 + k * P.inner] = e;
    sum = sum + e;
  }
  let inv = 1.0 / sum;
  for (var k = 0u; k < P.len; k = k + 1u) {
    let i = P.b + b0 + k * P.inner;
    Y[i] = Y[i] * inv;
  }
}
`;

// Offsets: a = y, b = dy, c = dx.
const BACKWARD = `${PARAMS}
@group(0) @binding(0) var<storage, read> Y: array<f32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
${BASE}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let s = gid.y * P.rowStride + gid.x;
  if (s >= P.slices) { return; }
  let b0 = base(s);
  var dot = 0.0;
  for (var k = 0u; k < P.len; k = k + 1u) {
    let j = b0 + k * P.inner;
    dot = dot + DY[P.b + j] * Y[P.a + j];
  }
  for (var k = 0u; k < P.len; k = k + 1u) {
    let j = b0 + k * P.inner;
    DX[P.c + j] = DX[P.c + j] + Y[P.a + j] * (DY[P.b + j] - dot);
  }
}
`;

export const softmaxKernel: GpuOpKernel = {
  prepare({ ctx, attrs, inputShapes, inputs, output, dOutput, dInputs }) {
    const shape = inputShapes[0];
    const a = intAttr(attrs, 'axis');
    const axis = a < 0 ? a + shape.length : a;
    let outer = 1;
    for (let i = 0; i < axis; i++) outer *= shape[i];
    let inner = 1;
    for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
    const len = shape[axis];
    const slices = outer * inner;
    const { workgroups, rowStride } = grid1d(ctx, slices);
    const x = inputs[0];
    const forward = [bindDispatch(ctx, 'softmax:fwd', () => FORWARD, [x.buffer, output.buffer], words([slices, len, inner, rowStride, x.offset, output.offset], { 7: NaN }), workgroups)];
    const backward: GpuDispatch[] = [];
    const dx = dInputs[0];
    if (dOutput && dx) {
      backward.push(bindDispatch(ctx, 'softmax:bwd', () => BACKWARD, [output.buffer, dOutput.buffer, dx.buffer], words([slices, len, inner, rowStride, output.offset, dOutput.offset, dx.offset]), workgroups));
    }
    return { forward, backward };
  },
};
