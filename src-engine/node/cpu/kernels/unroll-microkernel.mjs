/* global process, console */
// Writes the unrolled GEMM micro-kernel (WAT) for MR x NR (NR a multiple of 4) to stdout, for
// pasting into gemm.wat when the kernel shape changes: `node unroll-microkernel.mjs 2 16` (both variants).
// gemm.wat itself is the source the build compiles; this only saves typing the unrolled body.
// `rows`: the variant that reads A's MR rows in place ($microRows: row r at pa + r·as, one float
// further each depth step) instead of from a packed panel ($micro).
export function micro(MR, NR, name = '$micro', rows = false) {
  const nv = NR / 4;
  const L = [];
  const acc = (r, v) => `$c${r}_${v}`;
  if (rows) {
    L.push(`  ;; ${MR}x${NR} micro-kernel reading A in place: as $micro, A's row r at pa + r·as (as = lda in bytes),`);
    L.push('  ;; depth p at + 4p: the same products in the same order, so the same bits.');
  } else {
    L.push(`  ;; ${MR}x${NR} micro-kernel: C[MR x NR] (+)= Apanel[kc x MR]^T * Bpanel[kc x NR].`);
    L.push(`  ;; pa: packed A ([kc][${MR}]), pb: packed B ([kc][${NR}]), c: top-left of C, ldc in bytes; acc: the`);
    L.push(`  ;; products added to the tile at src (srcStride bytes a row: c and ldc, or a bias row and 0).`);
  }
  L.push(`  (func ${name} (param $pa i32)${rows ? ' (param $as i32)' : ''} (param $pb i32) (param $kc i32) (param $c i32) (param $ldc i32) (param $acc i32) (param $src i32) (param $srcStride i32)`);
  const locals = [];
  for (let r = 0; r < MR; r++) for (let v = 0; v < nv; v++) locals.push(`(local ${acc(r, v)} v128)`);
  for (let v = 0; v < nv; v++) locals.push(`(local $b${v} v128)`);
  locals.push('(local $a v128) (local $end i32) (local $row i32)');
  L.push('    ' + locals.join(' '));
  L.push(`    (local.set $end (i32.add (local.get $pa) (i32.mul (local.get $kc) (i32.const ${rows ? 4 : MR * 4}))))`);
  L.push('    (block $done (loop $k');
  L.push('      (br_if $done (i32.ge_u (local.get $pa) (local.get $end)))');
  for (let v = 0; v < nv; v++) L.push(`      (local.set $b${v} (v128.load offset=${v * 16} (local.get $pb)))`);
  for (let r = 0; r < MR; r++) {
    const at = !rows ? `offset=${r * 4} (local.get $pa)` : r === 0 ? '(local.get $pa)' : `(i32.add (local.get $pa) ${r === 1 ? '(local.get $as)' : `(i32.mul (local.get $as) (i32.const ${r}))`})`;
    L.push(`      (local.set $a (v128.load32_splat ${at}))`);
    for (let v = 0; v < nv; v++) L.push(`      (local.set ${acc(r, v)} (f32x4.add (local.get ${acc(r, v)}) (f32x4.mul (local.get $a) (local.get $b${v}))))`);
  }
  L.push(`      (local.set $pa (i32.add (local.get $pa) (i32.const ${rows ? 4 : MR * 4})))`);
  L.push(`      (local.set $pb (i32.add (local.get $pb) (i32.const ${NR * 4})))`);
  L.push('      (br $k)))');
  L.push('    (if (local.get $acc) (then');
  L.push('      (local.set $row (local.get $src))');
  for (let r = 0; r < MR; r++) {
    for (let v = 0; v < nv; v++) L.push(`      (local.set ${acc(r, v)} (f32x4.add (local.get ${acc(r, v)}) (v128.load offset=${v * 16} (local.get $row))))`);
    if (r < MR - 1) L.push('      (local.set $row (i32.add (local.get $row) (local.get $srcStride)))');
  }
  L.push('    ))');
  L.push('    (local.set $row (local.get $c))');
  for (let r = 0; r < MR; r++) {
    for (let v = 0; v < nv; v++) L.push(`    (v128.store offset=${v * 16} (local.get $row) (local.get ${acc(r, v)}))`);
    if (r < MR - 1) L.push('    (local.set $row (i32.add (local.get $row) (local.get $ldc)))');
  }
  L.push('  )');
  return L.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [mr = '2', nr = '16'] = process.argv.slice(2);
  console.log(micro(Number(mr), Number(nr)));
  console.log(micro(Number(mr), Number(nr), '$microRows', true));
}
