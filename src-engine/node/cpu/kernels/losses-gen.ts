// Writes losses.wat (next to this file): the CPU backend's pointwise loss kernels, printed from the
// op files' declarations (core/elementwise/loss.ts; the kinds from lossKinds()). Each loss gets a
// forward that sums its term in float64 (f64x2: the difference of two float32 values and its square
// are exact there, as the reference's float64) and a backward that adds scale·∂term/∂input into
// the prediction's and/or the target's gradient in f32x4 over an element range (the scale dLoss/N
// rounded to float32 once). The sum keeps the order of the hand kernel it replaced (elementwise.wat's
// `sumSquaredDiff`, MSELoss's): over each group of four, elements 0 and 1 into lanes 0 and 1, then 2
// and 3; lane 0 + lane 1; then the tail in index order (loss.ts's SUM_ORDER).
// Run: `npx tsx src-engine/node/cpu/kernels/losses-gen.ts && node scripts/build-kernels.mjs`, or `npm run gen` (every generator, in order).
// NOTE: no sum is printed as (f32x4.add (local.get a) (f32x4.mul (local.get b) (local.get c))), the
// form build-kernels.mjs fuses into relaxed_madd (every f32x4 product gets a local of its own), so the
// module has no relaxed variant and gives the same bits on every machine (as activations.wat).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gradient, keyOf, occurrences, type Cond, type Expr } from '../../../core/elementwise/expr';
import { lossKinds } from '../../../core/elementwise/loss-simd';
import { HEAP_IMPORT } from './heap-import';

type Lanes = 'f64x2' | 'f32x4';

const num = (v: number): string => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : Object.is(v, -0) ? '-0' : String(v));
const splat = (lanes: Lanes, v: number): string => `(v128.const ${lanes} ${Array(lanes === 'f64x2' ? 2 : 4).fill(num(v)).join(' ')})`;
const OPS = { add: 'add', sub: 'sub', mul: 'mul', div: 'div', max: 'max', min: 'min' } as const;

/**
 * The statements of one expression in `lanes`: a subexpression used more than once (its structural
 * key) into a local of its own, computed once; in f32x4 every product too (see the note at the top).
 */
class LanePrinter {
  readonly stmts: string[] = [];
  readonly locals: string[] = [];
  private readonly named = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  constructor(
    private readonly lanes: Lanes,
    private readonly leaves: Readonly<Record<string, string>>,
    private readonly prefix: string,
  ) {}

  /** Statements into `stmts`; answers the operand that holds e. */
  print(e: Expr): string {
    occurrences(e, this.counts);
    return this.operand(e);
  }

  private operand(e: Expr): string {
    if (e.kind === 'leaf') {
      const leaf = this.leaves[e.name];
      if (!leaf) throw new Error(`losses-gen: no register for ${e.name}`);
      return leaf;
    }
    if (e.kind === 'const') return splat(this.lanes, e.value);
    const k = keyOf(e);
    const seen = this.named.get(k);
    if (seen) return `(local.get $${seen})`;
    const text = this.text(e);
    if ((this.counts.get(k) ?? 0) < 2 && !(this.lanes === 'f32x4' && e.kind === 'mul')) return text;
    const name = `${this.prefix}${this.locals.length}`;
    this.locals.push(name);
    this.stmts.push(`(local.set $${name} ${text})`);
    this.named.set(k, name);
    return `(local.get $${name})`;
  }

  private mask(c: Cond): string {
    return c.kind === 'and' ? `(v128.and ${this.mask(c.a)} ${this.mask(c.b)})` : `(${this.lanes}.${c.kind} ${this.operand(c.a)} ${this.operand(c.b)})`;
  }

  private text(e: Expr): string {
    switch (e.kind) {
      case 'leaf':
      case 'const':
        return this.operand(e);
      case 'neg':
        return `(${this.lanes}.neg ${this.operand(e.a)})`;
      case 'call':
        if (e.fn !== 'abs') throw new Error(`losses-gen: no ${this.lanes} form of ${e.fn} (lossKinds leaves such losses out)`);
        return `(${this.lanes}.abs ${this.operand(e.a)})`;
      case 'select':
        return `(v128.bitselect ${this.operand(e.then)} ${this.operand(e.else)} ${this.mask(e.cond)})`;
      default:
        return `(${this.lanes}.${OPS[e.kind]} ${this.operand(e.a)} ${this.operand(e.b)})`;
    }
  }
}

