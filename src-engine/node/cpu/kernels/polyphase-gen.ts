// Writes polyphase.wat (next to this file): the weight gradient of a 7×7 stride-2 convolution on few
// input channels (a network's stem: resnet18's 3→64 on 224×224) as four phases of a 4×4 stride-1
// one, on Winograd F(4×4, 4×4) tiles. The input's rows and columns split by parity into 4·C phase
// planes; tap (u, v) of the 7×7 kernel reads phase (u mod 2, v mod 2) at offset (⌊u/2⌋, ⌊v/2⌋), so
// each phase is a 4×4 correlation (its kernel zero past tap 6). Its gradient per phase channel q is
// Gᵀ[Σ_tiles (A dY Aᵀ) ⊙ (Bᵀ d_q B)]G over the 4×4 tiles of dy and the 7×7 phase tiles d_q: 49
// products per tile and channel pair where direct takes 16·16 (im2col 16·49 per input channel, 4×
// more). The finish Gᵀ dU G runs in float64 on the JS side (overrides/polyphase.ts).
// Run: `npx tsx src-engine/node/cpu/kernels/polyphase-gen.ts && node scripts/build-kernels.mjs`, or `npm run gen` (every generator, in order).
// NOTE (same bits everywhere): constants are inline v128.const, so no sum takes the form
// build-kernels.mjs fuses into relaxed_madd (only the imported GEMM fuses), as winograd4-gen.ts.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { combination, get, indent, range, transpose4 } from './winograd4-gen';
import { F44 } from '../overrides/polyphase';
import { HEAP_IMPORT } from './heap-import';

// Throws unless Aᵀ[(G g) ⊙ (Bᵀ d)] is the correlation for every output, tap and input (unit vectors,
// exact in float64 but for G's thirds, ninths and fifteenths: 1e-12).
for (let i = 0; i < 4; i++)
  for (let k = 0; k < 4; k++)
    for (let l = 0; l < 7; l++) {
      let s = 0;
      for (let j = 0; j < 7; j++) s += F44.AT[i][j] * F44.G[j][k] * F44.BT[j][l];
      if (Math.abs(s - (l === i + k ? 1 : 0)) > 1e-12) throw new Error(`polyphase-gen: F44 is not F(4, 4) at output ${i}, tap ${k}, input ${l}`);
    }

/**
 * V = Bᵀ d B for four tiles side by side (lanes = tiles) of one phase plane: for each of d's 7 rows,
 * five vectors from $src (the row's 20 floats from the first tile's column), transposed into the
 * columns $d0…$d6, and d B along the row into $tmp; then Bᵀ down each column into V, element
 * ξ = 7α + β at $vp + ξ·$xs.
 */
function inputTransformBody(): string {
  const L: string[] = [];
  for (let s = 0; s < 7; s++) {
    L.push(`;; row ${s} of d`);
    L.push(`(local.set $p (i32.add (local.get $src) (i32.mul (local.get $ws) (i32.const ${s}))))`);
    for (let k = 0; k < 5; k++) L.push(`(local.set $l${k} (v128.load offset=${16 * k} (local.get $p)))`);
    L.push(...transpose4(['$l0', '$l1', '$l2', '$l3'], ['$d0', '$d1', '$d2', '$d3']));
    L.push(...transpose4(['$l1', '$l2', '$l3', '$l4'], ['$d4', '$d5', '$d6', '$d7']));
    for (let b = 0; b < 7; b++) L.push(`(v128.store offset=${(s * 7 + b) * 16} (local.get $tmp) ${combination('f32x4', F44.BT[b], range(7).map((t) => get(`$d${t}`)))})`);
  }
  L.push(';; Bᵀ down each column');
  for (let b = 0; b < 7; b++) {
    for (let s = 0; s < 7; s++) L.push(`(local.set $d${s} (v128.load offset=${(s * 7 + b) * 16} (local.get $tmp)))`);
    for (let a = 0; a < 7; a++) {
      L.push(`(v128.store (i32.add (local.get $vp) (i32.mul (local.get $xs) (i32.const ${a * 7 + b}))) ${combination('f32x4', F44.BT[a], range(7).map((s) => get(`$d${s}`)))})`);
    }
  }
  return indent(L, 10);
}

