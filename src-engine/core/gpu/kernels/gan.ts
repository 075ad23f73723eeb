/// <reference types="@webgpu/types" />
/**
 * The GAN ops' training kernels, as the op files in `core/ops`:
 *
 * - **RealFakeBatch** (`real-fake-batch.ts`) is `torch.cat([real, fake])` along the batch: it runs
 *   Concat's kernel (`elementwise.ts`) with axis 0 — two block copies forward, two block adds
 *   backward, one per input that needs a gradient.
 * - **GANLoss** (`gan-loss.ts`) on the discriminator's scores `[2N(, 1)]`, real half first: the
 *   forward is one workgroup summing softplus(s·x) over the terms the player reads (the
 *   discriminator: s = −1 on the real half, +1 on the fake half, over all 2N; the generator: s = −1
 *   on the fake half only) and dividing by their count; the backward, one invocation per element,
 *   adds s·g·σ(s·x), g = dLoss/count, which is the op file's `dx −= g·σ(−x)` / `dx += g·σ(x)`. The
 *   player is a uniform, so both share two pipelines.
 *
 * The losses sum in float32 (a strided share per invocation, then a tree), where the op file sums
 * in float64 with `Math.log1p`; `exp` and `log` are WGSL's (accuracy left to the implementation, a
 * few ulps), so the loss differs by a few float32 roundings of its terms.
 */
import { WORKGROUP, bindDispatch, grid1d, words } from './dispatch';
import { concatKernel } from './elementwise';
import type { GpuOpKernel } from './types';

export const realFakeBatchKernel: GpuOpKernel = {
  prepare: (args) => concatKernel.prepare({ ...args, attrs: { axis: 0 } }),
};

/** softplus and σ as `core/ops/special.ts` (stable forms), and the sign s of element i's term (0: no term). */
const GAN_HELPERS = `// max(z, 0) + log1p(e^-|z|); WGSL has no log1p: log(1 + e) is off by <= an ulp of 1 where e is tiny.
fn softplus(z: f32) -> f32 { return max(z, 0.0) + log(1.0 + exp(-abs(z))); }
fn sigmoid(z: f32) -> f32 { return 1.0 / (1.0 + exp(-z)); }
fn termSign(i: u32) -> f32 {
  if (i < P.n / 2u) { return select(-1.0, 0.0, P.generator != 0u); }
  return select(1.0, -1.0, P.generator != 0u);
}`;

const FORWARD = `struct Params { n: u32, xOff: u32, outOff: u32, generator: u32, }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;
var<workgroup> red: array<f32, ${WORKGROUP}>;
${GAN_HELPERS}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) lid: u32) {
  let start = select(0u, P.n / 2u, P.generator != 0u);
  var sum = 0.0;
  for (var i = start + lid; i < P.n; i = i + ${WORKGROUP}u) { sum = sum + softplus(termSign(i) * X[P.xOff + i]); }
  red[lid] = sum;
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { OUT[P.outOff] = red[0] / f32(P.n - start); }
}
`;

const BACKWARD = `struct Params { n: u32, xOff: u32, dyOff: u32, dxOff: u32, generator: u32, rowStride: u32, _a: u32, _b: u32, }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
${GAN_HELPERS}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  let s = termSign(i);
  if (s == 0.0) { return; }
  let g = DY[P.dyOff] / f32(select(P.n, P.n / 2u, P.generator != 0u));
  DX[P.dxOff + i] = DX[P.dxOff + i] + s * g * sigmoid(s * X[P.xOff + i]);
}
`;

export const ganLossKernel: GpuOpKernel = {
  prepare({ ctx, attrs, inputs, output, dOutput, dInputs }) {
    const x = inputs[0];
    const n = x.length;
    const generator = attrs.player === 'generator' ? 1 : 0;
    const forward = [bindDispatch(ctx, 'ganloss:fwd', () => FORWARD, [x.buffer, output.buffer], words([n, x.offset, output.offset, generator]), [1, 1, 1])];
    const dx = dInputs[0];
    if (!dOutput || !dx) return { forward, backward: [] };
    const { workgroups, rowStride } = grid1d(ctx, n);
    const backward = [bindDispatch(ctx, 'ganloss:bwd', () => BACKWARD, [x.buffer, dOutput.buffer, dx.buffer], words([n, x.offset, dOutput.offset, dx.offset, generator, rowStride]), workgroups)];
    return { forward, backward };
  },
};
