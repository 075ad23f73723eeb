/// <reference types="@webgpu/types" />
/**
 * The pools on the GPU, one invocation per element of what each dispatch writes (no two
 * invocations write one float; WGSL has no float atomics):
 * - MaxPool2d, as `core/ops/max-pool2d.ts` (`torch.nn.MaxPool2d`, dilation 1, floor mode): the
 *   forward keeps each window's argmax (its index in the input plane) in a workspace, the backward
 *   routes `dy` there.
 * - AvgPool2d, as `core/ops/avg-pool2d.ts` (`torch.nn.AvgPool2d` with its defaults: floor mode,
 *   `count_include_pad` true — the op file has neither as an attribute): the window's sum times
 *   1/(kH·kW) (padded zeros count, so every window divides by the full kernel); the backward adds
 *   to each input element 1/(kH·kW) times the sum of `dy` over the windows that cover it.
 * - GlobalAvgPool, as `core/ops/global-avg-pool.ts`: `[N, C, …]` (any rank ≥ 3) → `[N, C]`, one
 *   workgroup per plane sums it (64 lanes, then a tree); the backward adds `dy[plane]/size` to
 *   every element.
 *
 * NOTE: MaxPool2d makes the same choice of maximum as the op file and PyTorch's CPU kernel: the
 * first maximum in row-major window order wins ties, and a NaN wins and ends the search
 * (`!(v <= best)` is true for a NaN). Padding is −∞, so it never wins; a window always holds an
 * image element (padding is at most half the kernel).
 *
 * The window backwards are gathers: one invocation per input element sums `dy` over the windows
 * that cover it (and, for MaxPool2d, chose it). A scatter (`dx[argmax] += dy`) would race where
 * windows overlap (stride < kernel). The argmax is stored as a float (exact below 2²⁴ elements
 * per plane, far above any image here). The averages multiply by a float32 1/(kH·kW) (1/size)
 * where the op files divide in float64: within a rounding or two, not bit-identical.
 */
import { poolPlan } from '../../ops/max-pool2d';
import type { GpuDispatch } from '../gemm';
import { bindDispatch, bindings, grid1d, kernel1d, words } from './dispatch';
import type { GpuOpKernel } from './types';

const PARAMS = `struct Params {
  h: u32, w: u32, oh: u32, ow: u32,
  kh: u32, kw: u32, sh: u32, sw: u32,
  ph: u32, pw: u32, xOff: u32, yOff: u32,
  argOff: u32, rowStride: u32, total: u32,
  // MaxPool2d: −∞ (WGSL constant expressions cannot hold an infinity); AvgPool2d: 1/(kH·kW).
  scalar: f32,
}`;

/**
 * The windows covering input element (y, x): oy·sh − ph ≤ y < oy·sh − ph + kh, i.e. oy in
 * [oy0, oy1) = [⌈(y + ph − kh + 1)/sh⌉, ⌊(y + ph)/sh⌋ + 1) ∩ [0, oh), and likewise ox.
 */
const COVERING = `let oy0 = u32(max(i32(y + P.ph) - i32(P.kh) + i32(P.sh), 0)) / P.sh;
  let oy1 = min((y + P.ph) / P.sh + 1u, P.oh);
  let ox0 = u32(max(i32(x + P.pw) - i32(P.kw) + i32(P.sw), 0)) / P.sw;
  let ox1 = min((x + P.pw) / P.sw + 1u, P.ow);`;

/** Output element i's window, clipped to the image: rows [ys, ye), columns [xs, xe) of plane `base`. */
const WINDOW = `let ox = i % P.ow;
  let oy = (i / P.ow) % P.oh;
  let plane = i / (P.ow * P.oh);
  let base = P.xOff + plane * P.h * P.w;
  let y0 = i32(oy * P.sh) - i32(P.ph);
  let x0 = i32(ox * P.sw) - i32(P.pw);
  let ys = u32(max(y0, 0));
  let ye = u32(min(y0 + i32(P.kh), i32(P.h)));
  let xs = u32(max(x0, 0));
  let xe = u32(min(x0 + i32(P.kw), i32(P.w)));`;

