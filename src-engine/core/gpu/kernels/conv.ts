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
 * The four shaders are also ConvTranspose2d's (`conv-transpose.ts`), which is Conv2d's adjoint:
 * its forward is the `dx` gather (writing, with a bias), its `dx` is the forward (adding, without
 * one), its `dW` is this `dW` with the image and the gradient swapped. So each shader takes a bias
 * (`hasBias`) and whether it adds into or overwrites what it writes (`accumulate`) as uniforms,
 * and both ops share one pipeline per shader.
 *
 * NOTE: the direct form, not an implicit GEMM: simple enough for software adapters (SwiftShader
 * compiles it in well under a second) and exact in what it sums; its `dW` sums N·outH·outW terms
 * in one invocation, which is slow on a real GPU for large batches. The implicit-GEMM variant
 * (tiles of the unfolded image in workgroup memory) is the next step once a real GPU can measure it.
 */
import { conv2dPlan } from '../../ops/conv2d';
import { GpuError, type GpuContext } from '../context';
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
  hasBias: u32, rowStride: u32, total: u32, accumulate: u32,
}`;

const INDEX = `let i = gid.y * P.rowStride + gid.x;
  if (i >= P.total) { return; }
  let cg = P.c / P.groups;
  let og = P.oc / P.groups;`;

// Y[n, o, y, x] (+)= b[o] + Σ_{ci < cg, ky, kx} X[n, g·cg + ci, y·sh − ph + ky·dh, x·sw − pw + kx·dw] · W[o, ci, ky, kx]
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
  if (P.accumulate != 0u) { acc = Y[P.yOff + i] + acc; }
  Y[P.yOff + i] = acc;
}
`;

// dX[n, c, y, x] (+)= b[c] + Σ_{o in c's group, ky, kx : (y + ph − ky·dh) = oy·sh, (x + pw − kx·dw) = ox·sw} W[o, c − g·cg, ky, kx] · dY[n, o, oy, ox]
// (Conv2d: adding, no bias; ConvTranspose2d's forward: writing, with its bias.)
const BACKWARD_INPUT = `${PARAMS}
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;
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
  if (P.hasBias != 0u) { acc = acc + B[P.bOff + c]; }
  if (P.accumulate != 0u) { acc = DX[P.xOff + i] + acc; }
  DX[P.xOff + i] = acc;
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

/**
 * A convolution as the shaders see it: the image `[n, c, h, w]` the windows slide over, the
 * output `[n, oc, oh, ow]` with one value per window, the weight `[oc, c/groups, kh, kw]`.
 * (ConvTranspose2d passes its output as the image and its input as the output.)
 */
export interface ConvShape {
  n: number;
  c: number;
  h: number;
  w: number;
  oc: number;
  oh: number;
  ow: number;
  groups: number;
  k: readonly [number, number];
  s: readonly [number, number];
  p: readonly [number, number];
  d: readonly [number, number];
}

/** Which shader: forward (per output), `dx` gather (per image element), `dW` (per weight), `db` (per output channel). */
export type ConvPass = 'fwd' | 'dx' | 'dw' | 'db';

const SHADERS: Record<ConvPass, string> = { fwd: FORWARD, dx: BACKWARD_INPUT, dw: BACKWARD_WEIGHT, db: BACKWARD_BIAS };

/** What one conv dispatch reads and writes; offsets in elements. */
export interface ConvBinding {
  /** The storage buffers in the shader's binding order (fwd: X, W, B, Y; dx: DY, W, B, DX; dw: X, DY, DW; db: DY, DB). */
  buffers: readonly GPUBuffer[];
  /** Offsets of the image, the weight, the bias and the output, as the shader names them (xOff, wOff, bOff, yOff). */
  offsets: readonly [number, number, number, number];
  /** Elements written: one invocation each. */
  total: number;
  /** Add the bias (fwd, dx). */
  hasBias: boolean;
  /** Add into what it writes instead of overwriting it (fwd, dx; dw and db always add). */
  accumulate: boolean;
  flops?: number;
}

/** One dispatch of a conv shader over `shape` (pipeline `conv2d:<pass>`, shared by Conv2d and ConvTranspose2d). */
export function convDispatch(ctx: GpuContext, pass: ConvPass, shape: ConvShape, b: ConvBinding): GpuDispatch {
  const { workgroups, rowStride } = grid1d(ctx, b.total);
  const geometry = [shape.n, shape.c, shape.h, shape.w, shape.oc, shape.oh, shape.ow, shape.groups, shape.k[0], shape.k[1], shape.s[0], shape.s[1], shape.p[0], shape.p[1], shape.d[0], shape.d[1]];
  const u = words([...geometry, ...b.offsets, b.hasBias ? 1 : 0, rowStride, b.total, b.accumulate ? 1 : 0]);
  return bindDispatch(ctx, `conv2d:${pass}`, () => SHADERS[pass], b.buffers, u, workgroups, b.flops ?? 0);
}

export const conv2dKernel: GpuOpKernel = {
  prepare({ ctx, nodeId, attrs, inputShapes, inputs, output, params, dParams, dOutput, dInputs }) {
    const c = conv2dPlan(inputShapes[0], attrs);
    const x = inputs[0];
    const w = params.weight;
    const b = params.bias;
    if (!w) throw new GpuError('E_GPU_BAD_ARGS', `Conv2d ${nodeId}: no weight on the device.`);
    const shape: ConvShape = { n: c.n, c: c.inC, h: c.h, w: c.w, oc: c.outC, oh: c.outH, ow: c.outW, groups: c.groups, k: c.k, s: c.s, p: c.p, d: c.d };
    // Without a bias, W stands in for B's binding (never read: hasBias is 0).
    const forward = [
      convDispatch(ctx, 'fwd', shape, {
        buffers: [x.buffer, w.buffer, (b ?? w).buffer, output.buffer],
        offsets: [x.offset, w.offset, b?.offset ?? 0, output.offset],
        total: output.length,
        hasBias: !!b,
        accumulate: false,
        flops: 2 * output.length * (c.inC / c.groups) * c.k[0] * c.k[1],
      }),
    ];
    const backward: GpuDispatch[] = [];
    if (dOutput) {
      const dx = dInputs[0];
      if (dx) {
        backward.push(convDispatch(ctx, 'dx', shape, { buffers: [dOutput.buffer, w.buffer, w.buffer, dx.buffer], offsets: [dx.offset, w.offset, 0, dOutput.offset], total: dx.length, hasBias: false, accumulate: true }));
      }
      const dw = dParams.weight;
      if (dw) {
        backward.push(convDispatch(ctx, 'dw', shape, { buffers: [x.buffer, dOutput.buffer, dw.buffer], offsets: [x.offset, dw.offset, 0, dOutput.offset], total: dw.length, hasBias: false, accumulate: true }));
      }
      const db = dParams.bias;
      if (db) {
        backward.push(convDispatch(ctx, 'db', shape, { buffers: [dOutput.buffer, db.buffer], offsets: [0, 0, db.offset, dOutput.offset], total: db.length, hasBias: false, accumulate: true }));
      }
    }
    return { forward, backward };
  },
};
