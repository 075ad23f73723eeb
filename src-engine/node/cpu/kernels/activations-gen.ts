// Writes activations.wat (next to this file): the activation and softmax-family kernels of the CPU
// backend. Each elementwise activation's f32x4 code is printed from its op file's expressions
// (core/elementwise: `elementwise` in the op file, the kinds from simdKinds()), each subexpression
// once, and expanded into its forward and backward loops (two vectors per iteration, one, and the
// scalar tail through lane 0 of the same code). NOTE: V8 (Node 20) does not inline wasm calls, and a
// call per f32x4 costs as much as a LeakyReLU: inlining made the light kernels 2–4× and the e^x
// ones ~1.3× faster.
// Run: `npx tsx src-engine/node/cpu/kernels/activations-gen.ts && node scripts/build-kernels.mjs`, or `npm run gen` (every generator, in order).
// NOTE (relaxed SIMD, decided in #45): this module has no relaxed-FMA variant, on purpose. Fusing
// every add of a product (772 in the module) into relaxed_madd measured 7–19 % less CPU time on the
// e^x kernels (ELU, Tanh, GELU, SiLU, Softplus, Mish; this module against the same with every
// (f32x4.add (f32x4.mul a b) c) fused, one thread, 65 536 values, 15 interleaved rounds, median CPU
// time, 2-core EPYC at load ~27) and nothing on the light ones (LeakyReLU, HardSwish,
// HardSigmoid, Clip), but it changes the rounding of up to 15 % of the outputs (GELU: 10 042 of
// 65 536; SiLU 379, Mish 696) — and relaxed_madd fuses or not as the CPU chooses, so the same
// model would train to different bits on different machines. The module also holds Softmax and
// CrossEntropyLoss, whose bits the CLI and loop-identity fingerprints pin. The saving is per
// activation kernel, in steps mostly spent in GEMM and convolution (not measured end to end), so
// same bits everywhere wins: write no sum as (f32x4.add (local.get a) (f32x4.mul (local.get b)
// (local.get c))), the form build-kernels.mjs fuses, unless that decision changes.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from '../../../core/elementwise/expr';
import { gradient, keyOf, uses, type Cond, type Expr, type Leaf } from '../../../core/elementwise/expr';
import { SIMD_FNS, simdKinds, type SimdFn } from '../../../core/elementwise/simd';
import { HEAP_IMPORT } from './heap-import';

/** The leaves of a unary op's expressions (the kernels here are unary: `simdKinds` holds no binary op). */
type UnaryLeaf = Exclude<Leaf, 'x2'>;

const C = (x: string | number): string => `(v128.const f32x4 ${x} ${x} ${x} ${x})`;
const I = (x: string | number): string => `(v128.const i32x4 ${x} ${x} ${x} ${x})`;

// Horner: p = ((c0·r + c1)·r + c2)…
function horner(v: string, r: string, coefs: readonly string[]): string {
  let s = `(local.set ${v} ${C(coefs[0])})\n`;
  for (const c of coefs.slice(1)) s += `    (local.set ${v} (f32x4.add (f32x4.mul (local.get ${v}) (local.get ${r})) ${C(c)}))\n`;
  return s;
}

const EXP_POLY = ['1.9875691500e-4', '1.3981999507e-3', '8.3334519073e-3', '4.1665795894e-2', '1.6666665459e-1', '5.0000001201e-1'];
// Numerical Recipes erfcc: exp(−z² + P(t)), P from the constant term up; Horner from the top.
const NR = ['0.17087277', '-0.82215223', '1.48851587', '-1.13520398', '0.27886807', '-0.18628806', '0.09678418', '0.37409196', '1.00002368', '-1.26551223'];

// ---- inlined unary kernels -------------------------------------------------------------------
const L = (n: string): string => `(local.get $${n})`;
const set = (n: string, e: string): string => `(local.set $${n} ${e})`;
const ZERO = C(0);

/**
 * Statements computing e^(a + b) (m1: e^(a+b) − 1) into $dst; b may be null (0). `clamped`: the
 * caller knows a is already in [−104, 89] or NaN (GELU's −x²/2 with |x| clamped to 14: ≥ −98), so
 * the clamp, which would return a unchanged, is left out (the same bits, two instructions fewer).
 */
function expStmts(dst: string, a: string, b: string | null, m1: boolean, clamped = false): string[] {
  const out: string[] = [];
  out.push(set('ea', clamped ? a : `(f32x4.pmin (f32x4.pmax ${a} ${C(-104)}) ${C(89)})`));
  if (b) out.push(set('eb', b));
  const sum = b ? `(f32x4.add ${L('ea')} ${L('eb')})` : L('ea');
  out.push(set('ek', `(f32x4.add (f32x4.mul ${sum} ${C('1.44269504088896341')}) ${C(12582912)})`));
  out.push(set('en', `(f32x4.sub ${L('ek')} ${C(12582912)})`));
  const hi = `(f32x4.sub ${L('ea')} (f32x4.mul ${L('en')} ${C('0.693359375')}))`;
  out.push(set('er', `(f32x4.sub ${b ? `(f32x4.add ${hi} ${L('eb')})` : hi} (f32x4.mul ${L('en')} ${C('-2.12194440e-4')}))`));
  out.push(...horner('$ep', '$er', EXP_POLY).trim().split('\n').map((l) => l.trim()));
  out.push(set('ep', `(f32x4.add (f32x4.mul ${L('ep')} (f32x4.mul ${L('er')} ${L('er')})) ${L('er')})`));
  out.push(set('eni', `(i32x4.sub ${L('ek')} ${I('0x4b400000')})`));
  out.push(set('eh', `(i32x4.shr_s ${L('eni')} (i32.const 1))`));
  out.push(set('es1', `(i32x4.shl (i32x4.add ${L('eh')} ${I(127)}) (i32.const 23))`));
  out.push(set('es2', `(i32x4.shl (i32x4.add (i32x4.sub ${L('eni')} ${L('eh')}) ${I(127)}) (i32.const 23))`));
  if (m1) {
    out.push(set(dst, `(v128.bitselect ${L('ea')} (f32x4.add (f32x4.mul (f32x4.mul ${L('ep')} ${L('es1')}) ${L('es2')}) (f32x4.sub (f32x4.mul ${L('es1')} ${L('es2')}) ${C(1)})) (f32x4.eq ${L('ea')} ${ZERO}))`));
  } else {
    out.push(set(dst, `(f32x4.mul (f32x4.mul (f32x4.add ${L('ep')} ${C(1)}) ${L('es1')}) ${L('es2')})`));
  }
  return out;
}

/** Φ(x) (phi = false) or φ(x) into $dst; see the comment in the WAT. Reuses $gax … when both are needed. */
function gaussianPrep(x: string): string[] {
  return [
    set('gax', `(f32x4.pmin (f32x4.abs ${x}) ${C(14)})`),
    // |x| ≥ 14 read from the clamped value (pmin gives 14 exactly there, and keeps a NaN, which
    // compares false as |NaN| does): one abs, not two.
    set('gfar', `(f32x4.ge ${L('gax')} ${C(14)})`),
    set('gxh', `(v128.and ${L('gax')} ${I('0xfffff000')})`),
    set('gxl', `(f32x4.sub ${L('gax')} ${L('gxh')})`),
    set('ghead', `(f32x4.mul (f32x4.mul ${L('gxh')} ${L('gxh')}) ${C(-0.5)})`),
    set('gtail', `(f32x4.mul (f32x4.mul ${L('gxl')} (f32x4.add ${L('gax')} ${L('gxh')})) ${C(-0.5)})`),
  ];
}
function cdfStmts(dst: string, x: string): string[] {
  return [
    set('gt', `(f32x4.div ${C(1)} (f32x4.add (f32x4.mul ${L('gax')} ${C('0.35355339059327373')}) ${C(1)}))`),
    ...horner('$gp', '$gt', NR).trim().split('\n').map((l) => l.trim()),
    ...expStmts('ge', L('ghead'), `(f32x4.add ${L('gtail')} ${L('gp')})`, false, true),
    // erfc/2
    set('ge', `(v128.andnot (f32x4.mul (f32x4.mul ${L('gt')} ${L('ge')}) ${C(0.5)}) ${L('gfar')})`),
    set(dst, `(v128.bitselect ${L('ge')} (f32x4.sub ${C(1)} ${L('ge')}) (f32x4.lt ${x} ${ZERO}))`),
  ];
}
/**
 * NOTE (Φ beside φ): Mills' ratio M(a) = Φ(−a)/φ(a) for a = |u| (clamped to 14, where φ is 0 in
 * float32 anyway) as a rational P(a)/Q(a) of degrees 4/5 (Q's 1/a tail), all coefficients positive
 * (Horner without cancellation), fitted for relative error by bench/fit_mills_ratio.py (float64
 * fit error 5.6e-9) and rounded to float32: evaluated in float32 its relative error is at most
 * 2.2e-7 for a ≤ 1 and 4.2e-7 on [0, 14] (every float32 a in [0, 14] step 1.4e-5). Φ(u) is then
 * φ·M (u < 0) or 1 − φ·M, from the φ the expression computes anyway: one e^ for both, and no
 * polynomial in the exponent. Φ's relative error is M's plus φ's (~2 ulp), too much for x·Φ(x)'s own
 * (the forward keeps {@link cdfStmts}) and well within a derivative's Φ + xφ.
 */