const FORWARD = kernel1d(PARAMS, [['X', 'read'], ['Y', 'read_write'], ['ARG', 'read_write']], `  ${WINDOW}
  var best = P.scalar;
  var bestIdx = ys * P.w + xs;
  var done = false;
  for (var yy = ys; yy < ye && !done; yy = yy + 1u) {
    for (var xx = xs; xx < xe; xx = xx + 1u) {
      let v = X[base + yy * P.w + xx];
      if (!(v <= best)) {
        best = v;
        bestIdx = yy * P.w + xx;
        if (v != v) { done = true; break; }
      }
    }
  }
  Y[P.yOff + i] = best;
  ARG[P.argOff + i] = f32(bestIdx);
`);

const BACKWARD = kernel1d(PARAMS, [['DY', 'read'], ['ARG', 'read'], ['DX', 'read_write']], `  let x = i % P.w;
  let y = (i / P.w) % P.h;
  let plane = i / (P.w * P.h);
  let here = f32(y * P.w + x);
  ${COVERING}
  var acc = 0.0;
  for (var oy = oy0; oy < oy1; oy = oy + 1u) {
    for (var ox = ox0; ox < ox1; ox = ox + 1u) {
      let o = (plane * P.oh + oy) * P.ow + ox;
      if (ARG[P.argOff + o] == here) { acc = acc + DY[P.yOff + o]; }
    }
  }
  DX[P.xOff + i] = DX[P.xOff + i] + acc;
`);

export const maxPool2dKernel: GpuOpKernel = {
  prepare({ ctx, attrs, inputShapes, inputs, output, dOutput, dInputs, workspace }) {
    const q = poolPlan(inputShapes[0], attrs);
    const arg = workspace('argmax', output.length);
    const geometry = [q.h, q.w, q.outH, q.outW, q.k[0], q.k[1], q.s[0], q.s[1], q.p[0], q.p[1]];
    const fwd = grid1d(ctx, output.length);
    const forward = [
      bindDispatch(ctx, 'maxpool2d:fwd', () => FORWARD, [inputs[0].buffer, output.buffer, arg.buffer], words([...geometry, inputs[0].offset, output.offset, arg.offset, fwd.rowStride, output.length], { 15: -Infinity }), fwd.workgroups),
    ];
    const backward: GpuDispatch[] = [];
    const dx = dInputs[0];
    if (dOutput && dx) {
      const b = grid1d(ctx, dx.length);
      backward.push(bindDispatch(ctx, 'maxpool2d:bwd', () => BACKWARD, [dOutput.buffer, arg.buffer, dx.buffer], words([...geometry, dx.offset, dOutput.offset, arg.offset, b.rowStride, dx.length]), b.workgroups));
    }
    return { forward, backward };
  },
};

// Y[plane, oy, ox] = (1/(kH·kW))·Σ over the window clipped to the image (padding adds zeros).
const AVG_FORWARD = kernel1d(PARAMS, [['X', 'read'], ['Y', 'read_write']], `  ${WINDOW}
  var acc = 0.0;
  for (var yy = ys; yy < ye; yy = yy + 1u) {
    for (var xx = xs; xx < xe; xx = xx + 1u) { acc = acc + X[base + yy * P.w + xx]; }
  }
  Y[P.yOff + i] = acc * P.scalar;
`);

// dX[plane, y, x] += (1/(kH·kW))·Σ_{windows covering (y, x)} dY[plane, oy, ox]
const AVG_BACKWARD = kernel1d(PARAMS, [['DY', 'read'], ['DX', 'read_write']], `  let x = i % P.w;
  let y = (i / P.w) % P.h;
  let plane = i / (P.w * P.h);
  ${COVERING}
  var acc = 0.0;
  for (var oy = oy0; oy < oy1; oy = oy + 1u) {
    for (var ox = ox0; ox < ox1; ox = ox + 1u) { acc = acc + DY[P.yOff + (plane * P.oh + oy) * P.ow + ox]; }
  }
  DX[P.xOff + i] = DX[P.xOff + i] + acc * P.scalar;
`);

