/// <reference types="@webgpu/types" />
/**
 * CrossEntropyLoss's kernels, as its op file in `core/ops` (class weights, label smoothing,
 * `[N, C, …]` logits); the pointwise losses' are printed from their op files (pointwise-losses.ts).
 * The forward is two passes: one invocation per position computes its probabilities and its
 * terms of the loss, then one workgroup adds the terms (in the order a single-workgroup forward
 * did); the backward is one invocation per element.
 *
 * Accumulation is in float32 (each invocation sums a strided share, then a tree over the
 * workgroup), where the CPU op sums in float64: the loss differs by a few float32 roundings of
 * the sum of its terms.
 *
 * A label outside [0, C) cannot throw on the device: the forward skips it and writes
 * `[1, label]` to the step's status, and the executor fails the step with E_LABEL_RANGE.
 */
import { floatAttr } from '../../ops/shape-util';
import { WORKGROUP, bindDispatch, grid1d, words } from './dispatch';
import type { GpuKernelArgs, GpuOpKernel } from './types';

/** Tree reduction of `red` over the workgroup; afterwards `red[0]` holds the sum. */
export const REDUCE = `workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }`;

const CE_PARAMS = `struct Params { positions: u32, classes: u32, inner: u32, xOff: u32, tOff: u32, pOff: u32, outOff: u32, wsOff: u32,
  eps: f32, hasW: u32, sOff: u32, termOff: u32, rowStride: u32, }`;

/**
 * The forward's first pass, one invocation per position (a sample, or a pixel of one): its
 * probabilities, and its terms of the loss as (−w_y·log p_y, −Σ_c w_c·log p_c, w_y, 1), or
 * (0, −Σ_c w_c·log p_c, 0, 0) for a label outside [0, C) (skipped, and said in the status).
 */
const CE_TERMS = `${CE_PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> PR: array<f32>;
@group(0) @binding(4) var<storage, read_write> STATUS: array<f32>;
@group(0) @binding(5) var<storage, read_write> TERMS: array<vec4<f32>>;
@group(0) @binding(6) var<uniform> P: Params;
fn weight(c: u32) -> f32 { if (P.hasW != 0u) { return W[c]; } return 1.0; }
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.y * P.rowStride + gid.x;
  if (j >= P.positions) { return; }
  let C = P.classes;
  let s = j / P.inner;
  let r = j % P.inner;
  let base = s * C * P.inner + r;
  // log-sum-exp with the max subtracted (see the CPU op): no overflow, no log(0).
  var m = X[P.xOff + base];
  for (var c = 1u; c < C; c = c + 1u) { m = max(m, X[P.xOff + base + c * P.inner]); }
  var sum = 0.0;
  for (var c = 0u; c < C; c = c + 1u) {
    let e = exp(X[P.xOff + base + c * P.inner] - m);
    PR[P.pOff + base + c * P.inner] = e;
    sum = sum + e;
  }
  let lse = m + log(sum);
  let inv = 1.0 / sum;
  var smoothTerm = 0.0;
  for (var c = 0u; c < C; c = c + 1u) {
    let i = base + c * P.inner;
    PR[P.pOff + i] = PR[P.pOff + i] * inv;
    if (P.eps > 0.0) { smoothTerm = smoothTerm - weight(c) * (X[P.xOff + i] - lse); }
  }
  let yf = T[P.tOff + j];
  if (!(yf >= 0.0 && yf < f32(C) && yf == floor(yf))) {
    STATUS[P.sOff] = 1.0;
    STATUS[P.sOff + 1u] = yf;
    TERMS[P.termOff + j] = vec4<f32>(0.0, smoothTerm, 0.0, 0.0);
    return;
  }
  let y = u32(yf);
  let wy = weight(y);
  TERMS[P.termOff + j] = vec4<f32>(-(wy * (X[P.xOff + base + y * P.inner] - lse)), smoothTerm, wy, 1.0);
}
`;

/**
 * The forward's second pass, one workgroup: each invocation adds the terms of the positions
 * j ≡ lid (mod the workgroup) in order, then a tree adds the invocations' sums — the order the
 * single-workgroup forward this replaces summed in (it computed the positions itself: 1.05 ms of
 * the tiny GPT's step on the H200, 4,096 positions × 97 classes on one workgroup).
 */
