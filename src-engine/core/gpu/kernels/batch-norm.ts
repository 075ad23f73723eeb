/// <reference types="@webgpu/types" />
/**
 * BatchNorm on the GPU, as `core/ops/batch-norm.ts` (`torch.nn.BatchNorm1d/2d`: `[N, C]`,
 * `[N, C, L]`, `[N, C, H, W]`; eps, momentum, affine; running statistics as buffers):
 * - training forward: per channel, one workgroup reduces the channel's M = N·L values (or N·H·W;
 *   one invocation, where M is below {@link SERIAL_MAX_M}) to the batch mean and then, in a second pass over the same values, the biased variance
 *   Σ(x − mean)²/M; it writes the mean and 1/√(var + eps) to a workspace and updates
 *   `running = (1 − momentum)·running + momentum·stat` with the UNBIASED variance (M/(M − 1); the
 *   biased one when M = 1), as the op file does. Then one invocation per element writes
 *   x̂ = (x − mean)/σ (kept for the backward, as the op file's workspace) and y = γ·x̂ + β;
 * - eval forward: the same per-element pass over a mean and 1/σ taken from the running statistics,
 *   which it leaves alone;
 * - backward: per channel, one workgroup (or invocation) sums dy and dy·x̂ (dβ and dγ, added into the gradients),
 *   then one invocation per element adds dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)).
 *
 * NOTE: sums are float32 (each of a workgroup's 256 invocations sums a strided share of the
 * channel, then a tree over the workgroup), where the op file sums in float64: the statistics
 * differ by a few float32 roundings of their sums; the two-pass variance avoids the cancellation
 * of E[x²] − mean². A channel is one workgroup, so a reduction is correct for any M but its
 * parallelism is C workgroups (a split over several workgroups per channel is for a real GPU to
 * measure).
 *
 * `affine` changes the shaders' bindings (γ and β, dγ and dβ exist or not), so it is part of the
 * pipeline keys; every size is a uniform.
 */
import { floatAttr, boolAttr } from '../../ops/shape-util';
import type { GpuContext } from '../context';
import type { GpuDispatch } from '../gemm';
import { WORKGROUP, bindDispatch, grid1d, words } from './dispatch';
import type { GpuOpKernel } from './types';

/**
 * What every BatchNorm shader reads. `a`…`e` are the offsets of the shader's tensors, in the order
 * its comment gives; `stride` is the grid's row stride (elementwise) or workgroups per row
 * (per channel).
 */
const PARAMS = `struct Params {
  n: u32, c: u32, inner: u32, total: u32,
  a: u32, b: u32, cc: u32, d: u32,
  e: u32, f: u32, stride: u32, _p: u32,
  eps: f32, momentum: f32, _q: u32, _r: u32,
}`;

/** Element `j` (of M = N·inner) of channel `ch`, as a flat index of `[N, C, inner]`. */
const AT = `fn at(ch: u32, j: u32) -> u32 { return ((j / P.inner) * P.c + ch) * P.inner + j % P.inner; }`;

/** Tree reduction of `red` over the workgroup; afterwards `red[0]` holds the sum. */
const REDUCE = `workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }`;

/** The channel of this workgroup (a per-channel dispatch); uniform, so the early return keeps barriers uniform. */
const CHANNEL = `let ch = wid.y * P.stride + wid.x;
  if (ch >= P.c) { return; }
  let m = P.n * P.inner;`;

/**
 * Below this many values per channel (M = N·inner: a BatchNorm1d after a Linear, whose M is the
 * batch size), one invocation sums a channel alone, in order, and a dispatch has one invocation
 * per channel: a workgroup of 256 per channel would leave all but M of them idle through the
 * tree's 8 barriers. On SwiftShader (a barrier switches every invocation's coroutine) the DCGAN
 * template's BatchNorm over 1,568 features of 8 samples took 1.0 s for its statistics and 0.9 s
 * for their gradient this way, under 1 ms each serially: a training step went from 3.1 to 1.4 s.
 */
