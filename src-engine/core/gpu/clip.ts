/// <reference types="@webgpu/types" />
/**
 * Gradient clipping on the GPU, as `core/optim/clip.ts` (PyTorch's `clip_grad_norm_` and
 * `clip_grad_value_`), between the backward pass and the optimizer's update of the same command
 * buffer: {@link withGradClip} wraps a {@link GpuOptimizer} so its step's dispatches start with
 * the clipping's.
 *
 * By norm, three dispatches kinds: each parameter's gradient is reduced to per-workgroup sums of
 * squares (a shared-memory tree) in a scratch array; one workgroup adds the partial sums, takes
 * the root and writes the coefficient `maxNorm / (total + 1e-6)` when it is below 1 (else 1);
 * each gradient is multiplied by it. A non-finite total leaves the gradients as they are (the
 * coefficient is 1), as on the CPU, so the divergence guard sees them.
 *
 * NOTE: the sum of squares is float32 in a tree here and float64 in order on the CPU, so the
 * coefficient differs by a few float32 roundings (relative ~1e-6), within the executor tests'
 * bounds. The finiteness test reads the float's exponent bits: WGSL lets an implementation assume
 * there are no NaNs, and SwiftShader's `x != x` is false for one.
 */
import type { GradClipConfig } from '../../base/ir/types';
import { checkHyper } from '../optim/base';
import type { GpuContext } from './context';
import type { GpuDispatch } from './gemm';
import { WORKGROUP, bindDispatch, grid1d, words } from './kernels/dispatch';
import type { GpuOptimizer, GpuOptimParam } from './optim';

const PARTIAL = `struct Params { n: u32, gOff: u32, outOff: u32, rowStride: u32, }
@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;
var<workgroup> acc: array<f32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  var v = 0.0;
  if (i < P.n) { let g = G[P.gOff + i]; v = g * g; }
  acc[li] = v;
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (li < s) { acc[li] = acc[li] + acc[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) { OUT[P.outOff + wg.y * nwg.x + wg.x] = acc[0]; }
}
`;

const TOTAL = `struct Params { count: u32, maxNorm: f32, _a: u32, _b: u32, }
@group(0) @binding(0) var<storage, read> PART: array<f32>;
@group(0) @binding(1) var<storage, read_write> COEF: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;
var<workgroup> acc: array<f32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) li: u32) {
  var v = 0.0;
  for (var i = li; i < P.count; i = i + ${WORKGROUP}u) { v = v + PART[i]; }
  acc[li] = v;
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (li < s) { acc[li] = acc[li] + acc[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) {
    let total = sqrt(acc[0]);
    let finite = (bitcast<u32>(total) & 0x7f800000u) != 0x7f800000u;
    let coef = P.maxNorm / (total + 1e-6);
    COEF[0] = select(1.0, coef, finite && coef < 1.0);
  }
}
`;

function scaleShader(byValue: boolean): string {
  return `struct Params { n: u32, gOff: u32, rowStride: u32, clip: f32, }
@group(0) @binding(0) var<storage, read_write> G: array<f32>;
${byValue ? '' : '@group(0) @binding(1) var<storage, read> COEF: array<f32>;'}
@group(0) @binding(${byValue ? 1 : 2}) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  let g = G[P.gOff + i];
  ${byValue ? 'G[P.gOff + i] = select(select(g, -P.clip, g < -P.clip), P.clip, g > P.clip);' : 'G[P.gOff + i] = g * COEF[0];'}
}
`;
}

/** The dispatches that clip `params`' gradients as `clip` says, recorded once. */
export function prepareGradClip(ctx: GpuContext, clip: GradClipConfig, params: readonly GpuOptimParam[]): GpuDispatch[] {
  if (clip.kind === 'value') {
    checkHyper('clipValue', clip.clipValue, clip.clipValue >= 0);
    return params.map((p) => {
      const { workgroups, rowStride } = grid1d(ctx, p.grad.length);
      return bindDispatch(ctx, 'clip:value', () => scaleShader(true), [p.grad.buffer], words([p.grad.length, p.grad.offset, rowStride], { 3: clip.clipValue }), workgroups);
    });
  }
  checkHyper('maxNorm', clip.maxNorm, clip.maxNorm >= 0);
  const coef = ctx.createTensor(1, 'clip coefficient');
  const grids = params.map((p) => grid1d(ctx, p.grad.length));
  const counts = grids.map((g) => g.workgroups[0] * g.workgroups[1]);
  const partials = ctx.createTensor(counts.reduce((a, b) => a + b, 0), 'clip partial sums');
  const out: GpuDispatch[] = [];
  let at = 0;
  params.forEach((p, i) => {
    out.push(bindDispatch(ctx, 'clip:sumsq', () => PARTIAL, [p.grad.buffer, partials.buffer], words([p.grad.length, p.grad.offset, partials.offset + at, grids[i].rowStride]), grids[i].workgroups));
    at += counts[i];
  });
  // The partial sums and the coefficient are tensors of their own (offset 0), read from element 0.
  out.push(bindDispatch(ctx, 'clip:total', () => TOTAL, [partials.buffer, coef.buffer], words([partials.length], { 1: clip.maxNorm }), [1, 1, 1]));
  params.forEach((p, i) => {
    out.push(bindDispatch(ctx, 'clip:scale', () => scaleShader(false), [p.grad.buffer, coef.buffer], words([p.grad.length, p.grad.offset, grids[i].rowStride]), grids[i].workgroups));
  });
  return out;
}

/** `optimizer` with `clip` applied to its parameters' gradients first, in the same step. */
export function withGradClip(ctx: GpuContext, clip: GradClipConfig | undefined, params: readonly GpuOptimParam[], optimizer: GpuOptimizer): GpuOptimizer {
  if (!clip) return optimizer;
  const clipping = prepareGradClip(ctx, clip, params);
  return {
    get kind() {
      return optimizer.kind;
    },
    get lr() {
      return optimizer.lr;
    },
    set lr(v: number) {
      optimizer.lr = v;
    },
    get stepCount() {
      return optimizer.stepCount;
    },
    prepareStep: (lr) => [...clipping, ...optimizer.prepareStep(lr)],
    dispatches: [...clipping, ...optimizer.dispatches],
    state: () => optimizer.state(),
    loadState: (state) => optimizer.loadState(state),
  };
}