export const avgPool2dKernel: GpuOpKernel = {
  prepare({ ctx, attrs, inputShapes, inputs, output, dOutput, dInputs }) {
    const q = poolPlan(inputShapes[0], attrs);
    const geometry = [q.h, q.w, q.outH, q.outW, q.k[0], q.k[1], q.s[0], q.s[1], q.p[0], q.p[1]];
    const inv = { 15: 1 / (q.k[0] * q.k[1]) };
    const fwd = grid1d(ctx, output.length);
    const forward = [
      bindDispatch(ctx, 'avgpool2d:fwd', () => AVG_FORWARD, [inputs[0].buffer, output.buffer], words([...geometry, inputs[0].offset, output.offset, 0, fwd.rowStride, output.length], inv), fwd.workgroups),
    ];
    const backward: GpuDispatch[] = [];
    const dx = dInputs[0];
    if (dOutput && dx) {
      const b = grid1d(ctx, dx.length);
      backward.push(bindDispatch(ctx, 'avgpool2d:bwd', () => AVG_BACKWARD, [dOutput.buffer, dx.buffer], words([...geometry, dx.offset, dOutput.offset, 0, b.rowStride, dx.length], inv), b.workgroups));
    }
    return { forward, backward };
  },
};

const GLOBAL_PARAMS = `struct Params {
  size: u32, xOff: u32, yOff: u32, rowStride: u32,
  total: u32, inv: f32,
}`;

/** Lanes that sum one plane of GlobalAvgPool's forward together. */
const GLOBAL_LANES = 64;

// Y[plane] = (1/size)·Σ_{j < size} X[plane·size + j]   (a plane: one (n, c), size = H·W or L).
// One workgroup per plane: its lanes read the plane's consecutive elements side by side (lane l
// sums j ≡ l mod 64), then a tree in workgroup memory adds the 64 sums. (One invocation per plane
// reading it alone ran 65 µs a dispatch on the H200 for mobilenet's squeeze-excite pools.)
const GLOBAL_FORWARD = `${GLOBAL_PARAMS}
${bindings([['X', 'read'], ['Y', 'read_write']])}
var<workgroup> part: array<f32, ${GLOBAL_LANES}>;
@compute @workgroup_size(${GLOBAL_LANES})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let plane = wg.y * P.rowStride + wg.x;
  if (plane >= P.total) { return; }
  let base = P.xOff + plane * P.size;
  var acc = 0.0;
  for (var j = lane; j < P.size; j = j + ${GLOBAL_LANES}u) { acc = acc + X[base + j]; }
  part[lane] = acc;
  workgroupBarrier();
  for (var s = ${GLOBAL_LANES / 2}u; s > 0u; s = s / 2u) {
    if (lane < s) { part[lane] = part[lane] + part[lane + s]; }
    workgroupBarrier();
  }
  if (lane == 0u) { Y[P.yOff + plane] = part[0] * P.inv; }
}
`;

// dX[i] += dY[i / size] · (1/size)
const GLOBAL_BACKWARD = kernel1d(GLOBAL_PARAMS, [['DY', 'read'], ['DX', 'read_write']], `  DX[P.xOff + i] = DX[P.xOff + i] + DY[P.yOff + i / P.size] * P.inv;
`);

export const globalAvgPoolKernel: GpuOpKernel = {
  prepare({ ctx, inputs, output, dOutput, dInputs }) {
    const x = inputs[0];
    // As the op file: each of the N·C planes holds length/planes elements (the trailing dims).
    const size = x.length / Math.max(1, output.length);
    const inv = { 5: 1 / size };
    // A workgroup per plane, `gridX` of them to a row of the grid (rowStride in the uniforms).
    const gridX = Math.max(1, Math.min(output.length, ctx.device.limits.maxComputeWorkgroupsPerDimension));
    const fwd: [number, number, number] = [gridX, Math.ceil(output.length / gridX), 1];
    const forward = [bindDispatch(ctx, 'globalavgpool:fwd', () => GLOBAL_FORWARD, [x.buffer, output.buffer], words([size, x.offset, output.offset, gridX, output.length], inv), fwd)];
    const backward: GpuDispatch[] = [];
    const dx = dInputs[0];
    if (dOutput && dx) {
      const b = grid1d(ctx, dx.length);
      backward.push(bindDispatch(ctx, 'globalavgpool:bwd', () => GLOBAL_BACKWARD, [dOutput.buffer, dx.buffer], words([size, dx.offset, dOutput.offset, b.rowStride, dx.length], inv), b.workgroups));
    }
    return { forward, backward };
  },
};
