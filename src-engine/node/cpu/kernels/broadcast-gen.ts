// Writes broadcast.wat (next to this file): the CPU backend's kernels over planes, an output seen
// as [rows, len] (a squeeze-excite block's [N·C, H·W]): the binary elementwise ops (Multiply),
// printed from their op files' expressions (core/elementwise, the kinds from binarySimdKinds()) with
// either both inputs of the output's shape or one repeated along the row (one value a row: the gate
// [N, C, 1, 1] of features [N, C, H, W]), forward and backward; and GlobalAvgPool (a mean a row, and
// its gradient dy/len spread over the row), written here by hand.
// Run: `npx tsx src-engine/node/cpu/kernels/broadcast-gen.ts && node scripts/build-kernels.mjs`, or `npm run gen` (every generator, in order).
//
// NOTE (the same bits as the reference kernels): the reference loops (core/elementwise/js.ts,
// core/ops/kernels/global-avg-pool.ts) compute each element in float64 and round once when they
// store, and add into a float32 gradient one element at a time (`ds[i] += g`: float64 sum, rounded).
// The kernels here do exactly that: expressions in f64x2 from promoted inputs, each gradient step
// `demote(promote(old) + g)`, the repeated input's sum in increasing element order, one float32
// rounding a step, as the reference's. f32x4 is used only where it gives those bits: a forward that
// is one + − × ÷ of two float32 values (rounding the float64 result to float32 equals the float32
// operation: 53 ≥ 2·24 + 2), and an assigned gradient that is one + or − (plus +0, as the
// reference adds it to zeros: −0 becomes +0; see freshInF32 for why not a product). A sum runs over 8 rows at once, two rows in the lanes
// of each f64x2 (their next four values transposed from two loads), so that the rows' chains
// (add, demote, promote: ~10 cycles a step) overlap. No sum is written in the form relaxed_madd
// fuses (scripts/build-kernels.mjs): the module has no relaxed variant.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uses, type Cond, type Expr, type Leaf } from '../../../core/elementwise/expr';
import { binarySimdKinds, type BinarySimdKind } from '../../../core/elementwise/simd';
import { HEAP_IMPORT } from './heap-import';

/** How an expression's values are held: four float32 lanes, two float64 lanes, one float64. */
type Lanes = 'f32x4' | 'f64x2' | 'f64';

const L = (n: string): string => `(local.get $${n})`;
const set = (n: string, e: string): string => `(local.set $${n} ${e})`;
const num = (v: number): string => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : Object.is(v, -0) ? '-0' : String(v));
const constant = (v: number, t: Lanes): string => (t === 'f64' ? `(f64.const ${num(v)})` : t === 'f64x2' ? `(v128.const f64x2 ${num(v)} ${num(v)})` : `(v128.const f32x4 ${num(v)} ${num(v)} ${num(v)} ${num(v)})`);

/** e's instruction with each leaf's operand from `leaf` (nested: the binary ops' expressions are small). */
function print(e: Expr, leaf: (name: Leaf) => string, t: Lanes): string {
  const p = (n: Expr): string => print(n, leaf, t);
  const cond = (k: Cond): string => (k.kind === 'and' ? `(${t === 'f64' ? 'i32' : 'v128'}.and ${cond(k.a)} ${cond(k.b)})` : `(${t}.${k.kind} ${p(k.a)} ${p(k.b)})`);
  switch (e.kind) {
    case 'leaf':
      return leaf(e.name);
    case 'const':
      return constant(e.value, t);
    case 'neg':
      return `(${t}.neg ${p(e.a)})`;
    case 'select':
      return t === 'f64' ? `(select ${p(e.then)} ${p(e.else)} ${cond(e.cond)})` : `(v128.bitselect ${p(e.then)} ${p(e.else)} ${cond(e.cond)})`;
    case 'call':
      throw new Error(`broadcast-gen: no float64 form of ${e.fn} (binarySimdKinds leaves such ops out)`);
    default:
      // WebAssembly's min/max propagate NaN and order −0 below +0, as Math.min/Math.max
      return `(${t}.${e.kind} ${p(e.a)} ${p(e.b)})`;
  }
}

