// Writes the Winograd F(4×4, 3×3) section of winograd.wat (between its BEGIN/END F(4x4,3x3)
// lines): the kernel, input and output transforms printed from the three matrices below, and the
// convolution that runs them around 36 GEMMs, with its weight gradient; and the same for 3×3 stride 2
// (S2 and S2DX: 81 GEMMs; forward, weight and input gradients; docs/cpu-backend.md, "Winograd for 3×3
// stride 2"). The rest of winograd.wat (F(2×2, 3×3), the padded planes it shares) is written by hand.
// Run: `npx tsx src-engine/node/cpu/kernels/winograd4-gen.ts && node scripts/build-kernels.mjs`, or `npm run gen` (every generator, in order).
// NOTE (same bits everywhere): no sum is printed as (f32x4.add (local.get a) (f32x4.mul (local.get b)
// (local.get c))), the form build-kernels.mjs fuses into relaxed_madd: constants are inline
// v128.const, so a transform rounds the same on every machine (only the imported GEMM fuses).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * F(4×4, 3×3) with the interpolation points 0, ±1, ±2, ∞ (Lavin & Gray 2015): Y = Aᵀ[(G g Gᵀ) ⊙
 * (Bᵀ d B)]A for a 6×6 input tile d and a 3×3 kernel g, a 4×4 output tile.
 */
export const F43 = {
  BT: [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
  ],
  G: [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  AT: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, -1, 2, -2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, -1, 8, -8, 1],
  ],
} as const;

/**
 * F(4, 2) with the points 0, ±1, 1/2, ∞ (Bᵀ's rows scaled to integers): 4 outputs of a 2-tap
 * correlation from 5 inputs in 5 products. The even taps of a 3-tap stride-2 correlation: y[j] =
 * g0·z[2j] + g2·z[2j + 2] + g1·z[2j + 1] is F(4, 2) on z's even samples with (g0, g2), plus g1·z's
 * odd samples, so 4 outputs from 9 inputs in 9 products where direct takes 12 (S2's 9×9 Bᵀ, 9×3 G and
 * 4×9 Aᵀ below; 2-D: 81 for 144, 1.78× fewer). Of the points tried (0, ±1 with 2, −2, 1/2 or
 * −1/2), these gave the least float32 error on random data (4.5e-6 against 1.1–1.5e-5 for ±2).
 */
export const F42 = {
  BT: [
    [1, -2, -1, 2, 0],
    [0, -1, 1, 2, 0],
    [0, 1, -3, 2, 0],
    [0, -1, 0, 1, 0],
    [0, 1, -2, -1, 2],
  ],
  G: [
    [1, 0],
    [1 / 2, 1 / 2],
    [-1 / 6, 1 / 6],
    [-8 / 3, -4 / 3],
    [0, 1 / 2],
  ],
  AT: [
    [1, 1, 1, 1, 0],
    [0, 1, -1, 1 / 2, 0],
    [0, 1, 1, 1 / 4, 0],
    [0, 1, -1, 1 / 8, 1],
  ],
} as const;

/** The stride-2 algorithm's matrices (9 products per dimension): F42 on the even samples, the identity on the odd. */
export const S2: { BT: number[][]; G: number[][]; AT: number[][] } = {
  /** 9×9: rows 0–4 F42's Bᵀ on z0, z2, z4, z6, z8; rows 5–8 z1, z3, z5, z7. */
  BT: [...F42.BT.map((r) => Array.from({ length: 9 }, (_, i) => (i % 2 === 0 ? r[i / 2] : 0))), ...[0, 1, 2, 3].map((j) => Array.from({ length: 9 }, (_, i) => (i === 2 * j + 1 ? 1 : 0)))],
  /** 9×3: rows 0–4 F42's G on (g0, g2); rows 5–8 g1. */
  G: [...F42.G.map((r) => [r[0], 0, r[1]]), ...[0, 1, 2, 3].map(() => [0, 1, 0])],
  /** 4×9: columns 0–4 F42's Aᵀ, 5–8 the identity. */
  AT: F42.AT.map((r, j) => [...r, ...[0, 1, 2, 3].map((i) => (i === j ? 1 : 0))]),
};
/** U's distinct rows per dimension (S2.G's rows 5–8 are one): a 6×3 G, and ξ's plane min(ξ, 5). */
const S2_G6 = S2.G.slice(0, 6);

/**
 * Throws unless Aᵀ[(G k) ⊙ (Bᵀ z)] equals `exact` for every output q, to float64 rounding: kernel
 * taps w (3), k = kernelOf(w), and `inputs` values z, small integers over 20 trials.
 */
function checkAlgorithm(what: string, G: number[][], BT: number[][], AT: number[][], kernelOf: (w: number[]) => number[], exact: (w: number[], z: number[], q: number) => number): void {
  for (let trial = 0; trial < 20; trial++) {
    const w = [0, 1, 2].map((i) => ((trial * 7 + i * 13) % 11) - 5);
    const k = kernelOf(w);
    const z = Array.from({ length: BT[0].length }, (_, i) => ((trial * 5 + i * 3) % 13) - 6);
    const m = G.map((row, i) => row.reduce((a, c, t) => a + c * k[t], 0) * BT[i].reduce((a, c, t) => a + c * z[t], 0));
    AT.forEach((row, q) => {
      const got = row.reduce((a, c, i) => a + c * m[i], 0);
      const want = exact(w, z, q);
      if (Math.abs(got - want) > 1e-9 * (1 + Math.abs(want))) throw new Error(`winograd4-gen: the ${what} matrices give ${got} for output ${q}, not ${want}`);
    });
  }
}
// S2: the stride-2 correlation of z (9) with w
checkAlgorithm('stride-2', S2.G, S2.BT, S2.AT, (w) => w, (w, z, j) => w[0] * z[2 * j] + w[1] * z[2 * j + 1] + w[2] * z[2 * j + 2]);

/**
 * The stride-2 form's input gradient (padding 1), per dimension: dx's block [8t, 8t + 8) from dy's
 * z = dy[4t … 4t + 4] (5 values): dx[8t + 2j] = w1·z[j] and dx[8t + 2j + 1] = w2·z[j] + w0·z[j + 1]
 * (F(4, 2) with kernel (w2, w0)), 9 products for 8 outputs. The kernel enters rotated (winograd4s2Weights'
 * flip: r = (w2, w1, w0)), so G is S2's; Bᵀ (9×5) F42's on z0…z4 and z0…z3 themselves; Aᵀ (8×9)
 * interleaves: row 2j = product 5 + j, row 2j + 1 = F42's Aᵀ[j].
 */
export const S2DX: { BT: number[][]; AT: number[][] } = {
  BT: [...F42.BT.map((r) => [...r]), ...[0, 1, 2, 3].map((j) => [0, 1, 2, 3, 4].map((i) => (i === j ? 1 : 0)))],
  AT: [0, 1, 2, 3].flatMap((j) => [Array.from({ length: 9 }, (_, i) => (i === 5 + j ? 1 : 0)), [...F42.AT[j], 0, 0, 0, 0]]),
};

// S2DX (with S2's G on the kernel rotated, as winograd4s2Weights' flip gives it): the stride-2 input gradient
checkAlgorithm('stride-2 input-gradient', S2.G, S2DX.BT, S2DX.AT, (w) => [w[2], w[1], w[0]], (w, z, q) =>
  q % 2 === 0 ? w[1] * z[q >> 1] : w[2] * z[q >> 1] + w[0] * z[(q >> 1) + 1]);

/** The stride-2 weight gradient's accumulate flag for element $xi: after the first group, or not its plane's first element (ξ1 > 5 or ξ2 > 5). */
const S2_ACCUMULATE = `(i32.or (i32.ne (local.get $s0) (local.get $n0))
            (i32.or (i32.gt_u (i32.div_u (local.get $xi) (i32.const 9)) (i32.const 5)) (i32.gt_u (i32.rem_u (local.get $xi) (i32.const 9)) (i32.const 5))))`;

/** A generated variant: F(4×4, 3×3) (36 elements, tiles 4 apart) or its stride-2 form (81, tiles 8 apart). */
interface Variant {
  s2: boolean;
  /** The stride-2 form's input gradient: dy's 5×5 tiles (4 apart) to 8×8 blocks of dx. */
  dx: boolean;
  /** Export-name infix: winograd4${sfx}Conv. */
  sfx: string;
  elements: number;
}
const F4: Variant = { s2: false, dx: false, sfx: '', elements: 36 };
const S2V: Variant = { s2: true, dx: false, sfx: 's2', elements: 81 };
const S2DXV: Variant = { s2: true, dx: true, sfx: 's2dx', elements: 81 };
/** log2 of a variant's output block (4×4, or the dx form's 8×8). */
const blockShift = (v: Variant): number => (v.dx ? 3 : 2);
/** Tiles along a dimension of the output ($oH, $oW): ⌈size / block⌉. */
const tilesAlong = (v: Variant, size: string): string => `(i32.shr_s (i32.add (local.get ${size}) (i32.const ${(1 << blockShift(v)) - 1})) (i32.const ${blockShift(v)}))`;
/** The padded planes' rows and columns for $tH × $tW tiles: F(4×4) 4·t + 2 and 4·t + 4, the stride-2 forward 8·t + 1 and 8·t + 4, its dx 4·t + 1 and 4·t + 4. */
const planeRows = (v: Variant): string => (v.dx ? '(i32.add (i32.shl (local.get $tH) (i32.const 2)) (i32.const 1))' : v.s2 ? '(i32.add (i32.shl (local.get $tH) (i32.const 3)) (i32.const 1))' : '(i32.add (i32.shl (local.get $tH) (i32.const 2)) (i32.const 2))');
const planeCols = (v: Variant): string => (v.s2 && !v.dx ? '(i32.add (i32.shl (local.get $tW) (i32.const 3)) (i32.const 4))' : '(i32.add (i32.shl (local.get $tW) (i32.const 2)) (i32.const 4))');
/** Bytes of transform temporaries at $tmp. */
const tmpBytes = (v: Variant): number => (v.dx ? 2176 : v.s2 ? 1296 : 832);
/** A whole output block's outLims entry: rows·16 + columns. */
const wholeLim = (v: Variant): number => (17 << blockShift(v));
/** The stride-2 transforms' extra vector locals (nine inputs: $d6–$d8; a tile row's third load: $m0–$m3, $j1–$j3). */
const S2_LOCALS = ' (local $d6 v128) (local $d7 v128) (local $d8 v128) (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128) (local $j1 v128) (local $j2 v128) (local $j3 v128)';
/** U's plane for element ξ = 9·ξ1 + ξ2 of the stride-2 form: 6·min(ξ1, 5) + min(ξ2, 5). */
const S2_U_PLANE = `(i32.add
            (i32.mul (i32.const 6) (select (i32.const 5) (i32.div_u (local.get $xi) (i32.const 9)) (i32.ge_u (local.get $xi) (i32.const 45))))
            (select (i32.const 5) (i32.rem_u (local.get $xi) (i32.const 9)) (i32.ge_u (i32.rem_u (local.get $xi) (i32.const 9)) (i32.const 5))))`;

