/**
 * Which elementwise ops the CPU backend's generated f32x4 kernels cover (node/cpu/kernels/
 * activations-gen.ts prints them from the op files' expressions): every form of every declared
 * op whose expressions use only the primitives the f32x4 printer lowers. Their kind codes (the
 * order of the kernels' `br_table`) are derived here, so the generator and the backend agree.
 * Likewise the binary ops' (node/cpu/kernels/broadcast-gen.ts): {@link binarySimdKinds}.
 */
import type { Attrs } from '../../base/ir/types';
import { getOp, isOpName, listOps, type OpName } from '../ops/registry';
import { backwardOf, callsOnly, formFor, gradient, uses, type ElementwiseDecl, type Expr, type Fn } from './expr';

/** The primitives the f32x4 printer lowers (node/cpu/kernels/activations-gen.ts holds it to this list). */
export const SIMD_FNS = ['exp', 'expm1', 'log', 'abs', 'tanh', 'tanhGrad', 'sigmoid', 'sigmoidRest', 'softplus', 'normCdf', 'normPdf'] as const satisfies readonly Fn[];
export type SimdFn = (typeof SIMD_FNS)[number];

const lowerable = (e: Expr): boolean => callsOnly(e, SIMD_FNS);

/** One generated kernel: an op's form, its float32 forward and derivative, and its kind code. */
export interface SimdKind {
  readonly op: OpName;
  readonly form: string;
  readonly kind: number;
  readonly forward: Expr;
  readonly backward: Expr;
  /** The backward reads the saved output. */
  readonly usesOutput: boolean;
  /** Its form's `simdBackwardWays` (expr.ts, ElementwiseForm), where declared. */
  readonly backwardWays?: number;
}

let kinds: SimdKind[] | undefined;

/** The generated kernels, in registry order. */
export function simdKinds(): readonly SimdKind[] {
  if (kinds) return kinds;
  const out: SimdKind[] = [];
  for (const def of listOps()) {
    const decl = def.elementwise;
    // A binary op is printed by broadcast-gen.ts (binarySimdKinds): this printer is unary.
    if (!decl || decl.handCpuKernel || decl.binary || !isOpName(def.name)) continue;
    const forms = Object.entries(decl.forms).map(([form, f]) => ({ form, forward: f.f32?.forward ?? f.forward, backward: backwardOf(f, true), usesOutput: uses(gradient(backwardOf(f, true)), 'y'), backwardWays: f.simdBackwardWays }));
    if (!forms.every((f) => lowerable(f.forward) && lowerable(f.backward))) continue;
    for (const f of forms) out.push({ op: def.name, ...f, kind: out.length });
  }
  return (kinds = out);
}

/** The ops with a generated CPU kernel. */
export function simdOps(): OpName[] {
  return [...new Set(simdKinds().map((k) => k.op))];
}

/** The kind of `op` with these attributes among `kinds`. */
function kindIn<K extends { readonly op: OpName; readonly form: string }>(kinds: readonly K[], op: OpName, attrs: Attrs): K {
  const form = formFor(getOp(op)!.elementwise!, attrs);
  const k = kinds.find((s) => s.op === op && s.form === form);
  if (!k) throw new Error(`No generated CPU kernel for ${op} (${form}).`);
  return k;
}

/** The kind code of `op` with these attributes. */
export function simdKindOf(op: OpName, attrs: Attrs): SimdKind {
  return kindIn(simdKinds(), op, attrs);
}

/** One generated binary kernel: an op's form, its forward f(x, x2) and each input's gradient `dy·∂f/∂·`, and its kind code. */
export interface BinarySimdKind {
  readonly op: OpName;
  readonly form: string;
  readonly kind: number;
  readonly forward: Expr;
  /** The first input's gradient (dy included, as {@link gradient} writes it). */
  readonly gradX: Expr;
  /** The second input's. */
  readonly gradX2: Expr;
}

/**
 * A binary declaration the generated kernels cover: two inputs (not variadic: Add keeps its hand
 * kernel) and arithmetic alone (no primitive), which the printer writes in float64 as the reference
 * kernels compute it: the same bits.
 */
const binaryLowerable = (decl: ElementwiseDecl): boolean =>
  !!decl.binary && !decl.binary.variadic && !decl.handCpuKernel && Object.values(decl.forms).every((f) => [f.forward, backwardOf(f, false, 'x'), backwardOf(f, false, 'x2')].every((e) => callsOnly(e, [])));

let binaryKinds: BinarySimdKind[] | undefined;

/** The generated binary kernels (Multiply), in registry order: the reference's float64 expressions (not the `f32` forms). */
export function binarySimdKinds(): readonly BinarySimdKind[] {
  if (binaryKinds) return binaryKinds;
  const out: BinarySimdKind[] = [];
  for (const def of listOps()) {
    const decl = def.elementwise;
    if (!decl || !binaryLowerable(decl) || !isOpName(def.name)) continue;
    for (const [form, f] of Object.entries(decl.forms)) {
      out.push({ op: def.name, form, kind: out.length, forward: f.forward, gradX: gradient(backwardOf(f, false, 'x')), gradX2: gradient(backwardOf(f, false, 'x2')) });
    }
  }
  return (binaryKinds = out);
}

/** The binary ops with a generated CPU kernel. */
export function binarySimdOps(): OpName[] {
  return [...new Set(binarySimdKinds().map((k) => k.op))];
}

/** The binary kind of `op` with these attributes. */
export function binarySimdKindOf(op: OpName, attrs: Attrs): BinarySimdKind {
  return kindIn(binarySimdKinds(), op, attrs);
}