/** The float32 tensors a kernel reads (a leaf `p`/`q` is a float64 parameter). */
const TENSOR_LEAVES = ['x', 'x2', 'y', 'dy'] as const;
type TensorLeaf = (typeof TENSOR_LEAVES)[number];
const isF32 = (e: Expr): boolean => (e.kind === 'leaf' && (TENSOR_LEAVES as readonly string[]).includes(e.name)) || (e.kind === 'const' && Math.fround(e.value) === e.value);

/** Whether float32 lanes give e's float64 value rounded once: a float32 value, or one + − × ÷ of two. */
function exactInF32(e: Expr): boolean {
  return isF32(e) || ((e.kind === 'add' || e.kind === 'sub' || e.kind === 'mul' || e.kind === 'div') && isF32(e.a) && isF32(e.b));
}

/**
 * Whether float32 lanes also give `+0 + e` rounded once (a fresh gradient, added to zeros in the
 * reference): a value, or a sum or difference, which is exact wherever it rounds to 0. NOTE: not a
 * product or quotient, whose float64 value can be a tiny nonzero that rounds to −0 (the reference
 * keeps that −0, while its float32 lanes plus +0 give +0).
 */
function freshInF32(e: Expr): boolean {
  return exactInF32(e) && e.kind !== 'mul' && e.kind !== 'div';
}

const SWAP_HALVES = 'i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7';
const JOIN_LOW_HALVES = 'i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23';
const promoteHigh = (v: string): string => `(f64x2.promote_low_f32x4 (${SWAP_HALVES} ${v} ${v}))`;
/** Two f64x2 halves rounded to float32 and joined into one vector. */
const demoteJoin = (lo: string, hi: string): string => `(${JOIN_LOW_HALVES} (f32x4.demote_f64x2_zero ${lo}) (f32x4.demote_f64x2_zero ${hi}))`;

/** Where a leaf's value comes from in one kernel: a full tensor (by its base pointer), the row's one value, or none. */
type Source = { readonly kind: 'full'; readonly base: string } | { readonly kind: 'row'; readonly base: string };

/**
 * One layout: which pointer each leaf reads and whether it is repeated along the row (`mode` 1: x,
 * the first input; 2: x2).
 */
interface Layout {
  readonly mode: 0 | 1 | 2;
  readonly sources: Readonly<Partial<Record<TensorLeaf, Source>>>;
}

const LAYOUTS: readonly Layout[] = ([0, 1, 2] as const).map((mode) => ({
  mode,
  sources: {
    x: { kind: mode === 1 ? 'row' : 'full', base: 'a' },
    x2: { kind: mode === 2 ? 'row' : 'full', base: 'b' },
    y: { kind: 'full', base: 'y' },
    dy: { kind: 'full', base: 'dy' },
  },
}));

const leavesOf = (e: Expr, layout: Layout, kind: Source['kind']): TensorLeaf[] => TENSOR_LEAVES.filter((n) => uses(e, n) && layout.sources[n]?.kind === kind);

/** Statements setting each row leaf's registers for row $r: $nv (f32x4 splat), $n_lo = $n_hi (f64x2), $n_s (f64). */
function rowLeafStmts(e: Expr, layout: Layout): string[] {
  return leavesOf(e, layout, 'row').flatMap((n) => [
    set(`${n}_s`, `(f64.promote_f32 (f32.load (i32.add ${L(layout.sources[n]!.base)} (i32.shl ${L('r')} (i32.const 2)))))`),
    set(`${n}v`, `(f32x4.splat (f32.demote_f64 ${L(`${n}_s`)}))`),
    set(`${n}_lo`, `(f64x2.splat ${L(`${n}_s`)})`),
    set(`${n}_hi`, L(`${n}_lo`)),
  ]);
}

const leafIn = (t: Lanes, half?: 'lo' | 'hi') => (name: Leaf): string => {
  if (name === 'p' || name === 'q') return t === 'f64' ? L(name) : L(`${name}v`);
  return t === 'f32x4' ? L(`${name}v`) : t === 'f64' ? L(`${name}_s`) : L(`${name}_${half}`);
};

/**
 * The loop over the elements of row $r ($o: its first element's byte offset, $e: its length in
 * bytes) that stores `target[i] = demote(old + e)` for each, `old` = +0 where `$assign` (or in a
 * forward), else the target's own value: vectors of four (f32x4 where that gives the same bits,
 * else two f64x2 halves), then one at a time.
 */
