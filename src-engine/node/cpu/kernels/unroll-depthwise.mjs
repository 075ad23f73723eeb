/* global process, console */
// Writes depthwise.wat's row-block kernels (WAT) to stdout, for pasting into depthwise.wat when they
// change: `node unroll-depthwise.mjs`. depthwise.wat itself is the source the build compiles; this
// only saves typing the unrolled bodies.
//
// $pixels{B}k{kW}s{s}: B output pixels of one row (each an f32x4 of four interleaved channels) of a
// kW-wide filter at stride s along the row, dilation 1. Per tap row it loads the row's kW weight
// vectors, then each input pixel the block reads once ((B − 1)·s + kW of them, left to right), adding
// its product with each weight that reaches an output: output j takes input column s·j + kx for
// kx = 0…kW − 1, so its taps still arrive in row-major order (the sum depthwise.wat's header states).
// NOTE: each update is written `(f32x4.add (f32x4.mul x w) a)` — the product first — so that the
// relaxed build's FMA rewrite (scripts/build-kernels.mjs: `acc + x*y` with acc first) leaves it alone:
// the forward's bits must not depend on relaxed SIMD. IEEE addition commutes exactly.
export function rowKernel(B, kW, s) {
  const L = [];
  L.push(`  (func $pixels${B}k${kW}s${s} (type $pixels) (param $d i32) (param $s i32) (param $t i32) (param $end i32) (param $rowStep i32) (param $step i32) (param $bias v128) (param $hasBias i32)`);
  const locals = [];
  for (let j = 0; j < B; j++) locals.push(`(local $a${j} v128)`);
  for (let k = 0; k < kW; k++) locals.push(`(local $w${k} v128)`);
  L.push(`    ${locals.join(' ')} (local $x v128)`);
  L.push('    (loop $yl');
  for (let k = 0; k < kW; k++) L.push(`      (local.set $w${k} (v128.load${k ? ` offset=${k * 32}` : ''} (local.get $t)))`);
  for (let c = 0; c < (B - 1) * s + kW; c++) {
    L.push(`      (local.set $x (v128.load${c ? ` offset=${c * 16}` : ''} (local.get $s)))`);
    for (let k = 0; k < kW; k++) {
      const j = (c - k) / s;
      if (Number.isInteger(j) && j >= 0 && j < B) L.push(`      (local.set $a${j} (f32x4.add (f32x4.mul (local.get $x) (local.get $w${k})) (local.get $a${j})))`);
    }
  }
  L.push(`      (local.set $t (i32.add (local.get $t) (i32.const ${kW * 32})))`);
  L.push('      (local.set $s (i32.add (local.get $s) (local.get $rowStep)))');
  L.push('      (br_if $yl (i32.lt_u (local.get $t) (local.get $end))))');
  L.push('    (if (local.get $hasBias) (then');
  for (let j = 0; j < B; j++) L.push(`      (local.set $a${j} (f32x4.add (local.get $a${j}) (local.get $bias)))`);
  L.push('    ))');
  for (let j = 0; j < B; j++) L.push(`    (v128.store${j ? ` offset=${j * 16}` : ''} (local.get $d) (local.get $a${j}))`);
  L.push('  )');
  return L.join('\n');
}

/** The kernels depthwise.wat's table holds, in its order: B 7 then 8; kW 3 then 5; stride 1 then 2. */
export const ROW_KERNELS = [7, 8].flatMap((B) => [3, 5].flatMap((kW) => [1, 2].map((s) => [B, kW, s])));

if (process.argv[1]?.endsWith('unroll-depthwise.mjs')) console.log(ROW_KERNELS.map(([B, kW, s]) => rowKernel(B, kW, s)).join('\n\n'));