const MILLS_P = ['0.010220647789537907', '0.10119619220495224', '0.4573555886745453', '1.0960139036178589', '1.2533141374588013'];
const MILLS_Q = ['0.01022051926702261', '0.10120300203561783', '0.4674202501773834', '1.1992766857147217', '1.672377586364746', '1'];
function cdfFromPdfStmts(dst: string, x: string, pdf: string): string[] {
  return [
    ...horner('$mp', '$gax', MILLS_P).trim().split('\n').map((l) => l.trim()),
    ...horner('$mq', '$gax', MILLS_Q).trim().split('\n').map((l) => l.trim()),
    set('mp', `(f32x4.mul ${pdf} (f32x4.div ${L('mp')} ${L('mq')}))`),
    set(dst, `(v128.bitselect ${L('mp')} (f32x4.sub ${C(1)} ${L('mp')}) (f32x4.lt ${x} ${ZERO}))`),
  ];
}
function pdfStmts(dst: string): string[] {
  return [...expStmts(dst, L('ghead'), L('gtail'), false, true), set(dst, `(v128.andnot (f32x4.mul ${L(dst)} ${C('0.3989422804014327')}) ${L('gfar')})`)];
}
/**
 * NOTE: log(u) for u ∈ [1, 2] (softplus's log1p(e^(−|t|)), e ∈ [0, 1]): Cephes' logf, the mantissa
 * m ∈ [√½, √2) and exponent k from the bits, log u = k·ln2 + (m − 1) − (m − 1)²/2 + (m − 1)³·P(m − 1).
 * log1p(e) is then log(u)·e/(u − 1) (Goldberg's theorem 4: u's rounding cancels), e where u = 1.
 */
const LOG_POLY = ['7.0376836292e-2', '-1.1514610310e-1', '1.1676998740e-1', '-1.2420140846e-1', '1.4249322787e-1', '-1.6668057665e-1', '2.0000714765e-1', '-2.4999993993e-1', '3.3333331174e-1'];
function log1pStmts(dst: string, e: string): string[] {
  return [
    set('lu', `(f32x4.add ${C(1)} ${e})`),
    // u = 2^k·m with m ∈ [√½, √2): k from the exponent bits, m's exponent set to 0 (or −1 when m ≥ √2)
    set('lm', `(v128.or (v128.and ${L('lu')} ${I('0x007fffff')}) ${I('0x3f800000')})`),
    set('lbig', `(f32x4.gt ${L('lm')} ${C('1.41421356')})`),
    set('lm', `(v128.bitselect (f32x4.mul ${L('lm')} ${C(0.5)}) ${L('lm')} ${L('lbig')})`),
    set('lk', `(f32x4.convert_i32x4_s (i32x4.sub (i32x4.shr_u ${L('lu')} (i32.const 23)) (i32x4.add ${I(127)} ${L('lbig')})))`),
    set('lf', `(f32x4.sub ${L('lm')} ${C(1)})`),
    set('lz', `(f32x4.mul ${L('lf')} ${L('lf')})`),
    ...horner('$lp', '$lf', LOG_POLY).trim().split('\n').map((l) => l.trim()),
    set('lp', `(f32x4.mul (f32x4.mul ${L('lp')} ${L('lz')}) ${L('lf')})`),
    set('lp', `(f32x4.add (f32x4.mul ${L('lk')} ${C('-2.12194440e-4')}) ${L('lp')})`),
    set('lp', `(f32x4.sub ${L('lp')} (f32x4.mul ${L('lz')} ${C(0.5)}))`),
    set('lp', `(f32x4.add (f32x4.add ${L('lf')} ${L('lp')}) (f32x4.mul ${L('lk')} ${C('0.693359375')}))`),
    set(dst, `(v128.bitselect ${e} (f32x4.div (f32x4.mul ${L('lp')} ${e}) (f32x4.sub ${L('lu')} ${C(1)})) (f32x4.eq ${L('lu')} ${C(1)}))`),
  ];
}

/**
 * log u in f32x4, Cephes' logf as `log1pStmts` (u = 2^k·m, m ∈ [√½, √2), f = m − 1: f − f²/2 + f³P(f)
 * + k·ln 2 in two parts), a subnormal u scaled by 2²³ first (k − 23); +∞ gives +∞, ±0 −∞, a
 * negative u or NaN a NaN, as Math.log.
 */
function logStmts(dst: string, u: string): string[] {
  return [
    set('lgs', `(f32x4.lt ${u} ${C('1.17549435e-38')})`),
    set('lgu', `(v128.bitselect (f32x4.mul ${u} ${C(8388608)}) ${u} ${L('lgs')})`),
    set('lgm', `(v128.or (v128.and ${L('lgu')} ${I('0x007fffff')}) ${I('0x3f800000')})`),
    set('lgb', `(f32x4.gt ${L('lgm')} ${C('1.41421356')})`),
    set('lgm', `(v128.bitselect (f32x4.mul ${L('lgm')} ${C(0.5)}) ${L('lgm')} ${L('lgb')})`),
    set('lgk', `(f32x4.sub (f32x4.convert_i32x4_s (i32x4.sub (i32x4.shr_u ${L('lgu')} (i32.const 23)) (i32x4.add ${I(127)} ${L('lgb')}))) (v128.and ${L('lgs')} ${C(23)}))`),
    set('lgf', `(f32x4.sub ${L('lgm')} ${C(1)})`),
    set('lgz', `(f32x4.mul ${L('lgf')} ${L('lgf')})`),
    ...horner('$lgp', '$lgf', LOG_POLY).trim().split('\n').map((l) => l.trim()),
    set('lgp', `(f32x4.mul (f32x4.mul ${L('lgp')} ${L('lgz')}) ${L('lgf')})`),
    set('lgp', `(f32x4.add (f32x4.mul ${L('lgk')} ${C('-2.12194440e-4')}) ${L('lgp')})`),
    set('lgp', `(f32x4.sub ${L('lgp')} (f32x4.mul ${L('lgz')} ${C(0.5)}))`),
    set('lgp', `(f32x4.add (f32x4.add ${L('lgf')} ${L('lgp')}) (f32x4.mul ${L('lgk')} ${C('0.693359375')}))`),
    set('lgp', `(v128.bitselect ${u} ${L('lgp')} (f32x4.eq ${u} ${C('inf')}))`),
    set('lgp', `(v128.bitselect ${C('-inf')} ${L('lgp')} (f32x4.eq ${u} ${C(0)}))`),
    set(dst, `(v128.bitselect ${C('nan')} ${L('lgp')} (v128.or (f32x4.lt ${u} ${C(0)}) (f32x4.ne ${u} ${u})))`),
  ];
}

/** Never −0: a sum or difference with a non-zero constant (an exact zero sum is +0 unless both terms are −0). */
const neverNegativeZero = (e: Expr): boolean =>
  (e.kind === 'add' || e.kind === 'sub') && [e.a, e.b].some((o) => o.kind === 'const' && o.value !== 0 && !Number.isNaN(o.value));