function elementLoop(e: Expr, layout: Layout, target: string, assign: string | null): string[] {
  const full = leavesOf(e, layout, 'full');
  const loads = (t: 'v' | 's'): string[] =>
    full.flatMap((n) => {
      const at = `(i32.add ${L(layout.sources[n]!.base)} (i32.add ${L('o')} ${L('j')}))`;
      if (t === 's') return [set(`${n}_s`, `(f64.promote_f32 (f32.load ${at}))`)];
      return [set(`${n}v`, `(v128.load ${at})`), set(`${n}_lo`, `(f64x2.promote_low_f32x4 ${L(`${n}v`)})`), set(`${n}_hi`, promoteHigh(L(`${n}v`)))];
    });
  const to = `(i32.add ${L(target)} (i32.add ${L('o')} ${L('j')}))`;
  const old64 = (half: 'lo' | 'hi'): string => (half === 'lo' ? `(f64x2.promote_low_f32x4 ${L('old')})` : promoteHigh(L('old')));
  const general = [
    ...loads('v'),
    // the old value where it counts; +0 (all bits clear) where the gradient is assigned
    ...(assign ? [set('old', `(v128.and (v128.load ${to}) ${L('keep')})`)] : []),
    `(v128.store ${to} ${demoteJoin(...(['lo', 'hi'] as const).map((h) => (assign ? `(f64x2.add ${old64(h)} ${print(e, leafIn('f64x2', h), 'f64x2')})` : print(e, leafIn('f64x2', h), 'f64x2'))) as [string, string])})`,
  ];
  // Stored fresh: float32 lanes where one rounding of the float64 value equals them (+0 added, as to a zeroed gradient).
  const fresh = (assign ? freshInF32(e) : exactInF32(e)) ? [...full.map((n) => set(`${n}v`, `(v128.load (i32.add ${L(layout.sources[n]!.base)} (i32.add ${L('o')} ${L('j')})))`)), `(v128.store ${to} ${assign ? `(f32x4.add ${print(e, leafIn('f32x4'), 'f32x4')} ${constant(0, 'f32x4')})` : print(e, leafIn('f32x4'), 'f32x4')})`] : null;
  const vectorLoop = (body: string[], label: string): string[] => [
    set('j', '(i32.const 0)'),
    `(block $${label}d (loop $${label}l`,
    `  (br_if $${label}d (i32.ge_u ${L('j')} ${L('e4')}))`,
    ...body.map((s) => `  ${s}`),
    `  ${set('j', `(i32.add ${L('j')} (i32.const 16))`)}`,
    `  (br $${label}l)))`,
  ];
  const oldScalar = assign ? `(select (f64.const 0) (f64.promote_f32 (f32.load ${to})) ${L(assign)})` : null;
  const value = print(e, leafIn('f64'), 'f64');
  return [
    set('e4', `(i32.and ${L('e')} (i32.const -16))`),
    ...(fresh && assign
      ? [`(if ${L(assign)} (then`, ...vectorLoop(fresh, 'fv'), ') (else', set('keep', '(v128.const i32x4 -1 -1 -1 -1)'), ...vectorLoop(general, 'gv'), '))']
      : fresh
        ? vectorLoop(fresh, 'fv')
        : [set('keep', `(i32x4.splat (i32.sub (i32.const 0) (i32.eqz ${assign ? L(assign) : '(i32.const 1)'})))`), ...vectorLoop(general, 'gv')]),
    `(block $sd (loop $sl`,
    `  (br_if $sd (i32.ge_u ${L('j')} ${L('e')}))`,
    ...loads('s').map((s) => `  ${s}`),
    `  (f32.store ${to} (f32.demote_f64 ${oldScalar ? `(f64.add ${oldScalar} ${value})` : value}))`,
    `  ${set('j', `(i32.add ${L('j')} (i32.const 4))`)}`,
    `  (br $sl)))`,
  ];
}

