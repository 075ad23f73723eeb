/// <reference types="@webgpu/types" />
/**
 * LayerNorm and GroupNorm on the GPU. GroupNorm (`core/ops/group-norm.ts`) is LayerNorm over rows
 * of one sample's group of channels, with γ/β per channel instead of per element ({@link
 * NormLayout}); the same three kernels serve both. LayerNorm on the GPU, as `core/ops/layer-norm.ts` (`torch.nn.LayerNorm(x.shape[-k:], eps,
 * elementwise_affine)`: each row of D = the product of the last `normalizedDims` dims normalised on
 * its own; the same in training and eval), in three dispatches per step and no atomics:
 * - forward: one workgroup (256 invocations) per row reduces its D values to the mean, then in a
 *   second pass over the same values to Σ(x − mean)² (no E[x²] − mean² cancellation), and writes
 *   1/√(var + eps) (biased variance) to a workspace; then each invocation writes its strided share
 *   of x̂ = (x − mean)/σ (kept for the backward, as the op file's workspace) and y = γ·x̂ + β
 *   (y = x̂ without `elementwiseAffine`);
 * - backward, input: one workgroup per row sums g = dy·γ and g·x̂ over the row, then adds
 *   dx = 1/σ·(g − mean(g) − x̂·mean(g·x̂)) for its share (the op file's form);
 * - backward, parameters: one invocation per normalised element j adds Σ_rows dy·x̂ into dγ_j and
 *   Σ_rows dy into dβ_j, down the rows in order — a gather over rows, as the op file's loop, so no
 *   two invocations write one value.
 *
 * NOTE: row sums are float32 (a strided share per invocation, then a tree over the workgroup)
 * where the op file sums in float64, so the statistics differ by a few float32 roundings of their
 * sums; x − mean is then a float32 subtraction, whose rounding is relative to |x|, not to σ (a row
 * far from zero loses digits of x̂ on both sides, more on the GPU). dβ adds the same float32 values
 * in the same order as the op file and is exact for the same dy. A NaN in a row makes that row's
 * mean, and so all of its outputs, NaN, as on the CPU.
 *
 * A row is one workgroup: correct for any D, its parallelism is the number of rows (for few rows
 * of very many values, a split over several workgroups per row is for a real GPU to measure).
 * `elementwiseAffine` changes the bindings (γ, β, dγ, dβ), so it is part of the pipeline keys;
 * every size and eps are uniforms.
 */
import type { Attrs } from '../../../base/ir/types';
import { boolAttr, floatAttr, intAttr } from '../../ops/shape-util';
import type { GpuContext } from '../context';
import type { GpuDispatch } from '../gemm';
import { channelsOf, columnSum } from './column-sum';
import { WORKGROUP, bindDispatch, words } from './dispatch';
import type { GpuOpKernel } from './types';

/**
 * What every LayerNorm shader reads: `a`…`g` are the offsets of the shader's tensors in the order
 * its comment gives; `stride` is the grid's workgroups per row (per-row dispatches) or row stride
 * (per-element ones).
 */
const PARAMS = `struct Params {
  rows: u32, d: u32, stride: u32, _p: u32,
  a: u32, b: u32, c: u32, e: u32,
  f: u32, g: u32, per: u32, groups: u32,
  eps: f32, _s: u32, _t: u32, _u: u32,
}`;

/**
 * The γ/β entry of element j of `row`: j itself for LayerNorm (groups = per = 1); GroupNorm's
 * channel, `(row mod groups)·channels-per-group + j / per`, for `per` positions per channel.
 */
const AFFINE_INDEX = `fn aff(row: u32, j: u32) -> u32 { return (row % P.groups) * (P.d / P.per) + j / P.per; }`;

/** Tree reduction of `red` over the workgroup; afterwards `red[0]` holds the sum. */
const REDUCE = `workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }`;