/**
 * Whether max(a, c) or min(a, c) of a constant c gives the same values as the pseudo-max/min
 * (`f32x4.pmax(a, c)` = a < c ? c : a; pmin: c < a ? c : a), one maxps/minps on x86 where V8
 * spends about seven instructions on f32x4.max/min's NaN and ±0 rules. They differ only for a NaN
 * (both give a NaN: the pseudo one a's, the other a canonical one) and for zeros of opposite sign:
 * max(−0, +0) and min(+0, −0). HardSwish's and HardSigmoid's clamp(x + 3, 0, 6) qualifies (x + 3 is
 * never −0): their forward kernels ran at ~11 GB/s where the backward, without a clamp, ran at ~20.
 */
function pseudoExact(e: Expr): boolean {
  if ((e.kind !== 'max' && e.kind !== 'min') || e.b.kind !== 'const' || Number.isNaN(e.b.value)) return false;
  return e.kind === 'max' ? !Object.is(e.b.value, 0) || neverNegativeZero(e.a) : !Object.is(e.b.value, -0);
}

const num = (v: number): string => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : Object.is(v, -0) ? '-0' : String(v));
const BINARY = { add: 'f32x4.add', sub: 'f32x4.sub', mul: 'f32x4.mul', div: 'f32x4.div', max: 'f32x4.max', min: 'f32x4.min' } as const;
const COMPARE = { gt: 'f32x4.gt', ge: 'f32x4.ge', lt: 'f32x4.lt', le: 'f32x4.le', eq: 'f32x4.eq' } as const;

/**
 * The f32x4 statements of one expression: a subexpression used more than once (its structural key)
 * and every primitive's value (e^x, σ, Φ) into a local of its own, computed once; one used once nested
 * in its user's instruction, as a hand-written kernel would (fewer live locals for V8's baseline
 * compiler); leaves as the loop's registers.
 */
class SimdEmitter {
  readonly stmts: string[] = [];
  private readonly locals = new Map<string, string>();
  private readonly uses = new Map<string, number>();
  private gaussianOf: string | undefined;
  private count = 0;
  constructor(private readonly leaves: Readonly<Record<UnaryLeaf, string>>) {}

  /** Statements that leave `e` in $dst. */
  assign(dst: string, e: Expr): void {
    this.countUses(e);
    const text = this.text(e, dst);
    if (text) this.stmts.push(set(dst, text));
  }

  private countUses(e: Expr | Cond): void {
    const key = keyOf(e);
    const n = (this.uses.get(key) ?? 0) + 1;
    this.uses.set(key, n);
    if (n > 1 || e.kind === 'leaf' || e.kind === 'const') return;
    if (e.kind === 'neg' || e.kind === 'call') this.countUses(e.a);
    else if (e.kind === 'select') [e.cond, e.then, e.else].forEach((c) => this.countUses(c));
    else {
      this.countUses(e.a);
      this.countUses(e.b);
    }
  }

  /** An operand for `e`: nested where the expression uses it once, else {@link shared}. */
  value(e: Expr): string {
    // a primitive's value always gets a local: lowerings read each other's (σ beside 1 − σ)
    if (e.kind === 'leaf' || e.kind === 'const' || e.kind === 'call' || this.locals.has(keyOf(e))) return this.shared(e);
    if ((this.uses.get(keyOf(e)) ?? 0) < 2) {
      const name = `t${this.count++}`;
      const text = this.text(e, name);
      if (text) return text;
      this.locals.set(keyOf(e), name);
    }
    return this.shared(e);
  }

  /** An operand for `e` that a lowering reads more than once: a leaf, a constant, or the local holding it. */
  shared(e: Expr): string {
    if (e.kind === 'leaf') {
      if (e.name === 'x2') throw new Error('activations-gen: a binary op has no generated kernel (simdKinds leaves it out)');
      return this.leaves[e.name];
    }
    if (e.kind === 'const') return C(num(e.value));
    const key = keyOf(e);
    let name = this.locals.get(key);
    if (!name) {
      name = `t${this.count++}`;
      const text = this.text(e, name);
      if (text) this.stmts.push(set(name, text));
      this.locals.set(key, name);
    }
    return L(name);
  }

  private mask(k: Cond): string {
    return k.kind === 'and' ? `(v128.and ${this.mask(k.a)} ${this.mask(k.b)})` : `(${COMPARE[k.kind]} ${this.value(k.a)} ${this.value(k.b)})`;
  }

  /** e's instruction; a primitive that takes statements writes them into $dst and answers ''. */
  private text(e: Expr, dst = 'tmp'): string {
    switch (e.kind) {
      case 'leaf':
      case 'const':
        return this.value(e);
      case 'neg':
        return `(f32x4.neg ${this.value(e.a)})`;
      case 'select':
        return `(v128.bitselect ${this.value(e.then)} ${this.value(e.else)} ${this.mask(e.cond)})`;
      case 'call': {
        if (!(SIMD_FNS as readonly string[]).includes(e.fn)) throw new Error(`activations-gen: no f32x4 form of ${e.fn}`);
        const stmts = LOWER[e.fn as SimdFn](this, dst, e.a);
        if (typeof stmts === 'string') return stmts;
        this.stmts.push(...stmts);
        return '';
      }
      default:
        return `(${pseudoExact(e) ? `f32x4.p${e.kind}` : BINARY[e.kind]} ${this.value(e.a)} ${this.value(e.b)})`;
    }
  }

  /** Whether the expression being printed reads `e` (a lowering that can share its value). */
  reads(e: Expr): boolean {
    return this.uses.has(keyOf(e));
  }

  /** Φ's and φ's shared preparation for argument u (once per argument in a row). */
  gaussian(u: string): void {
    if (this.gaussianOf === u) return;
    this.stmts.push(...gaussianPrep(u));
    this.gaussianOf = u;
  }
}

/** Each primitive in f32x4: an instruction, or statements writing $dst. */
const LOWER: Record<SimdFn, (em: SimdEmitter, dst: string, u: Expr) => string | string[]> = {
  exp: (em, dst, u) => expStmts(dst, em.value(u), null, false),
  expm1: (em, dst, u) => expStmts(dst, em.value(u), null, true),
  abs: (em, _dst, u) => `(f32x4.abs ${em.value(u)})`,
  log: (em, dst, u) => logStmts(dst, em.shared(u)),
  // tanh(u) = sign(u)·(−m)/(2 + m), m = expm1(−2|u|) (see the comment at the top of the module)
  tanh: (em, _dst, u) => {
    const m = em.shared(E.expm1(E.mul(E.abs(u), -2)));
    return `(v128.or (f32x4.abs (f32x4.div ${m} (f32x4.add ${m} ${C(2)}))) (v128.and ${em.shared(u)} ${I('0x80000000')}))`;
  },
  // 1 − t² as (1 − t)(1 + t): one factor is exact (Sterbenz) wherever 1 − t² is small. Of a
  // tanh(u) computed here (not a saved output), 4E/(1 + E)² with E = e^(−2|u|) instead: t rounded
  // to float32 near ±1 would leave 1 − t² with no correct digit (Mish's x·(1 − t²) at x ≈ 8).
  tanhGrad: (em, _dst, t) => {
    if (t.kind === 'call' && t.fn === 'tanh') {
      const e = em.shared(E.exp(E.mul(E.abs(t.a), -2)));
      return `(f32x4.div (f32x4.mul ${e} ${C(4)}) (f32x4.mul (f32x4.add ${e} ${C(1)}) (f32x4.add ${e} ${C(1)})))`;
    }
    return `(f32x4.mul (f32x4.sub ${C(1)} ${em.shared(t)}) (f32x4.add ${C(1)} ${em.shared(t)}))`;
  },
  sigmoid: (em, _dst, u) => `(f32x4.div ${C(1)} (f32x4.add ${em.shared(E.exp(E.neg(u)))} ${C(1)}))`,
  // 1 − σ = e^(−u)·σ (no cancellation); e^(−u) = +inf (u < −88.7) gives σ = 0 and NaN, so pmin(1, ·) keeps 1 there
  sigmoidRest: (em, _dst, u) => `(f32x4.pmin ${C(1)} (f32x4.mul ${em.shared(E.exp(E.neg(u)))} ${em.shared(E.sigmoid(u))}))`,
  // max(u, 0) + log1p(e^(−|u|)), as special.softplus
  softplus: (em, dst, u) => {
    const e = em.shared(E.exp(E.neg(E.abs(u))));
    return [...log1pStmts(dst, e), set(dst, `(f32x4.add (f32x4.max ${em.shared(u)} ${ZERO}) ${L(dst)})`)];
  },
  normCdf: (em, dst, u) => {
    em.gaussian(em.shared(u));
    return em.reads(E.normPdf(u)) ? cdfFromPdfStmts(dst, em.shared(u), em.shared(E.normPdf(u))) : cdfStmts(dst, em.shared(u));
  },
  normPdf: (em, dst, u) => {
    em.gaussian(em.shared(u));
    return pdfStmts(dst);
  },
};