const CE_FORWARD = `${CE_PARAMS}
@group(0) @binding(0) var<storage, read> TERMS: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(2) var<storage, read_write> WS: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
var<workgroup> red: array<vec3<f32>, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) lid: u32) {
  var nll = 0.0;
  var smoothSum = 0.0;
  var wsum = 0.0;
  for (var j = lid; j < P.positions; j = j + ${WORKGROUP}u) {
    let t = TERMS[P.termOff + j];
    smoothSum = smoothSum + t.y;
    if (t.w != 0.0) {
      wsum = wsum + t.z;
      nll = nll + t.x;
    }
  }
  red[lid] = vec3<f32>(nll, smoothSum, wsum);
  ${REDUCE}
  if (lid == 0u) {
    let t = red[0];
    OUT[P.outOff] = ((1.0 - P.eps) * t.x + (P.eps / f32(P.classes)) * t.y) / t.z;
    WS[P.wsOff] = t.z;
  }
}
`;

const CE_BACKWARD = `struct Params { count: u32, classes: u32, inner: u32, tOff: u32, pOff: u32, dxOff: u32, dyOff: u32, wsOff: u32,
  eps: f32, hasW: u32, allW: f32, rowStride: u32, }
@group(0) @binding(0) var<storage, read> T: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read> PR: array<f32>;
@group(0) @binding(3) var<storage, read> WS: array<f32>;
@group(0) @binding(4) var<storage, read> DY: array<f32>;
@group(0) @binding(5) var<storage, read_write> DX: array<f32>;
@group(0) @binding(6) var<uniform> P: Params;
fn weight(c: u32) -> f32 { if (P.hasW != 0u) { return W[c]; } return 1.0; }
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.count) { return; }
  let C = P.classes;
  let s = i / (C * P.inner);
  let rem = i % (C * P.inner);
  let c = rem / P.inner;
  let r = rem % P.inner;
  let yf = T[P.tOff + s * P.inner + r];
  if (!(yf >= 0.0 && yf < f32(C) && yf == floor(yf))) { return; }
  let y = u32(yf);
  let g = DY[P.dyOff] / WS[P.wsOff];
  let share = P.eps / f32(C);
  // d/dx_k Σ_c a_c·(−log p_c) = A·p_k − a_k, A = (1 − ε)·w_y + (ε/C)·Σ_c w_c (as the CPU op).
  let total = (1.0 - P.eps) * weight(y) + share * P.allW;
  let a = weight(c) * (select(0.0, 1.0 - P.eps, c == y) + share);
  DX[P.dxOff + i] = DX[P.dxOff + i] + g * (total * PR[P.pOff + i] - a);
}
`;

export const crossEntropyKernel: GpuOpKernel = {
  prepare(k: GpuKernelArgs) {
    const { ctx, attrs, inputShapes, inputs, output, dOutput, dInputs, status } = k;
    const shape = inputShapes[0];
    const [n, classes] = shape;
    let inner = 1;
    for (let i = 2; i < shape.length; i++) inner *= shape[i];
    const cw = (attrs.classWeights as readonly number[] | undefined) ?? [];
    const eps = floatAttr(attrs, 'labelSmoothing');
    const weights = k.workspace('classWeights', Math.max(1, cw.length));
    if (cw.length) ctx.write(weights, Float32Array.from(cw));
    const probs = k.workspace('probs', inputs[0].length);
    const weightSum = k.workspace('weightSum', 1);
    const [x, t] = inputs;
    // Each position's terms (a vec4 each, at a 16-byte offset of the workspace), then their sum.
    const positions = n * inner;
    const terms = k.workspace('terms', 4 * positions + 3);
    const termOff = Math.ceil(terms.offset / 4);
    const grid = grid1d(ctx, positions);
    const uniforms = words([positions, classes, inner, x.offset, t.offset, probs.offset, output.offset, weightSum.offset, 0, cw.length ? 1 : 0, status.offset, termOff, grid.rowStride], { 8: eps });
    const forward = [
      bindDispatch(ctx, 'ce:terms', () => CE_TERMS, [x.buffer, t.buffer, weights.buffer, probs.buffer, status.buffer, terms.buffer], uniforms, grid.workgroups),
      bindDispatch(ctx, 'ce:fwd', () => CE_FORWARD, [terms.buffer, output.buffer, weightSum.buffer], uniforms, [1, 1, 1]),
    ];
    const dx = dInputs[0];
    if (!dOutput || !dx) return { forward, backward: [] };
    const count = inputs[0].length;
    const { workgroups, rowStride } = grid1d(ctx, count);
    const allW = cw.length ? cw.reduce((a, b) => a + b, 0) : classes;
    const backward = [
      bindDispatch(
        ctx,
        'ce:bwd',
        () => CE_BACKWARD,
        [t.buffer, weights.buffer, probs.buffer, weightSum.buffer, dOutput.buffer, dx.buffer],
        words([count, classes, inner, t.offset, probs.offset, dx.offset, dOutput.offset, weightSum.offset, 0, cw.length ? 1 : 0, 0, rowStride], { 8: eps, 10: allW }),
        workgroups,
      ),
    ];
    return { forward, backward };
  },
};
