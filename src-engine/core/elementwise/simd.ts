/**
 * Which elementwise ops the CPU backend's generated f32x4 kernels cover (node/cpu/kernels/
 * activations-gen.ts prints them from the op files' expressions): every form of every declared
 * op whose expressions use only the primitives the f32x4 printer lowers. Their kind codes (the
 * order of the kernels' `br_table`) are derived here, so the generator and the backend agree.
 */
import type { Attrs } from '../../base/ir/types';
import { getOp, isOpName, listOps, type OpName } from '../ops/registry';
import { backwardOf, callsOnly, formFor, gradient, uses, type Expr, type Fn } from './expr';

/** The primitives the f32x4 printer lowers (node/cpu/kernels/activations-gen.ts holds it to this list). */
export const SIMD_FNS = ['exp', 'expm1', 'abs', 'tanh', 'tanhGrad', 'sigmoid', 'sigmoidRest', 'softplus', 'normCdf', 'normPdf'] as const satisfies readonly Fn[];
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
}

let kinds: SimdKind[] | undefined;

/** The generated kernels, in registry order. */
export function simdKinds(): readonly SimdKind[] {
  if (kinds) return kinds;
  const out: SimdKind[] = [];
  for (const def of listOps()) {
    const decl = def.elementwise;
    // A binary op (Add, Multiply) has no generated kernel: the f32x4 printer is unary (see its declarations).
    if (!decl || decl.handCpuKernel || decl.binary || !isOpName(def.name)) continue;
    const forms = Object.entries(decl.forms).map(([form, f]) => ({ form, forward: f.f32?.forward ?? f.forward, backward: backwardOf(f, true), usesOutput: uses(gradient(backwardOf(f, true)), 'y') }));
    if (!forms.every((f) => lowerable(f.forward) && lowerable(f.backward))) continue;
    for (const f of forms) out.push({ op: def.name, ...f, kind: out.length });
  }
  return (kinds = out);
}

/** The ops with a generated CPU kernel. */
export function simdOps(): OpName[] {
  return [...new Set(simdKinds().map((k) => k.op))];
}

/** The kind code of `op` with these attributes. */
export function simdKindOf(op: OpName, attrs: Attrs): SimdKind {
  const form = formFor(getOp(op)!.elementwise!, attrs);
  const k = simdKinds().find((s) => s.op === op && s.form === form);
  if (!k) throw new Error(`No generated CPU kernel for ${op} (${form}).`);
  return k;
}
