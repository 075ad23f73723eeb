/**
 * Which pointwise losses the CPU backend's generated WebAssembly kernels cover (node/cpu/kernels/
 * losses-gen.ts prints them from the op files' declarations): every declared loss whose term and
 * float32 gradients are arithmetic, |·|, min/max and selects (the forward in float64 lanes, which
 * WebAssembly has no e^x for) and whose p is one value; the others (BCEWithLogitsLoss: softplus,
 * posWeight per class) run their printed reference kernels on the CPU. Their kind codes (the order
 * of the kernels' `br_table`) are derived here, so the generator and the backend agree.
 */
import { getOp, isOpName, listOps, type OpName } from '../ops/registry';
import { callsOnly, type Expr } from './expr';
import { lossGradients, lossTerm } from './loss';

/** Whether e lowers to f64x2 and f32x4 instructions alone (|u| is the one primitive they have). */
const arithmetic = (e: Expr): boolean => callsOnly(e, ['abs']);

/** One generated loss: its op, kind code, float64 term and float32 gradients. */
export interface LossKind {
  readonly op: OpName;
  readonly kind: number;
  readonly term: Expr;
  readonly prediction: Expr;
  readonly target: Expr;
}

let kinds: LossKind[] | undefined;

/** The generated loss kernels, in registry order. */
export function lossKinds(): readonly LossKind[] {
  if (kinds) return kinds;
  const out: LossKind[] = [];
  for (const def of listOps()) {
    const decl = def.pointwiseLoss;
    if (!decl || decl.perClass || !isOpName(def.name)) continue;
    const g = lossGradients(decl, true);
    const term = lossTerm(decl);
    if ([term, g.prediction, g.target].every(arithmetic)) out.push({ op: def.name, kind: out.length, term, prediction: g.prediction, target: g.target });
  }
  return (kinds = out);
}

/** The losses with a generated CPU kernel. */
export function lossCpuOps(): OpName[] {
  return lossKinds().map((k) => k.op);
}

/** The generated kernel of `op`. */
export function lossKindOf(op: OpName): LossKind {
  const k = lossKinds().find((s) => s.op === op);
  if (!k || !getOp(op)?.pointwiseLoss) throw new Error(`No generated CPU kernel for ${op}.`);
  return k;
}