/** A = (Aᵀ)ᵀ, 7×4: the weight gradient's dg = Gᵀ[(A dy) ⊙ (Bᵀ d)] per dimension. */
const A: number[][] = range(7).map((j) => range(4).map((i) => F44.AT[i][j]));

/**
 * Ỹ = A dY Aᵀ for four tiles side by side (lanes = tiles) of dy's channel o: each of dY's 4 rows as
 * four vectors from $yrow (the tiles' 16 adjacent values), transposed (lanes = tiles), A along the
 * row into $tmp; then A down each column into Ỹ, element ξ at $mp + ξ·$ms ([o][ξ][t]: the GEMMs' B
 * reads each ξ's rows 49·T floats apart).
 */
function gradientTransformBody(): string {
  const L: string[] = [];
  for (let r = 0; r < 4; r++) {
    L.push(`(local.set $p (i32.add (local.get $yrow) (i32.mul (local.get $os) (i32.const ${r}))))`);
    for (let k = 0; k < 4; k++) L.push(`(local.set $l${k} (v128.load offset=${16 * k} (local.get $p)))`);
    L.push(...transpose4(['$l0', '$l1', '$l2', '$l3'], ['$d0', '$d1', '$d2', '$d3']));
    for (let b = 0; b < 7; b++) L.push(`(v128.store offset=${(r * 7 + b) * 16} (local.get $tmp) ${combination('f32x4', A[b], range(4).map((c) => get(`$d${c}`)))})`);
  }
  for (let b = 0; b < 7; b++) {
    for (let r = 0; r < 4; r++) L.push(`(local.set $d${r} (v128.load offset=${(r * 7 + b) * 16} (local.get $tmp)))`);
    for (let a = 0; a < 7; a++) {
      L.push(`(v128.store (i32.add (local.get $mp) (i32.mul (local.get $ms) (i32.const ${a * 7 + b}))) ${combination('f32x4', A[a], range(4).map((r) => get(`$d${r}`)))})`);
    }
  }
  return indent(L, 10);
}

/**
 * The loops of both per-tile passes: channel $c of \`count\` (phase channel q or output channel o),
 * tile row a of the block, four tiles from column g at a time; \`body\` for each.
 */
function tileLoops(c: string, count: string, body: string): string {
  return `    (block $${c}d (loop $${c}l
      (br_if $${c}d (i32.ge_s (local.get $${c}) (local.get ${count})))
      (local.set $a (i32.const 0))
      (block $ad (loop $al
        (br_if $ad (i32.ge_s (local.get $a) (local.get $rows)))
        (local.set $g (i32.const 0))
        (block $gd (loop $gl
          (br_if $gd (i32.ge_s (local.get $g) (local.get $tW)))
${body}          (local.set $g (i32.add (local.get $g) (i32.const 4)))
          (br $gl)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $al)))
      (local.set $${c} (i32.add (local.get $${c}) (i32.const 1)))
      (br $${c}l)))
`;
}

const VECTORS = (names: string[]): string => names.map((n) => `(local $${n} v128)`).join(' ');

