/// <reference types="@webgpu/types" />
/**
 * Loss kernels, as the op files in `core/ops`: CrossEntropyLoss (class weights, label smoothing,
 * `[N, C, …]` logits), MSELoss, BCEWithLogitsLoss (posWeight), L1Loss and HuberLoss (delta). The
 * forward is one workgroup that reduces the batch (a loss takes `[N, C]` values, small next to the
 * layers); the backward is one invocation per element.
 *
 * Accumulation is in float32 (each invocation sums a strided share, then a tree over the
 * workgroup), where the CPU op sums in float64: the loss differs by a few float32 roundings of
 * the sum of its terms.
 *
 * A label outside [0, C) cannot throw on the device: the forward skips it and writes
 * `[1, label]` to the step's status, and the executor fails the step with E_LABEL_RANGE.
 */
import type { Attrs } from '../../../base/ir/types';
import { floatAttr } from '../../ops/shape-util';
import { WORKGROUP, bindDispatch, grid1d, words } from './dispatch';
import type { GpuKernelArgs, GpuOpKernel } from './types';

/** Tree reduction of `red` over the workgroup; afterwards `red[0]` holds the sum. */
const REDUCE = `workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }`;

const CE_FORWARD = `struct Params { positions: u32, classes: u32, inner: u32, xOff: u32, tOff: u32, pOff: u32, outOff: u32, wsOff: u32,
  eps: f32, hasW: u32, sOff: u32, _a: u32, }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> PR: array<f32>;
@group(0) @binding(4) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(5) var<storage, read_write> WS: array<f32>;
@group(0) @binding(6) var<storage, read_write> STATUS: array<f32>;
@group(0) @binding(7) var<uniform> P: Params;
var<workgroup> red: array<vec3<f32>, ${WORKGROUP}>;
fn weight(c: u32) -> f32 { if (P.hasW != 0u) { return W[c]; } return 1.0; }
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) lid: u32) {
  var nll = 0.0;
  var smoothSum = 0.0;
  var wsum = 0.0;
  let C = P.classes;
  for (var j = lid; j < P.positions; j = j + ${WORKGROUP}u) {
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
    for (var c = 0u; c < C; c = c + 1u) {
      let i = base + c * P.inner;
      PR[P.pOff + i] = PR[P.pOff + i] * inv;
      if (P.eps > 0.0) { smoothSum = smoothSum - weight(c) * (X[P.xOff + i] - lse); }
    }
    let yf = T[P.tOff + j];
    if (!(yf >= 0.0 && yf < f32(C) && yf == floor(yf))) {
      STATUS[P.sOff] = 1.0;
      STATUS[P.sOff + 1u] = yf;
      continue;
    }
    let y = u32(yf);
    let wy = weight(y);
    wsum = wsum + wy;
    nll = nll - wy * (X[P.xOff + base + y * P.inner] - lse);
  }
  red[lid] = vec3<f32>(nll, smoothSum, wsum);
  ${REDUCE}
  if (lid == 0u) {
    let t = red[0];
    OUT[P.outOff] = ((1.0 - P.eps) * t.x + (P.eps / f32(C)) * t.y) / t.z;
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
    const forward = [
      bindDispatch(
        ctx,
        'ce:fwd',
        () => CE_FORWARD,
        [x.buffer, t.buffer, weights.buffer, probs.buffer, output.buffer, weightSum.buffer, status.buffer],
        words([n * inner, classes, inner, x.offset, t.offset, probs.offset, output.offset, weightSum.offset, 0, cw.length ? 1 : 0, status.offset], { 8: eps }),
        [1, 1, 1],
      ),
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

const MSE_FORWARD = `struct Params { n: u32, pOff: u32, tOff: u32, outOff: u32, }
@group(0) @binding(0) var<storage, read> PRED: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<f32>;
@group(0) @binding(2) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
var<workgroup> red: array<f32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  for (var i = lid; i < P.n; i = i + ${WORKGROUP}u) {
    let d = PRED[P.pOff + i] - T[P.tOff + i];
    sum = sum + d * d;
  }
  red[lid] = sum;
  ${REDUCE}
  if (lid == 0u) { OUT[P.outOff] = red[0] / f32(P.n); }
}
`;

/** MSE backward, writing the prediction's gradient, the target's, or both (`which`). */
function mseBackward(which: 'p' | 't' | 'pt'): string {
  const outs = which === 'pt' ? ['DP', 'DT'] : which === 'p' ? ['DP'] : ['DT'];
  return `struct Params { n: u32, pOff: u32, tOff: u32, dyOff: u32, dpOff: u32, dtOff: u32, rowStride: u32, _a: u32, }
