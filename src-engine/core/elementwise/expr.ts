/**
 * A small expression language for elementwise maths (as tinygrad lowers its elementwise ops to a
 * few primitives with their derivative rules): an activation's `f(x; p, q)`, or a binary op's
 * `f(x, x2; p, q)`, is one tree, written once in its op file; the reference kernels (JS, float64),
 * the GPU's WGSL and (unary ops) the CPU backend's f32x4 WebAssembly are printed from it (`js.ts`,
 * core/gpu/kernels/activations.ts and binary.ts, node/cpu/kernels/activations-gen.ts), and its
 * derivatives are derived here ({@link derivative}, one per input) unless the op file writes them.
 *
 * Leaves: the input `x` (a binary op's first input), a binary op's second input `x2`, the saved
 * output `y` and the incoming gradient `dy` (derivatives only),
 * the op's two float parameters `p` and `q` (from its attributes), constants. Nodes: + − × ÷,
 * max/min, select on a comparison, and the primitives of {@link Fn}, each with its derivative rule
 * in {@link RULES} and one lowering per backend.
 *
 * @example SiLU: `mul(x, sigmoid(x))`; its derivative comes out as σ(x) + x·σ'(x).
 */
import type { Attrs } from '../../base/ir/types';

/** Primitive functions; each backend lowers them its own way (WebAssembly: polynomial e^x, …). */
export type Fn =
  | 'exp'
  | 'expm1'
  | 'log1p'
  /** The natural log (KLDivLoss's log t); −∞ at 0, NaN below. */
  | 'log'
  | 'abs'
  | 'tanh'
  /** 1 − t² of t = tanh(u) (tanh's derivative from its value). */
  | 'tanhGrad'
  | 'sigmoid'
  /** 1 − σ(u) = σ(−u), to full relative precision. */
  | 'sigmoidRest'
  /** log(1 + eᵘ), stable for large |u|. */
  | 'softplus'
  | 'erf'
  /** Φ(u), the standard normal CDF. */
  | 'normCdf'
  /** φ(u), the standard normal density. */
  | 'normPdf'
  /** √u (an optimizer's denominator, update.ts). */
  | 'sqrt';

export type Cmp = 'gt' | 'ge' | 'lt' | 'le' | 'eq';

export type Cond = { readonly kind: Cmp; readonly a: Expr; readonly b: Expr } | { readonly kind: 'and'; readonly a: Cond; readonly b: Cond };

/**
 * A named value (`@m`): an update's input, state slot, per-step scalar or earlier statement
 * (update.ts); the printers map each to their own text. Not differentiable.
 */
export type Named = `@${string}`;

export type Leaf = 'x' | 'x2' | 'y' | 'dy' | 'p' | 'q' | Named;

/** The inputs a derivative is taken with respect to: `x`, and a binary op's second input `x2`. */
export type Input = 'x' | 'x2';

