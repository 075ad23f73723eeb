/// <reference types="@webgpu/types" />
/**
 * WGSL kernels of the pointwise losses (MSELoss, L1Loss, HuberLoss, BCEWithLogitsLoss, SmoothL1Loss,
 * …), printed from the term and gradients each op file declares (`pointwiseLoss`, core/elementwise/
 * loss.ts: its float32 forms where it has them) and registered by op name in
 * {@link POINTWISE_LOSS_OP_KERNELS}: there is no list of losses here.
 *
 * The forward is one workgroup that reduces the batch (a loss takes `[N, C]` values, small next to
 * the layers): invocation k sums terms k, k + W, … in float32, then a tree over the workgroup
 * (losses.ts's `REDUCE`), as the hand kernels this replaced; the CPU op sums in float64, so the loss
 * differs by a few float32 roundings of the sum of its terms. The backward is one invocation per
 * element adding `scale·∂term/∂input` into the prediction's gradient, the target's, or both,
 * scale = dLoss/N for a mean. p is read per element from a small buffer (one value, or one per
 * class: BCEWithLogitsLoss's posWeight at i mod its length), q is a uniform.
 */
import type { Attrs } from '../../../base/ir/types';
import { gradient, type Expr } from '../../elementwise/expr';
import { divisor, lossGradients, lossParams, lossTerm, type PointwiseLossDecl } from '../../elementwise/loss';
import { listOps, type OpName } from '../../ops/registry';
import { ACTIVATION_HELPERS, printWgsl } from './activations';
import { WORKGROUP, bindDispatch, grid1d, words } from './dispatch';
import { REDUCE } from './losses';
import type { GpuKernelArgs, GpuOpKernel } from './types';

const PARAMS = 'struct Params { n: u32, xOff: u32, tOff: u32, wOff: u32, pLen: u32, q: f32, outOff: u32, dyOff: u32, dpOff: u32, dtOff: u32, rowStride: u32, divisor: f32, }';

/** The leaves x (prediction), x2 (target), p and q at element i. */
const LEAVES = `let x = X[P.xOff + i];
    let x2 = T[P.tOff + i];
    let p = W[P.wOff + i % P.pLen];
    let q = P.q;`;

/** The forward: Σ term over the batch, by one workgroup; a mean divides by n, a batchmean by the batch (`P.divisor`). */
export function lossForwardWgsl(term: Expr, mean: boolean): string {
  return `${PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;
var<workgroup> red: array<f32, ${WORKGROUP}>;
${ACTIVATION_HELPERS}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  for (var i = lid; i < P.n; i = i + ${WORKGROUP}u) {
    ${LEAVES}
    sum = sum + ${printWgsl(term)};
  }
  red[lid] = sum;
  ${REDUCE}
  if (lid == 0u) { OUT[P.outOff] = ${mean ? 'red[0] / P.divisor' : 'red[0]'}; }
}
`;
}

/** The backward, writing the prediction's gradient (`DP`), the target's (`DT`), or both. */
export function lossBackwardWgsl(gradients: { prediction?: Expr; target?: Expr }, mean: boolean): string {
  const outs = [gradients.prediction ? (['DP', 'dpOff', gradients.prediction] as const) : null, gradients.target ? (['DT', 'dtOff', gradients.target] as const) : null].filter((o) => o !== null);
  return `${PARAMS}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> T: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read> DY: array<f32>;
${outs.map(([name], k) => `@group(0) @binding(${4 + k}) var<storage, read_write> ${name}: array<f32>;`).join('\n')}
@group(0) @binding(${4 + outs.length}) var<uniform> P: Params;
${ACTIVATION_HELPERS}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  ${LEAVES}
  let dy = ${mean ? 'DY[P.dyOff] / P.divisor' : 'DY[P.dyOff]'};
  ${outs.map(([name, off, g]) => `${name}[P.${off} + i] = ${name}[P.${off} + i] + ${printWgsl(gradient(g))};`).join('\n  ')}
}
`;
}

/** The kernel of one declared loss (its shaders compiled once per context, keyed by op and which gradients). */
function pointwiseLossKernel(op: OpName, decl: PointwiseLossDecl): GpuOpKernel {
  // `mean`: the shaders divide by P.divisor (n for a mean, the batch for a batchmean).
  const mean = decl.reduction !== 'sum';
  return {
    prepare(k: GpuKernelArgs) {
      const { ctx, attrs, inputs, output, dOutput, dInputs } = k;
      const [x, t] = inputs;
      const n = x.length;
      const { p, q } = lossParams(decl, attrs as Attrs);
      const w = k.workspace('lossParams', p.length);
      ctx.write(w, Float32Array.from(p));
      // Params' 12 words: n, the offsets of x, t and W, W's length, q, then the forward's and the backward's own, and the divisor.
      const uniforms = (own: { outOff?: number; dyOff?: number; dpOff?: number; dtOff?: number; rowStride?: number }) =>
        words([n, x.offset, t.offset, w.offset, p.length, 0, own.outOff ?? 0, own.dyOff ?? 0, own.dpOff ?? 0, own.dtOff ?? 0, own.rowStride ?? 0, 0], { 5: q, 11: divisor(decl.reduction, n, k.inputShapes[0][0]) });
      const forward = [bindDispatch(ctx, `loss:${op}:fwd`, () => lossForwardWgsl(lossTerm(decl, true), mean), [x.buffer, t.buffer, w.buffer, output.buffer], uniforms({ outOff: output.offset }), [1, 1, 1])];
      const [dp, dt] = dInputs;
      if (!dOutput || (!dp && !dt)) return { forward, backward: [] };
      const which = `${dp ? 'p' : ''}${dt ? 't' : ''}`;
      const g = lossGradients(decl, true);
      const { workgroups, rowStride } = grid1d(ctx, n);
      const backward = [
        bindDispatch(
          ctx,
          `loss:${op}:bwd:${which}`,
          () => lossBackwardWgsl({ prediction: dp ? g.prediction : undefined, target: dt ? g.target : undefined }, mean),
          [x.buffer, t.buffer, w.buffer, dOutput.buffer, ...[dp, dt].filter((d) => d !== null).map((d) => d.buffer)],
          uniforms({ dyOff: dOutput.offset, dpOff: dp?.offset, dtOff: dt?.offset, rowStride }),
          workgroups,
        ),
      ];
      return { forward, backward };
    },
  };
}

/** Every op file's pointwise loss as an entry of the GPU kernel table (`registry.ts`). */
export const POINTWISE_LOSS_OP_KERNELS: Readonly<Partial<Record<OpName, GpuOpKernel>>> = Object.fromEntries(
  listOps().flatMap((d) => (d.pointwiseLoss ? [[d.name, pointwiseLossKernel(d.name as OpName, d.pointwiseLoss)]] : [])),
);