export const SERIAL_MAX_M = WORKGROUP;

/**
 * The per-channel head of a statistics shader: one workgroup per channel (its tree's workgroup
 * array holding `red`s), or one invocation (`serial`).
 */
function channelMain(serial: boolean, red: string): string {
  return serial
    ? `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ch = gid.y * P.stride + gid.x;
  if (ch >= P.c) { return; }
  let m = P.n * P.inner;`
    : `var<workgroup> red: array<${red}, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  ${CHANNEL}`;
}

/**
 * `acc` (of type `type`, zero `zero`) summed over the channel's values `j` by `add` (a statement
 * adding to `acc`), into `out`: the workgroup's strided shares and tree, or the serial loop with
 * Kahan's compensation (a plain running sum's rounding grows with M, where the tree's grows
 * with log M; the compensated one's does not grow: the noise-only gradient of a bias before a
 * BatchNorm, zero in exact arithmetic, stays as small as the tree's).
 */
function channelSum(serial: boolean, type: string, zero: string, add: string, out: string): string {
  return serial
    ? `var ${out} = ${zero};
  {
    var lost = ${zero};
    for (var j = 0u; j < m; j = j + 1u) {
      var acc = ${zero};
      ${add}
      let step = acc - lost;
      let next = ${out} + step;
      lost = (next - ${out}) - step;
      ${out} = next;
    }
  }`
    : `{
    var acc = ${zero};
    for (var j = lid; j < m; j = j + ${WORKGROUP}u) { ${add} }
    red[lid] = acc;
  }
  ${REDUCE}
  let ${out}: ${type} = red[0];
  // Everyone has read red[0] before anything overwrites it.
  workgroupBarrier();`;
}

// Offsets: a = x, b = stats (mean[C] then 1/σ[C]), cc = running mean, d = running var.
function trainStats(serial: boolean): string {
  const only = serial ? '' : 'if (lid == 0u) ';
  return `${PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> RM: array<f32>;
@group(0) @binding(3) var<storage, read_write> RV: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;
${AT}
${channelMain(serial, 'f32')}
  ${channelSum(serial, 'f32', '0.0', 'acc = acc + X[P.a + at(ch, j)];', 'sum')}
  let mean = sum / f32(m);
  ${channelSum(serial, 'f32', '0.0', 'let dev = X[P.a + at(ch, j)] - mean; acc = acc + dev * dev;', 'ss')}
  ${only}{
    let variance = ss / f32(m);
    S[P.b + ch] = mean;
    S[P.b + P.c + ch] = 1.0 / sqrt(variance + P.eps);
    // NOTE: one value per channel has no unbiased variance; the op file then takes the biased one (0).
    var unbiased = variance;
    if (m > 1u) { unbiased = ss / f32(m - 1u); }
    RM[P.cc + ch] = (1.0 - P.momentum) * RM[P.cc + ch] + P.momentum * mean;
    RV[P.d + ch] = (1.0 - P.momentum) * RV[P.d + ch] + P.momentum * unbiased;
  }
}
`;
}

// Offsets: cc = running mean, d = running var, b = stats. One invocation per channel.
const EVAL_STATS = `${PARAMS}
@group(0) @binding(0) var<storage, read> RM: array<f32>;
@group(0) @binding(1) var<storage, read> RV: array<f32>;
@group(0) @binding(2) var<storage, read_write> S: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ch = gid.y * P.stride + gid.x;
  if (ch >= P.c) { return; }
  S[P.b + ch] = RM[P.cc + ch];
  S[P.b + P.c + ch] = 1.0 / sqrt(RV[P.d + ch] + P.eps);
}
`;

