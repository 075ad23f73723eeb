/// <reference types="@webgpu/types" />
/**
 * Conv2d on the GPU, as `core/ops/conv2d.ts` (`torch.nn.Conv2d`: cross-correlation, weight
 * `[outC, inC/groups, kH, kW]`, stride, zero padding, dilation, groups, optional bias), by direct
 * loops — one invocation per element of what it writes, so no two invocations write the same
 * float and no atomics are needed:
 * - forward: per output `(n, o, y, x)`, the bias plus the window's products;
 * - `dx += …`: per input element, the products of `dy` and `W` over every output window that
 *   covers it (a gather, the transpose of the forward);
 * - `dW += …`: per weight, the sum over the batch and the output positions of `x·dy`;
 * - `db += …`: per output channel, the sum of `dy`.
 *
 * NOTE: the direct form, not an implicit GEMM: simple enough for software adapters (SwiftShader
 * compiles it in well under a second) and exact in what it sums; its `dW` sums N·outH·outW terms
 * in one invocation, which is slow on a real GPU for large batches. The implicit-GEMM variant
 * (tiles of the unfolded image in workgroup memory) is the next step once a real GPU can measure it.
 */
import { conv2dPlan } from '../../ops/conv2d';
import { GpuError } from '../context';
import type { GpuDispatch } from '../gemm';
import { WORKGROUP, bindDispatch, grid1d, words } from './dispatch';
import type { GpuOpKernel } from './types';

/** The geometry every conv shader reads, then its buffer offsets and the grid's row stride. */
const PARAMS = `struct Params {
  n: u32, c: u32, h: u32, w: u32,
  oc: u32, oh: u32, ow: u32, groups: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: u32, pw: u32, dh: u32, dw: u32,
  xOff: u32, wOff: u32, bOff: u32, yOff: u32,
  hasBias: u32, rowStride: u32, total: u32, _pad: u32,
}`;

const INDEX = `let i = gid.y * P.rowStride + gid.x;
  if (i >= P.total) { return; }
  let cg = P.c / P.groups;
  let og = P.oc / P.groups;`;

// Y[n, o, y, x] = b[o] + Σ_{ci < cg, ky, kx} X[n, g·cg + ci, y·sh − ph + ky·dh, x·sw − pw + kx·dw] · W[o, ci, ky, kx]
const FORWARD = `${PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${INDEX}
  let ox = i % P.ow;
  let oy = (i / P.ow) % P.oh;
  let o = (i / (P.ow * P.oh)) % P.oc;
  let n = i / (P.ow * P.oh * P.oc);
  let g = o / og;
  var acc = 0.0;
  for (var ci = 0u; ci < cg; ci = ci + 1u) {
    let xPlane = P.xOff + (n * P.c + g * cg + ci) * P.h * P.w;
    let wBase = P.wOff + ((o * cg + ci) * P.kh) * P.kw;
    for (var ky = 0u; ky < P.kh; ky = ky + 1u) {
      let iy = i32(oy * P.sh + ky * P.dh) - i32(P.ph);
      if (iy < 0 || iy >= i32(P.h)) { continue; }
      for (var kx = 0u; kx < P.kw; kx = kx + 1u) {
        let ix = i32(ox * P.sw + kx * P.dw) - i32(P.pw);
        if (ix < 0 || ix >= i32(P.w)) { continue; }
        acc = acc + X[xPlane + u32(iy) * P.w + u32(ix)] * W[wBase + ky * P.kw + kx];
      }
    }
  }
  if (P.hasBias != 0u) { acc = acc + B[P.bOff + o]; }
  Y[P.yOff + i] = acc;
}
`;

// dX[n, c, y, x] += Σ_{o in c's group, ky, kx : (y + ph − ky·dh) = oy·sh, (x + pw − kx·dw) = ox·sw} W[o, c − g·cg, ky, kx] · dY[n, o, oy, ox]
const BACKWARD_INPUT = `${PARAMS}
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${INDEX}
  let x = i % P.w;
  let y = (i / P.w) % P.h;
  let c = (i / (P.w * P.h)) % P.c;
  let n = i / (P.w * P.h * P.c);
  let g = c / cg;
  let ci = c - g * cg;
  var acc = 0.0;
  for (var oo = 0u; oo < og; oo = oo + 1u) {
    let o = g * og + oo;
    let dyPlane = P.yOff + (n * P.oc + o) * P.oh * P.ow;
    let wBase = P.wOff + ((o * cg + ci) * P.kh) * P.kw;
    for (var ky = 0u; ky < P.kh; ky = ky + 1u) {
      let ty = i32(y + P.ph) - i32(ky * P.dh);
      if (ty < 0 || u32(ty) % P.sh != 0u) { continue; }
      let oy = u32(ty) / P.sh;
      if (oy >= P.oh) { continue; }
      for (var kx = 0u; kx < P.kw; kx = kx + 1u) {
        let tx = i32(x + P.pw) - i32(kx * P.dw);
        if (tx < 0 || u32(tx) % P.sw != 0u) { continue; }
        let ox = u32(tx) / P.sw;
        if (ox >= P.ow) { continue; }
        acc = acc + W[wBase + ky * P.kw + kx] * DY[dyPlane + oy * P.ow + ox];
      }
    }
  }
  DX[P.xOff + i] = DX[P.xOff + i] + acc;
}
`;