type Kind = 'f32' | 'f32x4';

const constant = (kind: Kind, c: number): string => {
  const text = Math.fround(c).toPrecision(9);
  return kind === 'f32' ? `(f32.const ${text})` : `(v128.const f32x4 ${text} ${text} ${text} ${text})`;
};

/**
 * Σ coefs[i]·terms[i] as one WAT expression: terms with the same |coefficient| are added or
 * subtracted first, then each group is multiplied once (|c| = 1: not at all), and the groups
 * added in order of first appearance, the unit group first.
 */
export function combination(kind: Kind, coefs: readonly number[], terms: readonly string[]): string {
  const groups = new Map<number, { sign: number; term: string }[]>();
  coefs.forEach((c, i) => {
    if (c === 0) return;
    const key = Math.abs(c);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push({ sign: Math.sign(c), term: terms[i] });
  });
  const keys = [...groups.keys()].sort((a, b) => (a === 1 ? -1 : b === 1 ? 1 : 0));
  let out: { sign: number; expr: string } | null = null;
  for (const key of keys) {
    const list = groups.get(key)!;
    // Start from a positive term where there is one: no negation.
    const first = list.findIndex((t) => t.sign > 0);
    const order = first >= 0 ? [list[first], ...list.filter((_, i) => i !== first)] : list;
    let expr = order[0].term;
    const sign = order[0].sign;
    for (const t of order.slice(1)) expr = `(${kind}.${t.sign === sign ? 'add' : 'sub'} ${expr} ${t.term})`;
    if (key !== 1) expr = `(${kind}.mul ${expr} ${constant(kind, key)})`;
    if (!out) out = { sign, expr };
    else out = { sign: out.sign, expr: `(${kind}.${sign === out.sign ? 'add' : 'sub'} ${out.expr} ${expr})` };
  }
  if (!out) return constant(kind, 0);
  return out.sign > 0 ? out.expr : `(${kind}.neg ${out.expr})`;
}

export const get = (name: string): string => `(local.get ${name})`;

/** A term of a transform program: an input or temporary by name, a sum, a difference, or a multiple. */
type Term = string | ['add' | 'sub', Term, Term] | ['mul', Term, number];

/**
 * Bᵀ z and Aᵀ m with their common subexpressions shared (19 and 13 operations where the rows one by
 * one take 26 and 17): assignments in order, to temporaries s0–s3 or outputs r0…; each is
 * checked against its matrix when this file runs (checkProgram).
 */
const BT_PROGRAM: [string, Term][] = [
  ['s0', ['sub', 'z4', ['mul', 'z2', 4]]],
  ['s1', ['sub', 'z3', ['mul', 'z1', 4]]],
  ['r1', ['add', 's0', 's1']],
  ['r2', ['sub', 's0', 's1']],
  ['s2', ['sub', 'z4', 'z2']],
  ['s3', ['mul', ['sub', 'z3', 'z1'], 2]],
  ['r3', ['add', 's2', 's3']],
  ['r4', ['sub', 's2', 's3']],
  ['r0', ['sub', ['add', 'z4', ['mul', 'z0', 4]], ['mul', 'z2', 5]]],
  ['r5', ['sub', ['add', 'z5', ['mul', 'z1', 4]], ['mul', 'z3', 5]]],
];
const AT_PROGRAM: [string, Term][] = [
  ['s0', ['add', 'z1', 'z2']],
  ['s1', ['sub', 'z1', 'z2']],
  ['s2', ['add', 'z3', 'z4']],
  ['s3', ['sub', 'z3', 'z4']],
  ['r0', ['add', ['add', 'z0', 's0'], 's2']],
  ['r1', ['add', 's1', ['mul', 's3', 2]]],
  ['r2', ['add', 's0', ['mul', 's2', 4]]],
  ['r3', ['add', ['add', 's1', ['mul', 's3', 8]], 'z5']],
];

/**
 * A z for a 4-vector z (A = (Aᵀ)ᵀ, 6×4): the weight gradient's D = A dY Aᵀ, down the columns of a 4×4
 * output-gradient tile and then along the rows (11 operations where the rows one by one take 18).
 */
const A_PROGRAM: [string, Term][] = [
  ['s0', ['add', 'z0', 'z2']],
  ['s1', ['add', 'z1', 'z3']],
  ['r0', 'z0'],
  ['r1', ['add', 's0', 's1']],
  ['r2', ['sub', 's0', 's1']],
  ['s2', ['add', 'z0', ['mul', 'z2', 4]]],
  ['s3', ['mul', ['add', 'z1', ['mul', 'z3', 4]], 2]],
  ['r3', ['add', 's2', 's3']],
  ['r4', ['sub', 's2', 's3']],
  ['r5', 'z3'],
];
/** A matrix's transpose. */
const transposed = (m: readonly (readonly number[])[]): number[][] => m[0].map((_, j) => m.map((row) => row[j]));

/** The program's outputs for inputs z (exact in float64 for small integers). */
function evaluate(program: [string, Term][], z: readonly number[]): Map<string, number> {
  const env = new Map<string, number>(z.map((v, i) => [`z${i}`, v]));
  const value = (t: Term): number => {
    if (typeof t === 'string') return env.get(t)!;
    if (t[0] === 'mul') return value(t[1]) * t[2];
    return t[0] === 'add' ? value(t[1]) + value(t[2]) : value(t[1]) - value(t[2]);
  };
  for (const [name, t] of program) env.set(name, value(t));
  return env;
}

/** Throws unless the program computes matrix · z (each unit vector z checked). */
function checkProgram(program: [string, Term][], matrix: readonly (readonly number[])[]): void {
  for (let j = 0; j < matrix[0].length; j++) {
    const env = evaluate(program, matrix[0].map((_, i) => (i === j ? 1 : 0)));
    matrix.forEach((row, i) => {
      if (env.get(`r${i}`) !== row[j]) throw new Error(`winograd4-gen: the program's output ${i} differs from its matrix in column ${j}`);
    });
  }
}
checkProgram(BT_PROGRAM, F43.BT);
checkProgram(AT_PROGRAM, F43.AT);
checkProgram(A_PROGRAM, transposed(F43.AT));

/**
 * The program as f32x4 WAT: temporaries s0–s3 set in $e0–$e3; each output handed to `emit` (its index
 * and expression) where it is assigned. Inputs z_i read from `inputs[i]`.
 */
function programLines(program: [string, Term][], inputs: readonly string[], emit: (i: number, expr: string) => string): string[] {
  const wat = (t: Term): string => {
    if (typeof t === 'string') return t.startsWith('z') ? inputs[Number(t.slice(1))] : get(`$e${t.slice(1)}`);
    if (t[0] === 'mul') return `(f32x4.mul ${wat(t[1])} ${constant('f32x4', t[2])})`;
    return `(f32x4.${t[0]} ${wat(t[1])} ${wat(t[2])})`;
  };
  return program.map(([name, t]) => (name.startsWith('s') ? `(local.set $e${name.slice(1)} ${wat(t)})` : emit(Number(name.slice(1)), wat(t))));
}
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A 4×4 transpose of $a..$d (rows) into $e..$h (columns), through $q0..$q3. */
export function transpose4(src: string[], dst: string[]): string[] {
  const [a, b, c, d] = src.map(get);
  const lo = '0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23';
  const hi = '8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31';
  const first = '0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23';
  const second = '8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31';
  return [
    `(local.set $q0 (i8x16.shuffle ${lo} ${a} ${b}))`,
    `(local.set $q1 (i8x16.shuffle ${lo} ${c} ${d}))`,
    `(local.set $q2 (i8x16.shuffle ${hi} ${a} ${b}))`,
    `(local.set $q3 (i8x16.shuffle ${hi} ${c} ${d}))`,
    `(local.set ${dst[0]} (i8x16.shuffle ${first} (local.get $q0) (local.get $q1)))`,
    `(local.set ${dst[1]} (i8x16.shuffle ${second} (local.get $q0) (local.get $q1)))`,
    `(local.set ${dst[2]} (i8x16.shuffle ${first} (local.get $q2) (local.get $q3)))`,
    `(local.set ${dst[3]} (i8x16.shuffle ${second} (local.get $q2) (local.get $q3)))`,
  ];
}

export const indent = (lines: string[], n: number): string => lines.map((l) => ' '.repeat(n) + l).join('\n');