// Offsets: a = x, b = stats, cc = γ, d = β, e = y, f = x̂. One invocation per element.
function normalize(affine: boolean): string {
  return `${PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> XH: array<f32>;
${affine ? `@group(0) @binding(4) var<storage, read> G: array<f32>;
@group(0) @binding(5) var<storage, read> B: array<f32>;
@group(0) @binding(6) var<uniform> P: Params;` : '@group(0) @binding(4) var<uniform> P: Params;'}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.stride + gid.x;
  if (i >= P.total) { return; }
  let ch = (i / P.inner) % P.c;
  let xh = (X[P.a + i] - S[P.b + ch]) * S[P.b + P.c + ch];
  XH[P.f + i] = xh;
  Y[P.e + i] = ${affine ? 'xh * G[P.cc + ch] + B[P.d + ch]' : 'xh'};
}
`;
}

// Offsets: a = dy, f = x̂, b = dstats (Σdy[C] then Σdy·x̂[C]), cc = dγ, d = dβ.
function backwardStats(affine: boolean, serial: boolean): string {
  return `${PARAMS}
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> XH: array<f32>;
@group(0) @binding(2) var<storage, read_write> DS: array<f32>;
${affine ? `@group(0) @binding(3) var<storage, read_write> DG: array<f32>;
@group(0) @binding(4) var<storage, read_write> DB: array<f32>;
@group(0) @binding(5) var<uniform> P: Params;` : '@group(0) @binding(3) var<uniform> P: Params;'}
${AT}
${channelMain(serial, 'vec2<f32>')}
  ${channelSum(serial, 'vec2<f32>', 'vec2<f32>(0.0, 0.0)', 'let k = at(ch, j); let dy = DY[P.a + k]; acc = acc + vec2<f32>(dy, dy * XH[P.f + k]);', 't')}
  ${serial ? '' : 'if (lid == 0u) '}{
    DS[P.b + ch] = t.x;
    DS[P.b + P.c + ch] = t.y;
    ${affine ? `DG[P.cc + ch] = DG[P.cc + ch] + t.y;
    DB[P.d + ch] = DB[P.d + ch] + t.x;` : ''}
  }
}
`;
}

// Offsets: a = dy, f = x̂, b = stats, e = dstats, cc = γ, d = dx. One invocation per element.
// NOTE: batch statistics depend on x, so dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)) (the op file's form).
function backwardInput(affine: boolean): string {
  return `${PARAMS}
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> XH: array<f32>;
@group(0) @binding(2) var<storage, read> S: array<f32>;
@group(0) @binding(3) var<storage, read> DS: array<f32>;
@group(0) @binding(4) var<storage, read_write> DX: array<f32>;
${affine ? `@group(0) @binding(5) var<storage, read> G: array<f32>;
@group(0) @binding(6) var<uniform> P: Params;` : '@group(0) @binding(5) var<uniform> P: Params;'}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.stride + gid.x;
  if (i >= P.total) { return; }
  let ch = (i / P.inner) % P.c;
  let m = f32(P.n * P.inner);
  let k = ${affine ? 'G[P.cc + ch] * ' : ''}S[P.b + P.c + ch];
  let meanDy = DS[P.e + ch] / m;
  let meanDyXh = DS[P.e + P.c + ch] / m;
  DX[P.d + i] = DX[P.d + i] + k * (DY[P.a + i] - meanDy - XH[P.f + i] * meanDyXh);
}
`;
}

/** Workgroups for one workgroup per channel: `[x, y]` rows of up to the device's limit. */
function perChannel(ctx: GpuContext, c: number): { workgroups: [number, number, number]; stride: number } {
  const x = Math.min(c, ctx.device.limits.maxComputeWorkgroupsPerDimension);
  return { workgroups: [x, Math.ceil(c / x), 1], stride: x };
}