@group(0) @binding(0) var<storage, read> PRED: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<f32>;
@group(0) @binding(2) var<storage, read> DY: array<f32>;
${outs.map((o, i) => `@group(0) @binding(${3 + i}) var<storage, read_write> ${o}: array<f32>;`).join('\n')}
@group(0) @binding(${3 + outs.length}) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  let d = (2.0 * DY[P.dyOff] / f32(P.n)) * (PRED[P.pOff + i] - T[P.tOff + i]);
  ${which.includes('p') ? 'DP[P.dpOff + i] = DP[P.dpOff + i] + d;' : ''}
  ${which.includes('t') ? 'DT[P.dtOff + i] = DT[P.dtOff + i] - d;' : ''}
}
`;
}

export const mseKernel: GpuOpKernel = {
  prepare({ ctx, inputs, output, dOutput, dInputs }) {
    const [p, t] = inputs;
    const n = p.length;
    const forward = [bindDispatch(ctx, 'mse:fwd', () => MSE_FORWARD, [p.buffer, t.buffer, output.buffer], words([n, p.offset, t.offset, output.offset]), [1, 1, 1])];
    const [dp, dt] = dInputs;
    if (!dOutput || (!dp && !dt)) return { forward, backward: [] };
    const which = dp && dt ? 'pt' : dp ? 'p' : 't';
    const outs = [dp, dt].filter((g) => g !== null);
    const { workgroups, rowStride } = grid1d(ctx, n);
    const backward = [
      bindDispatch(
        ctx,
        `mse:bwd:${which}`,
        () => mseBackward(which),
        [p.buffer, t.buffer, dOutput.buffer, ...outs.map((g) => g.buffer)],
        words([n, p.offset, t.offset, dOutput.offset, dp?.offset ?? 0, dt?.offset ?? 0, rowStride]),
        workgroups,
      ),
    ];
    return { forward, backward };
  },
};

/** BCEWithLogits' helpers: posWeight per element, and the stable softplus of special.ts. */
const BCE_HELPERS = `fn posWeight(i: u32) -> f32 {
  if (P.pwLen == 0u) { return 1.0; }
  if (P.pwLen == 1u) { return W[0]; }
  return W[i % P.pwLen];
}
// max(z, 0) + log1p(e^−|z|); WGSL has no log1p: log(1 + e) is off by ≤ an ulp of 1 where e is tiny.
fn softplus(z: f32) -> f32 { return max(z, 0.0) + log(1.0 + exp(-abs(z))); }`;

const BCE_FORWARD = `struct Params { n: u32, xOff: u32, tOff: u32, outOff: u32, pwLen: u32, _a: u32, _b: u32, _c: u32, }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;
var<workgroup> red: array<f32, ${WORKGROUP}>;
${BCE_HELPERS}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  for (var i = lid; i < P.n; i = i + ${WORKGROUP}u) {
    let x = X[P.xOff + i];
    let t = T[P.tOff + i];
    sum = sum + (1.0 - t) * x + (1.0 + (posWeight(i) - 1.0) * t) * softplus(-x);
  }
  red[lid] = sum;
  ${REDUCE}
  if (lid == 0u) { OUT[P.outOff] = red[0] / f32(P.n); }
}
`;

function bceBackward(which: 'x' | 't' | 'xt'): string {
  const outs = which === 'xt' ? ['DX', 'DT'] : which === 'x' ? ['DX'] : ['DT'];
  return `struct Params { n: u32, xOff: u32, tOff: u32, dyOff: u32, dxOff: u32, dtOff: u32, rowStride: u32, pwLen: u32, }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read> DY: array<f32>;