/**
 * U = G g Gᵀ for two rows of U's plane at once (kernels in $g0…$g8 for row i, $k0…$k8 for row i + 1;
 * lanes = four columns): the rows' values interleaved as GEMM's prepacked A panel has them
 * ((i, q) and (i + 1, q) side by side, see `gemm`'s transA 2), 36 elements $xs apart from $d, each
 * two vectors (columns q, q + 1 and q + 2, q + 3): $n < 4 columns stored as 2·$n floats.
 */
function kernelTransform(G: readonly (readonly number[])[]): string {
  const L: string[] = [];
  const rows = [range(9).map((i) => `$g${i}`), range(9).map((i) => `$k${i}`)];
  // t = G g (6×3), both rows
  rows.forEach((g, r) => {
    for (let i = 0; i < 6; i++) for (let b = 0; b < 3; b++) L.push(`(local.set $t${r * 18 + i * 3 + b} ${combination('f32x4', G[i], [0, 1, 2].map((a) => get(g[a * 3 + b])))})`);
  });
  // U = t Gᵀ (6×6), per element the two rows interleaved: lanes 0, 1 then 2, 3
  const lo = '0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23';
  const hi = '8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31';
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 6; j++) {
      L.push(`(local.set $v ${combination('f32x4', G[j], [0, 1, 2].map((b) => get(`$t${i * 3 + b}`)))})`);
      L.push(`(local.set $w2 ${combination('f32x4', G[j], [0, 1, 2].map((b) => get(`$t${18 + i * 3 + b}`)))})`);
      L.push(`(local.set $q0 (i8x16.shuffle ${lo} (local.get $v) (local.get $w2)))`);
      L.push(`(local.set $q1 (i8x16.shuffle ${hi} (local.get $v) (local.get $w2)))`);
      L.push('(if (i32.eq (local.get $n) (i32.const 4))');
      L.push('  (then (v128.store (local.get $d) (local.get $q0)) (v128.store offset=16 (local.get $d) (local.get $q1)))');
      L.push('  (else');
      L.push('    (if (i32.ge_s (local.get $n) (i32.const 2)) (then (v128.store (local.get $d) (local.get $q0))) (else (v128.store64_lane 0 (local.get $d) (local.get $q0))))');
      L.push('    (if (i32.eq (local.get $n) (i32.const 3)) (then (v128.store64_lane offset=16 0 (local.get $d) (local.get $q1))))))');
      L.push('(local.set $d (i32.add (local.get $d) (local.get $xs)))');
    }
  }
  return indent(L, 8);
}

/**
 * V = Bᵀ d B for the four tiles at inOffs[t..t+3] (lanes = tiles) of channel c's padded planes:
 * rows of d B into $tmp, then Bᵀ down its columns into V ($xs apart per element).
 */
function inputTransform(): string {
  const L: string[] = [];
  for (let i = 0; i < 6; i++) {
    const row = `(i32.const ${i})`;
    L.push(`;; row ${i} of d: columns 0–3 and 4–5 of each tile, transposed so that lanes = tiles`);
    for (let k = 0; k < 4; k++) {
      const at = `(i32.add (local.get $a${k}) (i32.mul (local.get $ws) ${row}))`;
      L.push(`(local.set $l${k} (v128.load ${at}))`);
      L.push(`(local.set $h${k} (v128.load offset=16 ${at}))`);
    }
    L.push(...transpose4(['$l0', '$l1', '$l2', '$l3'], ['$d0', '$d1', '$d2', '$d3']));
    L.push(...transpose4(['$h0', '$h1', '$h2', '$h3'], ['$d4', '$d5', '$l0', '$l1']));
    // (d B)[i][k] = (Bᵀ d_iᵀ)[k]: the same program along the row
    L.push(...programLines(BT_PROGRAM, range(6).map((j) => get(`$d${j}`)), (k, e) => `(v128.store offset=${(i * 6 + k) * 16} (local.get $tmp) ${e})`));
  }
  L.push(';; Bᵀ down each column of d B');
  for (let k = 0; k < 6; k++) {
    for (let i = 0; i < 6; i++) L.push(`(local.set $d${i} (v128.load offset=${(i * 6 + k) * 16} (local.get $tmp)))`);
    L.push(...programLines(BT_PROGRAM, range(6).map((j) => get(`$d${j}`)), (l, e) => `(v128.store (i32.add (local.get $vp) (i32.mul (local.get $xs) (i32.const ${l * 6 + k}))) ${e})`));
  }
  return indent(L, 8);
}

/**
 * Y = Aᵀ m A (+ bias) for the four tiles at M + t (lanes = tiles): rows of m A into $tmp, then Aᵀ
 * down its columns into $tmp + 576 (y[a][b] at (4a + b)·16).
 */
function outputTransform(): string {
  const L: string[] = [];
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 6; j++) L.push(`(local.set $d${j} (v128.load (i32.add (local.get $p) (i32.mul (local.get $ms) (i32.const ${i * 6 + j})))))`);
    // (m A)[i][b] = (Aᵀ m_iᵀ)[b]
    L.push(...programLines(AT_PROGRAM, range(6).map((j) => get(`$d${j}`)), (b, e) => `(v128.store offset=${(i * 4 + b) * 16} (local.get $tmp) ${e})`));
  }
  for (let b = 0; b < 4; b++) {
    for (let i = 0; i < 6; i++) L.push(`(local.set $d${i} (v128.load offset=${(i * 4 + b) * 16} (local.get $tmp)))`);
    L.push(...programLines(AT_PROGRAM, range(6).map((j) => get(`$d${j}`)), (a, e) => `(v128.store offset=${576 + (a * 4 + b) * 16} (local.get $tmp) (f32x4.add ${e} (local.get $bv)))`));
  }
  return indent(L, 10);
}

/**
 * The stride-2 forms' V = Bᵀ d B for the four n×n tiles at $a0…$a3 (lanes = tiles), n = Bᵀ's columns
 * (the forward's 9, dx's 5): each tile row's first 4·⌈n/4⌉ columns as vectors, transposed (the
 * columns past n unused), Bᵀ along it into $tmp (n rows of 9 vectors), then Bᵀ down each column
 * into V ($xs apart per element).
 */
function stride2InputTransform(BT: readonly (readonly number[])[]): string {
  const L: string[] = [];
  const n = BT[0].length;
  const d = range(n).map((j) => get(`$d${j}`));
  const bt = (z: readonly string[]): string[] => BT.map((row) => combination('f32x4', row, z));
  // a tile row's vectors (columns 0–3, 4–7, 8–11) and where their transposes go (lanes = tiles:
  // column c < n to $dc, the last vector's columns past n to $j1…$j3, unused)
  const loads = ['$l', '$h', '$m'].slice(0, Math.ceil(n / 4)).map((r, v) => [r, range(4).map((l) => (4 * v + l < n ? `$d${4 * v + l}` : `$j${l}`)).join(' ')]);
  for (let i = 0; i < n; i++) {
    L.push(`;; row ${i} of d: ${loads.length} vectors of each tile, transposed so that lanes = tiles`);
    for (let k = 0; k < 4; k++) {
      const at = `(i32.add (local.get $a${k}) (i32.mul (local.get $ws) (i32.const ${i})))`;
      loads.forEach(([r], v) => L.push(`(local.set ${r}${k} (v128.load${v ? ` offset=${16 * v}` : ''} ${at}))`));
    }
    for (const [r, dst] of loads) L.push(...transpose4(range(4).map((k) => `${r}${k}`), dst.split(' ')));
    bt(d).forEach((e, k) => L.push(`(v128.store offset=${(i * 9 + k) * 16} (local.get $tmp) ${e})`));
  }
  L.push(';; Bᵀ down each column of d B');
  for (let k = 0; k < 9; k++) {
    for (let i = 0; i < n; i++) L.push(`(local.set $d${i} (v128.load offset=${(i * 9 + k) * 16} (local.get $tmp)))`);
    bt(d).forEach((e, l) => L.push(`(v128.store (i32.add (local.get $vp) (i32.mul (local.get $xs) (i32.const ${l * 9 + k}))) ${e})`));
  }
  return indent(L, 8);
}

/**
 * The stride-2 forms' m×m block = Aᵀ M A (+ bias) from the 81 products at $p (m = Aᵀ's rows: the
 * forward's 4, dx's 8): rows of M A into $tmp (9 rows of m vectors), then Aᵀ down its columns into
 * $tmp + 144·m (y[a][b] at (m·a + b)·16).
 */
function stride2OutputTransform(AT: readonly (readonly number[])[]): string {
  const L: string[] = [];
  const m = AT.length;
  const d = range(9).map((j) => get(`$d${j}`));
  const at = (z: readonly string[]): string[] => AT.map((row) => combination('f32x4', row, z));
  for (let i = 0; i < 9; i++) {
    for (let j = 0; j < 9; j++) L.push(`(local.set $d${j} (v128.load (i32.add (local.get $p) (i32.mul (local.get $ms) (i32.const ${i * 9 + j})))))`);
    at(d).forEach((e, b) => L.push(`(v128.store offset=${(i * m + b) * 16} (local.get $tmp) ${e})`));
  }
  for (let b = 0; b < m; b++) {
    for (let i = 0; i < 9; i++) L.push(`(local.set $d${i} (v128.load offset=${(i * m + b) * 16} (local.get $tmp)))`);
    at(d).forEach((e, a) => L.push(`(v128.store offset=${144 * m + (a * m + b) * 16} (local.get $tmp) (f32x4.add ${e} (local.get $bv)))`));
  }
  return indent(L, 10);
}

/**
 * One output vector stored at `at`, or added to what is there ($accumulate): a branch, not a
 * `select`, so that a plain store does not first load the output (a fresh y is not in cache, and
 * the load would wait for it where the store need not). F(2×2)'s stores branch the same way.
 */