/** The row of this workgroup; uniform, so the early return keeps the barriers uniform. */
const ROW = `let row = wid.y * P.stride + wid.x;
  if (row >= P.rows) { return; }
  let base = row * P.d;`;

// Offsets: a = x, b = y, c = x̂, e = 1/σ per row, f = γ, g = β.
function forward(affine: boolean): string {
  return `${PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<storage, read_write> XH: array<f32>;
@group(0) @binding(3) var<storage, read_write> INV: array<f32>;
${affine ? `@group(0) @binding(4) var<storage, read> G: array<f32>;
@group(0) @binding(5) var<storage, read> B: array<f32>;
@group(0) @binding(6) var<uniform> P: Params;` : '@group(0) @binding(4) var<uniform> P: Params;'}
var<workgroup> red: array<f32, ${WORKGROUP}>;
${AFFINE_INDEX}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  ${ROW}
  var sum = 0.0;
  for (var j = lid; j < P.d; j = j + ${WORKGROUP}u) { sum = sum + X[P.a + base + j]; }
  red[lid] = sum;
  ${REDUCE}
  let mean = red[0] / f32(P.d);
  // Everyone has read red[0] before the second reduction overwrites it.
  workgroupBarrier();
  var ss = 0.0;
  for (var j = lid; j < P.d; j = j + ${WORKGROUP}u) {
    let t = X[P.a + base + j] - mean;
    ss = ss + t * t;
  }
  red[lid] = ss;
  ${REDUCE}
  let inv = 1.0 / sqrt(red[0] / f32(P.d) + P.eps);
  if (lid == 0u) { INV[P.e + row] = inv; }
  for (var j = lid; j < P.d; j = j + ${WORKGROUP}u) {
    let xh = (X[P.a + base + j] - mean) * inv;
    XH[P.c + base + j] = xh;
    Y[P.b + base + j] = ${affine ? 'xh * G[P.f + aff(row, j)] + B[P.g + aff(row, j)]' : 'xh'};
  }
}
`;
}

// Offsets: a = dy, c = x̂, e = 1/σ per row, f = γ, b = dx.
function backwardInput(affine: boolean): string {
  return `${PARAMS}
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> XH: array<f32>;
@group(0) @binding(2) var<storage, read> INV: array<f32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;
${affine ? `@group(0) @binding(4) var<storage, read> G: array<f32>;
@group(0) @binding(5) var<uniform> P: Params;` : '@group(0) @binding(4) var<uniform> P: Params;'}
var<workgroup> red: array<vec2<f32>, ${WORKGROUP}>;
${AFFINE_INDEX}
fn grad(row: u32, base: u32, j: u32) -> f32 { return DY[P.a + base + j]${affine ? ' * G[P.f + aff(row, j)]' : ''}; }
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  ${ROW}
  var acc = vec2<f32>(0.0, 0.0);
  for (var j = lid; j < P.d; j = j + ${WORKGROUP}u) {
    let g = grad(row, base, j);
    acc = acc + vec2<f32>(g, g * XH[P.c + base + j]);
  }
  red[lid] = acc;
  ${REDUCE}
  let meanG = red[0].x / f32(P.d);
  let meanGXh = red[0].y / f32(P.d);
  let inv = INV[P.e + row];
  for (var j = lid; j < P.d; j = j + ${WORKGROUP}u) {
    let i = base + j;
    DX[P.b + i] = DX[P.b + i] + inv * (grad(row, base, j) - meanG - XH[P.c + i] * meanGXh);
  }
}
`;
}

/** Workgroups for one workgroup per row: `[x, y]` rows of up to the device's limit. */
function perRow(ctx: GpuContext, rows: number): { workgroups: [number, number, number]; stride: number } {
  const x = Math.min(rows, ctx.device.limits.maxComputeWorkgroupsPerDimension);
  return { workgroups: [x, Math.ceil(rows / x), 1], stride: x };
}