${outs.map((o, i) => `@group(0) @binding(${4 + i}) var<storage, read_write> ${o}: array<f32>;`).join('\n')}
@group(0) @binding(${4 + outs.length}) var<uniform> P: Params;
${BCE_HELPERS}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  let g = DY[P.dyOff] / f32(P.n);
  let x = X[P.xOff + i];
  let t = T[P.tOff + i];
  let w = posWeight(i);
  ${which.includes('x') ? 'DX[P.dxOff + i] = DX[P.dxOff + i] + g * (1.0 - t - (1.0 + (w - 1.0) * t) / (1.0 + exp(x)));' : ''}
  ${which.includes('t') ? 'DT[P.dtOff + i] = DT[P.dtOff + i] + g * (-x + (w - 1.0) * softplus(-x));' : ''}
}
`;
}

export const bceWithLogitsKernel: GpuOpKernel = {
  prepare(k: GpuKernelArgs) {
    const { ctx, attrs, inputs, output, dOutput, dInputs } = k;
    const [x, t] = inputs;
    const n = x.length;
    const pw = (attrs.posWeight as readonly number[] | undefined) ?? [];
    const weights = k.workspace('posWeight', Math.max(1, pw.length));
    if (pw.length) ctx.write(weights, Float32Array.from(pw));
    const forward = [bindDispatch(ctx, 'bce:fwd', () => BCE_FORWARD, [x.buffer, t.buffer, weights.buffer, output.buffer], words([n, x.offset, t.offset, output.offset, pw.length]), [1, 1, 1])];
    const [dx, dt] = dInputs;
    if (!dOutput || (!dx && !dt)) return { forward, backward: [] };
    const which = dx && dt ? 'xt' : dx ? 'x' : 't';
    const { workgroups, rowStride } = grid1d(ctx, n);
    const outs = [dx, dt].filter((g) => g !== null);
    const backward = [
      bindDispatch(
        ctx,
        `bce:bwd:${which}`,
        () => bceBackward(which),
        [x.buffer, t.buffer, weights.buffer, dOutput.buffer, ...outs.map((g) => g.buffer)],
        words([n, x.offset, t.offset, dOutput.offset, dx?.offset ?? 0, dt?.offset ?? 0, rowStride, pw.length]),
        workgroups,
      ),
    ];
    return { forward, backward };
  },
};

/**
 * An elementwise regression loss `mean(term(d))`, d = prediction − target, as L1Loss and HuberLoss
 * (`torch.nn.L1Loss()`, `torch.nn.HuberLoss(delta)`; the op files have no other reduction): the
 * forward is one workgroup reducing the batch, as MSELoss; the backward one invocation per element
 * adding `g·slope(d)` into the prediction's gradient and subtracting it from the target's,
 * g = dLoss/n.
 */
interface RegressionLoss {
  /** Pipeline key prefix (`l1`, `huber`). */
  readonly key: string;
  /** The per-element loss as a WGSL f32 expression of `d` and `p` (the op's float attribute). */
  readonly term: string;
  /** dterm/dd as a WGSL f32 expression of `d` and `p`. */
  readonly slope: string;
  /** `p` from the node's attributes (0 when the op has none). */
  param?(attrs: Attrs): number;
}

function regressionForward(l: RegressionLoss): string {
  return `struct Params { n: u32, pOff: u32, tOff: u32, outOff: u32, p: f32, _a: u32, _b: u32, _c: u32, }
@group(0) @binding(0) var<storage, read> PRED: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<f32>;
@group(0) @binding(2) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
var<workgroup> red: array<f32, ${WORKGROUP}>;
fn term(d: f32, p: f32) -> f32 { return ${l.term}; }
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  for (var i = lid; i < P.n; i = i + ${WORKGROUP}u) { sum = sum + term(PRED[P.pOff + i] - T[P.tOff + i], P.p); }
  red[lid] = sum;
  ${REDUCE}
  if (lid == 0u) { OUT[P.outOff] = red[0] / f32(P.n); }
}
`;
}

/** The backward of `l`, writing the prediction's gradient, the target's, or both (`which`). */
function regressionBackward(l: RegressionLoss, which: 'p' | 't' | 'pt'): string {
  const outs = which === 'pt' ? ['DP', 'DT'] : which === 'p' ? ['DP'] : ['DT'];
  return `struct Params { n: u32, pOff: u32, tOff: u32, dyOff: u32, dpOff: u32, dtOff: u32, rowStride: u32, p: f32, }