const REGISTERS: Record<UnaryLeaf, string> = { x: L('xv'), y: L('yv'), dy: L('dyv'), p: L('al'), q: L('bl') };

/**
 * The forward's statements ($xv → $yv). NOTE: a root `a·σ(u)` is computed as a/(1 + e^(−u)) (one
 * division, and relative-accurate on both sides: SiLU, GELU-tanh). Exported for the tests of a
 * primitive's f32x4 form (cpu-backend/log-lowering.test.ts).
 */
export function forwardStmts(f: Expr): string[] {
  const em = new SimdEmitter(REGISTERS);
  if (f.kind === 'mul' && f.b.kind === 'call' && f.b.fn === 'sigmoid') {
    const a = em.shared(f.a);
    em.stmts.push(set('yv', `(f32x4.div ${a} (f32x4.add ${em.shared(E.exp(E.neg(f.b.a)))} ${C(1)}))`));
  } else em.assign('yv', f);
  return em.stmts;
}

/** The backward's statements ($xv, $yv, $dyv → $gv = dy·f'). */
function backwardStmts(fPrime: Expr): string[] {
  const em = new SimdEmitter(REGISTERS);
  em.assign('gv', gradient(fPrime));
  return em.stmts;
}

/** One generated kernel pair: its name in the module, statements, and which saved tensors the backward reads. */
interface Kind {
  name: string;
  doc: string;
  fwd: string[];
  bwd: string[];
  usesInput: boolean;
  usesOutput: boolean;
  /** Vectors per iteration of the backward's wide loop, where its form declares them. */
  backwardWays?: number;
}

const KINDS: Kind[] = simdKinds().map((k) => {
  const g = gradient(k.backward);
  return {
    name: `${k.op}_${k.form}`.replace(/\W/g, '_'),
    doc: `${k.op}${k.form === 'main' ? '' : ` (${k.form})`}, from its op file's expression: y = ${keyOf(k.forward)}; dx = ${keyOf(g)}.`,
    fwd: forwardStmts(k.forward),
    bwd: backwardStmts(k.backward),
    usesInput: uses(g, 'x'),
    usesOutput: uses(g, 'y'),
    backwardWays: k.backwardWays,
  };
});