const storeOrAdd = (at: string, h: string): string =>
  `(if (local.get $accumulate) (then (v128.store ${at} (f32x4.add (local.get ${h}) (v128.load ${at})))) (else (v128.store ${at} (local.get ${h}))))`;

/** Four whole 8×8 blocks: each output row's two halves transposed from y[a][0..7] (lanes = tiles) and stored, or added, per tile. */
function wholeTileStores8(): string {
  const L: string[] = [];
  for (let a = 0; a < 8; a++) {
    for (let half = 0; half < 2; half++) {
      for (let b = 0; b < 4; b++) L.push(`(local.set $l${b} (v128.load offset=${1152 + (a * 8 + half * 4 + b) * 16} (local.get $tmp)))`);
      L.push(...transpose4(['$l0', '$l1', '$l2', '$l3'], ['$h0', '$h1', '$h2', '$h3']));
      for (let k = 0; k < 4; k++) {
        const at = `(i32.add (local.get $b${k}) (i32.add (i32.mul (local.get $ows) (i32.const ${a})) (i32.const ${half * 16})))`;
        L.push(storeOrAdd(at, `$h${k}`));
      }
    }
  }
  return indent(L, 14);
}

/** Four whole 4×4 tiles: each output row a transposed from y[a][0..3] (lanes = tiles) and stored, or added, per tile. */
function wholeTileStores(): string {
  const L: string[] = [];
  for (let a = 0; a < 4; a++) {
    for (let b = 0; b < 4; b++) L.push(`(local.set $l${b} (v128.load offset=${576 + (a * 4 + b) * 16} (local.get $tmp)))`);
    L.push(...transpose4(['$l0', '$l1', '$l2', '$l3'], ['$h0', '$h1', '$h2', '$h3']));
    for (let k = 0; k < 4; k++) {
      const at = `(i32.add (local.get $b${k}) (i32.mul (local.get $ows) (i32.const ${a})))`;
      L.push(storeOrAdd(at, `$h${k}`));
    }
  }
  return indent(L, 14);
}

/**
 * The weight gradient's D = A dY Aᵀ for the four output-gradient tiles in $tmp (dY[a][b] at
 * (4a + b)·16, lanes = tiles): A down each column into $tmp + 256 ((A dY)[i][b] at 256 + (4i + b)·16),
 * then A along each of its six rows, D[i][j] stored at $dp + (6i + j)·$ms.
 */
function gradientTransform(): string {
  const L: string[] = [];
  for (let b = 0; b < 4; b++) {
    for (let a = 0; a < 4; a++) L.push(`(local.set $d${a} (v128.load offset=${(a * 4 + b) * 16} (local.get $tmp)))`);
    L.push(...programLines(A_PROGRAM, range(4).map((j) => get(`$d${j}`)), (i, e) => `(v128.store offset=${256 + (i * 4 + b) * 16} (local.get $tmp) ${e})`));
  }
  for (let i = 0; i < 6; i++) {
    for (let b = 0; b < 4; b++) L.push(`(local.set $d${b} (v128.load offset=${256 + (i * 4 + b) * 16} (local.get $tmp)))`);
    L.push(...programLines(A_PROGRAM, range(4).map((j) => get(`$d${j}`)), (j, e) => `(v128.store (i32.add (local.get $dp) (i32.mul (local.get $ms) (i32.const ${i * 6 + j}))) ${e})`));
  }
  return indent(L, 10);
}

/**
 * The stride-2 weight gradient's D = A dY Aᵀ (A = S2's Aᵀ transposed, 9×4) for the four 4×4 blocks in
 * $tmp, as gradientTransform: A down each column into $tmp + 256, then along each of its nine rows,
 * D[i][j] stored at $dp + (9i + j)·$ms.
 */
function gradientTransformS2(): string {
  const L: string[] = [];
  const A = transposed(S2.AT);
  const d = range(4).map((j) => get(`$d${j}`));
  for (let b = 0; b < 4; b++) {
    for (let a = 0; a < 4; a++) L.push(`(local.set $d${a} (v128.load offset=${(a * 4 + b) * 16} (local.get $tmp)))`);
    A.forEach((row, i) => L.push(`(v128.store offset=${256 + (i * 4 + b) * 16} (local.get $tmp) ${combination('f32x4', row, d)})`));
  }
  for (let i = 0; i < 9; i++) {
    for (let b = 0; b < 4; b++) L.push(`(local.set $d${b} (v128.load offset=${256 + (i * 4 + b) * 16} (local.get $tmp)))`);
    A.forEach((row, j) => L.push(`(v128.store (i32.add (local.get $dp) (i32.mul (local.get $ms) (i32.const ${i * 9 + j}))) ${combination('f32x4', row, d)})`));
  }
  return indent(L, 10);
}

/** Four whole 4×4 output-gradient blocks into $tmp: row a of each tile loaded and transposed, dY[a][b] at (4a + b)·16 (lanes = tiles). */
function wholeGradientLoads(): string {
  const L: string[] = [];
  for (let a = 0; a < 4; a++) {
    for (let k = 0; k < 4; k++) L.push(`(local.set $l${k} (v128.load (i32.add (local.get $b${k}) (i32.mul (local.get $ows) (i32.const ${a})))))`);
    L.push(...transpose4(['$l0', '$l1', '$l2', '$l3'], ['$h0', '$h1', '$h2', '$h3']));
    for (let b = 0; b < 4; b++) L.push(`(v128.store offset=${(a * 4 + b) * 16} (local.get $tmp) (local.get $h${b}))`);
  }
  return indent(L, 14);
}

/**
 * dW += Gᵀ dU G (6×6 → 3×3) for four input channels (lanes) from $u0…$u35 (dU[i][j] in $u(6i + j)):
 * Gᵀ down the columns ((Gᵀ dU)[a][j] in $t(6a + j)), then G along the rows ((Gᵀ dU G)[a][b] in $r(3a + b)).
 */
function weightGradFinish(G: readonly (readonly number[])[]): string {
  const L: string[] = [];
  const GT = transposed(G); // 3×6
  for (let a = 0; a < 3; a++) for (let j = 0; j < 6; j++) L.push(`(local.set $t${a * 6 + j} ${combination('f32x4', GT[a], range(6).map((i) => get(`$u${i * 6 + j}`)))})`);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) L.push(`(local.set $r${a * 3 + b} ${combination('f32x4', GT[b], range(6).map((j) => get(`$t${a * 6 + j}`)))})`);
  L.push(';; added into the n kernels\' dW, lane l into kernel c + l (36 bytes on)');
  for (let l = 0; l < 4; l++) {
    const stores = range(9).map((m) => `(f32.store offset=${(l * 9 + m) * 4} (local.get $g) (f32.add (f32.load offset=${(l * 9 + m) * 4} (local.get $g)) (f32x4.extract_lane ${l} (local.get $r${m}))))`);
    if (l === 0) L.push(...stores);
    else L.push(`(if (i32.gt_s (local.get $n) (i32.const ${l})) (then`, ...stores.map((x) => `  ${x}`), '))');
  }
  return indent(L, 8);
}

/** The locals winograd4Conv and winograd4WeightGrad share: geometry, scratch layout ($M: the GEMMs' products, or the weight gradient's D) and loops. */
const LAYOUT_LOCALS = `    (local $tH i32) (local $tW i32) (local $P i32) (local $R i32) (local $Wq i32) (local $Tp i32) (local $T i32)
    (local $V i32) (local $M i32) (local $PB i32) (local $inOffs i32) (local $outOffs i32) (local $outLims i32) (local $tmp i32)
    (local $s0 i32) (local $S i32) (local $t i32) (local $o i32) (local $xi i32) (local $k i32) (local $r i32) (local $cc i32) (local $lim i32)
    (local $outPlane i32) (local $outSample i32) (local $ows i32) (local $xs i32) (local $ms i32) (local $planeBytes i32)`;

/** Their geometry and scratch layout (scratchLayout4's): V, M, the padded planes, the three tile tables, then $tmp. */
function layout(v: Variant): string {
  return `    (local.set $tH ${tilesAlong(v, '$oH')})
    (local.set $tW ${tilesAlong(v, '$oW')})
    (local.set $P (i32.mul (local.get $tH) (local.get $tW)))
    (local.set $R ${planeRows(v)})
    (local.set $Wq ${planeCols(v)})
    (local.set $Tp (i32.and (i32.add (i32.mul (local.get $group) (local.get $P)) (i32.const 3)) (i32.const -4)))
    (local.set $V (local.get $scratch))
    (local.set $xs (i32.shl (i32.add (i32.mul (local.get $C) (local.get $Tp)) (i32.const 16)) (i32.const 2)))
    (local.set $ms (i32.shl (i32.add (i32.mul (local.get $Cout) (local.get $Tp)) (i32.const 16)) (i32.const 2)))
    (local.set $M (i32.add (local.get $V) (i32.mul (i32.const ${v.elements}) (local.get $xs))))
    (local.set $PB (i32.add (local.get $M) (i32.mul (i32.const ${v.elements}) (local.get $ms))))
    (local.set $planeBytes (i32.shl (i32.mul (local.get $R) (local.get $Wq)) (i32.const 2)))
    (local.set $inOffs (i32.add (local.get $PB)
      (i32.and (i32.add (i32.mul (local.get $group) (local.get $planeBytes)) (i32.const 15)) (i32.const -16))))
    (local.set $outOffs (i32.add (local.get $inOffs) (i32.shl (local.get $Tp) (i32.const 2))))
    (local.set $outLims (i32.add (local.get $outOffs) (i32.shl (local.get $Tp) (i32.const 2))))
    (local.set $tmp (i32.add (local.get $outLims) (i32.shl (local.get $Tp) (i32.const 2))))
    (local.set $outPlane (i32.shl (i32.mul (local.get $oH) (local.get $oW)) (i32.const 2)))
    (local.set $outSample (i32.mul (local.get $Cout) (local.get $outPlane)))
    (local.set $ows (i32.shl (local.get $oW) (i32.const 2)))`;
}