/** The rows [r0, r1) of one layout, `body` run for each with $r, $o (byte offset), $e (its bytes: the last row may be short). */
function rowLoop(body: string[]): string[] {
  return [
    set('r', L('r0')),
    '(block $rd (loop $rl',
    `  (br_if $rd (i32.ge_u ${L('r')} ${L('r1')}))`,
    `  ${set('o', `(i32.shl (i32.mul ${L('r')} ${L('len')}) (i32.const 2))`)}`,
    `  ${set('e', `(i32.sub (select (i32.shl ${L('n')} (i32.const 2)) (i32.add ${L('o')} (i32.shl ${L('len')} (i32.const 2))) (i32.lt_u ${L('n')} (i32.add (i32.mul ${L('r')} ${L('len')}) ${L('len')}))) ${L('o')})`)}`,
    ...body.map((s) => `  ${s}`),
    `  ${set('r', `(i32.add ${L('r')} (i32.const 1))`)}`,
    '  (br $rl)))',
  ];
}

/** The leaf `n`'s value at element j + jj (0–3) of the two rows of pair k, from its transposed registers. */
const pairLeaf = (n: string, k: number, jj: number): string => {
  const v = L(`${n}_${jj < 2 ? 'lo' : 'hi'}${k}`);
  return jj % 2 === 0 ? `(f64x2.promote_low_f32x4 ${v})` : promoteHigh(v);
};

/**
 * The repeated input's gradient (`target`, one value a row): for each row, its value (+0 where
 * `$assign`) plus g at each element of the row in order, rounded to float32 a step, as the
 * reference's `ds[row] += g`. Rows by eights (two a f64x2: acc_k holds rows 2k and 2k + 1), the
 * rest one by one.
 */
function rowSumLoop(g: Expr, layout: Layout, target: string, assign: string): string[] {
  const full = leavesOf(g, layout, 'full');
  const row = leavesOf(g, layout, 'row');
  const rowPtr = (n: string, k: number): string => `${n}_r${k}`;
  const at = (base: string, k: number): string => `(i32.add ${L(base)} (i32.shl (i32.add ${L('r')} (i32.const ${k})) (i32.const 2)))`;
  const pairOf = (base: string, k: number): string => `(f64x2.replace_lane 1 (f64x2.splat (f64.promote_f32 (f32.load ${at(base, 2 * k)}))) (f64.promote_f32 (f32.load ${at(base, 2 * k + 1)})))`;
  const pairLeaves = (k: number, jj: number) => (name: Leaf): string => {
    if (name === 'p' || name === 'q') return L(`${name}v`);
    return row.includes(name as TensorLeaf) ? L(`${name}_p${k}`) : pairLeaf(name, k, jj);
  };
  const group: string[] = [];
  for (let k = 0; k < 4; k++) {
    group.push(set(`acc${k}`, `(v128.and ${pairOf(target, k)} ${L('keep')})`));
    for (const n of row) group.push(set(`${n}_p${k}`, pairOf(layout.sources[n]!.base, k)));
  }
  for (let k = 0; k < 8; k++) for (const n of full) group.push(set(rowPtr(n, k), `(i32.add ${L(layout.sources[n]!.base)} (i32.shl (i32.mul (i32.add ${L('r')} (i32.const ${k})) ${L('len')}) (i32.const 2)))`));
  // pair by pair (its four steps after its loads: fewer live registers; out-of-order execution overlaps the pairs' chains)
  const step: string[] = [];
  for (let k = 0; k < 4; k++) {
    for (const n of full) {
      step.push(set(`${n}_a`, `(v128.load (i32.add ${L(rowPtr(n, 2 * k))} ${L('j')}))`), set(`${n}_b`, `(v128.load (i32.add ${L(rowPtr(n, 2 * k + 1))} ${L('j')}))`));
      step.push(set(`${n}_lo${k}`, `(i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 ${L(`${n}_a`)} ${L(`${n}_b`)})`));
      step.push(set(`${n}_hi${k}`, `(i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 ${L(`${n}_a`)} ${L(`${n}_b`)})`));
    }
    for (let jj = 0; jj < 4; jj++) step.push(set(`acc${k}`, `(f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.add ${L(`acc${k}`)} ${print(g, pairLeaves(k, jj), 'f64x2')})))`));
  }
  const stores: string[] = [];
  for (let k = 0; k < 8; k++) stores.push(`(f32.store ${at(target, k)} (f32.demote_f64 (f64x2.extract_lane ${k % 2} ${L(`acc${k >> 1}`)})))`);
  // one row from its stored value on: the elements from $j (the rest of a group's rows, or all of a single row's)
  const scalarRow = (k: number): string[] => [
    set('acc_s', `(f64.promote_f32 (f32.load ${at(target, k)}))`),
    ...row.map((n) => set(`${n}_s`, `(f64.promote_f32 (f32.load ${at(layout.sources[n]!.base, k)}))`)),
    set('t', L('j')),
    `(block $td${k} (loop $tl${k}`,
    `  (br_if $td${k} (i32.ge_u ${L('t')} ${L('e')}))`,
    ...full.map((n) => `  ${set(`${n}_s`, `(f64.promote_f32 (f32.load (i32.add ${L(layout.sources[n]!.base)} (i32.add (i32.shl (i32.mul (i32.add ${L('r')} (i32.const ${k})) ${L('len')}) (i32.const 2)) ${L('t')}))))`)}`),
    `  ${set('acc_s', `(f64.promote_f32 (f32.demote_f64 (f64.add ${L('acc_s')} ${print(g, leafIn('f64'), 'f64')})))`)}`,
    `  ${set('t', `(i32.add ${L('t')} (i32.const 4))`)}`,
    `  (br $tl${k})))`,
    `(f32.store ${at(target, k)} (f32.demote_f64 ${L('acc_s')}))`,
  ];
  return [
    set('keep', `(i32x4.splat (i32.sub (i32.const 0) (i32.eqz ${L(assign)})))`),
    ...byEights(group, step, [...stores, ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((k) => scalarRow(k))], [`(if ${L(assign)} (then (f32.store ${at(target, 0)} (f32.const 0))))`, ...scalarRow(0)]),
  ];
}