const wat = `;; GENERATED by polyphase-gen.ts (next to this file): run it (npx tsx), then
;; node scripts/build-kernels.mjs. Do not edit by hand.
;;
;; The weight gradient of a 7×7 stride-2 convolution (groups = 1, dilation 1) on few input channels,
;; as four phases of a 4×4 stride-1 one on Winograd F(4×4, 4×4) tiles (docs/cpu-backend.md, "The 7×7
;; stride-2 stem"):
;;   P[q] = the zero-padded input's rows and columns of parity (py, px), q = 4c + 2py + px (4·C planes)
;;   V[ξ][q][t] = (Bᵀ d B)[ξ] for each 7×7 tile d of P[q]       (49 planes, t the block's tiles)
;;   Ỹ[o][ξ][t] = (A dY Aᵀ)[ξ] for each 4×4 tile dY of dy[o]    (each channel's 49 rows together)
;;   dU[ξ] += V[ξ] · Ỹ[ξ]ᵀ   [4C × T] · [T × Cout]              (49 GEMMs, the imported \`gemm\`)
;; then dW = Gᵀ dU G per phase on the JS side. dy must be whole groups of four 4×4 tiles: oH a
;; multiple of 4, oW of 16.
(module
  ${HEAP_IMPORT}
  (import "gemm" "gemmNoBias" (func $gemm (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))

  ;; One sample's 4·C phase planes (Hp rows × Wp columns each) at $P from its C planes at $x:
  ;; P[4c + 2py + px][i][j] = x[c][2i + py − pH][2j + px − pW], 0 outside x.
  (func $phases (param $x i32) (param $C i32) (param $H i32) (param $W i32) (param $pH i32) (param $pW i32)
    (param $Hp i32) (param $Wp i32) (param $P i32)
    (local $q i32) (local $i i32) (local $j i32) (local $row i32) (local $px i32) (local $dst i32) (local $src i32)
    (local $jlo i32) (local $jend i32) (local $a v128) (local $b v128)
    (local.set $dst (local.get $P))
    (block $qd (loop $ql
      (br_if $qd (i32.ge_s (local.get $q) (i32.shl (local.get $C) (i32.const 2))))
      (local.set $px (i32.and (local.get $q) (i32.const 1)))
      ;; columns j with 0 ≤ 2j + px − pW < W: [jlo, jend)
      (local.set $jlo (i32.sub (local.get $pW) (local.get $px)))
      (local.set $jlo (i32.shr_s (i32.add (select (local.get $jlo) (i32.const 0) (i32.gt_s (local.get $jlo) (i32.const 0))) (i32.const 1)) (i32.const 1)))
      (if (i32.gt_s (local.get $jlo) (local.get $Wp)) (then (local.set $jlo (local.get $Wp))))
      (local.set $jend (i32.add (i32.shr_s (i32.sub (i32.add (local.get $W) (local.get $pW)) (i32.add (local.get $px) (i32.const 1))) (i32.const 1)) (i32.const 1)))
      (if (i32.gt_s (local.get $jend) (local.get $Wp)) (then (local.set $jend (local.get $Wp))))
      (if (i32.lt_s (local.get $jend) (local.get $jlo)) (then (local.set $jend (local.get $jlo))))
      (local.set $i (i32.const 0))
      (block $id (loop $il
        (br_if $id (i32.ge_s (local.get $i) (local.get $Hp)))
        (local.set $row (i32.sub (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.and (i32.shr_u (local.get $q) (i32.const 1)) (i32.const 1))) (local.get $pH)))
        (if (i32.or (i32.lt_s (local.get $row) (i32.const 0)) (i32.ge_s (local.get $row) (local.get $H)))
          (then (memory.fill (local.get $dst) (i32.const 0) (i32.shl (local.get $Wp) (i32.const 2))))
          (else
            (memory.fill (local.get $dst) (i32.const 0) (i32.shl (local.get $jlo) (i32.const 2)))
            (memory.fill (i32.add (local.get $dst) (i32.shl (local.get $jend) (i32.const 2))) (i32.const 0)
              (i32.shl (i32.sub (local.get $Wp) (local.get $jend)) (i32.const 2)))
            ;; x's row, element 2j + px − pW for j = 0 (negative j are never read)
            (local.set $src (i32.add (local.get $x) (i32.shl (i32.add
              (i32.mul (i32.add (i32.mul (i32.shr_u (local.get $q) (i32.const 2)) (local.get $H)) (local.get $row)) (local.get $W))
              (i32.sub (local.get $px) (local.get $pW))) (i32.const 2))))
            (local.set $j (local.get $jlo))
            ;; four at a time from eight of x's row (inside it: j + 4 < jend), then one at a time
            (block $vd (loop $vl
              (br_if $vd (i32.ge_s (i32.add (local.get $j) (i32.const 4)) (local.get $jend)))
              (local.set $a (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 3)))))
              (local.set $b (v128.load offset=16 (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 3)))))
              (v128.store (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2)))
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
              (local.set $j (i32.add (local.get $j) (i32.const 4)))
              (br $vl)))
            (block $sd (loop $sl
              (br_if $sd (i32.ge_s (local.get $j) (local.get $jend)))
              (f32.store (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2)))
                (f32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 3)))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $sl)))))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $Wp) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $ql)))
  )

  ;; V[ξ][q][t] for the block's tiles (tile rows [a0, a0 + rows) of tW tiles, t = a·tW + column):
  ;; plane q, tile row a, four tiles from column 4g at a time. V's planes are Q·T floats apart.
  (func $inputTransform (param $P i32) (param $Q i32) (param $Hp i32) (param $Wp i32) (param $a0 i32) (param $rows i32)
    (param $tW i32) (param $V i32) (param $T i32) (param $tmp i32)
    (local $q i32) (local $a i32) (local $g i32) (local $xs i32) (local $ws i32) (local $src i32) (local $vp i32) (local $p i32)
    ${VECTORS(['l0', 'l1', 'l2', 'l3', 'l4', 'q0', 'q1', 'q2', 'q3', ...range(8).map((i) => `d${i}`)])}
    (local.set $xs (i32.shl (i32.mul (local.get $Q) (local.get $T)) (i32.const 2)))
    (local.set $ws (i32.shl (local.get $Wp) (i32.const 2)))
${tileLoops('q', '$Q', `          ;; the tiles' first row in P[q]: row 4(a0 + a), column 4g
          (local.set $src (i32.add (local.get $P) (i32.shl (i32.add
            (i32.mul (i32.add (i32.mul (local.get $q) (local.get $Hp)) (i32.shl (i32.add (local.get $a0) (local.get $a)) (i32.const 2))) (local.get $Wp))
            (i32.shl (local.get $g) (i32.const 2))) (i32.const 2))))
          (local.set $vp (i32.add (local.get $V) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $T))
            (i32.add (i32.mul (local.get $a) (local.get $tW)) (local.get $g))) (i32.const 2))))