@group(0) @binding(0) var<storage, read> PRED: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<f32>;
@group(0) @binding(2) var<storage, read> DY: array<f32>;
${outs.map((o, i) => `@group(0) @binding(${3 + i}) var<storage, read_write> ${o}: array<f32>;`).join('\n')}
@group(0) @binding(${3 + outs.length}) var<uniform> P: Params;
fn slope(d: f32, p: f32) -> f32 { return ${l.slope}; }
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  let s = (DY[P.dyOff] / f32(P.n)) * slope(PRED[P.pOff + i] - T[P.tOff + i], P.p);
  ${which.includes('p') ? 'DP[P.dpOff + i] = DP[P.dpOff + i] + s;' : ''}
  ${which.includes('t') ? 'DT[P.dtOff + i] = DT[P.dtOff + i] - s;' : ''}
}
`;
}

function regressionKernel(l: RegressionLoss): GpuOpKernel {
  return {
    prepare({ ctx, attrs, inputs, output, dOutput, dInputs }) {
      const [p, t] = inputs;
      const n = p.length;
      const param = l.param?.(attrs) ?? 0;
      const forward = [bindDispatch(ctx, `${l.key}:fwd`, () => regressionForward(l), [p.buffer, t.buffer, output.buffer], words([n, p.offset, t.offset, output.offset], { 4: param }), [1, 1, 1])];
      const [dp, dt] = dInputs;
      if (!dOutput || (!dp && !dt)) return { forward, backward: [] };
      const which = dp && dt ? 'pt' : dp ? 'p' : 't';
      const outs = [dp, dt].filter((g) => g !== null);
      const { workgroups, rowStride } = grid1d(ctx, n);
      const backward = [
        bindDispatch(
          ctx,
          `${l.key}:bwd:${which}`,
          () => regressionBackward(l, which),
          [p.buffer, t.buffer, dOutput.buffer, ...outs.map((g) => g.buffer)],
          words([n, p.offset, t.offset, dOutput.offset, dp?.offset ?? 0, dt?.offset ?? 0, rowStride], { 7: param }),
          workgroups,
        ),
      ];
      return { forward, backward };
    },
  };
}

/**
 * L1Loss: |d|; the slope is sign(d) with sign(0) = 0, as the op file and PyTorch.
 *
 * NOTE: the slope is spelled with comparisons, not WGSL's `sign`, so a NaN d gets the op file's
 * slope 0 (both comparisons false) where `sign(NaN)` would be the implementation's choice.
 */
export const l1LossKernel = regressionKernel({
  key: 'l1',
  term: 'abs(d)',
  slope: 'select(select(0.0, -1.0, d < 0.0), 1.0, d > 0.0)',
});

/**
 * HuberLoss (p = delta): ½d² where |d| < δ, δ·(|d| − ½δ) beyond; the slope is d clamped to
 * [−δ, δ].
 *
 * NOTE: the clamp is spelled with comparisons (the op file's), not WGSL's `clamp`, whose result for
 * a NaN is the implementation's: a NaN d gives a NaN loss and a NaN slope, as on the CPU. δ is a
 * float32 uniform where the op file uses the float64 attribute; both pieces agree at |d| = δ, so
 * the rounding of δ moves the loss and the slope by at most that rounding.
 */
export const huberLossKernel = regressionKernel({
  key: 'huber',
  term: 'select(p * (abs(d) - 0.5 * p), 0.5 * d * d, abs(d) < p)',
  slope: 'select(select(d, -p, d < -p), p, d > p)',
  param: (attrs) => floatAttr(attrs, 'delta'),
});
