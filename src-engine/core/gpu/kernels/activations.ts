/// <reference types="@webgpu/types" />
/**
 * WGSL kernels of the elementwise activations, forward (`y = f(x)`) and backward
 * (`dx += f'(x)·dy`, adding as the op files' backwards do), printed from the expressions each op
 * file declares (`elementwise`: its float32 form where it has one, the derivative it writes or the
 * derived one) and registered by op name in {@link ACTIVATION_KERNELS}. {@link ACTIVATION_OP_KERNELS}
 * puts them in the GPU kernel table (`registry.ts`).
 */
import type { Attrs } from '../../../base/ir/types';
import { backwardOf, formFor, gradient, replace, y as savedOutput, type Cond, type ElementwiseDecl, type Expr, type Fn } from '../../elementwise/expr';
import { isOpName, listOps, type OpName } from '../../ops/registry';
import { GpuError, type GpuContext, type GpuTensor } from '../context';
import type { GpuDispatch } from '../gemm';
import { WORKGROUP, bindDispatch, grid1d, words } from './dispatch';
import type { GpuOpKernel } from './types';

/** One activation's declaration (`OpDef.elementwise`). */
export type ActivationKernel = ElementwiseDecl;

/**
 * Activation kernels by op name: every op file's unary `elementwise` (an activation brings its own
 * maths in its file; there is no list of them here). The binary ones are `binary.ts`'s.
 */
export const ACTIVATION_KERNELS: Readonly<Partial<Record<OpName, ActivationKernel>>> = Object.fromEntries(listOps().flatMap((d) => (d.elementwise && !d.elementwise.binary ? [[d.name, d.elementwise]] : [])));

/** Each primitive in WGSL (the helpers are {@link ACTIVATION_HELPERS}). */
const LOWER: Record<Fn, (u: string) => string> = {
  exp: (u) => `exp(${u})`,
  expm1: (u) => `(exp(${u}) - 1.0)`,
  log1p: (u) => `log1pAccurate(${u})`,
  // WGSL's log: −∞ at 0 and NaN below on the adapters tested (the spec leaves x ≤ 0 undefined).
  log: (u) => `log(${u})`,
  abs: (u) => `abs(${u})`,
  tanh: (u) => `tanhSafe(${u})`,
  tanhGrad: (t) => `(1.0 - ${t} * ${t})`,
  sigmoid: (u) => `sig(${u})`,
  sigmoidRest: (u) => `(1.0 - sig(${u}))`,
  softplus: (u) => `softplusStable(${u})`,
  erf: (u) => `erfApprox(${u})`,
  normCdf: (u) => `(0.5 * (1.0 + erfApprox(${u} * 0.70710678118654752)))`,
  normPdf: (u) => `(0.3989422804014327 * exp(-0.5 * ${u} * ${u}))`,
  sqrt: (u) => `sqrt(${u})`,
};
const BINARY = { add: '+', sub: '-', mul: '*', div: '/' } as const;
const COMPARE = { gt: '>', ge: '>=', lt: '<', le: '<=', eq: '==' } as const;

/** The largest finite f32: WGSL has no infinite literal (a constant expression may not overflow). */
const F32_MAX = '0x1.fffffep+127f';

function literal(v: number): string {
  if (!Number.isFinite(v)) throw new GpuError('E_GPU_BAD_ARGS', `WGSL has no literal for ${v}`);
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/**
 * An expression as WGSL over `x` (and a binary op's `x2`), `dy`, `p`, `q`; a named value (`@m`,
 * update.ts) as `named` gives it.
 */
export function printWgsl(e: Expr, named?: Readonly<Record<string, string>>): string {
  const print = (n: Expr): string => printWgsl(n, named);
  const cond = (k: Cond): string => {
    if (k.kind === 'and') return `(${cond(k.a)} && ${cond(k.b)})`;
    // v < ∞ is v ≤ F32_MAX (false for NaN alike), v > −∞ is v ≥ −F32_MAX
    if (k.kind === 'lt' && k.b.kind === 'const' && k.b.value === Infinity) return `(${print(k.a)} <= ${F32_MAX})`;
    if (k.kind === 'gt' && k.b.kind === 'const' && k.b.value === -Infinity) return `(${print(k.a)} >= -${F32_MAX})`;
    return `(${print(k.a)} ${COMPARE[k.kind]} ${print(k.b)})`;
  };
  switch (e.kind) {
    case 'leaf':
      return named?.[e.name] ?? e.name;
    case 'const':
      return e.value < 0 ? `(${literal(e.value)})` : literal(e.value);
    case 'neg':
      return `(-${print(e.a)})`;
    case 'call':
      return LOWER[e.fn](print(e.a));
    case 'select':
      return `select(${print(e.else)}, ${print(e.then)}, ${cond(e.cond)})`;
    case 'max':
    case 'min':
      return `${e.kind}(${print(e.a)}, ${print(e.b)})`;
    default:
      return `(${print(e.a)} ${BINARY[e.kind]} ${print(e.b)})`;
  }
}

/** A form's forward and gradient in WGSL; the shader has no saved output, so `y` is f(x) again. */
export function wgslOf(decl: ElementwiseDecl, form: string): { forward: string; gradient: string } {
  const f = decl.forms[form];
  const forward = f.f32?.forward ?? f.forward;
  return { forward: printWgsl(forward), gradient: printWgsl(replace(gradient(backwardOf(f, true)), savedOutput, forward)) };
}

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
fn softplusStable(t: f32) -> f32 { return max(t, 0.0) + log1pAccurate(exp(-abs(t))); }`;

function shader(k: ActivationKernel, form: string, backward: boolean): string {
  const text = wgslOf(k, form);
  const body = backward ? `let dy = DY[P.dyOff + i];\n  DX[P.dxOff + i] = DX[P.dxOff + i] + ${text.gradient};` : `Y[P.yOff + i] = ${text.forward};`;
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

/** p and q in the uniform's words 6 and 7. */
function params(k: ActivationKernel, attrs: Attrs): Record<number, number> {
  return { 6: k.params?.[0](attrs) ?? 0, 7: k.params?.[1]?.(attrs) ?? 0 };
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
  const form = formFor(k, attrs);
  return bindDispatch(ctx, `act:${op}:${form}:fwd`, () => shader(k, form, false), [x.buffer, y.buffer], words([n, x.offset, y.offset, 0, 0, rowStride], params(k, attrs)), workgroups);
}

/** The dispatch of `dx += op'(x)·dy`, built once per compiled graph. */
export function prepareActivationBackward(ctx: GpuContext, op: string, attrs: Attrs, x: GpuTensor, dy: GpuTensor, dx: GpuTensor): GpuDispatch {
  const k = kernelFor(op);
  const n = sameLength(`${op} backward`, x, dy, dx);
  const { workgroups, rowStride } = grid1d(ctx, n);
  const form = formFor(k, attrs);
  return bindDispatch(ctx, `act:${op}:${form}:bwd`, () => shader(k, form, true), [x.buffer, dy.buffer, dx.buffer], words([n, x.offset, 0, dy.offset, dx.offset, rowStride], params(k, attrs)), workgroups);
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
