/// <reference types="@webgpu/types" />
/**
 * WGSL kernels of the elementwise activations, forward (`y = f(x)`) and backward
 * (`dx += f'(x)·dy`, adding as the op files' backwards do), built from the two WGSL expressions
 * each op file declares (`gpuElementwise`, beside its reference forward and backward, whose
 * semantics they follow: ReLU's gradient at 0 is 0, …) and registered by op name in
 * {@link ACTIVATION_KERNELS}. {@link ACTIVATION_OP_KERNELS} puts them in the GPU kernel table
 * (`registry.ts`).
 */
import type { Attrs } from '../../../base/ir/types';
import { isOpName, listOps, type OpName } from '../../ops/registry';
import type { OpDef } from '../../ops/types';
import { GpuError, type GpuContext, type GpuTensor } from '../context';
import type { GpuDispatch } from '../gemm';
import { WORKGROUP, bindDispatch, grid1d, words } from './dispatch';
import type { GpuOpKernel } from './types';

/** One activation: WGSL expressions over `x` (and `p`, `q`: its float parameters), and how to get them (`OpDef.gpuElementwise`). */
export type ActivationKernel = NonNullable<OpDef['gpuElementwise']>;

/**
 * Activation kernels by op name: every op file's `gpuElementwise` (an activation brings its own
 * kernel in its file; there is no list of them here).
 */
export const ACTIVATION_KERNELS: Readonly<Partial<Record<OpName, ActivationKernel>>> = Object.fromEntries(listOps().flatMap((d) => (d.gpuElementwise ? [[d.name, d.gpuElementwise]] : [])));

/** Helpers the op files' expressions may call (and the recurrent cells, `recurrent.ts`). */
export const ACTIVATION_HELPERS = `fn sig(v: f32) -> f32 { return 1.0 / (1.0 + exp(-v)); }
// tanh through exp overflows to inf/inf = NaN for large |v| on some implementations (SwiftShader,
// GELU's cubic argument); tanh(±15) is ±1 in float32 already.
fn tanhSafe(v: f32) -> f32 { return tanh(clamp(v, -15.0, 15.0)); }
// erf by Abramowitz & Stegun 7.1.26: absolute error ≤ 1.5e-7, below float32's resolution of erf near ±1.
fn erfApprox(v: f32) -> f32 {
  let a = abs(v);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
  return select(-y, y, v >= 0.0);
}
// log1p(e) to full precision for tiny e (WGSL has no log1p): log(u)·e/(u − 1) with u = 1 + e
// cancels u's rounding (Goldberg, "What every computer scientist should know", theorem 4).
fn log1pAccurate(e: f32) -> f32 {
  let u = 1.0 + e;
  return select(log(u) * e / (u - 1.0), e, u == 1.0);
}
// max(t, 0) + log1p(e^(−|t|)), as special.softplus: no overflow for large t, ≈ e^t for very negative t.
fn softplusStable(t: f32) -> f32 { return max(t, 0.0) + log1pAccurate(exp(-abs(t))); }
fn geluErfGrad(v: f32) -> f32 { return 0.5 * (1.0 + erfApprox(v * 0.70710678118654752)) + v * 0.3989422804014327 * exp(-0.5 * v * v); }
fn geluTanhGrad(v: f32) -> f32 {
  let t = tanhSafe(0.7978845608028654 * (v + 0.044715 * v * v * v));
  return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * v * v);
}`;

function shader(k: ActivationKernel, backward: boolean): string {
  const body = backward ? `DX[P.dxOff + i] = DX[P.dxOff + i] + (${k.derivative}) * DY[P.dyOff + i];` : `Y[P.yOff + i] = ${k.forward};`;
  const bindings = backward
    ? `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;`
    : `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;`;
  return `struct Params { n: u32, xOff: u32, yOff: u32, dyOff: u32, dxOff: u32, rowStride: u32, p: f32, q: f32, }
${bindings}
${ACTIVATION_HELPERS}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  let x = X[P.xOff + i];
  let p = P.p;
  let q = P.q;
  ${body}
}
`;
}

function kernelFor(op: string): ActivationKernel {
  const k = isOpName(op) ? ACTIVATION_KERNELS[op] : undefined;
  if (!k) throw new GpuError('E_GPU_BAD_ARGS', `No GPU activation kernel for op "${op}".`);
  return k;
}

function sameLength(what: string, ...ts: GpuTensor[]): number {
  const n = ts[0].length;
  if (ts.some((t) => t.length !== n)) throw new GpuError('E_GPU_BAD_ARGS', `${what}: tensors of different lengths (${ts.map((t) => t.length).join(', ')}).`);
  return n;
}

/** The dispatch of `y = op(x)`, built once per compiled graph. `y` must not share `x`'s buffer. */
export function prepareActivationForward(ctx: GpuContext, op: string, attrs: Attrs, x: GpuTensor, y: GpuTensor): GpuDispatch {
  const k = kernelFor(op);
  const n = sameLength(`${op} forward`, x, y);
  const { workgroups, rowStride } = grid1d(ctx, n);
  const key = `act:${op}:fwd`;
  return bindDispatch(ctx, key, () => shader(k, false), [x.buffer, y.buffer], words([n, x.offset, y.offset, 0, 0, rowStride], { 6: k.param?.(attrs) ?? 0, 7: k.param2?.(attrs) ?? 0 }), workgroups);
}

/** The dispatch of `dx += op'(x)·dy`, built once per compiled graph. */
export function prepareActivationBackward(ctx: GpuContext, op: string, attrs: Attrs, x: GpuTensor, dy: GpuTensor, dx: GpuTensor): GpuDispatch {
  const k = kernelFor(op);
  const n = sameLength(`${op} backward`, x, dy, dx);
  const { workgroups, rowStride } = grid1d(ctx, n);
  const key = `act:${op}:bwd`;
  return bindDispatch(ctx, key, () => shader(k, true), [x.buffer, dy.buffer, dx.buffer], words([n, x.offset, 0, dy.offset, dx.offset, rowStride], { 6: k.param?.(attrs) ?? 0, 7: k.param2?.(attrs) ?? 0 }), workgroups);
}

/** The activations as entries of the GPU kernel table (`registry.ts`). */
export const ACTIVATION_OP_KERNELS: Readonly<Partial<Record<OpName, GpuOpKernel>>> = Object.fromEntries(
  Object.keys(ACTIVATION_KERNELS).map((op) => [
    op,
    {
      prepare: ({ ctx, attrs, inputs, output, dOutput, dInputs }) => ({
        forward: [prepareActivationForward(ctx, op, attrs, inputs[0], output)],
        backward: dOutput && dInputs[0] ? [prepareActivationBackward(ctx, op, attrs, inputs[0], dOutput, dInputs[0])] : [],
      }),
    } satisfies GpuOpKernel,
  ]),
);