/**
 * Rows [r0, r1) of $len elements ($e bytes, $e4 of them in vectors) by eights: for each group of 8
 * from $r, `setup`, then `body` for each vector $j, then `end`; each row left over alone, `single`
 * (from $j = 0; its loop labels `$td0`/`$tl0` renamed).
 */
function byEights(setup: string[], body: string[], end: string[], single: string[]): string[] {
  return [
    set('e', `(i32.shl ${L('len')} (i32.const 2))`),
    set('e4', `(i32.and ${L('e')} (i32.const -16))`),
    set('r', L('r0')),
    '(block $gd (loop $gl',
    `  (br_if $gd (i32.gt_u (i32.add ${L('r')} (i32.const 8)) ${L('r1')}))`,
    ...setup.map((s) => `  ${s}`),
    `  ${set('j', '(i32.const 0)')}`,
    '  (block $vd (loop $vl',
    `    (br_if $vd (i32.ge_u ${L('j')} ${L('e4')}))`,
    ...body.map((s) => `    ${s}`),
    `    ${set('j', `(i32.add ${L('j')} (i32.const 16))`)}`,
    '    (br $vl)))',
    ...end.map((s) => `  ${s}`),
    `  ${set('r', `(i32.add ${L('r')} (i32.const 8))`)}`,
    '  (br $gl)))',
    '(block $od (loop $ol',
    `  (br_if $od (i32.ge_u ${L('r')} ${L('r1')}))`,
    `  ${set('j', '(i32.const 0)')}`,
    ...single.map((s) => `  ${s.replace(/\$(td|tl)0/g, '$$$1r')}`),
    `  ${set('r', `(i32.add ${L('r')} (i32.const 1))`)}`,
    '  (br $ol)))',
  ];
}