/** The head of their loop over groups of up to $group samples: the group's tile tables and V = Bᵀ d B. */
function groupHead(v: Variant): string {
  return `    (local.set $s0 (local.get $n0))
    (block $nd (loop $nl
      (br_if $nd (i32.ge_s (local.get $s0) (local.get $n1)))
      (local.set $S (i32.sub (local.get $n1) (local.get $s0)))
      (if (i32.gt_s (local.get $S) (local.get $group)) (then (local.set $S (local.get $group))))
      (local.set $T (i32.mul (local.get $S) (local.get $P)))
      (call $tileTables4 (local.get $T) (local.get $Tp) (local.get $P) (local.get $tW) (local.get $oH) (local.get $oW)
        (local.get $planeBytes) (local.get $Wq) (local.get $outSample) (local.get $inOffs) (local.get $outOffs) (local.get $outLims) (i32.const ${v.s2 && !v.dx ? 1 : 0}) (i32.const ${v.dx ? 1 : 0}))
      (call $inputTransform4${v.sfx} (local.get $x) (local.get $s0) (local.get $S) (local.get $T) (local.get $C) (local.get $H) (local.get $W)
        (local.get $pH) (local.get $pW) (local.get $R) (local.get $Wq) (local.get $Tp) (local.get $PB) (local.get $inOffs) (local.get $V) (local.get $tmp))`;
}

/** The four tiles' blocks from $t: $b0…$b3, each its first element in y or dy (from $yo, the channel's plane). */
const BLOCK_STARTS = `              (local.set $p (i32.add (local.get $outOffs) (i32.shl (local.get $t) (i32.const 2))))
              (local.set $b0 (i32.add (local.get $yo) (i32.load offset=0 (local.get $p))))
              (local.set $b1 (i32.add (local.get $yo) (i32.load offset=4 (local.get $p))))
              (local.set $b2 (i32.add (local.get $yo) (i32.load offset=8 (local.get $p))))
              (local.set $b3 (i32.add (local.get $yo) (i32.load offset=12 (local.get $p))))`;

/** Whether the four tiles from $t are whole blocks inside the output (outLims wholeLim(v) each). */
const wholeBlocks = (v: Variant): string => `          (local.set $p (i32.add (local.get $outLims) (i32.shl (local.get $t) (i32.const 2))))
          (if (i32.and
                (i32.le_s (i32.add (local.get $t) (i32.const 4)) (local.get $T))
                (i32.and
                  (i32.and (i32.eq (i32.load offset=0 (local.get $p)) (i32.const ${wholeLim(v)})) (i32.eq (i32.load offset=4 (local.get $p)) (i32.const ${wholeLim(v)})))
                  (i32.and (i32.eq (i32.load offset=8 (local.get $p)) (i32.const ${wholeLim(v)})) (i32.eq (i32.load offset=12 (local.get $p)) (i32.const ${wholeLim(v)})))))
            (then`;

/**
 * The four tiles from $t element by element (partial blocks at the output's edge, or the group's
 * spare lanes, limit 0): for each tile k, row r and column cc inside its block, `body` with $e the
 * block's first element in dy or y.
 */
function partialBlocks(body: string[]): string {
  return [
    `              (local.set $k (i32.const 0))`,
    `              (block $kd (loop $kl`,
    `                (br_if $kd (i32.ge_s (local.get $k) (i32.const 4)))`,
    `                (local.set $lim (i32.load (i32.add (local.get $outLims) (i32.shl (i32.add (local.get $t) (local.get $k)) (i32.const 2)))))`,
    `                (local.set $e (i32.add (local.get $yo) (i32.load (i32.add (local.get $outOffs) (i32.shl (i32.add (local.get $t) (local.get $k)) (i32.const 2))))))`,
    `                (local.set $r (i32.const 0))`,
    `                (block $rd (loop $rl`,
    `                  (br_if $rd (i32.ge_s (local.get $r) (i32.shr_u (local.get $lim) (i32.const 4))))`,
    `                  (local.set $cc (i32.const 0))`,
    `                  (block $ccd (loop $ccl`,
    `                    (br_if $ccd (i32.ge_s (local.get $cc) (i32.and (local.get $lim) (i32.const 15))))`,
    ...body.map((l) => `                    ${l}`),
    `                    (local.set $cc (i32.add (local.get $cc) (i32.const 1)))`,
    `                    (br $ccl)))`,
    `                  (local.set $r (i32.add (local.get $r) (i32.const 1)))`,
    `                  (br $rl)))`,
    `                (local.set $k (i32.add (local.get $k) (i32.const 1)))`,
    `                (br $kl)))))`,
  ].join('\n');
}

/**
 * Four kernels' 3×3 taps (lanes: the kernels at $g, $p1, $p2, $p3, each address through `at`) into
 * $l0…$l8, then into `dst`0…8 as they are or rotated 180° ($flip).
 */
function kernelLoads(dst: string, at: (p: string) => string, pad: number): string {
  const loads = range(9).map((i) => `(local.set $l${i} (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1 (v128.load32_zero offset=${i * 4} ${at('$g')}) (f32.load offset=${i * 4} ${at('$p1')})) (f32.load offset=${i * 4} ${at('$p2')})) (f32.load offset=${i * 4} ${at('$p3')})))`);
  const picks = range(9).map((i) => `(local.set ${dst}${i} (select (local.get $l${8 - i}) (local.get $l${i}) (local.get $flip)))`);
  return [...loads, ...picks].map((l) => ' '.repeat(pad) + l).join('\n');
}

/** A kernel transform's function text (winograd4Weights' parameters and layout) for a 6×3 G. */
function weightsFunction(name: string, G: readonly (readonly number[])[]): string {
  return `  (func (export "${name}")
    (param $w i32) (param $Cout i32) (param $C i32) (param $o0 i32) (param $o1 i32) (param $u i32) (param $flip i32)
    (local $o i32) (local $c i32) (local $g i32) (local $d i32) (local $xs i32) (local $i i32) (local $j i32) (local $R i32) (local $Q i32)
    (local $iEnd i32) (local $jEnd i32) (local $n i32) (local $step i32) (local $rstep i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $v v128) (local $w2 v128) (local $q0 v128) (local $q1 v128)
    ${range(9).map((i) => `(local $l${i} v128)`).join(' ')}
    ${range(9).map((i) => `(local $g${i} v128)`).join(' ')}
    ${range(9).map((i) => `(local $k${i} v128)`).join(' ')}
    ${range(36).map((i) => `(local $t${i} v128)`).join(' ')}
    (local.set $xs (i32.shl (call $winograd4PlaneFloats (local.get $Cout) (local.get $C)) (i32.const 2)))
    (local.set $R (select (local.get $C) (local.get $Cout) (local.get $flip)))
    (local.set $Q (select (local.get $Cout) (local.get $C) (local.get $flip)))
    (local.set $i (select (i32.const 0) (local.get $o0) (local.get $flip)))
    (local.set $iEnd (select (local.get $C) (local.get $o1) (local.get $flip)))
    (local.set $jEnd (select (local.get $o1) (local.get $C) (local.get $flip)))
    ;; bytes from a kernel to the next column's (lanes) and to the next row's
    (local.set $step (select (i32.mul (local.get $C) (i32.const 36)) (i32.const 36) (local.get $flip)))
    (local.set $rstep (select (i32.const 36) (i32.mul (local.get $C) (i32.const 36)) (local.get $flip)))
    (block $od (loop $ol
      (br_if $od (i32.ge_s (local.get $i) (local.get $iEnd)))
      (local.set $j (select (local.get $o0) (i32.const 0) (local.get $flip)))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_s (local.get $j) (local.get $jEnd)))
        (local.set $o (select (local.get $j) (local.get $i) (local.get $flip)))
        (local.set $c (select (local.get $i) (local.get $j) (local.get $flip)))
        (local.set $n (i32.sub (local.get $jEnd) (local.get $j)))
        (if (i32.gt_s (local.get $n) (i32.const 4)) (then (local.set $n (i32.const 4))))
        (local.set $g (i32.add (local.get $w) (i32.mul (i32.add (i32.mul (local.get $o) (local.get $C)) (local.get $c)) (i32.const 36))))
        (local.set $p1 (i32.add (local.get $g) (select (local.get $step) (i32.const 0) (i32.gt_s (local.get $n) (i32.const 1)))))
        (local.set $p2 (i32.add (local.get $g) (i32.mul (local.get $step) (select (i32.const 2) (i32.sub (local.get $n) (i32.const 1)) (i32.gt_s (local.get $n) (i32.const 2))))))
        (local.set $p3 (i32.add (local.get $g) (i32.mul (local.get $step) (i32.sub (local.get $n) (i32.const 1)))))
${kernelLoads('$g', (p) => `(local.get ${p})`, 8)}
        (if (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $R))
          (then
${kernelLoads('$k', (p) => `(i32.add (local.get ${p}) (local.get $rstep))`, 12)})
          (else
${range(9).map((i) => `            (local.set $k${i} (v128.const i32x4 0 0 0 0))`).join('\n')}))
        (local.set $d (i32.add (local.get $u) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $Q)) (i32.shl (local.get $j) (i32.const 1))) (i32.const 2))))
${kernelTransform(G)}
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $cl)))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $ol)))
  )`;
}