export type Expr =
  | { readonly kind: 'leaf'; readonly name: Leaf }
  | { readonly kind: 'const'; readonly value: number }
  | { readonly kind: 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min'; readonly a: Expr; readonly b: Expr }
  | { readonly kind: 'neg'; readonly a: Expr }
  | { readonly kind: 'call'; readonly fn: Fn; readonly a: Expr }
  | { readonly kind: 'select'; readonly cond: Cond; readonly then: Expr; readonly else: Expr };

type Operand = Expr | number;
const lift = (e: Operand): Expr => (typeof e === 'number' ? { kind: 'const', value: e } : e);

export const x: Expr = { kind: 'leaf', name: 'x' };
/** A binary op's second input (broadcast against `x` by the printers' index mapping, not here). */
export const x2: Expr = { kind: 'leaf', name: 'x2' };
/** The saved output f(x) (derivatives only: the backward reads it instead of recomputing f). */
export const y: Expr = { kind: 'leaf', name: 'y' };
/** The incoming gradient: a `backward` that names it is the whole gradient, not f'(x). */
export const dy: Expr = { kind: 'leaf', name: 'dy' };
/** The op's first float parameter (`ElementwiseDecl.params[0]`). */
export const p: Expr = { kind: 'leaf', name: 'p' };
/** The op's second float parameter. */
export const q: Expr = { kind: 'leaf', name: 'q' };
export const c = (value: number): Expr => ({ kind: 'const', value });
/** The named value `name` (update.ts: `v('m')` reads the state slot m, or the statement that last set it). */
export const v = (name: string): Expr => ({ kind: 'leaf', name: `@${name}` });

export const add = (a: Operand, b: Operand): Expr => ({ kind: 'add', a: lift(a), b: lift(b) });
export const sub = (a: Operand, b: Operand): Expr => ({ kind: 'sub', a: lift(a), b: lift(b) });
export const mul = (a: Operand, b: Operand): Expr => ({ kind: 'mul', a: lift(a), b: lift(b) });
export const div = (a: Operand, b: Operand): Expr => ({ kind: 'div', a: lift(a), b: lift(b) });
export const max = (a: Operand, b: Operand): Expr => ({ kind: 'max', a: lift(a), b: lift(b) });
export const min = (a: Operand, b: Operand): Expr => ({ kind: 'min', a: lift(a), b: lift(b) });
export const neg = (a: Operand): Expr => ({ kind: 'neg', a: lift(a) });
const call = (fn: Fn) => (a: Operand): Expr => ({ kind: 'call', fn, a: lift(a) });
export const exp = call('exp');
export const expm1 = call('expm1');
export const log1p = call('log1p');
export const log = call('log');
export const abs = call('abs');
export const tanh = call('tanh');
export const tanhGrad = call('tanhGrad');
export const sigmoid = call('sigmoid');
export const sigmoidRest = call('sigmoidRest');
export const softplus = call('softplus');
export const erf = call('erf');
export const normCdf = call('normCdf');
export const normPdf = call('normPdf');
export const sqrt = call('sqrt');

const cmp = (kind: Cmp) => (a: Operand, b: Operand): Cond => ({ kind, a: lift(a), b: lift(b) });
export const gt = cmp('gt');
export const ge = cmp('ge');
export const lt = cmp('lt');
export const le = cmp('le');
export const eq = cmp('eq');
export const and = (a: Cond, b: Cond): Cond => ({ kind: 'and', a, b });
/** `cond ? then : otherwise`. */
export const select = (cond: Cond, then: Operand, otherwise: Operand): Expr => ({ kind: 'select', cond, then: lift(then), else: lift(otherwise) });
/** Clamp to [lo, hi] as `min(max(v, lo), hi)`. */
export const clamp = (v: Operand, lo: Operand, hi: Operand): Expr => min(max(v, lo), hi);
/**
 * sign(u) ∈ {−1, 0, 1} as `torch.sign` (1.13, CPU): 0 for ±0 and for NaN. Composed of selects, so
 * every printer lowers it as it lowers a comparison; its derivative comes out 0 everywhere.
 */
export const sign = (u: Operand): Expr => select(gt(u, 0), 1, select(lt(u, 0), -1, 0));

/** A structural key: equal keys, equal trees (for common subexpressions and tests). */
export function keyOf(e: Expr | Cond): string {
  switch (e.kind) {
    case 'leaf':
      return e.name;
    case 'const':
      return Object.is(e.value, -0) ? '-0' : String(e.value);
    case 'neg':
      return `(neg ${keyOf(e.a)})`;
    case 'call':
      return `(${e.fn} ${keyOf(e.a)})`;
    case 'select':
      return `(select ${keyOf(e.cond)} ${keyOf(e.then)} ${keyOf(e.else)})`;
    default:
      return `(${e.kind} ${keyOf(e.a)} ${keyOf(e.b)})`;
  }
}

const isConst = (e: Expr, v: number): boolean => e.kind === 'const' && Object.is(e.value, v);

/**
 * Folds what the chain rule leaves behind (`0·u`, `1·u`, `u + 0`, `u − 0`, `−0` …), nothing else:
 * NOTE: `0·u` is folded to 0 (an infinite u would give NaN), which is what a derivative means there
 * (no gradient passes), and what PyTorch's backwards do; every other rule keeps the bits.
 */
export function simplify(e: Expr): Expr {
  switch (e.kind) {
    case 'leaf':
    case 'const':
      return e;
    case 'neg': {
      const a = simplify(e.a);
      if (a.kind === 'const') return c(-a.value);
      return { kind: 'neg', a };
    }
    case 'call':
      return { kind: 'call', fn: e.fn, a: simplify(e.a) };
    case 'select': {
      const then = simplify(e.then);
      const otherwise = simplify(e.else);
      return keyOf(then) === keyOf(otherwise) ? then : { kind: 'select', cond: simplifyCond(e.cond), then, else: otherwise };
    }
    default: {
      const a = simplify(e.a);
      const b = simplify(e.b);
      if (a.kind === 'const' && b.kind === 'const' && e.kind !== 'max' && e.kind !== 'min') return c(fold(e.kind, a.value, b.value));
      if (e.kind === 'add') return isConst(a, 0) ? b : isConst(b, 0) ? a : { kind: 'add', a, b };
      if (e.kind === 'sub') return isConst(b, 0) ? a : isConst(a, 0) ? simplify(neg(b)) : { kind: 'sub', a, b };
      if (e.kind === 'mul') {
        if (isConst(a, 0) || isConst(b, 0)) return c(0);
        if (isConst(a, 1)) return b;
        if (isConst(b, 1)) return a;
        if (isConst(a, -1)) return simplify(neg(b));
        return { kind: 'mul', a, b };
      }
      if (e.kind === 'div') return isConst(b, 1) ? a : isConst(a, 0) ? c(0) : { kind: 'div', a, b };
      return { kind: e.kind, a, b };
    }
  }
}

function simplifyCond(k: Cond): Cond {
  return k.kind === 'and' ? { kind: 'and', a: simplifyCond(k.a), b: simplifyCond(k.b) } : { kind: k.kind, a: simplify(k.a), b: simplify(k.b) };
}

function fold(operation: 'add' | 'sub' | 'mul' | 'div', a: number, b: number): number {
  return operation === 'add' ? a + b : operation === 'sub' ? a - b : operation === 'mul' ? a * b : a / b;
}

/**
 * The derivative rules of the primitives, one line each (tinygrad's gradient table): dF/du as an
 * expression of u (and of F(u) itself, `value`, where that is how the rule reads best).
 */
const RULES: Record<Fn, (u: Expr, value: Expr) => Expr> = {
  exp: (_u, v) => v,
  expm1: (u) => exp(u),
  log1p: (u) => div(1, add(1, u)),
  log: (u) => div(1, u),
  abs: (u) => select(gt(u, 0), 1, select(lt(u, 0), -1, 0)),
  tanh: (_u, v) => tanhGrad(v),
  tanhGrad: (u) => mul(-2, u),
  sigmoid: (u, v) => mul(v, sigmoidRest(u)),
  sigmoidRest: (u, v) => neg(mul(sigmoid(u), v)),
  softplus: (u) => sigmoid(u),
  erf: (u) => mul(1.1283791670955126, exp(neg(mul(u, u)))),
  normCdf: (u) => normPdf(u),
  normPdf: (u, v) => neg(mul(u, v)),
  sqrt: (_u, v) => div(0.5, v),
};

/**
 * d e / d `wrt` (x, or a binary op's x2), simplified. The derivative of `max(a, b)` is taken from a
 * where a > b (b's at a tie: ReLU's gradient at 0 is 0, as PyTorch), `min`'s from a where a < b; a
 * select's from the branch taken (the comparison itself passes nothing).
 *
 * @example derivative(mul(x, x2), 'x2') // x
 */
export function derivative(e: Expr, wrt: Input = 'x'): Expr {
  const d = (n: Expr): Expr => derive(n, wrt, d);
  return simplify(d(e));
}

function derive(e: Expr, wrt: Input, d: (n: Expr) => Expr): Expr {
  switch (e.kind) {
    case 'leaf':
      if (e.name === 'x' || e.name === 'x2') return c(e.name === wrt ? 1 : 0);
      if (e.name === 'p' || e.name === 'q') return c(0);
      throw new Error(`derivative: ${e.name} is only for backward expressions${e.name.startsWith("@") ? " (a named value is not differentiable)" : ""}`);
    case 'const':
      return c(0);
    case 'neg':
      return neg(d(e.a));
    case 'add':
      return add(d(e.a), d(e.b));
    case 'sub':
      return sub(d(e.a), d(e.b));
    case 'mul':
      return add(mul(d(e.a), e.b), mul(e.a, d(e.b)));
    case 'div':
      return div(sub(mul(d(e.a), e.b), mul(e.a, d(e.b))), mul(e.b, e.b));
    case 'max':
      return select(gt(e.a, e.b), d(e.a), d(e.b));
    case 'min':
      return select(lt(e.a, e.b), d(e.a), d(e.b));
    case 'select':
      return select(e.cond, d(e.then), d(e.else));
    case 'call':
      return mul(RULES[e.fn](e.a, e), d(e.a));
  }
}

/** Whether `name` occurs in e. */
export function uses(e: Expr | Cond, name: Leaf): boolean {
  switch (e.kind) {
    case 'leaf':
      return e.name === name;
    case 'const':
      return false;
    case 'neg':
    case 'call':
      return uses(e.a, name);
    case 'select':
      return uses(e.cond, name) || uses(e.then, name) || uses(e.else, name);
    default:
      return uses(e.a, name) || uses(e.b, name);
  }
}

/** Whether every primitive e calls is one of `fns` (a printer's test of what it can lower). */
export function callsOnly(e: Expr | Cond, fns: readonly Fn[]): boolean {
  switch (e.kind) {
    case 'leaf':
    case 'const':
      return true;
    case 'call':
      return fns.includes(e.fn) && callsOnly(e.a, fns);
    case 'neg':
      return callsOnly(e.a, fns);
    case 'select':
      return callsOnly(e.cond, fns) && callsOnly(e.then, fns) && callsOnly(e.else, fns);
    default:
      return callsOnly(e.a, fns) && callsOnly(e.b, fns);
  }
}

/** How often each subexpression (its {@link keyOf}) occurs in e, a repeated one's parts counted once (for printers that compute it once). */
export function occurrences(e: Expr | Cond, counts = new Map<string, number>()): Map<string, number> {
  const k = keyOf(e);
  const n = (counts.get(k) ?? 0) + 1;
  counts.set(k, n);
  if (n > 1 || e.kind === 'leaf' || e.kind === 'const') return counts;
  if (e.kind === 'neg' || e.kind === 'call') occurrences(e.a, counts);
  else if (e.kind === 'select') [e.cond, e.then, e.else].forEach((c) => occurrences(c, counts));
  else {
    occurrences(e.a, counts);
    occurrences(e.b, counts);
  }
  return counts;
}

/** e with every subtree equal to `from` replaced by `to` (and the leaf `from` when it is one). */
export function replace(e: Expr, from: Expr, to: Expr): Expr {
  const key = keyOf(from);
  const walk = (n: Expr): Expr => {
    if (keyOf(n) === key) return to;
    switch (n.kind) {
      case 'leaf':
      case 'const':
        return n;
      case 'neg':
        return { kind: 'neg', a: walk(n.a) };
      case 'call':
        return { kind: 'call', fn: n.fn, a: walk(n.a) };
      case 'select':
        return { kind: 'select', cond: walkCond(n.cond), then: walk(n.then), else: walk(n.else) };
      default:
        return { kind: n.kind, a: walk(n.a), b: walk(n.b) };
    }
  };
  const walkCond = (k: Cond): Cond => (k.kind === 'and' ? { kind: 'and', a: walkCond(k.a), b: walkCond(k.b) } : { kind: k.kind, a: walk(k.a), b: walk(k.b) });
  return walk(e);
}

/**
 * The gradient `dy · f'`, with dy taken into a select's branches (a branch whose f' is 0 passes
 * exactly 0, even for an infinite dy, as PyTorch's threshold backwards) and into the left factor of
 * a product (`dy·a·b`, the order the op files' loops multiply in).
 */
export function gradient(fPrime: Expr): Expr {
  const g = (f: Expr): Expr => {
    if (f.kind === 'select') return { kind: 'select', cond: f.cond, then: g(f.then), else: g(f.else) };
    if (f.kind === 'mul') return mul(g(f.a), f.b);
    return mul(dy, f);
  };
  return simplify(uses(fPrime, 'dy') ? fPrime : g(fPrime));
}

/** One elementwise op as its op file declares it. */
export interface ElementwiseForm {
  /** f(x; p, q). */
  readonly forward: Expr;
  /**
   * f'(x) in x, y (the saved output), p, q — or, naming `dy`, the whole gradient — where the
   * derived one would change today's bits or lose precision; absent: {@link derivative}.
   */
  readonly backward?: Expr;
  /** A binary op's ∂f/∂x2, as `backward` is ∂f/∂x; absent: derived. */
  readonly backward2?: Expr;
  /**
   * The same maths arranged for float32 (the SIMD and GPU kernels), where the float64 reference's
   * form would cancel or overflow in float32 (GELU-tanh's ½x(1 + tanh u) as x·σ(2u)).
   */
  readonly f32?: { readonly forward?: Expr; readonly backward?: Expr; readonly backward2?: Expr };
  /**
   * The CPU's generated f32x4 backward: vectors per wide-loop iteration (absent: its default, four),
   * for a form whose own code already holds independent chains, so that fewer copies keep more in
   * registers (measured per form; each copy computes the same bits).
   */
  readonly simdBackwardWays?: number;
}

/**
 * What an op file declares: its form(s) and parameters. `forms` with `pick` where an enum attribute
 * chooses between formulas (GELU's `approximate`); each form is its own SIMD kernel.
 */
export interface ElementwiseDecl {
  readonly forms: Readonly<Record<string, ElementwiseForm>>;
  /** The form for these attributes (the first when absent). */
  pick?(attrs: Attrs): string;
  /** p and q from the op's attributes (absent: 0). */
  readonly params?: readonly [(attrs: Attrs) => number, ((attrs: Attrs) => number)?];
  /**
   * Work per element relative to a memory-bound pass (the CPU backend's thread split): ~1 for a
   * select, ~8 per e^x.
   */
  readonly cost: number;
  /** The CPU backend keeps a hand kernel (elementwise.wat) for this op instead of the generated one. */
  readonly handCpuKernel?: boolean;
  /**
   * A binary op: its forms are `f(x, x2)`, the two inputs broadcast against each other by the
   * printers (each input read at its broadcast index; its gradient summed over the axes it was
   * broadcast along, in increasing output order). `variadic`: any number of inputs, folded left
   * (`f(f(x0, x1), x2)…`, Add's `x0 + x1 + …`); its derivatives must not read x, x2 or y (each
   * input's gradient is then the same at every step of the fold).
   */
  readonly binary?: { readonly variadic?: boolean };
}

/** The form's name for these attributes. */
export function formFor(decl: ElementwiseDecl, attrs: Attrs): string {
  return decl.pick?.(attrs) ?? Object.keys(decl.forms)[0];
}

/**
 * The derivative of a form with respect to `wrt` (a binary op's x2: `backward2`): its own, else
 * derived (in y where the forward is a subtree of it).
 */
export function backwardOf(form: ElementwiseForm, f32 = false, wrt: Input = 'x'): Expr {
  const forward = (f32 && form.f32?.forward) || form.forward;
  const key = wrt === 'x' ? 'backward' : 'backward2';
  const own = (f32 && form.f32?.[key]) || form[key];
  if (own) return own;
  return replace(derivative(forward, wrt), forward, y);
}

/** The inputs a declaration's forms read: `['x']`, or a binary op's `['x', 'x2']`. */
export function inputsOf(decl: ElementwiseDecl): readonly Input[] {
  return decl.binary ? ['x', 'x2'] : ['x'];
}