/** The locals a function's statements set (v128 unless listed as i32, f64). */
function locals(stmts: readonly string[], i32: readonly string[], f64: readonly string[]): string {
  const names = new Set<string>();
  for (const s of stmts) for (const m of s.matchAll(/\(local\.set \$(\w+)/g)) names.add(m[1]);
  for (const n of i32) names.add(n);
  return [...names].map((n) => `(local $${n} ${i32.includes(n) || /_r\d$/.test(n) ? 'i32' : f64.includes(n) || n.endsWith('_s') ? 'f64' : 'v128'})`).join(' ');
}

const indent = (stmts: readonly string[], pad: string): string => stmts.map((s) => pad + s).join('\n');
const I32_LOCALS = ['r', 'o', 'e', 'e4', 'j', 't'];
const SPLAT_PARAMS = [set('pv', `(f64x2.splat ${L('p')})`), set('qv', `(f64x2.splat ${L('q')})`)];

/** The mode's statements, chosen by $mode at run time (the loops are specialised per layout). */
function byMode(body: (layout: Layout) => string[]): string[] {
  const [equal, first, second] = LAYOUTS.map(body);
  return [`(if (i32.eqz ${L('mode')}) (then`, ...equal.map((s) => `  ${s}`), `) (else (if (i32.eq ${L('mode')} (i32.const 1)) (then`, ...first.map((s) => `  ${s}`), ') (else', ...second.map((s) => `  ${s}`), '))))'];
}

function kindFuncs(k: BinarySimdKind): string {
  const name = `${k.op}_${k.form}`.replace(/\W/g, '_');
  const fwd = byMode((layout) => rowLoop([...rowLeafStmts(k.forward, layout), ...elementLoop(k.forward, layout, 'y', null)]));
  // Each input's gradient where wanted (its pointer ≠ 0): elementwise where it has the output's shape, a sum a row where it is repeated.
  const grad = (g: Expr, layout: Layout, input: 'x' | 'x2'): string[] => {
    const [target, assign] = input === 'x' ? ['da', 'assignA'] : ['db', 'assignB'];
    const body = layout.sources[input]!.kind === 'row' ? rowSumLoop(g, layout, target, assign) : rowLoop([...rowLeafStmts(g, layout), ...elementLoop(g, layout, target, assign)]);
    return [`(if ${L(target)} (then`, ...body.map((s) => `  ${s}`), '))'];
  };
  const bwd = byMode((layout) => [...grad(k.gradX, layout, 'x'), ...grad(k.gradX2, layout, 'x2')]);
  return `
  ;; ${k.op}${k.form === 'main' ? '' : ` (${k.form})`}, from its op file's expression: y = ${print(k.forward, (n) => n, 'f64')}.
  (func $${name}Forward (param $a i32) (param $b i32) (param $y i32) (param $r0 i32) (param $r1 i32) (param $len i32) (param $n i32) (param $mode i32) (param $p f64) (param $q f64)
    ${locals([...fwd, ...SPLAT_PARAMS], I32_LOCALS, [])}
${indent(SPLAT_PARAMS, '    ')}
${indent(fwd, '    ')}
  )

  ;; Its gradients: da (+)= ${print(k.gradX, (n) => n, 'f64')}, db (+)= ${print(k.gradX2, (n) => n, 'f64')} (summed over the row for the repeated input).
  (func $${name}Backward (param $a i32) (param $b i32) (param $y i32) (param $dy i32) (param $da i32) (param $db i32) (param $r0 i32) (param $r1 i32) (param $len i32) (param $n i32)
    (param $mode i32) (param $p f64) (param $q f64) (param $assignA i32) (param $assignB i32)
    ${locals([...bwd, ...SPLAT_PARAMS], I32_LOCALS, [])}
${indent(SPLAT_PARAMS, '    ')}
${indent(bwd, '    ')}
  )
`;
}

const KINDS = binarySimdKinds();

function dispatch(call: (name: string) => string): string {
  const labels = KINDS.map((k) => `$${`${k.op}_${k.form}`.replace(/\W/g, '_')}`);
  let s = `(block ${labels[labels.length - 1]} `;
  for (let i = labels.length - 2; i >= 0; i--) s += `(block ${labels[i]} `;
  s += `\n      (br_table ${labels.join(' ')} (local.get $kind)))`;
  KINDS.forEach((k, i) => {
    s += `\n      ${call(labels[i])}${i < KINDS.length - 1 ? ' (return))' : ''}`;
  });
  return s;
}

const MODES = `$mode: 0 both inputs of the output's shape, 1 the first one value a row, 2 the second`;

const wat = `;; Kernels over planes: an output seen as [rows, len], split across threads by rows. The binary
;; elementwise ops' forward and backward (one input may hold one value a row: a squeeze-excite
;; gate [N, C, 1, 1] times features [N, C, H, W]), and GlobalAvgPool's mean a row and its gradient.
;; The same bits as the reference kernels: see the note in broadcast-gen.ts. All pointers are byte
;; addresses into the shared heap.
;; GENERATED by broadcast-gen.ts (next to this file) from the op files: run it (npx tsx), then
;; node scripts/build-kernels.mjs.
;; Kind codes (core/elementwise/simd.ts, binarySimdKinds):
${KINDS.map((k, i) => `;;   ${i} ${k.op}_${k.form}`).join('\n')}
(module
  ${HEAP_IMPORT}
${KINDS.map(kindFuncs).join('')}
  ;; y = f(a, b) over rows [r0, r1) of $len elements ($n in all: the last row may be short), f chosen by
  ;; $kind; ${MODES}; $p, $q the op's parameters.
  (func (export "binaryForward") (param $a i32) (param $b i32) (param $y i32) (param $r0 i32) (param $r1 i32) (param $len i32) (param $n i32) (param $mode i32) (param $kind i32) (param $p f64) (param $q f64)
    ${dispatch((f) => `(call ${f}Forward (local.get $a) (local.get $b) (local.get $y) (local.get $r0) (local.get $r1) (local.get $len) (local.get $n) (local.get $mode) (local.get $p) (local.get $q))`)}
  )

  ;; da (+)= dy·∂f/∂a, db (+)= dy·∂f/∂b over rows [r0, r1) (a pointer 0: not wanted; $assignA/$assignB:
  ;; assign instead of adding); the repeated input's summed over its row in order. ${MODES}.
  (func (export "binaryBackward") (param $a i32) (param $b i32) (param $y i32) (param $dy i32) (param $da i32) (param $db i32) (param $r0 i32) (param $r1 i32) (param $len i32) (param $n i32)
    (param $mode i32) (param $kind i32) (param $p f64) (param $q f64) (param $assignA i32) (param $assignB i32)
    ${dispatch((f) => `(call ${f}Backward (local.get $a) (local.get $b) (local.get $y) (local.get $dy) (local.get $da) (local.get $db) (local.get $r0) (local.get $r1) (local.get $len) (local.get $n) (local.get $mode) (local.get $p) (local.get $q) (local.get $assignA) (local.get $assignB))`)}
  )
${MEAN_WAT()}
)
`;

/** GlobalAvgPool's kernels: y[row] = (Σ x, in float64 in order) / len; dx (+)= dy[row] / len (float64), as the op's reference kernels. */
function MEAN_WAT(): string {
  const step: string[] = [];
  for (let k = 0; k < 4; k++) {
    step.push(set('va', `(v128.load (i32.add ${L(`x_r${2 * k}`)} ${L('j')}))`), set('vb', `(v128.load (i32.add ${L(`x_r${2 * k + 1}`)} ${L('j')}))`));
    step.push(set('lo', `(i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 ${L('va')} ${L('vb')})`), set('hi', `(i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 ${L('va')} ${L('vb')})`));
    step.push(set(`acc${k}`, `(f64x2.add (f64x2.add (f64x2.add (f64x2.add ${L(`acc${k}`)} (f64x2.promote_low_f32x4 ${L('lo')})) ${promoteHigh(L('lo'))}) (f64x2.promote_low_f32x4 ${L('hi')})) ${promoteHigh(L('hi'))})`));
  }
  const rowStart = (k: number): string => `(i32.add ${L('x')} (i32.shl (i32.mul (i32.add ${L('r')} (i32.const ${k})) ${L('len')}) (i32.const 2)))`;
  const finish = (k: number, sum: string): string[] => [
    set('s', sum),
    set('t', L('j')),
    `(block $td${k} (loop $tl${k}`,
    `  (br_if $td${k} (i32.ge_u ${L('t')} ${L('e')}))`,
    `  ${set('s', `(f64.add ${L('s')} (f64.promote_f32 (f32.load (i32.add ${rowStart(k)} ${L('t')}))))`)}`,
    `  ${set('t', `(i32.add ${L('t')} (i32.const 4))`)}`,
    `  (br $tl${k})))`,
    `(f32.store (i32.add ${L('y')} (i32.shl (i32.add ${L('r')} (i32.const ${k})) (i32.const 2))) (f32.demote_f64 (f64.div ${L('s')} ${L('count')})))`,
  ];
  const fwd = [
    set('count', `(f64.convert_i32_u ${L('len')})`),
    ...byEights(
      [...[0, 1, 2, 3].map((k) => set(`acc${k}`, '(v128.const f64x2 0 0)')), ...[0, 1, 2, 3, 4, 5, 6, 7].map((k) => set(`x_r${k}`, rowStart(k)))],
      step,
      [0, 1, 2, 3, 4, 5, 6, 7].flatMap((k) => finish(k, `(f64x2.extract_lane ${k % 2} ${L(`acc${k >> 1}`)})`)),
      finish(0, '(f64.const 0)'),
    ),
  ];
  const to = `(i32.add ${L('o')} ${L('j')})`;
  const bwd = [
    set('count', `(f64.convert_i32_u ${L('len')})`),
    set('e', `(i32.shl ${L('len')} (i32.const 2))`),
    set('e4', `(i32.and ${L('e')} (i32.const -16))`),
    set('r', L('r0')),
    '(block $rd (loop $rl',
    `  (br_if $rd (i32.ge_u ${L('r')} ${L('r1')}))`,
    `  ${set('s', `(f64.div (f64.promote_f32 (f32.load (i32.add ${L('dy')} (i32.shl ${L('r')} (i32.const 2))))) ${L('count')})`)}`,
    `  ${set('o', `(i32.add ${L('dx')} (i32.shl (i32.mul ${L('r')} ${L('len')}) (i32.const 2)))`)}`,
    `  ${set('j', '(i32.const 0)')}`,
    `  (if ${L('assign')} (then`,
    // +0 + g, as added to a zeroed gradient (−0 becomes +0)
    `    ${set('va', `(f32x4.splat (f32.demote_f64 (f64.add (f64.const 0) ${L('s')})))`)}`,
    '    (block $ad (loop $al',
    `      (br_if $ad (i32.ge_u ${L('j')} ${L('e4')}))`,
    `      (v128.store ${to} ${L('va')})`,
    `      ${set('j', `(i32.add ${L('j')} (i32.const 16))`)}`,
    '      (br $al))))',
    '  (else',
    `    ${set('g', `(f64x2.splat ${L('s')})`)}`,
    '    (block $cd (loop $cl',
    `      (br_if $cd (i32.ge_u ${L('j')} ${L('e4')}))`,
    `      ${set('va', `(v128.load ${to})`)}`,
    `      (v128.store ${to} ${demoteJoin(`(f64x2.add (f64x2.promote_low_f32x4 ${L('va')}) ${L('g')})`, `(f64x2.add ${promoteHigh(L('va'))} ${L('g')})`)})`,
    `      ${set('j', `(i32.add ${L('j')} (i32.const 16))`)}`,
    '      (br $cl)))))',
    '  (block $sd (loop $sl',
    `    (br_if $sd (i32.ge_u ${L('j')} ${L('e')}))`,
    `    (f32.store ${to} (f32.demote_f64 (f64.add (select (f64.const 0) (f64.promote_f32 (f32.load ${to})) ${L('assign')}) ${L('s')})))`,
    `    ${set('j', `(i32.add ${L('j')} (i32.const 4))`)}`,
    '    (br $sl)))',
    `  ${set('r', `(i32.add ${L('r')} (i32.const 1))`)}`,
    '  (br $rl)))',
  ];
  return `
  ;; GlobalAvgPool: y[row] = (Σ x over the row, float64, in order) / len, rounded once, for rows [r0, r1);
  ;; eight rows at a time, two in the lanes of each f64x2 (transposed from two loads), each lane's
  ;; sum in the row's order.
  (func (export "meanRows") (param $x i32) (param $y i32) (param $r0 i32) (param $r1 i32) (param $len i32)
    ${locals(fwd, I32_LOCALS, ['count', 's'])}
${indent(fwd, '    ')}
  )

  ;; Its gradient: dx (+)= dy[row] / len (float64, added to the old value and rounded once, as the
  ;; reference kernel's), for rows [r0, r1); $assign: onto +0 (the old value is not read).
  (func (export "meanRowsBackward") (param $dy i32) (param $dx i32) (param $r0 i32) (param $r1 i32) (param $len i32) (param $assign i32)
    ${locals(bwd, I32_LOCALS, ['count', 's'])}
${indent(bwd, '    ')}
  )`;
}

/** The text of broadcast.wat. */
export function broadcastWat(): string {
  return wat;
}

export const BROADCAST_WAT_PATH = join(dirname(fileURLToPath(import.meta.url)), 'broadcast.wat');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(BROADCAST_WAT_PATH, wat);
  console.log(`wrote ${BROADCAST_WAT_PATH}`);
}