/** The per-thread scratch size functions of a variant. */
function scratchFunction(v: Variant): string {
  return `  ;; Per-thread scratch (bytes) winograd4${v.sfx}Conv needs: V + M, the padded planes (16-byte rounded), the
  ;; tile tables (input offsets, output offsets, output limits) and ${tmpBytes(v) / 16} vectors of transform temporaries.
  (func $scratchLayout4${v.sfx} (param $C i32) (param $Cout i32) (param $oH i32) (param $oW i32) (param $group i32) (result i32)
    (local $tH i32) (local $tW i32) (local $Tp i32)
    (local.set $tH ${tilesAlong(v, '$oH')})
    (local.set $tW ${tilesAlong(v, '$oW')})
    (local.set $Tp (i32.and (i32.add (i32.mul (local.get $group) (i32.mul (local.get $tH) (local.get $tW))) (i32.const 3)) (i32.const -4)))
    (i32.add
      (i32.add
        (i32.shl (i32.mul (i32.const ${v.elements}) (i32.add (i32.mul (i32.add (local.get $C) (local.get $Cout)) (local.get $Tp)) (i32.const 32))) (i32.const 2))
        (i32.and (i32.add (i32.shl (i32.mul (local.get $group)
          (i32.mul ${planeRows(v)} ${planeCols(v)}))
          (i32.const 2)) (i32.const 15)) (i32.const -16)))
      (i32.add (i32.mul (local.get $Tp) (i32.const 12)) (i32.const ${tmpBytes(v)})))
  )
  (func (export "winograd4${v.sfx}ScratchBytes") (param $C i32) (param $Cout i32) (param $oH i32) (param $oW i32) (param $group i32) (result i32)
    (call $scratchLayout4${v.sfx} (local.get $C) (local.get $Cout) (local.get $oH) (local.get $oW) (local.get $group))
  )`;
}

/** The input transform function of a variant: V for a group's tiles, channel by channel. */
function inputTransformFunction(v: Variant): string {
  return `  ;; V[ξ][c][t] = (Bᵀ d B)[ξ] (${v.elements} planes) for the T tiles of samples [s0, s0 + S), channel by channel, four tiles per step.
  (func $inputTransform4${v.sfx} (param $x i32) (param $s0 i32) (param $S i32) (param $T i32) (param $C i32) (param $H i32) (param $W i32)
    (param $pH i32) (param $pW i32) (param $R i32) (param $Wq i32) (param $Tp i32) (param $PB i32) (param $inOffs i32) (param $V i32) (param $tmp i32)
    (local $c i32) (local $s i32) (local $t i32) (local $p i32) (local $planeBytes i32) (local $inPlane i32) (local $inSample i32)
    (local $ws i32) (local $xs i32) (local $vp i32) (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32)
    (local $l0 v128) (local $l1 v128) (local $l2 v128) (local $l3 v128) (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128) (local $d4 v128) (local $d5 v128)${v.s2 ? S2_LOCALS : ''}
    (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128)
    (local.set $planeBytes (i32.shl (i32.mul (local.get $R) (local.get $Wq)) (i32.const 2)))
    (local.set $inPlane (i32.shl (i32.mul (local.get $H) (local.get $W)) (i32.const 2)))
    (local.set $inSample (i32.mul (local.get $C) (local.get $inPlane)))
    (local.set $ws (i32.shl (local.get $Wq) (i32.const 2)))
    (local.set $xs (i32.shl (i32.add (i32.mul (local.get $C) (local.get $Tp)) (i32.const 16)) (i32.const 2)))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_s (local.get $c) (local.get $C)))
      (local.set $s (i32.const 0))
      (block $pd (loop $pl
        (br_if $pd (i32.ge_s (local.get $s) (local.get $S)))
        (call $padPlane
          (i32.add (local.get $x) (i32.add (i32.mul (i32.add (local.get $s0) (local.get $s)) (local.get $inSample))
            (i32.mul (local.get $c) (local.get $inPlane))))
          (local.get $H) (local.get $W) (local.get $pH) (local.get $pW) (local.get $R) (local.get $Wq)
          (i32.add (local.get $PB) (i32.mul (local.get $s) (local.get $planeBytes))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $pl)))
      (local.set $t (i32.const 0))
      (block $gd (loop $gl
        (br_if $gd (i32.ge_s (local.get $t) (local.get $T)))
        (local.set $p (i32.add (local.get $inOffs) (i32.shl (local.get $t) (i32.const 2))))
        (local.set $a0 (i32.add (local.get $PB) (i32.load offset=0 (local.get $p))))
        (local.set $a1 (i32.add (local.get $PB) (i32.load offset=4 (local.get $p))))
        (local.set $a2 (i32.add (local.get $PB) (i32.load offset=8 (local.get $p))))
        (local.set $a3 (i32.add (local.get $PB) (i32.load offset=12 (local.get $p))))
        (local.set $vp (i32.add (local.get $V) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $Tp)) (local.get $t)) (i32.const 2))))
${v.dx ? stride2InputTransform(S2DX.BT) : v.s2 ? stride2InputTransform(S2.BT) : inputTransform()}
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (br $gl)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cl)))
  )`;
}

/** The convolution function of a variant: groups of samples, V, the GEMMs, Y = Aᵀ M A. */
function convFunction(v: Variant): string {
  return `  ;; y (+)= correlate(x, kernel) as winogradConv (same parameters; u from winograd4Weights), on 4x4
  ;; output tiles, for output channels [o0, o1) alone (o0 even; [0, Cout) for all): a task may take
  ;; the batch's samples and a share of the channels (the GEMMs' rows), each output the same sum.
  ;; scratch: winograd4ScratchBytes(C, Cout, oH, oW, group) bytes, 16-byte aligned.
  (func (export "winograd4${v.sfx}Conv")
    (param $x i32) (param $n0 i32) (param $n1 i32) (param $C i32) (param $H i32) (param $W i32)
    (param $pH i32) (param $pW i32) (param $oH i32) (param $oW i32)
    (param $u i32) (param $Cout i32) (param $bias i32) (param $y i32) (param $accumulate i32)
    (param $group i32) (param $ep i32) (param $act i32) (param $o0 i32) (param $o1 i32) (param $scratch i32) (param $gemmScratch i32)
${LAYOUT_LOCALS}
    (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32) (local $yo i32) (local $p i32) (local $e i32) (local $v f32)
    (local $l0 v128) (local $l1 v128) (local $l2 v128) (local $l3 v128) (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128) (local $d4 v128) (local $d5 v128) (local $bv v128)${v.s2 ? S2_LOCALS : ''}
    (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128)
${layout(v)}
${groupHead(v)}
      ;; M[ξ] = U[ξ] · V[ξ]: [Cout x C] · [C x T] for each of the ${v.elements} transform elements (U[ξ] prepacked${v.s2 ? '; U has 36 planes, see winograd4s2Weights' : ''}),
      ;; rows [o0, o1) alone (o0 even: U's row pairs from row o0 start o0·C floats into a plane).
      (local.set $xi (i32.const 0))
      (block $xd (loop $xl
        (br_if $xd (i32.ge_s (local.get $xi) (i32.const ${v.elements})))
        (call $gemm (i32.const 2) (i32.const 0) (i32.sub (local.get $o1) (local.get $o0)) (local.get $T) (local.get $C)
          (i32.add (i32.add (local.get $u) (i32.shl (i32.mul ${v.s2 ? S2_U_PLANE : '(local.get $xi)'} (call $winograd4PlaneFloats (local.get $Cout) (local.get $C))) (i32.const 2)))
            (i32.shl (i32.mul (local.get $o0) (local.get $C)) (i32.const 2))) (local.get $C)
          (i32.add (local.get $V) (i32.mul (local.get $xi) (local.get $xs))) (local.get $Tp)
          (i32.add (i32.add (local.get $M) (i32.mul (local.get $xi) (local.get $ms))) (i32.shl (i32.mul (local.get $o0) (local.get $Tp)) (i32.const 2))) (local.get $Tp)
          (i32.const 0) (local.get $gemmScratch))
        (local.set $xi (i32.add (local.get $xi) (i32.const 1)))
        (br $xl)))
      ;; Output transform, output channel by output channel, four tiles per step.
      (local.set $o (local.get $o0))
      (block $od (loop $ol
        (br_if $od (i32.ge_s (local.get $o) (local.get $o1)))
        (local.set $bv (v128.const i32x4 0 0 0 0))
        (if (local.get $bias) (then
          (local.set $bv (v128.load32_splat (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))))
        (local.set $yo (i32.add (local.get $y) (i32.add (i32.mul (local.get $s0) (local.get $outSample)) (i32.mul (local.get $o) (local.get $outPlane)))))
        (local.set $t (i32.const 0))
        (block $yd (loop $yl
          (br_if $yd (i32.ge_s (local.get $t) (local.get $T)))
          (local.set $p (i32.add (local.get $M) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $Tp)) (local.get $t)) (i32.const 2))))
${v.dx ? stride2OutputTransform(S2DX.AT) : v.s2 ? stride2OutputTransform(S2.AT) : outputTransform()}
${wholeBlocks(v)}
              ;; four whole ${v.dx ? '8x8 blocks: each row two' : '4x4 blocks: each row one'} vector store${v.dx ? 's' : ''} per tile
${BLOCK_STARTS}
${v.dx ? wholeTileStores8() : wholeTileStores()}
            )
            (else
              ;; partial blocks (sizes not a multiple of 4) or the group's spare lanes: element by element
${partialBlocks([
  '(local.set $p (i32.add (local.get $e) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $oW)) (local.get $cc)) (i32.const 2))))',
  `(local.set $v (f32.load offset=${v.dx ? 1152 : 576} (i32.add (local.get $tmp)`,
  `  (i32.add (i32.shl (i32.add (i32.shl (local.get $r) (i32.const ${blockShift(v)})) (local.get $cc)) (i32.const 4)) (i32.shl (local.get $k) (i32.const 2))))))`,
  '(f32.store (local.get $p) (select (f32.add (local.get $v) (f32.load (local.get $p))) (local.get $v) (local.get $accumulate)))',
])}
          (local.set $t (i32.add (local.get $t) (i32.const 4)))
          (br $yl)))
        (if (local.get $ep) (then (call $epiloguePlanes (local.get $yo) (local.get $outSample) (local.get $S)
          (i32.mul (local.get $oH) (local.get $oW)) (i32.add (local.get $ep) (i32.shl (local.get $o) (i32.const 4))) (local.get $act))))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $ol)))
      (local.set $s0 (i32.add (local.get $s0) (local.get $S)))
      (br $nl)))
  )`;
}