const L = (n: string): string => `(local.get $${n})`;
const indent = (stmts: readonly string[], pad: string): string => stmts.map((s) => pad + s).join('\n');
const declare = (names: readonly string[]): string => names.map((n) => `(local $${n} v128)`).join(' ');

/** The forward of one loss: Σ term in float64, in the order of the note at the top. */
function sumFunc(name: string, term: Expr): string {
  const pr = new LanePrinter('f64x2', { x: L('x'), x2: L('x2'), p: L('pv'), q: L('qv') }, 'f');
  const r = pr.print(term);
  // The term's statements, each line indented, then a newline (none where the term needs no local).
  const body = pr.stmts.map((st) => `      ${st}\n`).join('');
  const shuffle = (v: string) => `(i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $${v}) (local.get $${v}))`;
  return `
  ;; ${name}: Σ term over [0, n) in float64 (f64x2), term = ${keyOf(term)}.
  (func $${name}Sum (param $p i32) (param $t i32) (param $n i32) (param $pa f64) (param $qa f64) (result f64)
    (local $end i32) (local $end4 i32) (local $a v128) (local $b v128) (local $x v128) (local $x2 v128) (local $s v128) (local $r f64)
    ${['(local $pv v128) (local $qv v128)', declare(pr.locals)].filter(Boolean).join(' ')}
    (local.set $pv (f64x2.splat (local.get $pa)))
    (local.set $qv (f64x2.splat (local.get $qa)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $p) (local.get $end4)))
      (local.set $a (v128.load (local.get $p)))
      (local.set $b (v128.load (local.get $t)))
      (local.set $x (f64x2.promote_low_f32x4 (local.get $a)))
      (local.set $x2 (f64x2.promote_low_f32x4 (local.get $b)))
${body}      (local.set $s (f64x2.add (local.get $s) ${r}))
      (local.set $x (f64x2.promote_low_f32x4 ${shuffle('a')}))
      (local.set $x2 (f64x2.promote_low_f32x4 ${shuffle('b')}))
${body}      (local.set $s (f64x2.add (local.get $s) ${r}))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $t (i32.add (local.get $t) (i32.const 16)))
      (br $vl)))
    (local.set $r (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $x (f64x2.splat (f64.promote_f32 (f32.load (local.get $p)))))
      (local.set $x2 (f64x2.splat (f64.promote_f32 (f32.load (local.get $t)))))
${body}      (local.set $r (f64.add (local.get $r) (f64x2.extract_lane 0 ${r})))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $t (i32.add (local.get $t) (i32.const 4)))
      (br $sl)))
    (local.get $r)
  )
`;
}

/** The statements adding g·∂term/∂input into the gradient at $d (skipped where $d is 0), for a vector or, `lane0`, one float. */
function addInto(d: string, partial: Expr, prefix: string, lane0: boolean): { text: string; locals: string[] } {
  const pr = new LanePrinter('f32x4', { x: L('x'), x2: L('x2'), p: L('pv'), q: L('qv'), dy: L('gv') }, prefix);
  const r = pr.print(gradient(partial));
  const at = `(i32.add (local.get $${d}) (local.get $o))`;
  const store = lane0 ? `(f32.store ${at} (f32.add (f32.load ${at}) (f32x4.extract_lane 0 ${r})))` : `(v128.store ${at} (f32x4.add (v128.load ${at}) ${r}))`;
  return { text: `(if (local.get $${d}) (then\n${indent([...pr.stmts, store], '        ')}))`, locals: pr.locals };
}