${inputTransformBody()}
`)}  )

  ;; Ỹ[o][ξ][t] (rows T floats apart) for the block's tiles (as $inputTransform's) from dy's planes at $dy.
  (func $gradientTransform (param $dy i32) (param $Cout i32) (param $T i32) (param $a0 i32) (param $rows i32) (param $tW i32)
    (param $oH i32) (param $oW i32) (param $M i32) (param $tmp i32)
    (local $o i32) (local $a i32) (local $g i32) (local $ms i32) (local $os i32) (local $mp i32) (local $yrow i32) (local $p i32)
    ${VECTORS(['l0', 'l1', 'l2', 'l3', 'q0', 'q1', 'q2', 'q3', 'd0', 'd1', 'd2', 'd3'])}
    (local.set $ms (i32.shl (local.get $T) (i32.const 2)))
    (local.set $os (i32.shl (local.get $oW) (i32.const 2)))
${tileLoops('o', '$Cout', `          (local.set $mp (i32.add (local.get $M) (i32.shl (i32.add (i32.mul (i32.mul (local.get $o) (i32.const 49)) (local.get $T))
            (i32.add (i32.mul (local.get $a) (local.get $tW)) (local.get $g))) (i32.const 2))))
          (local.set $yrow (i32.add (local.get $dy) (i32.shl (i32.add
            (i32.mul (i32.add (i32.mul (local.get $o) (local.get $oH)) (i32.shl (i32.add (local.get $a0) (local.get $a)) (i32.const 2))) (local.get $oW))
            (i32.shl (local.get $g) (i32.const 2))) (i32.const 2))))