/** The statements with every local they set (and the loop's $xv/$yv/$dyv/$gv) renamed with `suffix`. */
function copyAs(stmts: readonly string[], suffix: string): string[] {
  if (!suffix) return [...stmts];
  const names = new Set(['xv', 'yv', 'dyv', 'gv']);
  for (const s of stmts) for (const m of s.matchAll(/\(local\.set \$(\w+)/g)) names.add(m[1]);
  return stmts.map((s) => s.replace(/\$(\w+)/g, (all, n) => (names.has(n) ? `$${n}${suffix}` : all)));
}

/** The suffixes of a wide loop's copies of a vector's code, way by way (at byte offsets 0, 16, 32, …). */
const SUFFIXES = ['', '_b', '_c', '_d', '_e', '_f'] as const;
/**
 * The vectors an activation's backward computes per wide-loop iteration, each its own copy of the
 * code: independent dependency chains for the out-of-order core. NOTE: four, not two, measured per
 * kind (1M floats, 1 thread, CPU time, median of 9 interleaved rounds, 2-vCPU EPYC): GELU 5.24 →
 * 3.70 ms, Mish 16.67 → 9.61, SiLU 2.69 → 1.61 (with the assign branch out of the loop, see
 * wideBackward); three or five lose on Mish and SiLU. A form may declare its own count
 * (`simdBackwardWays`, {@link waysOf}): GELU's erf form takes three (its Mills' ratio is two
 * independent Horner chains beside the e^x already). Each element's code is unchanged, so the same bits.
 */
const WAYS = SUFFIXES.slice(0, 4);
/**
 * The forward's, likewise. NOTE: six: GELU 4.57 → 3.49 ms at four, 2.97 at six (5: 3.13, 8: 3.20),
 * Mish 8.91 → 5.76 → 4.90, Softplus 6.20 → 3.92 → 3.36, SiLU 1.74 → 1.40 → 1.28; Tanh 2.45 → 1.91
 * → 1.81 (five: 1.73), the light kinds (LeakyReLU, HardSwish, ELU) within noise.
 */
const FORWARD_WAYS = SUFFIXES.slice(0, 6);
/** A kind's backward ways: its form's declaration (`simdBackwardWays`), else {@link WAYS}. */
const waysOf = (k: Kind): readonly string[] => (k.backwardWays ? SUFFIXES.slice(0, k.backwardWays) : WAYS);
/** Each way's byte offset from $p. */
const wayOffset = (i: number): string => (i === 0 ? '' : ` offset=${16 * i}`);

function localsOf(stmts: readonly string[], exclude: readonly string[]): string {
  const names = new Set();
  for (const s of stmts) for (const m of s.matchAll(/\(local\.set \$(\w+)/g)) if (!exclude.includes(m[1])) names.add(m[1]);
  return [...names].map((n) => `(local $${n} v128)`).join(' ');
}
const indent = (stmts: readonly string[], pad: string): string => stmts.map((s) => pad + s).join('\n');

/** The backward's loads of the saved input and/or output, one line each. */
function loads(k: Kind, line: (register: string, base: string) => string): string {
  return [k.usesInput ? line('xv', 'x') : '', k.usesOutput ? line('yv', 'y') : ''].filter(Boolean).map((l) => `      ${l}`).join('\n');
}

/**
 * The backward's wide loop ({@link waysOf} vectors per iteration), one copy for $assign = 1 (dx written) and
 * one for 0 (dx read and added to): the choice outside the loop, so its body has no branch. NOTE: a
 * branch in the body kept the extra ways from paying (GELU 4.43 → 4.49 ms per 1M floats with it,
 * SiLU 2.71 → 1.68 without, same measurement as WAYS'). The one-vector and scalar tails keep theirs.
 */
function wideBackward(k: Kind, assign: boolean): string {
  const ways = waysOf(k);
  const label = assign ? 'wa' : 'wl';
  return `    (if ${assign ? '' : '(i32.eqz '}(local.get $assign)${assign ? '' : ')'} (then (block $${label}d (loop $${label}
      (br_if $${label}d (i32.ge_u (i32.add (local.get $p) (i32.const ${16 * ways.length - 16})) (local.get $end4)))
      (local.set $q (i32.add (local.get $dx) (local.get $p)))
${ways.map((w, i) => loads(k, (r, base) => `(local.set $${r}${w} (v128.load${wayOffset(i)} (i32.add (local.get $${base}) (local.get $p))))`)).join('\n')}
${ways.map((w, i) => `      (local.set $dyv${w} (v128.load${wayOffset(i)} (i32.add (local.get $dy) (local.get $p))))`).join('\n')}
${ways.map((w) => indent(copyAs(k.bwd, w), '      ')).join('\n')}
${assign ? '' : `${ways.map((w, i) => `      (local.set $gv${w} (f32x4.add (v128.load${wayOffset(i)} (local.get $q)) (local.get $gv${w})))`).join('\n')}\n`}${ways.map((w, i) => `      (v128.store${wayOffset(i)} (local.get $q) (local.get $gv${w}))`).join('\n')}
      (local.set $p (i32.add (local.get $p) (i32.const ${16 * ways.length})))
      (br $${label})))))`;
}

function unaryFuncs(): string {
  let out = '';
  for (const k of KINDS) {
    const fl = [localsOf(k.fwd, ['yv']), ...FORWARD_WAYS.slice(1).map((w) => `${localsOf(copyAs(k.fwd, w), [`yv${w}`])} (local $xv${w} v128) (local $yv${w} v128)`)].join(' ');
    const bl = [
      localsOf(k.bwd, ['gv', 'yv']),
      ...waysOf(k).slice(1).map((w) => `${localsOf(copyAs(k.bwd, w), [`gv${w}`, `yv${w}`])} (local $xv${w} v128) (local $yv${w} v128) (local $dyv${w} v128) (local $gv${w} v128)`),
    ].join(' ');
    out += `
  ;; ${k.doc}
  ;; y[i] = f(x[i]) for i in [i0, i1) (the tail through lane 0 of the same vector code).
  (func $${k.name}Forward (param $x i32) (param $y i32) (param $i0 i32) (param $i1 i32) (param $alpha f32) (param $beta f32)
    (local $p i32) (local $end i32) (local $end4 i32) (local $al v128) (local $bl v128) (local $xv v128) (local $yv v128)
    ${fl}
    (local.set $al (f32x4.splat (local.get $alpha)))
    (local.set $bl (f32x4.splat (local.get $beta)))
    (local.set $p (i32.shl (local.get $i0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $i1) (i32.const 2)))
    (local.set $end4 (i32.add (local.get $p) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const -16))))
    ;; ${FORWARD_WAYS.length} vectors per iteration (independent dependency chains; see FORWARD_WAYS), then one
    (block $wd (loop $wl
      (br_if $wd (i32.ge_u (i32.add (local.get $p) (i32.const ${16 * FORWARD_WAYS.length - 16})) (local.get $end4)))
${FORWARD_WAYS.map((w, i) => `      (local.set $xv${w} (v128.load${wayOffset(i)} (i32.add (local.get $x) (local.get $p))))`).join('\n')}
${FORWARD_WAYS.map((w) => indent(copyAs(k.fwd, w), '      ')).join('\n')}
${FORWARD_WAYS.map((w, i) => `      (v128.store${wayOffset(i)} (i32.add (local.get $y) (local.get $p)) (local.get $yv${w}))`).join('\n')}
      (local.set $p (i32.add (local.get $p) (i32.const ${16 * FORWARD_WAYS.length})))
      (br $wl)))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $p) (local.get $end4)))
      (local.set $xv (v128.load (i32.add (local.get $x) (local.get $p))))
${indent(k.fwd, '      ')}
      (v128.store (i32.add (local.get $y) (local.get $p)) (local.get $yv))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $xv (f32x4.splat (f32.load (i32.add (local.get $x) (local.get $p)))))
${indent(k.fwd, '      ')}
      (f32.store (i32.add (local.get $y) (local.get $p)) (f32x4.extract_lane 0 (local.get $yv)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $sl)))
  )

  ;; dx[i] += f'(x[i])·dy[i] for i in [i0, i1); $assign = 1: dx[i] = the same (dx is not read).
  (func $${k.name}Backward (param $x i32) (param $y i32) (param $dy i32) (param $dx i32) (param $i0 i32) (param $i1 i32) (param $alpha f32) (param $beta f32) (param $assign i32)
    (local $p i32) (local $end i32) (local $end4 i32) (local $q i32) (local $al v128) (local $bl v128) (local $xv v128) (local $yv v128) (local $dyv v128) (local $gv v128)
    ${bl}
    (local.set $al (f32x4.splat (local.get $alpha)))
    (local.set $bl (f32x4.splat (local.get $beta)))
    (local.set $p (i32.shl (local.get $i0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $i1) (i32.const 2)))
    (local.set $end4 (i32.add (local.get $p) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const -16))))
${wideBackward(k, true)}
${wideBackward(k, false)}
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $p) (local.get $end4)))
      (local.set $q (i32.add (local.get $dx) (local.get $p)))
${loads(k, (r, base) => `(local.set $${r} (v128.load (i32.add (local.get $${base}) (local.get $p))))`)}
      (local.set $dyv (v128.load (i32.add (local.get $dy) (local.get $p))))
${indent(k.bwd, '      ')}
      (if (i32.eqz (local.get $assign)) (then (local.set $gv (f32x4.add (v128.load (local.get $q)) (local.get $gv)))))
      (v128.store (local.get $q) (local.get $gv))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $q (i32.add (local.get $dx) (local.get $p)))
${loads(k, (r, base) => `(local.set $${r} (f32x4.splat (f32.load (i32.add (local.get $${base}) (local.get $p)))))`)}
      (local.set $dyv (f32x4.splat (f32.load (i32.add (local.get $dy) (local.get $p)))))
${indent(k.bwd, '      ')}
      (if (i32.eqz (local.get $assign)) (then (local.set $gv (f32x4.add (f32x4.splat (f32.load (local.get $q))) (local.get $gv)))))
      (f32.store (local.get $q) (f32x4.extract_lane 0 (local.get $gv)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $sl)))
  )
`;
  }
  const labels = KINDS.map((k) => `$${k.name}`);
  const dispatch = (call: (k: Kind) => string): string => {
    let s = `(block ${labels[labels.length - 1]} `;
    for (let i = labels.length - 2; i >= 0; i--) s += `(block ${labels[i]} `;
    s += `\n      (br_table ${labels.join(' ')} (local.get $kind)))`;
    KINDS.forEach((k, i) => {
      s += `\n      ${call(k)}${i < KINDS.length - 1 ? ' (return))' : ''}`;
    });
    return s;
  };
  out += `
  ;; y[i] = f(x[i]) for i in [i0, i1), f chosen by $kind (see the table at the top); $alpha and
  ;; $beta are the op's parameters p and q (LeakyReLU's slope, ELU's α, Softplus's β and threshold).
  (func (export "unaryForward") (param $x i32) (param $y i32) (param $i0 i32) (param $i1 i32) (param $kind i32) (param $alpha f32) (param $beta f32)
    ${dispatch((k) => `(call $${k.name}Forward (local.get $x) (local.get $y) (local.get $i0) (local.get $i1) (local.get $alpha) (local.get $beta))`)}
  )

  ;; dx[i] (+)= f'(x[i])·dy[i] for i in [i0, i1); $y (the saved output) is read only by Tanh.
  (func (export "unaryBackward") (param $x i32) (param $y i32) (param $dy i32) (param $dx i32) (param $i0 i32) (param $i1 i32)
    (param $kind i32) (param $alpha f32) (param $beta f32) (param $assign i32)
    ${dispatch((k) => `(call $${k.name}Backward (local.get $x) (local.get $y) (local.get $dy) (local.get $dx) (local.get $i0) (local.get $i1) (local.get $alpha) (local.get $beta) (local.get $assign))`)}
  )
`;
  return out;
}
/** e^(x − m) into $dst with x − m formed exactly (TwoSum; see the Softmax comment in the WAT). */
function expDiffStmts(dst: string, x: string, m: string): string[] {
  return [
    set('ds', `(f32x4.sub ${x} ${m})`),
    set('dbb', `(f32x4.sub ${L('ds')} ${x})`),
    set('derr', `(f32x4.sub (f32x4.sub ${x} (f32x4.sub ${L('ds')} ${L('dbb')})) (f32x4.add ${m} ${L('dbb')}))`),
    // NOTE: the error term is kept only where |x − m| ≤ 104 (and it is not NaN): beyond that e^(x − m)
    // is 0 or +inf anyway, while the term itself can be huge (up to half an ulp of x − m, ~4e6 for a
    // spread of 1e14) and, unlike the clamped difference, would throw the reduction off.
    ...expStmts(
      dst,
      L('ds'),
      `(v128.and ${L('derr')} (v128.and (f32x4.eq ${L('derr')} ${L('derr')}) (f32x4.le (f32x4.abs ${L('ds')}) ${C(104)})))`,
      false,
    ),
  ];
}

const UNARY_FUNCS = unaryFuncs();
/** One vector of the Softmax exponent pass: $v = x, $e = e^(x − max). */
const SOFTMAX_EXP = [set('v', '(v128.load (i32.add (local.get $xp) (local.get $p)))'), ...expDiffStmts('e', L('v'), L('m'))];
/** The same for one float (lane 0), for a row's tail. */
const SOFTMAX_EXP_TAIL = [set('v', '(f32x4.splat (local.get $f))'), ...expDiffStmts('e', L('v'), L('m'))];

/** Σ += a vector's two halves in float64 (lanes 0, 1, then 2, 3): `sum`'s sums as the one-vector loop adds them. */
const addHalves = (sum: string, v: string): string =>
  `(local.set ${sum} (f64x2.add (local.get ${sum}) (f64x2.add (f64x2.promote_low_f32x4 (local.get ${v}))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get ${v}) (local.get ${v}))))))`;

/**
 * Softmax's vectors per wide-loop iteration, as the activations' backward. NOTE: four, not two (CPU
 * ms, 1 thread, median of 15 interleaved rounds, load ~6): the tiny GPT's causal attention rows
 * (16,384 of 64) 3.12 → 2.85, CrossEntropyLoss's 4096 × 97 with statistics 1.68 → 1.42; five, six
 * or eight were slower than four (2.34 against 2.39, 2.40, 2.59 on the attention rows).
 */
const SOFTMAX_WAYS = WAYS;

/**
 * softmaxRows' wide loop: e = e^(x − max) for SOFTMAX_WAYS vectors an iteration, stored, and added
 * to Σ e (and with $stats to Σ x) vector by vector in order, so the sums are the one-vector loop's.
 * One copy with $stats and one without, chosen outside the loop (a branch in the body costs; see
 * wideBackward).
 */
function softmaxWide(): string {
  const n = SOFTMAX_WAYS.length;
  const loop = (stats: boolean): string => `(block $e${stats ? 's' : 'w'}d (loop $e${stats ? 's' : 'w'}l
        (br_if $e${stats ? 's' : 'w'}d (i32.gt_u (i32.add (local.get $p) (i32.const ${16 * n})) (local.get $end4)))
${SOFTMAX_WAYS.map((w, i) => indent(copyAs(SOFTMAX_EXP, w).map((l) => l.replace('(v128.load (i32.add', `(v128.load${wayOffset(i)} (i32.add`)), '        ')).join('\n')}
${SOFTMAX_WAYS.map((w, i) => `        (v128.store${wayOffset(i)} (i32.add (local.get $yp) (local.get $p)) (local.get $e${w}))`).join('\n')}
${SOFTMAX_WAYS.map((w) => `        ${addHalves('$s', `$e${w}`)}`).join('\n')}
${stats ? `${SOFTMAX_WAYS.map((w) => `        ${addHalves('$sx', `$v${w}`)}`).join('\n')}\n` : ''}        (local.set $p (i32.add (local.get $p) (i32.const ${16 * n})))
        (br $e${stats ? 's' : 'w'}l)))`;
  return `      ;; ${n} vectors per iteration (independent dependency chains), then one
      (if (local.get $stats) (then ${loop(true)})
      (else ${loop(false)}))`;
}

const wat = `;; Activation and softmax-family kernels for WebAssembly SIMD: the elementwise activations the op
;; files declare (forward/backward over element ranges, selected by a kind code); Softmax
;; over rows (last axis) and CrossEntropyLoss's per-row softmax, statistics and gradient. All
;; pointers are byte addresses into the shared heap. NOTE: no sum is written in the form
;; (f32x4.add (local.get a) (f32x4.mul (local.get b) (local.get c))) that scripts/build-kernels.mjs
;; fuses into relaxed_madd, so this module has no relaxed variant and gives the same bits everywhere.
;; GENERATED by activations-gen.ts (next to this file) from the op files: run it (npx tsx), then
;; node scripts/build-kernels.mjs.
;; Kind codes (core/elementwise/simd.ts, simdKinds: the op files' elementwise declarations in
;; registry order):
${KINDS.map((k, i) => `;;   ${i} ${k.name}`).join('\n')}
;;
;; NOTE (accuracy): e^x is Cephes' expf (degree-6 polynomial after a two-constant ln 2 reduction,
;; as elementwise.wat's $sigmoid4), ~2 ulp. Every formula below is arranged so that a small result
;; keeps its relative precision: tanh and ELU go through expm1 (no 1 − e^x cancellation near 0),
;; SiLU and GELU-tanh are x/(1 + e^(−t)) with 1 − σ = e^(−t)·σ in the backward, and tanh' is
;; (1 − y)(1 + y), exact where 1 − y² would cancel. GELU's backward takes Φ from its φ (Mills'
;; ratio, activations-gen.ts: cdfFromPdfStmts), one e^ for both.
(module
  ${HEAP_IMPORT}

  ;; e^x, inlined everywhere (see activations-gen.ts, expStmts): e^(a + b) for four lanes, where b is
  ;; a small, exactly known second part of the argument (GELU passes −x²/2 split into an exact head
  ;; and a small tail, Softmax the rounding error of x − max). a is clamped to [−104, 89], beyond
  ;; which e^x is 0 or +inf in float32 anyway. n = round((a + b)·log2 e), r = ((a − n·ln2_hi) + b) −
  ;; n·ln2_lo, so |r| ≤ ln2/2 (+ rounding), e^r = 1 + r + r²·P(r) (Cephes' expf polynomial), and 2ⁿ
  ;; is applied as two factors 2^⌊n/2⌋·2^(n−⌊n/2⌋) (n ∈ [−152, 130]), so the result overflows to
  ;; +inf and underflows gradually through the subnormals like a correctly rounded expf. NaN
  ;; propagates: the clamps are pmax/pmin with the argument first (t < lo ? lo : t keeps a NaN t). n
  ;; is rounded by adding and subtracting 1.5·2²³, which also leaves n as an integer in the low
  ;; mantissa bits (cheaper than floor + trunc_sat). expm1 (Tanh, ELU) returns 2ⁿ·(r + r²P) + (2ⁿ − 1)
  ;; instead: exactly r + r²P when n = 0, so no cancellation for small arguments; expm1(±0) = ±0.
${UNARY_FUNCS}
  ;; Softmax of rows [r0, r1) of length $len: y = e^(x − max)/Σ e^(x − max), the sum in float64 as
  ;; the op file. A NaN anywhere in a row makes its max NaN and the whole row NaN; a +inf max gives
  ;; NaN (inf − inf) as in the op file. NOTE: x − max is formed exactly (TwoSum: the rounded
  ;; difference and its rounding error, which the e^x reduction adds): rounding it to float32 alone
  ;; would cost up to |x − max|·2⁻²⁴ relative (1e-6 for a probability of 1e-10). Where the error term
  ;; is NaN (x or max infinite), or |x − max| > 104 (e^ is 0 or +inf there anyway, and the term itself can
  ;; be huge: half an ulp of x − max), it is dropped, so e^(−inf − max) is 0 and NaN still comes from the
  ;; difference itself (inf − inf, NaN inputs). $stats ≠ 0 (CrossEntropyLoss): also store, per row, three
  ;; float64 values at $stats + 24·row: the max, Σ e^(x − max), and Σ x (for label smoothing).
  ;; $causal = 1 (attention over square [len, len] blocks): row r keeps its first (r mod len) + 1
  ;; values and the rest are 0, the keys after its query masked without taking e^ of anything there
  ;; (a −inf score would pass through e^'s subnormal range, ~100× slower per value on x86).
  (func (export "softmaxRows") (param $x i32) (param $y i32) (param $r0 i32) (param $r1 i32) (param $len i32) (param $stats i32) (param $causal i32)
    (local $row i32) (local $xp i32) (local $yp i32) (local $p i32) (local $end i32) (local $end4 i32) (local $full i32)
    (local $m v128) (local $mf f32) (local $v v128) (local $e v128) (local $s v128) (local $sx v128) (local $sum f64) (local $sumx f64)
    (local $inv v128) (local $f f32) (local $k i32)
    ${SOFTMAX_WAYS.slice(1).map((w) => localsOf(copyAs(SOFTMAX_EXP, w), [])).join(' ')}
    (local $xa i32) (local $m1 v128) (local $m2 v128) (local $m3 v128) (local $ds v128) (local $dbb v128) (local $derr v128) (local $ea v128) (local $eb v128) (local $ek v128) (local $en v128) (local $er v128)
    (local $ep v128) (local $eni v128) (local $eh v128) (local $es1 v128) (local $es2 v128)
    (local.set $row (local.get $r0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $row) (local.get $r1)))
      (local.set $xp (i32.add (local.get $x) (i32.shl (i32.mul (local.get $row) (local.get $len)) (i32.const 2))))
      (local.set $yp (i32.add (local.get $y) (i32.shl (i32.mul (local.get $row) (local.get $len)) (i32.const 2))))
      (local.set $full (i32.shl (local.get $len) (i32.const 2)))
      (local.set $end (if (result i32) (local.get $causal)
        (then (i32.shl (i32.add (i32.rem_u (local.get $row) (local.get $len)) (i32.const 1)) (i32.const 2)))
        (else (local.get $full))))
      (local.set $end4 (i32.and (local.get $end) (i32.const -16)))
      ;; max (f32x4.max and f32.max propagate NaN); four independent chains over 16 floats, then one
      (local.set $m ${C('-inf')})
      (local.set $m1 ${C('-inf')})
      (local.set $m2 ${C('-inf')})
      (local.set $m3 ${C('-inf')})
      (local.set $p (i32.const 0))
      (block $m4d (loop $m4l
        (br_if $m4d (i32.gt_u (i32.add (local.get $p) (i32.const 64)) (local.get $end4)))
        (local.set $xa (i32.add (local.get $xp) (local.get $p)))
        (local.set $m (f32x4.max (local.get $m) (v128.load (local.get $xa))))
        (local.set $m1 (f32x4.max (local.get $m1) (v128.load offset=16 (local.get $xa))))
        (local.set $m2 (f32x4.max (local.get $m2) (v128.load offset=32 (local.get $xa))))
        (local.set $m3 (f32x4.max (local.get $m3) (v128.load offset=48 (local.get $xa))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $m4l)))
      (local.set $m (f32x4.max (f32x4.max (local.get $m) (local.get $m1)) (f32x4.max (local.get $m2) (local.get $m3))))
      (block $md (loop $ml
        (br_if $md (i32.ge_u (local.get $p) (local.get $end4)))
        (local.set $m (f32x4.max (local.get $m) (v128.load (i32.add (local.get $xp) (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $ml)))
      (local.set $mf (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
        (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
      (block $mtd (loop $mtl
        (br_if $mtd (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $mf (f32.max (local.get $mf) (f32.load (i32.add (local.get $xp) (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $mtl)))
      (local.set $m (f32x4.splat (local.get $mf)))
      ;; e = e^(x − max) into y; Σ e (and Σ x) in float64
      (local.set $s (v128.const i64x2 0 0))
      (local.set $sx (v128.const i64x2 0 0))
      (local.set $p (i32.const 0))
${softmaxWide()}
      (block $ed (loop $el
        (br_if $ed (i32.ge_u (local.get $p) (local.get $end4)))
${indent(SOFTMAX_EXP, '        ')}
        (v128.store (i32.add (local.get $yp) (local.get $p)) (local.get $e))
        (local.set $s (f64x2.add (local.get $s) (f64x2.add (f64x2.promote_low_f32x4 (local.get $e))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e))))))
        (if (local.get $stats) (then
          (local.set $sx (f64x2.add (local.get $sx) (f64x2.add (f64x2.promote_low_f32x4 (local.get $v))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $el)))
      (local.set $sum (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))
      (local.set $sumx (f64.add (f64x2.extract_lane 0 (local.get $sx)) (f64x2.extract_lane 1 (local.get $sx))))
      ;; a causal row's last 1–3 values in one vector (the row goes on past them: the lanes beyond $end
      ;; are masked keys, stored as 0), added to the sums lane by lane in the scalar tail's order
      (if (i32.and (i32.lt_u (local.get $p) (local.get $end)) (i32.le_u (i32.add (local.get $p) (i32.const 16)) (local.get $full))) (then
${indent(SOFTMAX_EXP, '        ')}
        (local.set $k (i32.sub (local.get $end) (local.get $p)))
        (local.set $e (v128.and (local.get $e) (i32x4.lt_u (v128.const i32x4 0 4 8 12) (i32x4.splat (local.get $k)))))
        (v128.store (i32.add (local.get $yp) (local.get $p)) (local.get $e))
${[0, 1, 2]
  .map((lane) => {
    const add = `(local.set $sum (f64.add (local.get $sum) (f64.promote_f32 (f32x4.extract_lane ${lane} (local.get $e)))))
        (local.set $sumx (f64.add (local.get $sumx) (f64.promote_f32 (f32x4.extract_lane ${lane} (local.get $v)))))`;
    return lane === 0 ? `        ${add}` : `        (if (i32.gt_u (local.get $k) (i32.const ${4 * lane})) (then
          ${add.replace('\n        ', '\n          ')}))`;
  })
  .join('\n')}
        (local.set $p (local.get $end))))
      (block $etd (loop $etl
        (br_if $etd (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $f (f32.load (i32.add (local.get $xp) (local.get $p))))
${indent(SOFTMAX_EXP_TAIL, '        ')}
        (f32.store (i32.add (local.get $yp) (local.get $p)) (f32x4.extract_lane 0 (local.get $e)))
        (local.set $sum (f64.add (local.get $sum) (f64.promote_f32 (f32x4.extract_lane 0 (local.get $e)))))
        (local.set $sumx (f64.add (local.get $sumx) (f64.promote_f32 (local.get $f))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $etl)))
      ;; y *= 1/Σ
      (local.set $inv (f32x4.splat (f32.demote_f64 (f64.div (f64.const 1) (local.get $sum)))))
      (local.set $p (i32.const 0))
      (block $nd (loop $nl
        (br_if $nd (i32.ge_u (local.get $p) (local.get $end4)))
        (v128.store (i32.add (local.get $yp) (local.get $p)) (f32x4.mul (v128.load (i32.add (local.get $yp) (local.get $p))) (local.get $inv)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $nl)))
      (block $ntd (loop $ntl
        (br_if $ntd (i32.ge_u (local.get $p) (local.get $end)))
        (f32.store (i32.add (local.get $yp) (local.get $p))
          (f32.mul (f32.load (i32.add (local.get $yp) (local.get $p))) (f32x4.extract_lane 0 (local.get $inv))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $ntl)))
      ;; masked (causal): zeros
      (block $zvd (loop $zvl
        (br_if $zvd (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $full)))
        (v128.store (i32.add (local.get $yp) (local.get $p)) (v128.const i64x2 0 0))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $zvl)))
      (block $zd (loop $zl
        (br_if $zd (i32.ge_u (local.get $p) (local.get $full)))
        (f32.store (i32.add (local.get $yp) (local.get $p)) (f32.const 0))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $zl)))
      (if (local.get $stats) (then
        (local.set $p (i32.add (local.get $stats) (i32.mul (local.get $row) (i32.const 24))))
        (f64.store (local.get $p) (f64.promote_f32 (local.get $mf)))
        (f64.store offset=8 (local.get $p) (local.get $sum))
        (f64.store offset=16 (local.get $p) (local.get $sumx))))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rl)))
  )

  ;; Softmax backward over rows [r0, r1): dx (+)= y·(dy − Σ dy·y)·$sc, the dot product in float64
  ;; (each float32 product is exact there), as the op file; the factor $sc (attention's 1/√d, folded
  ;; in instead of a pass of its own) is applied to the rounded y·(dy − Σ) when it is not 1.
  ;; $causal = 1 (attention's square [len, len] blocks, y 0 past each query's keys): row r takes its
  ;; first (r mod len) + 1 values, in whole vectors as far as those reach, so each Σ adds the same
  ;; terms in the same lanes as the full row, whose others are y = 0 (+0 each); with $assign, dx past
  ;; them is 0.
  (func (export "softmaxBackwardRows") (param $y i32) (param $dy i32) (param $dx i32) (param $r0 i32) (param $r1 i32) (param $len i32) (param $assign i32)
    (param $sc f32) (param $causal i32)
    (local $row i32) (local $off i32) (local $p i32) (local $end i32) (local $end4 i32) (local $a v128) (local $b v128) (local $s v128)
    (local $dot f64) (local $d v128) (local $g v128) (local $q i32) (local $rowEnd i32) (local $vecEnd i32) (local $sv v128)
    (local.set $row (local.get $r0))
    (local.set $end (i32.shl (local.get $len) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $end) (i32.const -16)))
    (local.set $sv (f32x4.splat (local.get $sc)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $row) (local.get $r1)))
      (local.set $off (i32.shl (i32.mul (local.get $row) (local.get $len)) (i32.const 2)))
      (local.set $rowEnd (local.get $end))
      (local.set $vecEnd (local.get $end4))
      (if (local.get $causal) (then
        (local.set $rowEnd (i32.shl (i32.add (i32.rem_u (local.get $row) (local.get $len)) (i32.const 1)) (i32.const 2)))
        (local.set $vecEnd (i32.and (i32.add (local.get $rowEnd) (i32.const 12)) (i32.const -16)))
        (if (i32.gt_u (local.get $vecEnd) (local.get $end4)) (then (local.set $vecEnd (local.get $end4))))))
      (local.set $s (v128.const i64x2 0 0))
      (local.set $p (i32.const 0))
      (block $dd (loop $dl
        (br_if $dd (i32.ge_u (local.get $p) (local.get $vecEnd)))
        (local.set $a (v128.load (i32.add (local.get $y) (i32.add (local.get $off) (local.get $p)))))
        (local.set $b (v128.load (i32.add (local.get $dy) (i32.add (local.get $off) (local.get $p)))))
        (local.set $s (f64x2.add (local.get $s) (f64x2.add
          (f64x2.mul (f64x2.promote_low_f32x4 (local.get $a)) (f64x2.promote_low_f32x4 (local.get $b)))
          (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $dl)))
      (local.set $dot (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))
      (block $dtd (loop $dtl
        (br_if $dtd (i32.ge_u (local.get $p) (local.get $rowEnd)))
        (local.set $dot (f64.add (local.get $dot) (f64.mul
          (f64.promote_f32 (f32.load (i32.add (local.get $y) (i32.add (local.get $off) (local.get $p)))))
          (f64.promote_f32 (f32.load (i32.add (local.get $dy) (i32.add (local.get $off) (local.get $p))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $dtl)))
      (local.set $d (f32x4.splat (f32.demote_f64 (local.get $dot))))
      (local.set $p (i32.const 0))
      (block $gd (loop $gl
        (br_if $gd (i32.ge_u (local.get $p) (local.get $vecEnd)))
        (local.set $q (i32.add (local.get $dx) (i32.add (local.get $off) (local.get $p))))
        (local.set $g (f32x4.mul (v128.load (i32.add (local.get $y) (i32.add (local.get $off) (local.get $p))))
          (f32x4.sub (v128.load (i32.add (local.get $dy) (i32.add (local.get $off) (local.get $p)))) (local.get $d))))
        (if (f32.ne (local.get $sc) (f32.const 1)) (then (local.set $g (f32x4.mul (local.get $g) (local.get $sv)))))
        (if (i32.eqz (local.get $assign)) (then (local.set $g (f32x4.add (v128.load (local.get $q)) (local.get $g)))))
        (v128.store (local.get $q) (local.get $g))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $gl)))
      (block $gtd (loop $gtl
        (br_if $gtd (i32.ge_u (local.get $p) (local.get $rowEnd)))
        (local.set $q (i32.add (local.get $dx) (i32.add (local.get $off) (local.get $p))))
        (local.set $g (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $y) (i32.add (local.get $off) (local.get $p)))))
          (f32x4.sub (f32x4.splat (f32.load (i32.add (local.get $dy) (i32.add (local.get $off) (local.get $p))))) (local.get $d))))
        (if (f32.ne (local.get $sc) (f32.const 1)) (then (local.set $g (f32x4.mul (local.get $g) (local.get $sv)))))
        (if (i32.eqz (local.get $assign)) (then (local.set $g (f32x4.add (f32x4.splat (f32.load (local.get $q))) (local.get $g)))))
        (f32.store (local.get $q) (f32x4.extract_lane 0 (local.get $g)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $gtl)))
      (if (local.get $assign) (then
        (block $zvd (loop $zvl
          (br_if $zvd (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
          (v128.store (i32.add (local.get $dx) (i32.add (local.get $off) (local.get $p))) (v128.const i64x2 0 0))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $zvl)))
        (block $zd (loop $zl
          (br_if $zd (i32.ge_u (local.get $p) (local.get $end)))
          (f32.store (i32.add (local.get $dx) (i32.add (local.get $off) (local.get $p))) (f32.const 0))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br $zl)))))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rl)))
  )

  ;; CrossEntropyLoss's gradient over rows [r0, r1) of $len classes, from the saved probabilities
  ;; p and the labels t (floats, already checked to be class indices):
  ;; dx (+)= g·(total·p − a), a = $aMiss off the label and $aHit on it (label smoothing folded in).
  (func (export "crossEntropyBackwardRows") (param $pr i32) (param $t i32) (param $dx i32) (param $r0 i32) (param $r1 i32) (param $len i32)
    (param $g f32) (param $total f32) (param $aHit f32) (param $aMiss f32) (param $assign i32)
    (local $row i32) (local $off i32) (local $p i32) (local $end i32) (local $end4 i32) (local $q i32) (local $lq i32)
    (local $vg v128) (local $vt v128) (local $va v128) (local $v v128) (local $old f32)
    (local.set $vg (f32x4.splat (local.get $g)))
    (local.set $vt (f32x4.splat (local.get $total)))
    (local.set $va (f32x4.splat (local.get $aMiss)))
    (local.set $row (local.get $r0))
    (local.set $end (i32.shl (local.get $len) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $end) (i32.const -16)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $row) (local.get $r1)))
      (local.set $off (i32.shl (i32.mul (local.get $row) (local.get $len)) (i32.const 2)))
      ;; the label's element, computed last (its old value kept for the accumulate case)
      (local.set $lq (i32.add (local.get $dx) (i32.add (local.get $off)
        (i32.shl (i32.trunc_f32_s (f32.load (i32.add (local.get $t) (i32.shl (local.get $row) (i32.const 2))))) (i32.const 2)))))
      (local.set $old (f32.load (local.get $lq)))
      (local.set $p (i32.const 0))
      (block $gd (loop $gl
        (br_if $gd (i32.ge_u (local.get $p) (local.get $end4)))
        (local.set $q (i32.add (local.get $dx) (i32.add (local.get $off) (local.get $p))))
        (local.set $v (f32x4.mul (local.get $vg) (f32x4.sub (f32x4.mul (local.get $vt)
          (v128.load (i32.add (local.get $pr) (i32.add (local.get $off) (local.get $p))))) (local.get $va))))
        (if (i32.eqz (local.get $assign)) (then (local.set $v (f32x4.add (v128.load (local.get $q)) (local.get $v)))))
        (v128.store (local.get $q) (local.get $v))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $gl)))
      (block $gtd (loop $gtl
        (br_if $gtd (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $q (i32.add (local.get $dx) (i32.add (local.get $off) (local.get $p))))
        (local.set $v (f32x4.mul (local.get $vg) (f32x4.sub (f32x4.mul (local.get $vt)
          (f32x4.splat (f32.load (i32.add (local.get $pr) (i32.add (local.get $off) (local.get $p)))))) (local.get $va))))
        (if (i32.eqz (local.get $assign)) (then (local.set $v (f32x4.add (f32x4.splat (f32.load (local.get $q))) (local.get $v)))))
        (f32.store (local.get $q) (f32x4.extract_lane 0 (local.get $v)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $gtl)))
      (local.set $v (f32x4.splat (f32.mul (local.get $g) (f32.sub (f32.mul (local.get $total)
        (f32.load (i32.add (local.get $pr) (i32.sub (local.get $lq) (local.get $dx))))) (local.get $aHit)))))
      (f32.store (local.get $lq) (select (f32x4.extract_lane 0 (local.get $v)) (f32.add (local.get $old) (f32x4.extract_lane 0 (local.get $v))) (local.get $assign)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rl)))
  )
)
`;
/** The text of activations.wat. */
export function activationsWat() {
  return wat;
}

export const ACTIVATIONS_WAT_PATH = join(dirname(fileURLToPath(import.meta.url)), 'activations.wat');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(ACTIVATIONS_WAT_PATH, wat);
  console.log(`wrote ${ACTIVATIONS_WAT_PATH}`);
}