/** The weight-gradient function of a variant (winograd4WeightGrad's parameters). */
function weightGradFunction(v: Variant): string {
  return `  ;; Weight gradient on 4x4 output tiles, as winogradWeightGrad (same parameters; scratch:
  ;; winograd4ScratchBytes, D in M's place): dU[ξ] (+)= D[ξ] · V[ξ]ᵀ, 36 GEMMs [Cout x tiles] ·
  ;; [tiles x C] into dU (this task's partial sum, overwritten by the first group), with D = A dY Aᵀ
  ;; per tile and output channel; db[o] = Σ dy[o] (db = 0: none), overwritten.
  ;; dU is [36][Cout·C + 16]: each element's [Cout][C] plane 64 bytes past a multiple of Cout·C floats,
  ;; so that the finish's 36 loads per step (one per plane) fall in different cache sets where
  ;; Cout·C·4 bytes is a multiple of 4 KiB (for 512² the planes would be 1 MiB apart: all in one set).
  ;; winograd4WeightGradFinish turns Σ dU into dW = Gᵀ dU G. Output channels [o0, o1) alone (o0 even;
  ;; [0, Cout) for all): dU's and db's rows outside it are left as they are, so tasks over every
  ;; sample may share one dU, each its rows.
  (func (export "winograd4${v.sfx}WeightGrad")
    (param $x i32) (param $n0 i32) (param $n1 i32) (param $C i32) (param $H i32) (param $W i32)
    (param $pH i32) (param $pW i32) (param $oH i32) (param $oW i32)
    (param $dy i32) (param $Cout i32) (param $dU i32) (param $db i32)
    (param $group i32) (param $o0 i32) (param $o1 i32) (param $scratch i32) (param $gemmScratch i32)
${LAYOUT_LOCALS}
    (local $s i32) (local $us i32)
    (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32) (local $yo i32) (local $p i32) (local $e i32) (local $dp i32)
    (local $l0 v128) (local $l1 v128) (local $l2 v128) (local $l3 v128) (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128)
    (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128)
${layout(v)}
    (local.set $us (i32.shl (i32.add (i32.mul (local.get $Cout) (local.get $C)) (i32.const 16)) (i32.const 2)))
    (if (local.get $db) (then (memory.fill (i32.add (local.get $db) (i32.shl (local.get $o0) (i32.const 2))) (i32.const 0)
      (i32.shl (i32.sub (local.get $o1) (local.get $o0)) (i32.const 2)))))
    (if (i32.ge_s (local.get $n0) (local.get $n1)) (then
      (memory.fill (local.get $dU) (i32.const 0) (i32.mul (i32.const 36) (local.get $us)))))
${groupHead(v)}
      ;; D[ξ][o][t] = (A dY Aᵀ)[ξ], output channel by output channel, four tiles per step.
      (local.set $o (local.get $o0))
      (block $od (loop $ol
        (br_if $od (i32.ge_s (local.get $o) (local.get $o1)))
        (local.set $yo (i32.add (local.get $dy) (i32.add (i32.mul (local.get $s0) (local.get $outSample)) (i32.mul (local.get $o) (local.get $outPlane)))))
        (if (local.get $db) (then
          (local.set $p (i32.add (local.get $db) (i32.shl (local.get $o) (i32.const 2))))
          (local.set $s (i32.const 0))
          (block $bd (loop $bl
            (br_if $bd (i32.ge_s (local.get $s) (local.get $S)))
            (f32.store (local.get $p) (f32.add (f32.load (local.get $p))
              (call $sum (i32.add (local.get $yo) (i32.mul (local.get $s) (local.get $outSample))) (i32.mul (local.get $oH) (local.get $oW)))))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $bl)))))
        (local.set $t (i32.const 0))
        (block $yd (loop $yl
          (br_if $yd (i32.ge_s (local.get $t) (local.get $T)))
${wholeBlocks(v)}
              ;; four whole 4x4 blocks: each row one vector load per tile
${BLOCK_STARTS}
${wholeGradientLoads()}
            )
            (else
              ;; partial blocks or the group's spare lanes: zeros where the block has no value
              (memory.fill (local.get $tmp) (i32.const 0) (i32.const 256))
${partialBlocks([
  '(f32.store (i32.add (local.get $tmp)',
  '    (i32.add (i32.shl (i32.add (i32.shl (local.get $r) (i32.const 2)) (local.get $cc)) (i32.const 4)) (i32.shl (local.get $k) (i32.const 2))))',
  '  (f32.load (i32.add (local.get $e) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $oW)) (local.get $cc)) (i32.const 2)))))',
])}
          (local.set $dp (i32.add (local.get $M) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $Tp)) (local.get $t)) (i32.const 2))))
${v.s2 ? gradientTransformS2() : gradientTransform()}
          (local.set $t (i32.add (local.get $t) (i32.const 4)))
          (br $yl)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $ol)))
      ;; dU[ξ] (+)= D[ξ] · V[ξ]ᵀ: [Cout x T] · [T x C] for each of the ${v.elements} transform elements${v.s2 ? ' (into plane 6·min(ξ1, 5) + min(ξ2, 5): S2\'s G has rows 5–8 alike, so the finish takes Σ of their planes; the first element of a plane overwrites it in the first group)' : ''}.
      (local.set $xi (i32.const 0))
      (block $xd (loop $xl
        (br_if $xd (i32.ge_s (local.get $xi) (i32.const ${v.elements})))
        (call $gemm (i32.const 0) (i32.const 1) (i32.sub (local.get $o1) (local.get $o0)) (local.get $C) (local.get $T)
          (i32.add (i32.add (local.get $M) (i32.mul (local.get $xi) (local.get $ms))) (i32.shl (i32.mul (local.get $o0) (local.get $Tp)) (i32.const 2))) (local.get $Tp)
          (i32.add (local.get $V) (i32.mul (local.get $xi) (local.get $xs))) (local.get $Tp)
          (i32.add (i32.add (local.get $dU) (i32.mul ${v.s2 ? S2_U_PLANE : '(local.get $xi)'} (local.get $us))) (i32.shl (i32.mul (local.get $o0) (local.get $C)) (i32.const 2))) (local.get $C)
          ${v.s2 ? S2_ACCUMULATE : '(i32.ne (local.get $s0) (local.get $n0))'} (local.get $gemmScratch))
        (local.set $xi (i32.add (local.get $xi) (i32.const 1)))
        (br $xl)))
      (local.set $s0 (i32.add (local.get $s0) (local.get $S)))
      (br $nl)))
  )`;
}

/** A weight-gradient finish (dW += Gᵀ dU G over 36 planes) for a 6×3 G. */
function finishFunction(name: string, G: readonly (readonly number[])[]): string {
  return `  ;; dW[o] += Gᵀ (Σ_k dU_k) G for output channels [o0, o1), as winogradWeightGradFinish on
  ;; winograd4WeightGrad's partial sums ([36][Cout·C + 16] each, $stride bytes apart, k < parts):
  ;; the parts added in task order (0 + dU_0 + dU_1 + …), four input channels per step (one per lane).
  (func (export "${name}")
    (param $dU i32) (param $parts i32) (param $stride i32) (param $Cout i32) (param $C i32) (param $o0 i32) (param $o1 i32) (param $dW i32)
    (local $o i32) (local $c i32) (local $k i32) (local $src i32) (local $xs i32) (local $g i32) (local $n i32)
    ${range(36).map((i) => `(local $u${i} v128)`).join(' ')}
    ${range(18).map((i) => `(local $t${i} v128)`).join(' ')}
    ${range(9).map((i) => `(local $r${i} v128)`).join(' ')}
    (local.set $xs (i32.shl (i32.add (i32.mul (local.get $Cout) (local.get $C)) (i32.const 16)) (i32.const 2)))
    (local.set $o (local.get $o0))
    (block $od (loop $ol
      (br_if $od (i32.ge_s (local.get $o) (local.get $o1)))
      (local.set $c (i32.const 0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_s (local.get $c) (local.get $C)))
        (local.set $n (i32.sub (local.get $C) (local.get $c)))
        (if (i32.gt_s (local.get $n) (i32.const 4)) (then (local.set $n (i32.const 4))))
        (local.set $src (i32.add (local.get $dU) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $C)) (local.get $c)) (i32.const 2))))
${range(36).map((i) => `        (local.set $u${i} (v128.const i32x4 0 0 0 0))`).join('\n')}
        (local.set $k (i32.const 0))
        (block $kd (loop $kl
          (br_if $kd (i32.ge_s (local.get $k) (local.get $parts)))
          (if (i32.eq (local.get $n) (i32.const 4))
            (then
${range(36).map((i) => `              (local.set $u${i} (f32x4.add (local.get $u${i}) (v128.load (i32.add (local.get $src) (i32.mul (local.get $xs) (i32.const ${i}))))))`).join('\n')}
            )
            (else
${range(36).map((i) => `              (local.set $u${i} (f32x4.add (local.get $u${i}) (call $loadPart (i32.add (local.get $src) (i32.mul (local.get $xs) (i32.const ${i}))) (local.get $n))))`).join('\n')}
            ))
          (local.set $src (i32.add (local.get $src) (local.get $stride)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $kl)))
        (local.set $g (i32.add (local.get $dW) (i32.mul (i32.add (i32.mul (local.get $o) (local.get $C)) (local.get $c)) (i32.const 36))))
${weightGradFinish(G)}
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $cl)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $ol)))
  )`;
}