${gradientTransformBody()}
`)}  )

  ;; Bytes of scratch polyphaseWeightGrad needs per thread: the phase planes, V and Ỹ ($M) for $rows
  ;; tile rows, and the transforms' 49 vectors.
  (func (export "polyphaseScratchBytes") (param $C i32) (param $Cout i32) (param $oH i32) (param $oW i32) (param $rows i32) (result i32)
    (local $T i32)
    (local.set $T (i32.mul (local.get $rows) (i32.shr_u (local.get $oW) (i32.const 2))))
    (i32.add (i32.add
      (i32.and (i32.add (i32.shl (i32.mul (i32.shl (local.get $C) (i32.const 2))
        (i32.mul (i32.add (local.get $oH) (i32.const 3)) (i32.add (local.get $oW) (i32.const 4)))) (i32.const 2)) (i32.const 15)) (i32.const -16))
      (i32.mul (i32.const 196) (i32.mul (i32.add (i32.shl (local.get $C) (i32.const 2)) (local.get $Cout)) (local.get $T))))
      (i32.const 784))
  )

  ;; The weight gradient in the transform domain for samples [n0, n1): dU[ξ] += V[ξ] · Ỹ[ξ]ᵀ, 49 GEMMs
  ;; [4C × T] · [T × Cout] per block (Ỹ = A dY Aᵀ per 4×4 tile of dy, A = (Aᵀ)ᵀ), into dU = [49][4C][Cout] (this
  ;; task's partial sum, zeroed by the caller), and db[o] += Σ dy[o] per sample (db = 0: none). The JS
  ;; side sums the tasks' and adds dW = Gᵀ dU G per phase. scratch: polyphaseScratchBytes(C, Cout, oH, oW,
  ;; rows), 16-byte aligned; gemmScratch: the GEMM's.
  (func (export "polyphaseWeightGrad")
    (param $x i32) (param $n0 i32) (param $n1 i32) (param $C i32) (param $H i32) (param $W i32)
    (param $pH i32) (param $pW i32) (param $oH i32) (param $oW i32)
    (param $dy i32) (param $Cout i32) (param $dU i32) (param $db i32) (param $rows i32) (param $scratch i32) (param $gemmScratch i32)
    (local $Q i32) (local $tH i32) (local $tW i32) (local $Hp i32) (local $Wp i32) (local $P i32) (local $V i32) (local $M i32) (local $tmp i32)
    (local $s i32) (local $xs i32) (local $ys i32) (local $a0 i32) (local $r i32) (local $T i32) (local $xi i32)
    (local.set $Q (i32.shl (local.get $C) (i32.const 2)))
    (local.set $tH (i32.shr_u (local.get $oH) (i32.const 2)))
    (local.set $tW (i32.shr_u (local.get $oW) (i32.const 2)))
    (local.set $Hp (i32.add (local.get $oH) (i32.const 3)))
    (local.set $Wp (i32.add (local.get $oW) (i32.const 4)))
    (local.set $P (local.get $scratch))
    (local.set $V (i32.add (local.get $P) (i32.and (i32.add (i32.shl (i32.mul (local.get $Q) (i32.mul (local.get $Hp) (local.get $Wp))) (i32.const 2)) (i32.const 15)) (i32.const -16))))
    (local.set $M (i32.add (local.get $V) (i32.mul (i32.const 196) (i32.mul (local.get $Q) (i32.mul (local.get $rows) (local.get $tW))))))
    (local.set $tmp (i32.add (local.get $M) (i32.mul (i32.const 196) (i32.mul (local.get $Cout) (i32.mul (local.get $rows) (local.get $tW))))))
    (local.set $s (local.get $n0))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_s (local.get $s) (local.get $n1)))
      (local.set $xs (i32.add (local.get $x) (i32.shl (i32.mul (local.get $s) (i32.mul (local.get $C) (i32.mul (local.get $H) (local.get $W)))) (i32.const 2))))
      (local.set $ys (i32.add (local.get $dy) (i32.shl (i32.mul (local.get $s) (i32.mul (local.get $Cout) (i32.mul (local.get $oH) (local.get $oW)))) (i32.const 2))))
      (call $phases (local.get $xs) (local.get $C) (local.get $H) (local.get $W) (local.get $pH) (local.get $pW) (local.get $Hp) (local.get $Wp) (local.get $P))
      (local.set $a0 (i32.const 0))
      (block $bd (loop $bl
        (br_if $bd (i32.ge_s (local.get $a0) (local.get $tH)))
        (local.set $r (i32.sub (local.get $tH) (local.get $a0)))
        (if (i32.gt_s (local.get $r) (local.get $rows)) (then (local.set $r (local.get $rows))))
        (local.set $T (i32.mul (local.get $r) (local.get $tW)))
        (call $inputTransform (local.get $P) (local.get $Q) (local.get $Hp) (local.get $Wp) (local.get $a0) (local.get $r) (local.get $tW) (local.get $V) (local.get $T) (local.get $tmp))
        (call $gradientTransform (local.get $ys) (local.get $Cout) (local.get $T) (local.get $a0) (local.get $r) (local.get $tW) (local.get $oH) (local.get $oW) (local.get $M) (local.get $tmp))
        (local.set $xi (i32.const 0))
        (block $xd (loop $xl
          (br_if $xd (i32.ge_s (local.get $xi) (i32.const 49)))
          (call $gemm (i32.const 0) (i32.const 1) (local.get $Q) (local.get $Cout) (local.get $T)
            (i32.add (local.get $V) (i32.shl (i32.mul (local.get $xi) (i32.mul (local.get $Q) (local.get $T))) (i32.const 2))) (local.get $T)
            (i32.add (local.get $M) (i32.shl (i32.mul (local.get $xi) (local.get $T)) (i32.const 2))) (i32.mul (i32.const 49) (local.get $T))
            (i32.add (local.get $dU) (i32.shl (i32.mul (local.get $xi) (i32.mul (local.get $Q) (local.get $Cout))) (i32.const 2))) (local.get $Cout)
            (i32.const 1) (local.get $gemmScratch))
          (local.set $xi (i32.add (local.get $xi) (i32.const 1)))
          (br $xl)))
        (local.set $a0 (i32.add (local.get $a0) (local.get $rows)))
        (br $bl)))
      (if (local.get $db) (then (call $planeSums (local.get $ys) (local.get $Cout) (i32.mul (local.get $oH) (local.get $oW)) (local.get $db))))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $sl)))
  )

  ;; db[o] += Σ of plane o (L floats, a multiple of 16) for Cout planes at $p: four f32x4 sums, then their lanes.
  (func $planeSums (param $p i32) (param $Cout i32) (param $L i32) (param $db i32)
    (local $o i32) (local $end i32) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $at i32)
    (block $od (loop $ol
      (br_if $od (i32.ge_s (local.get $o) (local.get $Cout)))
      (local.set $end (i32.add (local.get $p) (i32.shl (local.get $L) (i32.const 2))))
      (local.set $s0 (v128.const i32x4 0 0 0 0))
      (local.set $s1 (v128.const i32x4 0 0 0 0))
      (local.set $s2 (v128.const i32x4 0 0 0 0))
      (local.set $s3 (v128.const i32x4 0 0 0 0))
      (block $id (loop $il
        (br_if $id (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s0 (f32x4.add (local.get $s0) (v128.load offset=0 (local.get $p))))
        (local.set $s1 (f32x4.add (local.get $s1) (v128.load offset=16 (local.get $p))))
        (local.set $s2 (f32x4.add (local.get $s2) (v128.load offset=32 (local.get $p))))
        (local.set $s3 (f32x4.add (local.get $s3) (v128.load offset=48 (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $il)))
      (local.set $s0 (f32x4.add (f32x4.add (local.get $s0) (local.get $s1)) (f32x4.add (local.get $s2) (local.get $s3))))
      (local.set $at (i32.add (local.get $db) (i32.shl (local.get $o) (i32.const 2))))
      (f32.store (local.get $at) (f32.add (f32.load (local.get $at))
        (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
          (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0))))))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $ol)))
  )
)
`;

/** The module's text (a unit test compares polyphase.wat with it). */
export function polyphaseWat(): string {
  return wat;
}

export const POLYPHASE_WAT_PATH = join(dirname(fileURLToPath(import.meta.url)), 'polyphase.wat');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(POLYPHASE_WAT_PATH, wat);
  console.log(`wrote ${POLYPHASE_WAT_PATH}`);
}