/** The backward of one loss over [i0, i1): the prediction's gradient at $dp, the target's at $dt (0: none). */
function backwardFunc(name: string, prediction: Expr, target: Expr): string {
  const vp = addInto('dp', prediction, 'p', false);
  const vt = addInto('dt', target, 't', false);
  const sp = addInto('dp', prediction, 'p', true);
  const st = addInto('dt', target, 't', true);
  const load = (base: string, lane0: boolean) => (lane0 ? `(f32x4.splat (f32.load (i32.add (local.get $${base}) (local.get $o))))` : `(v128.load (i32.add (local.get $${base}) (local.get $o)))`);
  return `
  ;; ${name}: dp[i] += g·(${keyOf(prediction)}), dt[i] += g·(${keyOf(target)}) for i in [i0, i1) (the tail through lane 0).
  (func $${name}Backward (param $p i32) (param $t i32) (param $dp i32) (param $dt i32) (param $i0 i32) (param $i1 i32) (param $g f32) (param $pa f32) (param $qa f32)
    (local $o i32) (local $end i32) (local $end4 i32) (local $x v128) (local $x2 v128) (local $gv v128) (local $pv v128) (local $qv v128)
    ${declare([...new Set([...vp.locals, ...vt.locals])])}
    (local.set $gv (f32x4.splat (local.get $g)))
    (local.set $pv (f32x4.splat (local.get $pa)))
    (local.set $qv (f32x4.splat (local.get $qa)))
    (local.set $o (i32.shl (local.get $i0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $i1) (i32.const 2)))
    (local.set $end4 (i32.add (local.get $o) (i32.and (i32.sub (local.get $end) (local.get $o)) (i32.const -16))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $o) (local.get $end4)))
      (local.set $x ${load('p', false)})
      (local.set $x2 ${load('t', false)})
      ${vp.text}
      ${vt.text}
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $x ${load('p', true)})
      (local.set $x2 ${load('t', true)})
      ${sp.text}
      ${st.text}
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $sl)))
  )
`;
}

/**
 * An exported function choosing each kind's function (`$<kind><suffix>`, called with `params` less
 * $kind) by a `br_table` on $kind; each call returns, the last one's value being the function's.
 */
function dispatchExport(doc: string, name: string, suffix: string, params: readonly (readonly [string, string])[], result: string): string {
  const names = KINDS.map((k) => k.name);
  const call = (n: string) => `(call $${n}${suffix} ${params.filter(([p]) => p !== 'kind').map(([p]) => `(local.get $${p})`).join(' ')})`;
  let s = '';
  for (let i = names.length - 1; i >= 0; i--) s += `(block $k${i} `;
  s += `\n      (br_table ${names.map((_, i) => `$k${i}`).join(' ')} (local.get $kind)))`;
  names.forEach((n, i) => {
    s += `\n      ${i < names.length - 1 ? `(return ${call(n)}))` : call(n)}`;
  });
  return `  ;; ${doc}
  (func (export "${name}") ${params.map(([p, type]) => `(param $${p} ${type})`).join(' ')}${result ? ` (result ${result})` : ''}
    ${s}
  )
`;
}

const KINDS = lossKinds().map((k) => ({ ...k, name: k.op.replace(/\W/g, '_') }));

const wat = `;; Pointwise loss kernels for WebAssembly SIMD, printed from the op files' declarations (the term in
;; float64 lanes for the forward's sum, the gradients in f32x4 for the backward), selected by a kind
;; code. All pointers are byte addresses into the shared heap.
;; GENERATED by losses-gen.ts (next to this file) from the op files: run it (npx tsx), then
;; node scripts/build-kernels.mjs.
;; Kind codes (core/elementwise/loss-simd.ts, lossKinds: the op files' pointwise losses in registry order):
${KINDS.map((k) => `;;   ${k.kind} ${k.name}`).join('\n')}
(module
  ${HEAP_IMPORT}
${KINDS.map((k) => sumFunc(k.name, k.term) + backwardFunc(k.name, k.prediction, k.target)).join('')}
${dispatchExport('Σ term(p[i], t[i]) over [0, n) in float64, the term chosen by $kind; $pa and $qa are the op\'s p and q.', 'lossSum', 'Sum', [['p', 'i32'], ['t', 'i32'], ['n', 'i32'], ['kind', 'i32'], ['pa', 'f64'], ['qa', 'f64']], 'f64')}${dispatchExport(
  'dp[i] += g·∂term/∂p and dt[i] += g·∂term/∂t for i in [i0, i1) (dp or dt = 0: skipped), g = dLoss/N for a mean.',
  'lossBackward',
  'Backward',
  [['p', 'i32'], ['t', 'i32'], ['dp', 'i32'], ['dt', 'i32'], ['i0', 'i32'], ['i1', 'i32'], ['kind', 'i32'], ['g', 'f32'], ['pa', 'f32'], ['qa', 'f32']],
  '',
)})
`;

/** The text of losses.wat. */
export function lossesWat(): string {
  return wat;
}

export const LOSSES_WAT_PATH = join(dirname(fileURLToPath(import.meta.url)), 'losses.wat');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(LOSSES_WAT_PATH, wat);
  console.log(`wrote ${LOSSES_WAT_PATH}`);
}