// dW[o, ci, ky, kx] += Σ_{n, oy, ox} X[n, g·cg + ci, oy·sh − ph + ky·dh, ox·sw − pw + kx·dw] · dY[n, o, oy, ox]
const BACKWARD_WEIGHT = `${PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read_write> DW: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ${INDEX}
  let kx = i % P.kw;
  let ky = (i / P.kw) % P.kh;
  let ci = (i / (P.kw * P.kh)) % cg;
  let o = i / (P.kw * P.kh * cg);
  let g = o / og;
  var acc = 0.0;
  for (var n = 0u; n < P.n; n = n + 1u) {
    let xPlane = P.xOff + (n * P.c + g * cg + ci) * P.h * P.w;
    let dyPlane = P.yOff + (n * P.oc + o) * P.oh * P.ow;
    for (var oy = 0u; oy < P.oh; oy = oy + 1u) {
      let iy = i32(oy * P.sh + ky * P.dh) - i32(P.ph);
      if (iy < 0 || iy >= i32(P.h)) { continue; }
      for (var ox = 0u; ox < P.ow; ox = ox + 1u) {
        let ix = i32(ox * P.sw + kx * P.dw) - i32(P.pw);
        if (ix < 0 || ix >= i32(P.w)) { continue; }
        acc = acc + X[xPlane + u32(iy) * P.w + u32(ix)] * DY[dyPlane + oy * P.ow + ox];
      }
    }
  }
  DW[P.wOff + i] = DW[P.wOff + i] + acc;
}
`;

// dB[o] += Σ_{n, oy, ox} dY[n, o, oy, ox]
const BACKWARD_BIAS = `${PARAMS}
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read_write> DB: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = gid.y * P.rowStride + gid.x;
  if (o >= P.total) { return; }
  let plane = P.oh * P.ow;
  var acc = 0.0;
  for (var n = 0u; n < P.n; n = n + 1u) {
    let base = P.yOff + (n * P.oc + o) * plane;
    for (var j = 0u; j < plane; j = j + 1u) { acc = acc + DY[base + j]; }
  }
  DB[P.bOff + o] = DB[P.bOff + o] + acc;
}
`;

export const conv2dKernel: GpuOpKernel = {
  prepare({ ctx, nodeId, attrs, inputShapes, inputs, output, params, dParams, dOutput, dInputs }) {
    const c = conv2dPlan(inputShapes[0], attrs);
    const x = inputs[0];
    const w = params.weight;
    const b = params.bias;
    if (!w) throw new GpuError('E_GPU_BAD_ARGS', `Conv2d ${nodeId}: no weight on the device.`);
    const geometry = [c.n, c.inC, c.h, c.w, c.outC, c.outH, c.outW, c.groups, c.k[0], c.k[1], c.s[0], c.s[1], c.p[0], c.p[1], c.d[0], c.d[1]];
    /** Uniform words: the geometry, then offsets (x, W, b, y-or-dy), whether there is a bias, the grid. */
    const uniforms = (total: number, offsets: [number, number, number, number]) => {
      const { workgroups, rowStride } = grid1d(ctx, total);
      return { workgroups, words: words([...geometry, ...offsets, b ? 1 : 0, rowStride, total, 0]) };
    };
    const fwd = uniforms(output.length, [x.offset, w.offset, b?.offset ?? 0, output.offset]);
    // Without a bias, W stands in for B's binding (never read: hasBias is 0).
    const forward = [bindDispatch(ctx, 'conv2d:fwd', () => FORWARD, [x.buffer, w.buffer, (b ?? w).buffer, output.buffer], fwd.words, fwd.workgroups, 2 * output.length * (c.inC / c.groups) * c.k[0] * c.k[1])];
    const backward: GpuDispatch[] = [];
    if (dOutput) {
      const dx = dInputs[0];
      if (dx) {
        const u = uniforms(dx.length, [dx.offset, w.offset, 0, dOutput.offset]);
        backward.push(bindDispatch(ctx, 'conv2d:dx', () => BACKWARD_INPUT, [dOutput.buffer, w.buffer, dx.buffer], u.words, u.workgroups));
      }
      const dw = dParams.weight;
      if (dw) {
        const u = uniforms(dw.length, [x.offset, dw.offset, 0, dOutput.offset]);
        backward.push(bindDispatch(ctx, 'conv2d:dw', () => BACKWARD_WEIGHT, [x.buffer, dOutput.buffer, dw.buffer], u.words, u.workgroups));
      }
      const db = dParams.bias;
      if (db) {
        const u = uniforms(db.length, [0, 0, db.offset, dOutput.offset]);
        backward.push(bindDispatch(ctx, 'conv2d:db', () => BACKWARD_BIAS, [dOutput.buffer, db.buffer], u.words, u.workgroups));
      }
    }
    return { forward, backward };
  },
};
