// Writes optim.wat (next to this file): the CPU backend's optimizer updates, one exported kernel
// per form of every declared optimizer (core/optim/<kind>.ts `update`, core/elementwise/update.ts),
// each printed from the form's statements in f32x4, in their order: PyTorch's float32 operation
// order, as the GPU's WGSL and the reference loop are printed from the same statements.
// Run: `npx tsx src-engine/node/cpu/kernels/optim-gen.ts && node scripts/build-kernels.mjs`, or `npm run gen` (every generator, in order).
//
// A kernel `update_<kind>_<form>(a0 … ak, i0, i1, s0 … sm)` updates elements [i0, i1) of one
// parameter: a0 = w, a1 = g, then the form's state slots (addresses); s0 … the step's scalars
// (float64 from the host, rounded to float32 once at entry). Four lanes per iteration, then the tail
// one element at a time through lane 0 of the same code.
// NOTE (relaxed SIMD): build-kernels.mjs fuses each printed `(f32x4.add (local.get a) (f32x4.mul
// (local.get b) (local.get c)))` into relaxed_madd where the runtime has relaxed SIMD: L2 decay's
// `g + wd·w` (so printed as the hand-written Adam kernel had it: Adam's relaxed build keeps its
// bits), Nesterov's `g + μ·buf` and Adagrad's `sum + g·g`. SGD, RMSprop and Adagrad ran the float64
// reference on the CPU backend before these kernels (#58); they now compute in float32 as PyTorch
// does, those sums rounded once where the CPU fuses them.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cond, Expr } from '../../../core/elementwise/expr';
import { describeForm, resolve, updateKernelName, type UpdateForm } from '../../../core/elementwise/update';
import { OPTIMIZER_DEFS } from '../../../core/optim/optimizer-kinds';
import { HEAP_IMPORT } from './heap-import';

const BINARY = { add: 'f32x4.add', sub: 'f32x4.sub', mul: 'f32x4.mul', div: 'f32x4.div', max: 'f32x4.max', min: 'f32x4.min' } as const;
const COMPARE = { gt: 'f32x4.gt', ge: 'f32x4.ge', lt: 'f32x4.lt', le: 'f32x4.le', eq: 'f32x4.eq' } as const;
/** The primitives an update may call, in f32x4. */
const CALLS: Partial<Record<string, string>> = { sqrt: 'f32x4.sqrt', abs: 'f32x4.abs' };

const num = (v: number): string => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : Object.is(v, -0) ? '-0' : String(v));

/** An expression as one f32x4 instruction tree, its named values read from `named` (locals). */
function print(e: Expr | Cond, named: Readonly<Record<string, string>>, what: string): string {
  const p = (n: Expr | Cond) => print(n, named, what);
  switch (e.kind) {
    case 'leaf':
      if (!named[e.name]) throw new Error(`optim-gen: ${what} reads ${e.name}, which an update cannot`);
      return `(local.get $${named[e.name]})`;
    case 'const':
      return `(v128.const f32x4 ${num(e.value)} ${num(e.value)} ${num(e.value)} ${num(e.value)})`;
    case 'neg':
      return `(f32x4.neg ${p(e.a)})`;
    case 'call': {
      const op = CALLS[e.fn];
      if (!op) throw new Error(`optim-gen: ${what} calls ${e.fn}, which has no f32x4 form here`);
      return `(${op} ${p(e.a)})`;
    }
    case 'select':
      return `(v128.bitselect ${p(e.then)} ${p(e.else)} ${p(e.cond)})`;
    case 'and':
      return `(v128.and ${p(e.a)} ${p(e.b)})`;
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
    case 'eq':
      return `(${COMPARE[e.kind]} ${p(e.a)} ${p(e.b)})`;
    default:
      return `(${BINARY[e.kind]} ${p(e.a)} ${p(e.b)})`;
  }
}

/** One kernel's text: the form's statements over four lanes (`lanes`: 'vector') or lane 0 (the tail). */
function kernel<S>(name: string, form: UpdateForm<S>): string {
  const r = resolve(form, name);
  const local = (at: string): string => (at.startsWith('in:') ? `x${at.slice(3)}` : at.startsWith('s:') ? `c${at.slice(2)}` : `t${at.slice(2)}`);
  const read = new Set(r.stmts.flatMap((s) => Object.values(s.reads)).filter((at) => at.startsWith('in:')).map((at) => Number(at.slice(3))).sort((a, b) => a - b));
  const body = (vector: boolean): string[] => {
    const lines = [...read].map((k) => `(local.set $x${k} ${vector ? `(v128.load (i32.add (local.get $a${k}) (local.get $p)))` : `(f32x4.splat (f32.load (i32.add (local.get $a${k}) (local.get $p))))`})`);
    r.stmts.forEach((st, j) => {
      const named = Object.fromEntries(Object.entries(st.reads).map(([n, at]) => [n, local(at)]));
      lines.push(`(local.set $t${j} ${print(st.value, named, name)})`);
      if (st.storeTo < 0) return;
      const at = `(i32.add (local.get $a${st.storeTo}) (local.get $p))`;
      lines.push(vector ? `(v128.store ${at} (local.get $t${j}))` : `(f32.store ${at} (f32x4.extract_lane 0 (local.get $t${j})))`);
    });
    return lines.map((l) => `      ${l}`);
  };
  const params = [...r.arrays.map((_, k) => `(param $a${k} i32)`), '(param $i0 i32) (param $i1 i32)', ...r.scalars.map((_, k) => `(param $s${k} f64)`)].join(' ');
  const locals = [...[...read].map((k) => `$x${k}`), ...r.scalars.map((_, k) => `$c${k}`), ...r.stmts.map((_, j) => `$t${j}`)].map((l) => `(local ${l} v128)`).join(' ');
  return `
  ;; ${describeForm(form)}
  ;; arrays: ${r.arrays.join(', ')}; scalars: ${r.scalars.join(', ')}
  (func (export "${name}") ${params}
    (local $p i32) (local $end i32) (local $end4 i32) ${locals}
${r.scalars.map((_, k) => `    (local.set $c${k} (f32x4.splat (f32.demote_f64 (local.get $s${k}))))`).join('\n')}
    (local.set $p (i32.shl (local.get $i0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $i1) (i32.const 2)))
    (local.set $end4 (i32.add (local.get $p) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const -16))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $p) (local.get $end4)))
${body(true).join('\n')}
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $p) (local.get $end)))
${body(false).join('\n')}
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $sl)))
  )
`;
}

/** The text of optim.wat. */
export function optimWat(): string {
  const kernels = OPTIMIZER_DEFS.flatMap((def) => Object.entries(def.update.forms).map(([form, f]) => kernel(updateKernelName(def.kind, form), f as UpdateForm<unknown>)));
  return `;; GENERATED by optim-gen.ts (next to this file) from the optimizers' declarations (core/optim/<kind>.ts):
;; run it (npx tsx), then node scripts/build-kernels.mjs. Do not edit.
;; Every optimizer update in f32x4, in its statements' order (PyTorch's float32 order).
(module
  ${HEAP_IMPORT}
${kernels.join('')})
`;
}

export const OPTIM_WAT_PATH = join(dirname(fileURLToPath(import.meta.url)), 'optim.wat');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) writeFileSync(OPTIM_WAT_PATH, optimWat());