/**
 * How a normalisation splits its input: `rows` rows of `d` values each normalised on its own, and
 * its γ/β (`entries` of them) per `per` consecutive values of a row, the row's group of channels
 * being `row mod groups`.
 */
interface NormLayout {
  rows: number;
  d: number;
  per: number;
  groups: number;
  affine: boolean;
  eps: number;
}

function normKernel(layout: (attrs: Attrs, shape: readonly number[]) => NormLayout): GpuOpKernel {
  return {
    prepare({ ctx, attrs, inputShapes, inputs, output, params, dParams, dOutput, dInputs, workspace }) {
      const { rows, d, per, groups, affine, eps } = layout(attrs, inputShapes[0]);
      const tag = affine ? 'affine' : 'plain';
      const x = inputs[0];
      const gamma = params.weight;
      const beta = params.bias;
      const xhat = workspace('xhat', rows * d);
      const invStd = workspace('invStd', rows);
      const u = (o: { a?: number; b?: number; c?: number; e?: number; f?: number; g?: number }, stride: number) =>
        words([rows, d, stride, 0, o.a ?? 0, o.b ?? 0, o.c ?? 0, o.e ?? 0, o.f ?? 0, o.g ?? 0, per, groups], { 12: eps });
      const byRow = perRow(ctx, rows);
      const forwardDispatches: GpuDispatch[] = [
        bindDispatch(
          ctx,
          `layernorm:fwd:${tag}`,
          () => forward(affine),
          [x.buffer, output.buffer, xhat.buffer, invStd.buffer, ...(affine ? [gamma.buffer, beta.buffer] : [])],
          u({ a: x.offset, b: output.offset, c: xhat.offset, e: invStd.offset, f: gamma?.offset, g: beta?.offset }, byRow.stride),
          byRow.workgroups,
        ),
      ];
      const backward: GpuDispatch[] = [];
      if (dOutput) {
        const dx = dInputs[0];
        if (dx) {
          backward.push(
            bindDispatch(
              ctx,
              `layernorm:dx:${tag}`,
              () => backwardInput(affine),
              [dOutput.buffer, xhat.buffer, invStd.buffer, dx.buffer, ...(affine ? [gamma.buffer] : [])],
              u({ a: dOutput.offset, c: xhat.offset, e: invStd.offset, f: gamma?.offset, b: dx.offset }, byRow.stride),
              byRow.workgroups,
            ),
          );
        }
        if (affine) {
          // γ's and β's gradients: per entry, Σ dy·x̂ and Σ dy over its values in every row
          // (a channel's over each sample for GroupNorm), split over workgroups (column-sum.ts).
          const entries = channelsOf(rows / groups, groups * (d / per), per);
          backward.push(...columnSum(ctx, 'layernorm:dgamma', entries, 'ab', 'add', dOutput, dParams.weight, xhat));
          backward.push(...columnSum(ctx, 'layernorm:dbeta', entries, 'a', 'add', dOutput, dParams.bias));
        }
      }
      return { forward: forwardDispatches, backward };
    },
  };
}

export const layerNormKernel = normKernel((attrs, shape) => {
  const k = intAttr(attrs, 'normalizedDims');
  return {
    rows: shape.slice(0, shape.length - k).reduce((a, b) => a * b, 1),
    d: shape.slice(shape.length - k).reduce((a, b) => a * b, 1),
    per: 1,
    groups: 1,
    affine: boolAttr(attrs, 'elementwiseAffine'),
    eps: floatAttr(attrs, 'eps'),
  };
});

/** GroupNorm: a row per (sample, group) of its channels' values, γ/β per channel. */
export const groupNormKernel = normKernel((attrs, shape) => {
  const groups = intAttr(attrs, 'numGroups');
  const per = shape.slice(2).reduce((a, b) => a * b, 1);
  return { rows: shape[0] * groups, d: (shape[1] / groups) * per, per, groups, affine: boolAttr(attrs, 'affine'), eps: floatAttr(attrs, 'eps') };
});