const section = `  ;; ---- BEGIN F(4x4,3x3): GENERATED by winograd4-gen.ts (next to this file) — do not edit by hand.
  ;; Winograd F(4x4, 3x3): each 4x4 output tile from a 6x6 input tile (tiles 4 apart), 36 multiplies
  ;; per (input, output) channel pair for 16 outputs instead of 144: 4x fewer (F(2x2) above: 2.25x).
  ;;   U = G g Gᵀ   [36][Cout·C + 16] (flip = 1: rotated, [C][Cout] planes)    V = Bᵀ d B   [36][C·tiles + 16]
  ;;   M[ξ] = U[ξ] · V[ξ] (36 GEMMs)                                      Y = Aᵀ M A (+ bias)
${F43.BT.map((r, i) => `  ;;   Bᵀ[${i}] = [${r.join(' ')}]`).join('\n')}
${F43.G.map((r, i) => `  ;;   G[${i}] = [${r.map((c) => (c === 0 ? '0' : Number.isInteger(1 / c) ? `${c < 0 ? '-' : ''}1/${Math.abs(1 / c)}` : String(c))).join(' ')}]`).join('\n')}
${F43.AT.map((r, i) => `  ;;   Aᵀ[${i}] = [${r.join(' ')}]`).join('\n')}
  ;; NOTE (error): the transforms' entries reach 5 (Bᵀ) and 8 (Aᵀ) and G's 1/6 and 1/12 round, so
  ;; F(4x4)'s float32 error is several times F(2x2)'s for the same inputs (docs/cpu-backend.md,
  ;; "Winograd F(4×4, 3×3)"); overrides/conv2d.ts uses it only where that was measured to hold.
  ;; Layout and flow as winogradConv's; the padded planes are 4·tiles + 2 rows and 4·tiles + 4
  ;; columns, so a tile's columns 4–7 load as one vector (6 and 7 unused).

  ;; U = G g Gᵀ for output channels [o0, o1) of w ([Cout][C][3][3]) (flip = 1: the kernels rotated
  ;; 180° and U transposed, [C][Cout], for dx; [o0, o1) then its columns). Each U[ξ] is laid out as
  ;; \`gemm\`'s prepacked A (transA 2), which winograd4Conv's GEMMs read in place: pairs of rows
  ;; interleaved, [R/2][Q][2] for R rows (rounded up to even; a last odd row's partner zero) and Q
  ;; columns; planes (Cout + Cout mod 2)·(C + C mod 2) + 16 floats apart (winograd4PlaneFloats; + 16:
  ;; see winograd4WeightGrad's dU). Two rows and four columns (lanes) per step, 72 vector stores; the
  ;; caller splits [o0, o1) at even boundaries (rows for flip 0 are taken in pairs from o0).
${weightsFunction('winograd4Weights', F43.G)}

  ;; The stride-2 form's U (winograd4s2Conv): as winograd4Weights (flip 0 only) with S2's G, whose rows
  ;; 5–8 are one: 6×6 distinct elements, U[ξ1][ξ2] in plane 6·min(ξ1, 5) + min(ξ2, 5).
${weightsFunction('winograd4s2Weights', S2_G6)}

  ;; Floats from one of winograd4Weights' U[ξ] planes to the next, for a Cout × C layer (symmetric: the
  ;; same for its rotated, transposed kernel).
  (func $winograd4PlaneFloats (export "winograd4PlaneFloats") (param $Cout i32) (param $C i32) (result i32)
    (i32.add (i32.mul (i32.and (i32.add (local.get $Cout) (i32.const 1)) (i32.const -2)) (i32.and (i32.add (local.get $C) (i32.const 1)) (i32.const -2)))
      (i32.const 16))
  )

${scratchFunction(F4)}
${scratchFunction(S2V)}
  ;; Tile tables for T tiles (padded to Tp): tile t = (sample s, row ty, column tx). inOffs: its 6x6
  ;; window in the padded planes (inShift 1, stride 2: its 9x9 window, from 2·ty, 2·tx; outShift 1: the
  ;; stride-2 dx's 5x5 window of dy and its 8x8 block of dx, from 2·ty, 2·tx); outOffs: its 4x4 output block (from the chunk's first sample);
  ;; outLims: 16·rows + columns of the block inside the output (68: whole; 136 for 8x8). Entries past T read
  ;; plane 0 and are never stored (limit 0).
  (func $tileTables4 (param $T i32) (param $Tp i32) (param $P i32) (param $tW i32) (param $oH i32) (param $oW i32)
    (param $planeBytes i32) (param $Wq i32) (param $outSample i32) (param $inOffs i32) (param $outOffs i32) (param $outLims i32) (param $inShift i32) (param $outShift i32)
    (local $t i32) (local $s i32) (local $q i32) (local $ty i32) (local $tx i32) (local $rows i32) (local $cols i32) (local $at i32)
    (block $td (loop $tl
      (br_if $td (i32.ge_s (local.get $t) (local.get $Tp)))
      (local.set $at (i32.shl (local.get $t) (i32.const 2)))
      (if (i32.lt_s (local.get $t) (local.get $T))
        (then
          (local.set $s (i32.div_u (local.get $t) (local.get $P)))
          (local.set $q (i32.sub (local.get $t) (i32.mul (local.get $s) (local.get $P))))
          (local.set $ty (i32.shl (i32.div_u (local.get $q) (local.get $tW)) (i32.const 2)))
          (local.set $tx (i32.sub (i32.shl (local.get $q) (i32.const 2)) (i32.mul (local.get $ty) (local.get $tW))))
          (i32.store (i32.add (local.get $inOffs) (local.get $at))
            (i32.add (i32.mul (local.get $s) (local.get $planeBytes))
              (i32.shl (i32.add (i32.mul (local.get $ty) (local.get $Wq)) (local.get $tx)) (i32.add (i32.const 2) (local.get $inShift)))))
          (i32.store (i32.add (local.get $outOffs) (local.get $at))
            (i32.add (i32.mul (local.get $s) (local.get $outSample))
              (i32.shl (i32.add (i32.mul (local.get $ty) (local.get $oW)) (local.get $tx)) (i32.add (i32.const 2) (local.get $outShift)))))
          (local.set $rows (i32.sub (local.get $oH) (i32.shl (local.get $ty) (local.get $outShift))))
          (if (i32.gt_s (local.get $rows) (i32.shl (i32.const 4) (local.get $outShift))) (then (local.set $rows (i32.shl (i32.const 4) (local.get $outShift)))))
          (local.set $cols (i32.sub (local.get $oW) (i32.shl (local.get $tx) (local.get $outShift))))
          (if (i32.gt_s (local.get $cols) (i32.shl (i32.const 4) (local.get $outShift))) (then (local.set $cols (i32.shl (i32.const 4) (local.get $outShift)))))
          (i32.store (i32.add (local.get $outLims) (local.get $at)) (i32.add (i32.shl (local.get $rows) (i32.const 4)) (local.get $cols))))
        (else
          (i32.store (i32.add (local.get $inOffs) (local.get $at)) (i32.const 0))
          (i32.store (i32.add (local.get $outOffs) (local.get $at)) (i32.const 0))
          (i32.store (i32.add (local.get $outLims) (local.get $at)) (i32.const 0))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tl)))
  )

${inputTransformFunction(F4)}
${inputTransformFunction(S2V)}
${convFunction(F4)}
${convFunction(S2V)}
${scratchFunction(S2DXV)}
${inputTransformFunction(S2DXV)}
  ;; The stride-2 form's input gradient (padding 1): dx (+)= the transposed stride-2 correlation of dy
  ;; with the kernel whose transform winograd4s2Weights (flip 1) wrote; parameters as winograd4Conv's
  ;; with x = dy, C = its channels, pH = pW = 0, oH × oW = dx's size (S2DX in winograd4-gen.ts).
${convFunction(S2DXV)}
${weightGradFunction(F4)}
${finishFunction('winograd4WeightGradFinish', F43.G)}
${weightGradFunction(S2V)}
  ;; The stride-2 form's finish: as winograd4WeightGradFinish with S2's distinct G rows (its dU folded to 36 planes).
${finishFunction('winograd4s2WeightGradFinish', S2_G6)}
  ;; ---- END F(4x4,3x3)
`;

/** The generated section's text (a unit test compares winograd.wat's with it). */
export function winograd4Section(): string {
  return section;
}

export const WINOGRAD_WAT_PATH = join(dirname(fileURLToPath(import.meta.url)), 'winograd.wat');

/** winograd.wat's text with its F(4×4, 3×3) section replaced by (or, if it has none, ended with) the generated one. */
export function withSection(wat: string): string {
  const begin = wat.indexOf('  ;; ---- BEGIN F(4x4,3x3)');
  const endMark = '  ;; ---- END F(4x4,3x3)\n';
  if (begin < 0) {
    const close = wat.lastIndexOf(')');
    return `${wat.slice(0, close)}\n${section})\n`;
  }
  const end = wat.indexOf(endMark) + endMark.length;
  return wat.slice(0, begin) + section + wat.slice(end);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(WINOGRAD_WAT_PATH, withSection(readFileSync(WINOGRAD_WAT_PATH, 'utf8')));
  console.log(`wrote the F(4x4,3x3) section of ${WINOGRAD_WAT_PATH}`);
}