export const batchNormKernel: GpuOpKernel = {
  prepare({ ctx, attrs, inputShapes, inputs, output, params, dParams, buffers, dOutput, dInputs, workspace }) {
    const shape = inputShapes[0];
    const [n, c] = shape;
    const inner = shape.slice(2).reduce((a, b) => a * b, 1);
    const total = n * c * inner;
    const affine = boolAttr(attrs, 'affine');
    const tag = affine ? 'affine' : 'plain';
    const eps = floatAttr(attrs, 'eps');
    const momentum = floatAttr(attrs, 'momentum');
    const x = inputs[0];
    const { runningMean: rm, runningVar: rv } = buffers;
    const gamma = params.weight;
    const beta = params.bias;
    const xhat = workspace('xhat', total);
    /** mean[C] then 1/σ[C], of the batch (training) or the running statistics (eval). */
    const stats = workspace('stats', 2 * c);
    /** Uniform words: sizes, offsets a…f, the grid's stride, eps and momentum. */
    const u = (offsets: { a?: number; b?: number; cc?: number; d?: number; e?: number; f?: number }, stride: number) =>
      words([n, c, inner, total, offsets.a ?? 0, offsets.b ?? 0, offsets.cc ?? 0, offsets.d ?? 0, offsets.e ?? 0, offsets.f ?? 0, stride], { 12: eps, 13: momentum });

    const elems = grid1d(ctx, total);
    const chGrid = grid1d(ctx, c);
    /** The statistics' grid: a workgroup per channel, or an invocation per channel for a small M. */
    const serial = n * inner < SERIAL_MAX_M;
    const channels = serial ? { workgroups: chGrid.workgroups, stride: chGrid.rowStride } : perChannel(ctx, c);
    const how = serial ? 'serial' : 'tree';
    const norm = bindDispatch(
      ctx,
      `batchnorm:norm:${tag}`,
      () => normalize(affine),
      [x.buffer, stats.buffer, output.buffer, xhat.buffer, ...(affine ? [gamma.buffer, beta.buffer] : [])],
      u({ a: x.offset, b: stats.offset, cc: gamma?.offset, d: beta?.offset, e: output.offset, f: xhat.offset }, elems.rowStride),
      elems.workgroups,
      4 * total,
    );
    const forward: GpuDispatch[] = [
      bindDispatch(ctx, `batchnorm:train-stats:${how}`, () => trainStats(serial), [x.buffer, stats.buffer, rm.buffer, rv.buffer], u({ a: x.offset, b: stats.offset, cc: rm.offset, d: rv.offset }, channels.stride), channels.workgroups),
      norm,
    ];
    const evalForward: GpuDispatch[] = [
      bindDispatch(ctx, 'batchnorm:eval-stats', () => EVAL_STATS, [rm.buffer, rv.buffer, stats.buffer], u({ b: stats.offset, cc: rm.offset, d: rv.offset }, chGrid.rowStride), chGrid.workgroups),
      norm,
    ];

    const backward: GpuDispatch[] = [];
    if (dOutput) {
      /** Σdy[C] then Σdy·x̂[C]. */
      const dstats = workspace('dstats', 2 * c);
      const dGamma = dParams.weight;
      const dBeta = dParams.bias;
      backward.push(
        bindDispatch(
          ctx,
          `batchnorm:grad-stats:${tag}:${how}`,
          () => backwardStats(affine, serial),
          [dOutput.buffer, xhat.buffer, dstats.buffer, ...(affine ? [dGamma.buffer, dBeta.buffer] : [])],
          u({ a: dOutput.offset, f: xhat.offset, b: dstats.offset, cc: dGamma?.offset, d: dBeta?.offset }, channels.stride),
          channels.workgroups,
        ),
      );
      const dx = dInputs[0];
      if (dx) {
        backward.push(
          bindDispatch(
            ctx,
            `batchnorm:dx:${tag}`,
            () => backwardInput(affine),
            [dOutput.buffer, xhat.buffer, stats.buffer, dstats.buffer, dx.buffer, ...(affine ? [gamma.buffer] : [])],
            u({ a: dOutput.offset, f: xhat.offset, b: stats.offset, e: dstats.offset, cc: gamma?.offset, d: dx.offset }, elems.rowStride),
            elems.workgroups,
          ),
        );
      }
    }
    return { forward, evalForward, backward };
  },
};
