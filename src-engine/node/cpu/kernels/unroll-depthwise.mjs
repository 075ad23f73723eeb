/* global process, console */
// Writes depthwise.wat's row-block kernels (WAT) to stdout, for pasting into depthwise.wat when they
// change: `node unroll-depthwise.mjs`. depthwise.wat itself is the source the build compiles; this
// only saves typing the unrolled bodies.
//
// $pixels{B}k{kW}s{s}: `rows` output rows of `nb` blocks of B pixels (each an f32x4 of four interleaved
// channels) of a kW-wide filter at stride s along the row, dilation 1. Per tap row it loads the row's kW weight
// vectors, then each input pixel the block reads once ((B − 1)·s + kW of them, left to right), adding
// its product with each weight that reaches an output: output j takes input column s·j + kx for
// kx = 0…kW − 1, so its taps still arrive in row-major order (the sum depthwise.wat's header states).
// NOTE: each update is written `(f32x4.add (f32x4.mul x w) a)` — the product first — so that the
// relaxed build's FMA rewrite (scripts/build-kernels.mjs: `acc + x*y` with acc first) leaves it alone:
// the forward's bits must not depend on relaxed SIMD. IEEE addition commutes exactly.
/** The parameters of depthwise.wat's `$pixels` type, by name. */
const PARAMS = ['$d', '$s', '$t', '$end', '$rowStep', '$step'].map((p) => `(param ${p} i32)`).join(' ') + ' (param $bias v128) (param $hasBias i32) '
  + ['$nb', '$rows', '$dRow', '$sRow'].map((p) => `(param ${p} i32)`).join(' ');

export function rowKernel(B, kW, s) {
  const L = [];
  L.push(`  (func $pixels${B}k${kW}s${s} (type $pixels) ${PARAMS}`);
  const locals = [];
  for (let j = 0; j < B; j++) locals.push(`(local $a${j} v128)`);
  for (let k = 0; k < kW; k++) locals.push(`(local $w${k} v128)`);
  L.push(`    ${locals.join(' ')} (local $x v128)`);
  L.push('    (local $tp i32) (local $sp i32) (local $b i32) (local $dB i32) (local $sB i32)');
  L.push('    (loop $rl');
  L.push('      (local.set $dB (local.get $d)) (local.set $sB (local.get $s)) (local.set $b (local.get $nb))');
  L.push('      (loop $bl');
  for (let j = 0; j < B; j++) L.push(`        (local.set $a${j} (v128.const i32x4 0 0 0 0))`);
  L.push('        (local.set $tp (local.get $t)) (local.set $sp (local.get $sB))');
  L.push('        (loop $yl');
  for (let k = 0; k < kW; k++) L.push(`          (local.set $w${k} (v128.load${k ? ` offset=${k * 32}` : ''} (local.get $tp)))`);
  for (let c = 0; c < (B - 1) * s + kW; c++) {
    L.push(`          (local.set $x (v128.load${c ? ` offset=${c * 16}` : ''} (local.get $sp)))`);
    for (let k = 0; k < kW; k++) {
      const j = (c - k) / s;
      if (Number.isInteger(j) && j >= 0 && j < B) L.push(`          (local.set $a${j} (f32x4.add (f32x4.mul (local.get $x) (local.get $w${k})) (local.get $a${j})))`);
    }
  }
  L.push(`          (local.set $tp (i32.add (local.get $tp) (i32.const ${kW * 32})))`);
  L.push('          (local.set $sp (i32.add (local.get $sp) (local.get $rowStep)))');
  L.push('          (br_if $yl (i32.lt_u (local.get $tp) (local.get $end))))');
  L.push('        (if (local.get $hasBias) (then');
  for (let j = 0; j < B; j++) L.push(`          (local.set $a${j} (f32x4.add (local.get $a${j}) (local.get $bias)))`);
  L.push('        ))');
  for (let j = 0; j < B; j++) L.push(`        (v128.store${j ? ` offset=${j * 16}` : ''} (local.get $dB) (local.get $a${j}))`);
  L.push(`        (local.set $dB (i32.add (local.get $dB) (i32.const ${B * 16})))`);
  L.push(`        (local.set $sB (i32.add (local.get $sB) (i32.const ${B * s * 16})))`);
  L.push('        (local.set $b (i32.sub (local.get $b) (i32.const 1)))');
  L.push('        (br_if $bl (local.get $b)))');
  L.push('      (local.set $d (i32.add (local.get $d) (local.get $dRow)))');
  L.push('      (local.set $s (i32.add (local.get $s) (local.get $sRow)))');
  L.push('      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))');
  L.push('      (br_if $rl (local.get $rows)))');
  L.push('  )');
  return L.join('\n');
}

/** The kernels depthwise.wat's table holds, in its order: B 7 then 8; kW 3 then 5; stride 1 then 2. */
export const ROW_KERNELS = [7, 8].flatMap((B) => [3, 5].flatMap((kW) => [1, 2].map((s) => [B, kW, s])));

if (process.argv[1]?.endsWith('unroll-depthwise.mjs')) console.log(ROW_KERNELS.map(([B, kW, s]) => rowKernel(B, kW, s)).join('\n\n'));
