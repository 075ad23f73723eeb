;; Packed, cache-blocked single-precision GEMM for WebAssembly SIMD (Goto/BLIS loop order).
;;
;;   for jc (NC columns) / pc (KC depth) -> pack op(B) block, KC x NC, into 16-wide column panels
;;     for ic (MC rows)                 -> pack op(A) block, MC x KC, into 2-high row panels
;;                                         (not for a block of few columns whose A rows are
;;                                         contiguous: $microRows reads them in place)
;;       for jr, ir                     -> 2x16 micro-kernel: 8 f32x4 accumulators in registers
;;
;; Block sizes (kernels/constants.mjs, GEMM): MR=2, NR=16, MC=64, KC=256, NC=512 (packed B block 512 KiB stays in L2, one packed
;; B micro-panel 16 KiB in L1). NOTE: the micro-kernel shape was picked by measurement on V8
;; (Node 20, x64): V8 gives wasm 15 usable xmm registers; 2x16 (8 acc + 4 B + 1 A = 13) and 4x8 fit,
;; 4x16, 3x16, 6x8 spill and run at half speed.
;;
;; The relaxed-SIMD variant is produced by scripts/build-kernels.mjs, which rewrites every
;;   (f32x4.add (local.get $acc) (f32x4.mul (local.get $x) (local.get $y)))
;; into (f32x4.relaxed_madd (local.get $x) (local.get $y) (local.get $acc)); keep that exact form.
;; The unrolled micro-kernel body follows a regular pattern; edit it with care (or regenerate with
;; kernels/unroll-microkernel.mjs).
(module
  (import "env" "memory" (memory 1 {{HEAP.MAX_PAGES}} shared))
  (import "elementwise" "bnNormalize" (func $normalize (param i32 i32 i32 i32 f32 f32 f32 f32 i32 i32)))
  ;; Pack an mc x kc block of op(A) (element (i,p) at a + 4*(i*rs + p*cs)) into row panels of MR:
  ;; dst[panel][p][r], zero-padding rows past mc; panels `panel` bytes apart (kc·8 for a whole
  ;; block; more where kc is one sample's part of a block's depth: gemmSampleDepth).
  (func $packA (param $a i32) (param $rs i32) (param $cs i32) (param $mc i32) (param $kc i32) (param $dst i32) (param $panel i32)
    (local $i0 i32) (local $p i32) (local $r i32) (local $src i32) (local $d i32) (local $rows i32) (local $va v128) (local $vb v128)
    (local $k1 i32) (local $k2 i32) (local $k3 i32) (local $k4 i32) (local $k5 i32) (local $k6 i32) (local $k7 i32)
    (local.set $rs (i32.shl (local.get $rs) (i32.const 2)))
    (local.set $cs (i32.shl (local.get $cs) (i32.const 2)))
    ;; a panel's bytes, and its multiples: where panels 1…7 of a group of eight start
    (local.set $k1 (local.get $panel))
    (local.set $k2 (i32.shl (local.get $k1) (i32.const 1)))
    (local.set $k3 (i32.add (local.get $k2) (local.get $k1)))
    (local.set $k4 (i32.shl (local.get $k1) (i32.const 2)))
    (local.set $k5 (i32.add (local.get $k4) (local.get $k1)))
    (local.set $k6 (i32.add (local.get $k4) (local.get $k2)))
    (local.set $k7 (i32.add (local.get $k4) (local.get $k3)))
    (block $done (loop $panel
      (br_if $done (i32.ge_s (local.get $i0) (local.get $mc)))
      (if (i32.and (i32.eq (local.get $rs) (i32.const 4)) (i32.ge_s (i32.sub (local.get $mc) (local.get $i0)) (i32.const 16)))
        (then
          ;; Transposed A (columns contiguous), eight full panels at once: each p's 16 values are one
          ;; 64-byte run, read as four vectors whose halves go to the eight panels (one pass over the
          ;; run, not eight: a transposed operand's p rows are far apart, each run a cache line).
          (local.set $src (i32.add (local.get $a) (i32.shl (local.get $i0) (i32.const 2))))
          (local.set $d (local.get $dst))
          (local.set $p (i32.const 0))
          (block $wd (loop $wl
            (br_if $wd (i32.ge_s (local.get $p) (local.get $kc)))
            (local.set $va (v128.load (local.get $src)))
            (v128.store64_lane 0 (local.get $d) (local.get $va))
            (v128.store64_lane 1 (i32.add (local.get $d) (local.get $k1)) (local.get $va))
            (local.set $va (v128.load offset=16 (local.get $src)))
            (v128.store64_lane 0 (i32.add (local.get $d) (local.get $k2)) (local.get $va))
            (v128.store64_lane 1 (i32.add (local.get $d) (local.get $k3)) (local.get $va))
            (local.set $va (v128.load offset=32 (local.get $src)))
            (v128.store64_lane 0 (i32.add (local.get $d) (local.get $k4)) (local.get $va))
            (v128.store64_lane 1 (i32.add (local.get $d) (local.get $k5)) (local.get $va))
            (local.set $va (v128.load offset=48 (local.get $src)))
            (v128.store64_lane 0 (i32.add (local.get $d) (local.get $k6)) (local.get $va))
            (v128.store64_lane 1 (i32.add (local.get $d) (local.get $k7)) (local.get $va))
            (local.set $src (i32.add (local.get $src) (local.get $cs)))
            (local.set $d (i32.add (local.get $d) (i32.const 8)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $wl)))
          (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $k1) (i32.const 3))))
          (local.set $i0 (i32.add (local.get $i0) (i32.const 16)))
          (br $panel)))
      (local.set $rows (i32.sub (local.get $mc) (local.get $i0)))
      (if (i32.gt_s (local.get $rows) (i32.const 2)) (then (local.set $rows (i32.const 2))))
      (local.set $src (i32.add (local.get $a) (i32.mul (local.get $i0) (local.get $rs))))
      (local.set $d (local.get $dst))
      (local.set $p (i32.const 0))
      (if (i32.and (i32.eq (local.get $rows) (i32.const 2)) (i32.eq (local.get $cs) (i32.const 4)))
        (then
          ;; Row-major A, full panel: interleave the two rows four columns at a time.
          (block $fd (loop $fl
            (br_if $fd (i32.gt_s (i32.add (local.get $p) (i32.const 4)) (local.get $kc)))
            (local.set $va (v128.load (local.get $src)))
            (local.set $vb (v128.load (i32.add (local.get $src) (local.get $rs))))
            (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $va) (local.get $vb)))
            (v128.store offset=16 (local.get $d) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $va) (local.get $vb)))
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $d (i32.add (local.get $d) (i32.const 32)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $fl)))
          (block $td (loop $tl
            (br_if $td (i32.ge_s (local.get $p) (local.get $kc)))
            (f32.store (local.get $d) (f32.load (local.get $src)))
            (f32.store offset=4 (local.get $d) (f32.load (i32.add (local.get $src) (local.get $rs))))
            (local.set $src (i32.add (local.get $src) (i32.const 4)))
            (local.set $d (i32.add (local.get $d) (i32.const 8)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $tl))))
      (else (if (i32.and (i32.eq (local.get $rows) (i32.const 2)) (i32.eq (local.get $rs) (i32.const 4)))
        (then
          ;; Transposed A (columns contiguous), full panel: the two values of each p are adjacent.
          (block $gd (loop $gl
            (br_if $gd (i32.ge_s (local.get $p) (local.get $kc)))
            (i64.store (local.get $d) (i64.load (local.get $src)))
            (local.set $src (i32.add (local.get $src) (local.get $cs)))
            (local.set $d (i32.add (local.get $d) (i32.const 8)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $gl))))
      (else
      ;; row r of the panel goes to dst + 4*(p*MR + r)
      (local.set $r (i32.const 0))
      (block $rdone (loop $rl
        (br_if $rdone (i32.ge_s (local.get $r) (i32.const 2)))
        (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2))))
        (local.set $p (i32.const 0))
        (if (i32.lt_s (local.get $r) (local.get $rows))
          (then
            (local.set $src (i32.add (local.get $a) (i32.mul (i32.add (local.get $i0) (local.get $r)) (local.get $rs))))
            (block $pd (loop $pl
              (br_if $pd (i32.ge_s (local.get $p) (local.get $kc)))
              (f32.store (local.get $d) (f32.load (local.get $src)))
              (local.set $src (i32.add (local.get $src) (local.get $cs)))
              (local.set $d (i32.add (local.get $d) (i32.const 8)))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $pl))))
          (else
            (block $zd (loop $zl
              (br_if $zd (i32.ge_s (local.get $p) (local.get $kc)))
              (f32.store (local.get $d) (f32.const 0))
              (local.set $d (i32.add (local.get $d) (i32.const 8)))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $zl)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl)))))))
      (local.set $dst (i32.add (local.get $dst) (local.get $panel)))
      (local.set $i0 (i32.add (local.get $i0) (i32.const 2)))
      (br $panel)))
  )
  ;; Pack a kc x nc block of op(B) (element (p,j) at b + 4*(p*rs + j*cs)) into column panels of NR:
  ;; dst[panel][p][j], zero-padding columns past nc; `skip` bytes left free after each panel (0
  ;; for a whole block; the rest of the block's depth where kc is one sample's part: gemmSampleDepth).
  (func $packB (param $b i32) (param $rs i32) (param $cs i32) (param $kc i32) (param $nc i32) (param $dst i32) (param $skip i32)
    (local $j0 i32) (local $p i32) (local $j i32) (local $cols i32) (local $src i32) (local $s i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rs (i32.shl (local.get $rs) (i32.const 2)))
    (local.set $cs (i32.shl (local.get $cs) (i32.const 2)))
    (block $done (loop $panel
      (br_if $done (i32.ge_s (local.get $j0) (local.get $nc)))
      (local.set $cols (i32.sub (local.get $nc) (local.get $j0)))
      (local.set $src (i32.add (local.get $b) (i32.mul (local.get $j0) (local.get $cs))))
      (local.set $p (i32.const 0))
      (if (i32.and (i32.ge_s (local.get $cols) (i32.const 16)) (i32.eq (local.get $rs) (i32.const 4)))
        (then
          ;; Transposed B (each column of op(B) contiguous), full panel: 4×4 transposes in registers.
          (block $qd (loop $ql
            (br_if $qd (i32.gt_s (i32.add (local.get $p) (i32.const 4)) (local.get $kc)))
            ;; columns 0..3: four rows of B (one per column), four p each, transposed
            (local.set $s (i32.add (local.get $src) (i32.mul (i32.const 0) (local.get $cs))))
            (local.set $r0 (v128.load (local.get $s)))
            (local.set $r1 (v128.load (i32.add (local.get $s) (local.get $cs))))
            (local.set $r2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $cs) (i32.const 1)))))
            (local.set $r3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $cs) (i32.const 3)))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (v128.store offset=0 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store offset=64 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store offset=128 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store offset=192 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            ;; columns 4..7: four rows of B (one per column), four p each, transposed
            (local.set $s (i32.add (local.get $src) (i32.mul (i32.const 4) (local.get $cs))))
            (local.set $r0 (v128.load (local.get $s)))
            (local.set $r1 (v128.load (i32.add (local.get $s) (local.get $cs))))
            (local.set $r2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $cs) (i32.const 1)))))
            (local.set $r3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $cs) (i32.const 3)))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (v128.store offset=16 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store offset=80 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store offset=144 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store offset=208 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            ;; columns 8..11: four rows of B (one per column), four p each, transposed
            (local.set $s (i32.add (local.get $src) (i32.mul (i32.const 8) (local.get $cs))))
            (local.set $r0 (v128.load (local.get $s)))
            (local.set $r1 (v128.load (i32.add (local.get $s) (local.get $cs))))
            (local.set $r2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $cs) (i32.const 1)))))
            (local.set $r3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $cs) (i32.const 3)))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (v128.store offset=32 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store offset=96 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store offset=160 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store offset=224 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            ;; columns 12..15: four rows of B (one per column), four p each, transposed
            (local.set $s (i32.add (local.get $src) (i32.mul (i32.const 12) (local.get $cs))))
            (local.set $r0 (v128.load (local.get $s)))
            (local.set $r1 (v128.load (i32.add (local.get $s) (local.get $cs))))
            (local.set $r2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $cs) (i32.const 1)))))
            (local.set $r3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $cs) (i32.const 3)))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (v128.store offset=48 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store offset=112 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store offset=176 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store offset=240 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 256)))
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $ql)))
          (block $qtd (loop $qtl
            (br_if $qtd (i32.ge_s (local.get $p) (local.get $kc)))
            (local.set $s (local.get $src))
            (local.set $j (i32.const 0))
            (block $qjd (loop $qjl
              (br_if $qjd (i32.ge_s (local.get $j) (i32.const 16)))
              (f32.store (local.get $dst) (f32.load (local.get $s)))
              (local.set $s (i32.add (local.get $s) (local.get $cs)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $qjl)))
            (local.set $src (i32.add (local.get $src) (i32.const 4)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $qtl))))
      (else
      (if (i32.and (i32.ge_s (local.get $cols) (i32.const 16)) (i32.eq (local.get $cs) (i32.const 4)))
        (then
          (block $pd (loop $pl
            (br_if $pd (i32.ge_s (local.get $p) (local.get $kc)))
            (v128.store offset=0 (local.get $dst) (v128.load offset=0 (local.get $src)))
            (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
            (v128.store offset=32 (local.get $dst) (v128.load offset=32 (local.get $src)))
            (v128.store offset=48 (local.get $dst) (v128.load offset=48 (local.get $src)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
            (local.set $src (i32.add (local.get $src) (local.get $rs)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $pl))))
        (else
          (if (i32.gt_s (local.get $cols) (i32.const 16)) (then (local.set $cols (i32.const 16))))
          (block $pd2 (loop $pl2
            (br_if $pd2 (i32.ge_s (local.get $p) (local.get $kc)))
            (local.set $s (local.get $src))
            (local.set $j (i32.const 0))
            (block $jd (loop $jl
              (br_if $jd (i32.ge_s (local.get $j) (i32.const 16)))
              (f32.store (local.get $dst)
                (if (result f32) (i32.lt_s (local.get $j) (local.get $cols))
                  (then (f32.load (local.get $s))) (else (f32.const 0))))
              (local.set $s (i32.add (local.get $s) (local.get $cs)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $jl)))
            (local.set $src (i32.add (local.get $src) (local.get $rs)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $pl2)))))))
      (local.set $dst (i32.add (local.get $dst) (local.get $skip)))
      (local.set $j0 (i32.add (local.get $j0) (i32.const 16)))
      (br $panel)))
  )
  ;; 2x16 micro-kernel: C[MR x NR] (+)= Apanel[kc x MR]^T * Bpanel[kc x NR].
  ;; pa: packed A ([kc][2]), pb: packed B ([kc][16]), c: top-left of C, ldc in bytes; acc: the
  ;; products added to the tile at src (srcStride bytes a row: c and ldc, or a bias row and 0).
  (func $micro (param $pa i32) (param $pb i32) (param $kc i32) (param $c i32) (param $ldc i32) (param $acc i32) (param $src i32) (param $srcStride i32)
    (local $c0_0 v128) (local $c0_1 v128) (local $c0_2 v128) (local $c0_3 v128) (local $c1_0 v128) (local $c1_1 v128) (local $c1_2 v128) (local $c1_3 v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128) (local $a v128) (local $end i32) (local $row i32)
    (local.set $end (i32.add (local.get $pa) (i32.mul (local.get $kc) (i32.const 8))))
    (block $done (loop $k
      (br_if $done (i32.ge_u (local.get $pa) (local.get $end)))
      (local.set $b0 (v128.load offset=0 (local.get $pb)))
      (local.set $b1 (v128.load offset=16 (local.get $pb)))
      (local.set $b2 (v128.load offset=32 (local.get $pb)))
      (local.set $b3 (v128.load offset=48 (local.get $pb)))
      (local.set $a (v128.load32_splat offset=0 (local.get $pa)))
      (local.set $c0_0 (f32x4.add (local.get $c0_0) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c0_1 (f32x4.add (local.get $c0_1) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $c0_2 (f32x4.add (local.get $c0_2) (f32x4.mul (local.get $a) (local.get $b2))))
      (local.set $c0_3 (f32x4.add (local.get $c0_3) (f32x4.mul (local.get $a) (local.get $b3))))
      (local.set $a (v128.load32_splat offset=4 (local.get $pa)))
      (local.set $c1_0 (f32x4.add (local.get $c1_0) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c1_1 (f32x4.add (local.get $c1_1) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $c1_2 (f32x4.add (local.get $c1_2) (f32x4.mul (local.get $a) (local.get $b2))))
      (local.set $c1_3 (f32x4.add (local.get $c1_3) (f32x4.mul (local.get $a) (local.get $b3))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 64)))
      (br $k)))
    (if (local.get $acc) (then
      (local.set $row (local.get $src))
      (local.set $c0_0 (f32x4.add (local.get $c0_0) (v128.load offset=0 (local.get $row))))
      (local.set $c0_1 (f32x4.add (local.get $c0_1) (v128.load offset=16 (local.get $row))))
      (local.set $c0_2 (f32x4.add (local.get $c0_2) (v128.load offset=32 (local.get $row))))
      (local.set $c0_3 (f32x4.add (local.get $c0_3) (v128.load offset=48 (local.get $row))))
      (local.set $row (i32.add (local.get $row) (local.get $srcStride)))
      (local.set $c1_0 (f32x4.add (local.get $c1_0) (v128.load offset=0 (local.get $row))))
      (local.set $c1_1 (f32x4.add (local.get $c1_1) (v128.load offset=16 (local.get $row))))
      (local.set $c1_2 (f32x4.add (local.get $c1_2) (v128.load offset=32 (local.get $row))))
      (local.set $c1_3 (f32x4.add (local.get $c1_3) (v128.load offset=48 (local.get $row))))
    ))
    (local.set $row (local.get $c))
    (v128.store offset=0 (local.get $row) (local.get $c0_0))
    (v128.store offset=16 (local.get $row) (local.get $c0_1))
    (v128.store offset=32 (local.get $row) (local.get $c0_2))
    (v128.store offset=48 (local.get $row) (local.get $c0_3))
    (local.set $row (i32.add (local.get $row) (local.get $ldc)))
    (v128.store offset=0 (local.get $row) (local.get $c1_0))
    (v128.store offset=16 (local.get $row) (local.get $c1_1))
    (v128.store offset=32 (local.get $row) (local.get $c1_2))
    (v128.store offset=48 (local.get $row) (local.get $c1_3))
  )
  ;; 2x16 micro-kernel reading A in place: as $micro, A's row r at pa + r·as (as = lda in bytes),
  ;; depth p at + 4p: the same products in the same order, so the same bits.
  (func $microRows (param $pa i32) (param $as i32) (param $pb i32) (param $kc i32) (param $c i32) (param $ldc i32) (param $acc i32) (param $src i32) (param $srcStride i32)
    (local $c0_0 v128) (local $c0_1 v128) (local $c0_2 v128) (local $c0_3 v128) (local $c1_0 v128) (local $c1_1 v128) (local $c1_2 v128) (local $c1_3 v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128) (local $a v128) (local $end i32) (local $row i32)
    (local.set $end (i32.add (local.get $pa) (i32.mul (local.get $kc) (i32.const 4))))
    (block $done (loop $k
      (br_if $done (i32.ge_u (local.get $pa) (local.get $end)))
      (local.set $b0 (v128.load offset=0 (local.get $pb)))
      (local.set $b1 (v128.load offset=16 (local.get $pb)))
      (local.set $b2 (v128.load offset=32 (local.get $pb)))
      (local.set $b3 (v128.load offset=48 (local.get $pb)))
      (local.set $a (v128.load32_splat (local.get $pa)))
      (local.set $c0_0 (f32x4.add (local.get $c0_0) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c0_1 (f32x4.add (local.get $c0_1) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $c0_2 (f32x4.add (local.get $c0_2) (f32x4.mul (local.get $a) (local.get $b2))))
      (local.set $c0_3 (f32x4.add (local.get $c0_3) (f32x4.mul (local.get $a) (local.get $b3))))
      (local.set $a (v128.load32_splat (i32.add (local.get $pa) (local.get $as))))
      (local.set $c1_0 (f32x4.add (local.get $c1_0) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c1_1 (f32x4.add (local.get $c1_1) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $c1_2 (f32x4.add (local.get $c1_2) (f32x4.mul (local.get $a) (local.get $b2))))
      (local.set $c1_3 (f32x4.add (local.get $c1_3) (f32x4.mul (local.get $a) (local.get $b3))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 64)))
      (br $k)))
    (if (local.get $acc) (then
      (local.set $row (local.get $src))
      (local.set $c0_0 (f32x4.add (local.get $c0_0) (v128.load offset=0 (local.get $row))))
      (local.set $c0_1 (f32x4.add (local.get $c0_1) (v128.load offset=16 (local.get $row))))
      (local.set $c0_2 (f32x4.add (local.get $c0_2) (v128.load offset=32 (local.get $row))))
      (local.set $c0_3 (f32x4.add (local.get $c0_3) (v128.load offset=48 (local.get $row))))
      (local.set $row (i32.add (local.get $row) (local.get $srcStride)))
      (local.set $c1_0 (f32x4.add (local.get $c1_0) (v128.load offset=0 (local.get $row))))
      (local.set $c1_1 (f32x4.add (local.get $c1_1) (v128.load offset=16 (local.get $row))))
      (local.set $c1_2 (f32x4.add (local.get $c1_2) (v128.load offset=32 (local.get $row))))
      (local.set $c1_3 (f32x4.add (local.get $c1_3) (v128.load offset=48 (local.get $row))))
    ))
    (local.set $row (local.get $c))
    (v128.store offset=0 (local.get $row) (local.get $c0_0))
    (v128.store offset=16 (local.get $row) (local.get $c0_1))
    (v128.store offset=32 (local.get $row) (local.get $c0_2))
    (v128.store offset=48 (local.get $row) (local.get $c0_3))
    (local.set $row (i32.add (local.get $row) (local.get $ldc)))
    (v128.store offset=0 (local.get $row) (local.get $c1_0))
    (v128.store offset=16 (local.get $row) (local.get $c1_1))
    (v128.store offset=32 (local.get $row) (local.get $c1_2))
    (v128.store offset=48 (local.get $row) (local.get $c1_3))
  )
  ;; C[mr x nr] (+)= tile[mr x nr] (tile rows are 16 floats apart).
  (func $mergeTile (param $tile i32) (param $c i32) (param $ldc i32) (param $mr i32) (param $nr i32) (param $acc i32) (param $src i32) (param $srcStride i32)
    (local $i i32) (local $j i32) (local $t i32) (local $d i32) (local $v f32) (local $e i32)
    (block $id (loop $il
      (br_if $id (i32.ge_s (local.get $i) (local.get $mr)))
      (local.set $t (i32.add (local.get $tile) (i32.mul (local.get $i) (i32.const 64))))
      (local.set $d (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))))
      (local.set $e (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $srcStride))))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_s (local.get $j) (local.get $nr)))
        (local.set $v (f32.load (local.get $t)))
        (if (local.get $acc) (then (local.set $v (f32.add (local.get $v) (f32.load (local.get $e))))))
        (f32.store (local.get $d) (local.get $v))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (local.set $d (i32.add (local.get $d) (i32.const 4)))
        (local.set $e (i32.add (local.get $e) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
  )
  ;; Σ a[0..k) · b[0..k) with four f32x4 accumulators (independent dependency chains).
  (func $dot (param $a i32) (param $b i32) (param $k i32) (result f32)
    (local $end i32) (local $end16 i32) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $s f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $k) (i32.const 2))))
    (local.set $end16 (i32.add (local.get $a) (i32.shl (i32.and (local.get $k) (i32.const -16)) (i32.const 2))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $a) (local.get $end16)))
      (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
      (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)))))
      (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b)))))
      (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 64)))
      (br $vl)))
    (local.set $s0 (f32x4.add (f32x4.add (local.get $s0) (local.get $s1)) (f32x4.add (local.get $s2) (local.get $s3))))
    (local.set $s (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
      (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br $sl)))
    (local.get $s)
  )

  ;; C (+)= A·Bᵀ with A m×k and B n×k both row-major: every C element is a dot product of two
  ;; contiguous rows. For small m·n with long k (a convolution's weight gradient: 16×9 outputs over
  ;; 784 positions) this beats packing, whose cost is per output tile.
  (func $gemmDotNT (param $m i32) (param $n i32) (param $k i32) (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32)
    (param $c i32) (param $ldc i32) (param $acc i32)
    (local $i i32) (local $j i32) (local $p i32) (local $v f32)
    (block $id (loop $il
      (br_if $id (i32.ge_s (local.get $i) (local.get $m)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $v (call $dot
          (i32.add (local.get $a) (i32.shl (i32.mul (local.get $i) (local.get $lda)) (i32.const 2)))
          (i32.add (local.get $b) (i32.shl (i32.mul (local.get $j) (local.get $ldb)) (i32.const 2)))
          (local.get $k)))
        (local.set $p (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $j)) (i32.const 2))))
        (if (local.get $acc) (then (local.set $v (f32.add (f32.load (local.get $p)) (local.get $v)))))
        (f32.store (local.get $p) (local.get $v))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
  )
  ;; One packed (jc, pc) block of op(B) (nc columns from jc, depth kc from pc, at pb as $packB lays it
  ;; out) against all m rows of op(A) (element (i, p) at a + 4·(i·ars + p·acs)): C (+)= the block's
  ;; products, A packed per MC rows into scratch, MR × NR micro-kernel tiles, edge tiles computed in
  ;; the scratch tile and merged. `gemm`'s and `gemmPackedB`'s inner loops. acs = 0: A prepacked
  ;; (`gemm`'s transA 2), MR-row panels over its whole depth ars, rows i and i + 1 (i even) at
  ;; a + 4·(i·ars + 2p + (0, 1)): $micro reads each panel's depth block in place.
  (func $gemmBlock (param $m i32) (param $a i32) (param $ars i32) (param $acs i32) (param $pc i32) (param $kc i32)
    (param $packB i32) (param $jc i32) (param $nc i32) (param $c i32) (param $ldcb i32) (param $acc i32) (param $bias i32) (param $scratch i32)
    (local $ic i32) (local $mc i32) (local $jr i32) (local $nr i32) (local $ir i32) (local $mr i32) (local $packA i32) (local $tile i32) (local $cp i32) (local $ldc i32)
    (local $sp i32) (local $ss i32) (local $direct i32) (local $rows i32) (local $pa i32) (local $pb i32) (local $as i32)
    (local $full i32) (local $out i32) (local $ldo i32) (local $acco i32) (local $pre i32)
    ;; what the products are added to ($acc): C itself, or with $bias ≠ 0 the bias row, the same for every row
    (local.set $ss (select (i32.const 0) (local.get $ldcb) (local.get $bias)))
    ;; A read in place, not packed ($microRows), where its rows are contiguous (acs = 1), at most
    ;; GEMM.DIRECT_A_MAX_LDA floats apart, and the block has at most GEMM.DIRECT_A_MAX_N columns: the
    ;; same values in the same order as from the packed panel (the same bits), and a block of few
    ;; columns, which would use each packed panel only ⌈nc/NR⌉ times, does not copy all of A first.
    (local.set $direct (i32.and (i32.and (i32.eq (local.get $acs) (i32.const 1)) (i32.le_u (local.get $ars) (i32.const {{GEMM.DIRECT_A_MAX_LDA}})))
      (i32.le_s (local.get $nc) (i32.const {{GEMM.DIRECT_A_MAX_N}}))))
    (local.set $pre (i32.eqz (local.get $acs)))
    (local.set $as (i32.shl (local.get $ars) (i32.const 2)))
    (local.set $packA (local.get $scratch))
    (local.set $tile (i32.add (local.get $scratch) (i32.add (i32.const {{GEMM.PACK_A_BYTES}}) (i32.const {{GEMM.PACK_B_BYTES}}))))
    (local.set $ldc (i32.shr_u (local.get $ldcb) (i32.const 2)))
    (local.set $ic (i32.const 0))
    (block $icd (loop $icl
      (br_if $icd (i32.ge_s (local.get $ic) (local.get $m)))
      (local.set $mc (i32.sub (local.get $m) (local.get $ic)))
      (if (i32.gt_s (local.get $mc) (i32.const {{GEMM.MC}})) (then (local.set $mc (i32.const {{GEMM.MC}}))))
      ;; packed: the whole block; direct: only its last rows when fewer than MR (a zero-padded panel
      ;; of their own where the packed block would have it: $microRows reads MR rows); prepacked: none
      (local.set $ir (select (i32.const 0) (i32.sub (local.get $mc) (i32.rem_u (local.get $mc) (i32.const {{GEMM.MR}}))) (i32.eqz (local.get $direct))))
      (if (local.get $pre) (then (local.set $ir (local.get $mc))))
      (if (i32.lt_s (local.get $ir) (local.get $mc)) (then
        (call $packA
          (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ars)) (i32.mul (local.get $pc) (local.get $acs))) (i32.const 2)))
          (local.get $ars) (local.get $acs) (i32.sub (local.get $mc) (local.get $ir)) (local.get $kc)
          (i32.add (local.get $packA) (i32.mul (local.get $ir) (i32.shl (local.get $kc) (i32.const 2)))) (i32.shl (local.get $kc) (i32.const 3)))))
      (local.set $jr (i32.const 0))
      (block $jrd (loop $jrl
        (br_if $jrd (i32.ge_s (local.get $jr) (local.get $nc)))
        (local.set $nr (i32.sub (local.get $nc) (local.get $jr)))
        (if (i32.gt_s (local.get $nr) (i32.const {{GEMM.NR}})) (then (local.set $nr (i32.const {{GEMM.NR}}))))
        (local.set $ir (i32.const 0))
        (block $ird (loop $irl
          (br_if $ird (i32.ge_s (local.get $ir) (local.get $mc)))
          (local.set $mr (i32.sub (local.get $mc) (local.get $ir)))
          (if (i32.gt_s (local.get $mr) (i32.const {{GEMM.MR}})) (then (local.set $mr (i32.const {{GEMM.MR}}))))
          (local.set $cp (i32.add (local.get $c)
            (i32.shl (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ldc)) (i32.add (local.get $jc) (local.get $jr))) (i32.const 2))))
          (local.set $sp (select (i32.add (local.get $bias) (i32.shl (i32.add (local.get $jc) (local.get $jr)) (i32.const 2))) (local.get $cp) (local.get $bias)))
          ;; the panel's A: its rows in place (direct, MR rows) or packed ([kc][MR]); a whole tile is
          ;; written to C, an edge tile to the scratch tile and merged
          (local.set $rows (i32.and (local.get $direct) (i32.eq (local.get $mr) (i32.const {{GEMM.MR}}))))
          (local.set $pa (select
            (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ars))
              (i32.shl (local.get $pc) (local.get $pre))) (i32.const 2)))
            (i32.add (local.get $packA) (i32.mul (local.get $ir) (i32.shl (local.get $kc) (i32.const 2))))
            (i32.or (local.get $rows) (local.get $pre))))
          (local.set $pb (i32.add (local.get $packB) (i32.mul (local.get $jr) (i32.shl (local.get $kc) (i32.const 2)))))
          (local.set $full (i32.and (i32.eq (local.get $mr) (i32.const {{GEMM.MR}})) (i32.eq (local.get $nr) (i32.const {{GEMM.NR}}))))
          (local.set $out (select (local.get $cp) (local.get $tile) (local.get $full)))
          (local.set $ldo (select (local.get $ldcb) (i32.const {{GEMM.TILE_ROW_BYTES}}) (local.get $full)))
          (local.set $acco (select (local.get $acc) (i32.const 0) (local.get $full)))
          (if (local.get $rows)
            (then (call $microRows (local.get $pa) (local.get $as) (local.get $pb) (local.get $kc) (local.get $out) (local.get $ldo) (local.get $acco) (local.get $sp) (local.get $ss)))
            (else (call $micro (local.get $pa) (local.get $pb) (local.get $kc) (local.get $out) (local.get $ldo) (local.get $acco) (local.get $sp) (local.get $ss))))
          (if (i32.eqz (local.get $full)) (then
            (call $mergeTile (local.get $tile) (local.get $cp) (local.get $ldcb) (local.get $mr) (local.get $nr) (local.get $acc) (local.get $sp) (local.get $ss))))
          (local.set $ir (i32.add (local.get $ir) (i32.const {{GEMM.MR}})))
          (br $irl)))
        (local.set $jr (i32.add (local.get $jr) (i32.const {{GEMM.NR}})))
        (br $jrl)))
      (local.set $ic (i32.add (local.get $ic) (i32.const {{GEMM.MC}})))
      (br $icl)))
  )
  ;; Blocked GEMM on a sub-block: C[m x n] (+)= op(A)[m x k] * op(B)[k x n].
  ;; a, b, c are byte addresses; lda/ldb/ldc are row strides in elements of the stored matrices.
  ;; transA 2: A prepacked as $gemmBlock reads it with acs = 0 (MR-row panels over the whole depth k,
  ;; rows i, i + 1 at a + 4·(i·k + 2p + (0, 1)), a last odd row's partner any value; lda unused):
  ;; the values $packA would have copied, in the same order, so the same bits as transA 0.
  ;; scratch needs GEMM.SCRATCH_BYTES (packed A, packed B, edge tile), 16-byte aligned.
  ;; ($gemmBias below without a bias: what conv, winograd and recurrent import.)
  (func $gemm (export "gemmNoBias") (param $transA i32) (param $transB i32) (param $m i32) (param $n i32) (param $k i32)
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $accumulate i32) (param $scratch i32)
    (call $gemmBias (local.get $transA) (local.get $transB) (local.get $m) (local.get $n) (local.get $k) (local.get $a) (local.get $lda)
      (local.get $b) (local.get $ldb) (local.get $c) (local.get $ldc) (local.get $accumulate) (i32.const 0) (local.get $scratch))
  )
  ;; The above, and with $bias ≠ 0 (not accumulating) C = op(A)·op(B) + the row of n floats at
  ;; $bias added to every row: the products summed as without it, then the bias added where C's
  ;; values would be, so the same bits as C's rows filled with the bias and the product accumulated
  ;; onto them, without writing them first and reading them back (Linear's y = x·Wᵀ + b). Exported
  ;; as `gemm` (the kernel the backend's GEMMs run); other modules import `gemmNoBias`.
  (func $gemmBias (export "gemm") (param $transA i32) (param $transB i32) (param $m i32) (param $n i32) (param $k i32)
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $accumulate i32) (param $bias i32) (param $scratch i32)
    (local $ars i32) (local $acs i32) (local $brs i32) (local $bcs i32)
    (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32) (local $acc i32) (local $packB i32) (local $ldcb i32) (local $i i32) (local $j i32)
    ;; Small output, long reduction, A·Bᵀ: dot products (see $gemmDotNT). NOTE: the choice depends
    ;; only on m·n and k, so the JS side keeps such products on one thread (bit-identical results
    ;; for any thread count). A bias: C's rows filled with it first, the dot products added.
    (if (i32.and (i32.and (i32.eqz (local.get $transA)) (local.get $transB))
          (i32.and (i32.le_s (i32.mul (local.get $m) (local.get $n)) (i32.const {{GEMM.DOT_MAX_OUTPUT}})) (i32.ge_s (local.get $k) (i32.const {{GEMM.DOT_MIN_DEPTH}}))))
      (then
        (if (local.get $bias) (then
          (local.set $i (i32.const 0))
          (block $fd (loop $fl
            (br_if $fd (i32.ge_s (local.get $i) (local.get $m)))
            (local.set $j (i32.const 0))
            (block $gd (loop $gl
              (br_if $gd (i32.ge_s (local.get $j) (local.get $n)))
              (f32.store (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $j)) (i32.const 2)))
                (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $gl)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $fl)))
          (local.set $accumulate (i32.const 1))))
        (call $gemmDotNT (local.get $m) (local.get $n) (local.get $k) (local.get $a) (local.get $lda) (local.get $b) (local.get $ldb)
          (local.get $c) (local.get $ldc) (local.get $accumulate))
        (return)))
    (local.set $packB (i32.add (local.get $scratch) (i32.const {{GEMM.PACK_A_BYTES}})))
    (local.set $ldcb (i32.shl (local.get $ldc) (i32.const 2)))
    (if (local.get $transA)
      (then (local.set $ars (i32.const 1)) (local.set $acs (local.get $lda)))
      (else (local.set $ars (local.get $lda)) (local.set $acs (i32.const 1))))
    (if (i32.eq (local.get $transA) (i32.const 2)) (then (local.set $ars (local.get $k)) (local.set $acs (i32.const 0))))
    (if (local.get $transB)
      (then (local.set $brs (i32.const 1)) (local.set $bcs (local.get $ldb)))
      (else (local.set $brs (local.get $ldb)) (local.set $bcs (i32.const 1))))
    (block $jcd (loop $jcl
      (br_if $jcd (i32.ge_s (local.get $jc) (local.get $n)))
      (local.set $nc (i32.sub (local.get $n) (local.get $jc)))
      (if (i32.gt_s (local.get $nc) (i32.const {{GEMM.NC}})) (then (local.set $nc (i32.const {{GEMM.NC}}))))
      (local.set $pc (i32.const 0))
      (block $pcd (loop $pcl
        (br_if $pcd (i32.ge_s (local.get $pc) (local.get $k)))
        (local.set $kc (i32.sub (local.get $k) (local.get $pc)))
        (if (i32.gt_s (local.get $kc) (i32.const {{GEMM.KC}})) (then (local.set $kc (i32.const {{GEMM.KC}}))))
        ;; the first depth block adds its products to the bias where there is one, later ones to C
        (local.set $acc (i32.or (i32.or (local.get $accumulate) (local.get $bias)) (i32.ne (local.get $pc) (i32.const 0))))
        (call $packB
          (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $pc) (local.get $brs)) (i32.mul (local.get $jc) (local.get $bcs))) (i32.const 2)))
          (local.get $brs) (local.get $bcs) (local.get $kc) (local.get $nc) (local.get $packB) (i32.const 0))
        (call $gemmBlock (local.get $m) (local.get $a) (local.get $ars) (local.get $acs) (local.get $pc) (local.get $kc)
          (local.get $packB) (local.get $jc) (local.get $nc) (local.get $c) (local.get $ldcb) (local.get $acc)
          (select (local.get $bias) (i32.const 0) (i32.eqz (local.get $pc))) (local.get $scratch))
        (local.set $pc (i32.add (local.get $pc) (i32.const {{GEMM.KC}})))
        (br $pcl)))
      (local.set $jc (i32.add (local.get $jc) (i32.const {{GEMM.NC}})))
      (br $jcl)))
  )
  ;; op(B) (k × n; element (p, j) at b + 4·(p·ldb + j), or b + 4·(j·ldb + p) when transB) packed
  ;; whole, as `gemm` packs it one (jc, pc) block at a time: block (jc, pc) at dst + 4·(jc·k + pc·ncr),
  ;; ncr its columns rounded up to NR, laid out by $packB. dst needs 4·k·⌈n/NR⌉·NR bytes. For an operand
  ;; that many products share (a recurrent layer's W_hh, at every time step): `gemmPackedB` reads it.
  (func $packOperandB (export "packOperandB") (param $transB i32) (param $k i32) (param $n i32) (param $b i32) (param $ldb i32) (param $dst i32)
    (local $brs i32) (local $bcs i32) (local $jc i32) (local $nc i32) (local $ncr i32) (local $pc i32) (local $kc i32)
    (if (local.get $transB)
      (then (local.set $brs (i32.const 1)) (local.set $bcs (local.get $ldb)))
      (else (local.set $brs (local.get $ldb)) (local.set $bcs (i32.const 1))))
    (block $jcd (loop $jcl
      (br_if $jcd (i32.ge_s (local.get $jc) (local.get $n)))
      (local.set $nc (i32.sub (local.get $n) (local.get $jc)))
      (if (i32.gt_s (local.get $nc) (i32.const {{GEMM.NC}})) (then (local.set $nc (i32.const {{GEMM.NC}}))))
      (local.set $ncr (i32.and (i32.add (local.get $nc) (i32.sub (i32.const {{GEMM.NR}}) (i32.const 1))) (i32.const -{{GEMM.NR}})))
      (local.set $pc (i32.const 0))
      (block $pcd (loop $pcl
        (br_if $pcd (i32.ge_s (local.get $pc) (local.get $k)))
        (local.set $kc (i32.sub (local.get $k) (local.get $pc)))
        (if (i32.gt_s (local.get $kc) (i32.const {{GEMM.KC}})) (then (local.set $kc (i32.const {{GEMM.KC}}))))
        (call $packB
          (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $pc) (local.get $brs)) (i32.mul (local.get $jc) (local.get $bcs))) (i32.const 2)))
          (local.get $brs) (local.get $bcs) (local.get $kc) (local.get $nc)
          (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $jc) (local.get $k)) (i32.mul (local.get $pc) (local.get $ncr))) (i32.const 2)))
          (i32.const 0))
        (local.set $pc (i32.add (local.get $pc) (i32.const {{GEMM.KC}})))
        (br $pcl)))
      (local.set $jc (i32.add (local.get $jc) (i32.const {{GEMM.NC}})))
      (br $jcl)))
  )
  ;; C[m x n] (+)= A[m x k]·op(B) with A row-major (row stride lda, in elements) and op(B) packed by
  ;; `packOperandB`: `gemm` (transA 0) without packing B, its blocks and sums ($gemmBlock), so every
  ;; element the same bits as `gemm` gives. NOTE: it has no dot-product path: where `gemm` would take
  ;; it (A·Bᵀ, m·n ≤ DOT_MAX_OUTPUT, k ≥ DOT_MIN_DEPTH) call `gemm`. scratch: as `gemm`'s.
  (func $gemmPackedB (export "gemmPackedB") (param $m i32) (param $n i32) (param $k i32) (param $a i32) (param $lda i32)
    (param $packed i32) (param $c i32) (param $ldc i32) (param $accumulate i32) (param $scratch i32)
    (local $jc i32) (local $nc i32) (local $ncr i32) (local $pc i32) (local $kc i32)
    (block $jcd (loop $jcl
      (br_if $jcd (i32.ge_s (local.get $jc) (local.get $n)))
      (local.set $nc (i32.sub (local.get $n) (local.get $jc)))
      (if (i32.gt_s (local.get $nc) (i32.const {{GEMM.NC}})) (then (local.set $nc (i32.const {{GEMM.NC}}))))
      (local.set $ncr (i32.and (i32.add (local.get $nc) (i32.sub (i32.const {{GEMM.NR}}) (i32.const 1))) (i32.const -{{GEMM.NR}})))
      (local.set $pc (i32.const 0))
      (block $pcd (loop $pcl
        (br_if $pcd (i32.ge_s (local.get $pc) (local.get $k)))
        (local.set $kc (i32.sub (local.get $k) (local.get $pc)))
        (if (i32.gt_s (local.get $kc) (i32.const {{GEMM.KC}})) (then (local.set $kc (i32.const {{GEMM.KC}}))))
        (call $gemmBlock (local.get $m) (local.get $a) (local.get $lda) (i32.const 1) (local.get $pc) (local.get $kc)
          (i32.add (local.get $packed) (i32.shl (i32.add (i32.mul (local.get $jc) (local.get $k)) (i32.mul (local.get $pc) (local.get $ncr))) (i32.const 2)))
          (local.get $jc) (local.get $nc) (local.get $c) (i32.shl (local.get $ldc) (i32.const 2))
          (i32.or (local.get $accumulate) (i32.ne (local.get $pc) (i32.const 0))) (i32.const 0) (local.get $scratch))
        (local.set $pc (i32.add (local.get $pc) (i32.const {{GEMM.KC}})))
        (br $pcl)))
      (local.set $jc (i32.add (local.get $jc) (i32.const {{GEMM.NC}})))
      (br $jcl)))
  )
;; Batched GEMM: for items i in [i0, i1), C_i (+)= op(A_i)·op(B_i) as `gemm`, with item i = (o, r) =
  ;; (i / inner, i % inner) at byte offsets o·*Outer + r·*Inner from a, b and c (e.g. (sample, head)
  ;; of attention, reading q, k, v in place in the token-major [N, T, 3E] projection). Each item is
  ;; one task's `gemm` on one thread, so results do not depend on the split.
  (func (export "gemmBatched") (param $transA i32) (param $transB i32) (param $m i32) (param $n i32) (param $k i32)
    (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32) (param $accumulate i32)
    (param $inner i32) (param $aOuter i32) (param $aInner i32) (param $bOuter i32) (param $bInner i32) (param $cOuter i32) (param $cInner i32)
    (param $i0 i32) (param $i1 i32) (param $scratch i32)
    (local $i i32) (local $o i32) (local $r i32)
    (local.set $i (local.get $i0))
    (block $d (loop $l
      (br_if $d (i32.ge_s (local.get $i) (local.get $i1)))
      (local.set $o (i32.div_u (local.get $i) (local.get $inner)))
      (local.set $r (i32.sub (local.get $i) (i32.mul (local.get $o) (local.get $inner))))
      (call $gemm (local.get $transA) (local.get $transB) (local.get $m) (local.get $n) (local.get $k)
        (i32.add (local.get $a) (i32.add (i32.mul (local.get $o) (local.get $aOuter)) (i32.mul (local.get $r) (local.get $aInner)))) (local.get $lda)
        (i32.add (local.get $b) (i32.add (i32.mul (local.get $o) (local.get $bOuter)) (i32.mul (local.get $r) (local.get $bInner)))) (local.get $ldb)
        (i32.add (local.get $c) (i32.add (i32.mul (local.get $o) (local.get $cOuter)) (i32.mul (local.get $r) (local.get $cInner)))) (local.get $ldc)
        (local.get $accumulate) (local.get $scratch))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
  )
  ;; The machine's 128-bit multiply-add peak as this build reaches it: `iters` rounds of 12 independent
  ;; f32x4 multiply-adds (acc = acc + x·y: one fused `relaxed_madd` in the relaxed-SIMD variant, a
  ;; mul and an add otherwise), 96 FLOPs a round, no memory traffic. Twelve chains cover an FMA's
  ;; latency × issue width on current x64 and Arm cores, and with x and y use 14 of V8's 15 usable
  ;; xmm registers. Returns a lane of the sum, so the work is not dead. For bench/run.ts (the share
  ;; of this peak each GEMM reaches): `CpuBackend.fmaPeak`.
  (func (export "fmaPeak") (param $iters i32) (param $seed f32) (result f32)
    (local $x v128) (local $y v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128) (local $a8 v128) (local $a9 v128) (local $a10 v128) (local $a11 v128)
    (local.set $x (f32x4.splat (local.get $seed)))
    (local.set $y (f32x4.splat (f32.const 0.999999)))
    (local.set $a0 (f32x4.splat (f32.const 0.0)))
    (local.set $a1 (f32x4.splat (f32.const 1.0)))
    (local.set $a2 (f32x4.splat (f32.const 2.0)))
    (local.set $a3 (f32x4.splat (f32.const 3.0)))
    (local.set $a4 (f32x4.splat (f32.const 4.0)))
    (local.set $a5 (f32x4.splat (f32.const 5.0)))
    (local.set $a6 (f32x4.splat (f32.const 6.0)))
    (local.set $a7 (f32x4.splat (f32.const 7.0)))
    (local.set $a8 (f32x4.splat (f32.const 8.0)))
    (local.set $a9 (f32x4.splat (f32.const 9.0)))
    (local.set $a10 (f32x4.splat (f32.const 10.0)))
    (local.set $a11 (f32x4.splat (f32.const 11.0)))
    (block $d (loop $l
      (br_if $d (i32.le_s (local.get $iters) (i32.const 0)))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x) (local.get $y))))
      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $x) (local.get $y))))
      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $x) (local.get $y))))
      (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $x) (local.get $y))))
      (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (local.get $x) (local.get $y))))
      (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (local.get $x) (local.get $y))))
      (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (local.get $x) (local.get $y))))
      (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (local.get $x) (local.get $y))))
      (local.set $a8 (f32x4.add (local.get $a8) (f32x4.mul (local.get $x) (local.get $y))))
      (local.set $a9 (f32x4.add (local.get $a9) (f32x4.mul (local.get $x) (local.get $y))))
      (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $x) (local.get $y))))
      (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $x) (local.get $y))))
      (local.set $iters (i32.sub (local.get $iters) (i32.const 1)))
      (br $l)))
    (f32x4.extract_lane 0 (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (local.get $a2)) (local.get $a3)) (local.get $a4)) (local.get $a5)) (local.get $a6)) (local.get $a7)) (local.get $a8)) (local.get $a9)) (local.get $a10)) (local.get $a11)))
  )

  ;; Pointwise (1×1, stride 1) convolutions over a batch: the samples' planes are one GEMM's columns
  ;; (forward, input gradient: gemmSampleCols) or depth (weight gradient: gemmSampleDepth), read in
  ;; place, so that products over small planes (mobilenet_v3_small's 7×7 and 14×14: L = 49, 196
  ;; positions) get whole 16-wide tiles and long depth blocks, and the weights are packed once a
  ;; block instead of once a sample.

  ;; Byte address of batch column j: b + ⌊j / L⌋·bs + 4·(j mod L) (sample ⌊j / L⌋, bs bytes apart).
  (func $colAddr (param $b i32) (param $bs i32) (param $L i32) (param $j i32) (result i32)
    (i32.add (local.get $b) (i32.add (i32.mul (i32.div_u (local.get $j) (local.get $L)) (local.get $bs))
      (i32.shl (i32.rem_u (local.get $j) (local.get $L)) (i32.const 2)))))
  ;; $packB for batch columns: a kc × nc block whose element (p, j) is at $colAddr(b, bs, L, j0 + j)
  ;; + 4·p·L (rows of a sample's plane L floats apart), in $packB's panels. Four columns at a time:
  ;; one f32x4 a row where they lie in one sample's plane, else lane by lane (zeros past nc).
  (func $packCols (param $b i32) (param $bs i32) (param $L i32) (param $j0 i32) (param $kc i32) (param $nc i32) (param $dst i32)
    (local $jp i32) (local $q i32) (local $t i32) (local $col i32) (local $cnt i32) (local $src i32) (local $d i32) (local $p i32) (local $row i32)
    (local.set $row (i32.shl (local.get $L) (i32.const 2)))
    (block $done (loop $panel
      (br_if $done (i32.ge_s (local.get $jp) (local.get $nc)))
      (local.set $col (i32.add (local.get $j0) (local.get $jp)))
      (local.set $q (i32.const 0))
      (if (i32.and (i32.ge_s (i32.sub (local.get $nc) (local.get $jp)) (i32.const 16))
            (i32.le_u (i32.add (i32.rem_u (local.get $col) (local.get $L)) (i32.const 16)) (local.get $L)))
        (then
          ;; the panel's 16 columns in one sample's plane: four f32x4 a row, as $packB
          (local.set $src (call $colAddr (local.get $b) (local.get $bs) (local.get $L) (local.get $col)))
          (local.set $d (local.get $dst))
          (local.set $p (i32.const 0))
          (block $wd (loop $wl
            (br_if $wd (i32.ge_s (local.get $p) (local.get $kc)))
            (v128.store offset=0 (local.get $d) (v128.load offset=0 (local.get $src)))
            (v128.store offset=16 (local.get $d) (v128.load offset=16 (local.get $src)))
            (v128.store offset=32 (local.get $d) (v128.load offset=32 (local.get $src)))
            (v128.store offset=48 (local.get $d) (v128.load offset=48 (local.get $src)))
            (local.set $src (i32.add (local.get $src) (local.get $row)))
            (local.set $d (i32.add (local.get $d) (i32.const 64)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $wl)))
          (local.set $q (i32.const 16))))
      (block $qd (loop $ql
        (br_if $qd (i32.ge_s (local.get $q) (i32.const 16)))
        (local.set $col (i32.add (local.get $j0) (i32.add (local.get $jp) (local.get $q))))
        (local.set $cnt (i32.sub (local.get $nc) (i32.add (local.get $jp) (local.get $q))))
        (if (i32.and (i32.ge_s (local.get $cnt) (i32.const 4))
              (i32.le_u (i32.add (i32.rem_u (local.get $col) (local.get $L)) (i32.const 4)) (local.get $L)))
          (then
            (local.set $src (call $colAddr (local.get $b) (local.get $bs) (local.get $L) (local.get $col)))
            (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $q) (i32.const 2))))
            (local.set $p (i32.const 0))
            (block $vd (loop $vl
              (br_if $vd (i32.ge_s (local.get $p) (local.get $kc)))
              (v128.store (local.get $d) (v128.load (local.get $src)))
              (local.set $src (i32.add (local.get $src) (local.get $row)))
              (local.set $d (i32.add (local.get $d) (i32.const 64)))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $vl))))
          (else
            (local.set $t (i32.const 0))
            (block $td (loop $tl
              (br_if $td (i32.ge_s (local.get $t) (i32.const 4)))
              (local.set $d (i32.add (local.get $dst) (i32.shl (i32.add (local.get $q) (local.get $t)) (i32.const 2))))
              (local.set $p (i32.const 0))
              (if (i32.lt_s (local.get $t) (local.get $cnt))
                (then
                  (local.set $src (call $colAddr (local.get $b) (local.get $bs) (local.get $L) (i32.add (local.get $col) (local.get $t))))
                  (block $sd (loop $sl
                    (br_if $sd (i32.ge_s (local.get $p) (local.get $kc)))
                    (f32.store (local.get $d) (f32.load (local.get $src)))
                    (local.set $src (i32.add (local.get $src) (local.get $row)))
                    (local.set $d (i32.add (local.get $d) (i32.const 64)))
                    (local.set $p (i32.add (local.get $p) (i32.const 1)))
                    (br $sl))))
                (else
                  (block $zd (loop $zl
                    (br_if $zd (i32.ge_s (local.get $p) (local.get $kc)))
                    (f32.store (local.get $d) (f32.const 0))
                    (local.set $d (i32.add (local.get $d) (i32.const 64)))
                    (local.set $p (i32.add (local.get $p) (i32.const 1)))
                    (br $zl)))))
              (local.set $t (i32.add (local.get $t) (i32.const 1)))
              (br $tl)))))
        (local.set $q (i32.add (local.get $q) (i32.const 4)))
        (br $ql)))
      (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 6))))
      (local.set $jp (i32.add (local.get $jp) (i32.const 16)))
      (br $panel)))
  )
  ;; $mergeTile onto batch columns: C[i][j] (+)= tile[i][j] for i < mr, j < nr, where C's row i of
  ;; column j0 + j is at $colAddr(c, cs, L, j0 + j) + 4·i·L.
  (func $mergeCols (param $tile i32) (param $c i32) (param $cs i32) (param $L i32) (param $j0 i32) (param $mr i32) (param $nr i32) (param $acc i32)
    (local $i i32) (local $j i32) (local $t i32) (local $d i32) (local $v f32) (local $row i32) (local $pos i32) (local $at i32)
    (local.set $row (i32.shl (local.get $L) (i32.const 2)))
    ;; column j0 + j at $at (its sample's row 0) + 4·pos, stepping to the next sample at pos = L
    (local.set $pos (i32.rem_u (local.get $j0) (local.get $L)))
    (local.set $at (i32.add (local.get $c) (i32.mul (i32.div_u (local.get $j0) (local.get $L)) (local.get $cs))))
    (block $jd (loop $jl
      (br_if $jd (i32.ge_s (local.get $j) (local.get $nr)))
      (if (i32.eq (local.get $pos) (local.get $L)) (then
        (local.set $pos (i32.const 0))
        (local.set $at (i32.add (local.get $at) (local.get $cs)))))
      (local.set $d (i32.add (local.get $at) (i32.shl (local.get $pos) (i32.const 2))))
      (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
      (local.set $t (i32.add (local.get $tile) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $i (i32.const 0))
      (block $id (loop $il
        (br_if $id (i32.ge_s (local.get $i) (local.get $mr)))
        (local.set $v (f32.load (local.get $t)))
        (if (local.get $acc) (then (local.set $v (f32.add (local.get $v) (f32.load (local.get $d))))))
        (f32.store (local.get $d) (local.get $v))
        (local.set $t (i32.add (local.get $t) (i32.const {{GEMM.TILE_ROW_BYTES}})))
        (local.set $d (i32.add (local.get $d) (local.get $row)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $jl)))
  )
  ;; An eval-mode BatchNorm and activation $act (0 none, 1 ReLU, 3 HardSwish: bnForward's modes)
  ;; applied in place, by elementwise.wat's $normalize (the same instructions as bnForward), to rows
  ;; [i0, i1) and batch columns [j0, j0 + nc) of Y (sample ⌊j / L⌋'s plane, bs bytes apart; rows L
  ;; floats apart), row i with the mean, 1/σ, γ and β at $ep + 16·i: each row's columns as runs that
  ;; stay in one sample's plane (each lane's arithmetic is the scalar tail's, so where a run starts
  ;; does not change a bit).
  (func $epilogueCols (param $y i32) (param $bs i32) (param $L i32) (param $j0 i32) (param $nc i32) (param $i0 i32) (param $i1 i32)
    (param $ep i32) (param $act i32)
    (local $i i32) (local $j i32) (local $end i32) (local $pos i32) (local $run i32) (local $p i32) (local $e i32)
    (local.set $end (i32.add (local.get $j0) (local.get $nc)))
    (local.set $i (local.get $i0))
    (block $id (loop $il
      (br_if $id (i32.ge_s (local.get $i) (local.get $i1)))
      (local.set $j (local.get $j0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_s (local.get $j) (local.get $end)))
        (local.set $pos (i32.rem_u (local.get $j) (local.get $L)))
        (local.set $run (i32.sub (local.get $L) (local.get $pos)))
        (if (i32.gt_s (local.get $run) (i32.sub (local.get $end) (local.get $j))) (then (local.set $run (i32.sub (local.get $end) (local.get $j)))))
        (local.set $p (i32.add (call $colAddr (local.get $y) (local.get $bs) (local.get $L) (local.get $j)) (i32.shl (i32.mul (local.get $i) (local.get $L)) (i32.const 2))))
        (local.set $e (i32.add (local.get $ep) (i32.shl (local.get $i) (i32.const 4))))
        (call $normalize (local.get $p) (i32.const 0) (local.get $p) (local.get $run)
          (f32.load offset=0 (local.get $e)) (f32.load offset=4 (local.get $e)) (f32.load offset=8 (local.get $e)) (f32.load offset=12 (local.get $e))
          (local.get $act) (i32.const 0))
        (local.set $j (i32.add (local.get $j) (local.get $run)))
        (br $jl)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
  )
  ;; Y_s (+)= op(A)·X_s for samples s in [n0, n1): X_s [k × L] at x + s·xs, Y_s [m × L] at y + s·ys
  ;; (bytes apart; rows L floats apart), as one GEMM of (n1 − n0)·L columns (column j: position
  ;; j mod L of sample n0 + ⌊j / L⌋). A 1×1 stride-1 Conv2d's forward (A = W) and input gradient
  ;; (transA, A = W read as Wᵀ). `gemm`'s blocks and micro-kernel sums, so each element the same bits
  ;; as `gemm` on its own sample (transB 0: no dot-product path); a tile that lies in one sample's
  ;; plane is written in place, one across two (or at an edge) through the edge tile. $ep ≠ 0 (not
  ;; accumulating): an eval-mode BatchNorm and activation $act after the product ($epilogueCols, row
  ;; i with the entry at $ep + 16·i), applied to each block of MC rows × NC columns once its last
  ;; depth block is summed, while the block is in cache (fusions/conv-batch-norm.ts).
  (func (export "gemmSampleCols") (param $transA i32) (param $m i32) (param $k i32) (param $a i32) (param $lda i32)
    (param $x i32) (param $xs i32) (param $y i32) (param $ys i32) (param $L i32) (param $n0 i32) (param $n1 i32)
    (param $accumulate i32) (param $ep i32) (param $act i32) (param $scratch i32)
    (local $ars i32) (local $acs i32) (local $n i32) (local $row i32)
    (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32) (local $ic i32) (local $mc i32)
    (local $jr i32) (local $nr i32) (local $ir i32) (local $mr i32) (local $acc i32)
    (local $packA i32) (local $packB i32) (local $tile i32) (local $col i32) (local $whole i32) (local $cj i32) (local $pa i32) (local $pb i32) (local $ci i32)
    (local.set $packA (local.get $scratch))
    (local.set $packB (i32.add (local.get $scratch) (i32.const {{GEMM.PACK_A_BYTES}})))
    (local.set $tile (i32.add (local.get $packB) (i32.const {{GEMM.PACK_B_BYTES}})))
    (local.set $row (i32.shl (local.get $L) (i32.const 2)))
    (local.set $x (i32.add (local.get $x) (i32.mul (local.get $n0) (local.get $xs))))
    (local.set $y (i32.add (local.get $y) (i32.mul (local.get $n0) (local.get $ys))))
    (local.set $n (i32.mul (i32.sub (local.get $n1) (local.get $n0)) (local.get $L)))
    (if (local.get $transA)
      (then (local.set $ars (i32.const 1)) (local.set $acs (local.get $lda)))
      (else (local.set $ars (local.get $lda)) (local.set $acs (i32.const 1))))
    (block $jcd (loop $jcl
      (br_if $jcd (i32.ge_s (local.get $jc) (local.get $n)))
      (local.set $nc (i32.sub (local.get $n) (local.get $jc)))
      (if (i32.gt_s (local.get $nc) (i32.const {{GEMM.NC}})) (then (local.set $nc (i32.const {{GEMM.NC}}))))
      (local.set $pc (i32.const 0))
      (block $pcd (loop $pcl
        (br_if $pcd (i32.ge_s (local.get $pc) (local.get $k)))
        (local.set $kc (i32.sub (local.get $k) (local.get $pc)))
        (if (i32.gt_s (local.get $kc) (i32.const {{GEMM.KC}})) (then (local.set $kc (i32.const {{GEMM.KC}}))))
        (local.set $acc (i32.or (local.get $accumulate) (i32.ne (local.get $pc) (i32.const 0))))
        (call $packCols (i32.add (local.get $x) (i32.mul (local.get $pc) (local.get $row))) (local.get $xs) (local.get $L)
          (local.get $jc) (local.get $kc) (local.get $nc) (local.get $packB))
        (local.set $ic (i32.const 0))
        (block $icd (loop $icl
          (br_if $icd (i32.ge_s (local.get $ic) (local.get $m)))
          (local.set $mc (i32.sub (local.get $m) (local.get $ic)))
          (if (i32.gt_s (local.get $mc) (i32.const {{GEMM.MC}})) (then (local.set $mc (i32.const {{GEMM.MC}}))))
          (call $packA
            (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $ic) (local.get $ars)) (i32.mul (local.get $pc) (local.get $acs))) (i32.const 2)))
            (local.get $ars) (local.get $acs) (local.get $mc) (local.get $kc) (local.get $packA) (i32.shl (local.get $kc) (i32.const 3)))
          (local.set $jr (i32.const 0))
          (block $jrd (loop $jrl
            (br_if $jrd (i32.ge_s (local.get $jr) (local.get $nc)))
            (local.set $nr (i32.sub (local.get $nc) (local.get $jr)))
            (if (i32.gt_s (local.get $nr) (i32.const {{GEMM.NR}})) (then (local.set $nr (i32.const {{GEMM.NR}}))))
            (local.set $col (i32.add (local.get $jc) (local.get $jr)))
            ;; $whole: the tile's 16 columns lie in one sample's plane, from $cj in sample n0's first row
            (local.set $whole (i32.and (i32.eq (local.get $nr) (i32.const {{GEMM.NR}}))
              (i32.le_u (i32.add (i32.rem_u (local.get $col) (local.get $L)) (i32.const {{GEMM.NR}})) (local.get $L))))
            (local.set $cj (call $colAddr (local.get $y) (local.get $ys) (local.get $L) (local.get $col)))
            (local.set $pb (i32.add (local.get $packB) (i32.mul (local.get $jr) (i32.shl (local.get $kc) (i32.const 2)))))
            (local.set $ir (i32.const 0))
            (block $ird (loop $irl
              (br_if $ird (i32.ge_s (local.get $ir) (local.get $mc)))
              (local.set $mr (i32.sub (local.get $mc) (local.get $ir)))
              (if (i32.gt_s (local.get $mr) (i32.const {{GEMM.MR}})) (then (local.set $mr (i32.const {{GEMM.MR}}))))
              (local.set $pa (i32.add (local.get $packA) (i32.mul (local.get $ir) (i32.shl (local.get $kc) (i32.const 2)))))
              ;; the tile's first row: ic + ir rows down
              (local.set $ci (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $row)))
              (if (i32.and (local.get $whole) (i32.eq (local.get $mr) (i32.const {{GEMM.MR}})))
                (then
                  (call $micro (local.get $pa) (local.get $pb) (local.get $kc) (i32.add (local.get $cj) (local.get $ci)) (local.get $row) (local.get $acc)
                    (i32.add (local.get $cj) (local.get $ci)) (local.get $row)))
                (else
                  (call $micro (local.get $pa) (local.get $pb) (local.get $kc) (local.get $tile) (i32.const {{GEMM.TILE_ROW_BYTES}}) (i32.const 0) (i32.const 0) (i32.const 0))
                  (call $mergeCols (local.get $tile) (i32.add (local.get $y) (local.get $ci)) (local.get $ys) (local.get $L) (local.get $col) (local.get $mr) (local.get $nr) (local.get $acc))))
              (local.set $ir (i32.add (local.get $ir) (i32.const {{GEMM.MR}})))
              (br $irl)))
            (local.set $jr (i32.add (local.get $jr) (i32.const {{GEMM.NR}})))
            (br $jrl)))
          (if (i32.and (i32.ne (local.get $ep) (i32.const 0)) (i32.ge_s (i32.add (local.get $pc) (local.get $kc)) (local.get $k)))
            (then (call $epilogueCols (local.get $y) (local.get $ys) (local.get $L) (local.get $jc) (local.get $nc)
              (local.get $ic) (i32.add (local.get $ic) (local.get $mc)) (local.get $ep) (local.get $act))))
          (local.set $ic (i32.add (local.get $ic) (i32.const {{GEMM.MC}})))
          (br $icl)))
        (local.set $pc (i32.add (local.get $pc) (i32.const {{GEMM.KC}})))
        (br $pcl)))
      (local.set $jc (i32.add (local.get $jc) (i32.const {{GEMM.NC}})))
      (br $jcl)))
  )
  ;; C's rows [o0, o1) and columns [j0, j1) (+)= Σ_s A_s·B_sᵀ over samples s in [0, N): A_s [· × L]
  ;; at a + s·as, B_s [· × L] at b + s·bs (bytes apart; rows L floats apart), C's rows ldc floats
  ;; apart: one GEMM whose depth is the batch's N·L positions (depth p: position p mod L of sample
  ;; ⌊p / L⌋). A 1×1 stride-1 Conv2d's weight gradient (A = dy, B = x), split by output channels
  ;; (rows) or input channels (columns): every task sums the whole batch, so the sums do not depend
  ;; on the split or the thread count. A depth block's part in each sample is packed by
  ;; $packA / $packB where the block's whole depth would go, and the micro-kernel runs the block.
  (func (export "gemmSampleDepth") (param $o0 i32) (param $o1 i32) (param $j0 i32) (param $j1 i32) (param $N i32) (param $L i32)
    (param $a i32) (param $as i32) (param $b i32) (param $bs i32) (param $c i32) (param $ldc i32)
    (param $accumulate i32) (param $scratch i32)
    (local $m i32) (local $n i32) (local $k i32) (local $row i32) (local $ldcb i32)
    (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32) (local $ic i32) (local $mc i32)
    (local $jr i32) (local $nr i32) (local $ir i32) (local $mr i32) (local $acc i32)
    (local $packA i32) (local $packB i32) (local $tile i32) (local $cp i32) (local $pa i32) (local $pb i32)
    (local $p i32) (local $s i32) (local $pos i32) (local $seg i32)
    (local.set $packA (local.get $scratch))
    (local.set $packB (i32.add (local.get $scratch) (i32.const {{GEMM.PACK_A_BYTES}})))
    (local.set $tile (i32.add (local.get $packB) (i32.const {{GEMM.PACK_B_BYTES}})))
    (local.set $row (i32.shl (local.get $L) (i32.const 2)))
    (local.set $ldcb (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $m (i32.sub (local.get $o1) (local.get $o0)))
    (local.set $k (i32.mul (local.get $N) (local.get $L)))
    (local.set $n (i32.sub (local.get $j1) (local.get $j0)))
    (local.set $a (i32.add (local.get $a) (i32.mul (local.get $o0) (local.get $row))))
    (local.set $b (i32.add (local.get $b) (i32.mul (local.get $j0) (local.get $row))))
    (local.set $c (i32.add (local.get $c) (i32.add (i32.mul (local.get $o0) (local.get $ldcb)) (i32.shl (local.get $j0) (i32.const 2)))))
    (block $jcd (loop $jcl
      (br_if $jcd (i32.ge_s (local.get $jc) (local.get $n)))
      (local.set $nc (i32.sub (local.get $n) (local.get $jc)))
      (if (i32.gt_s (local.get $nc) (i32.const {{GEMM.NC}})) (then (local.set $nc (i32.const {{GEMM.NC}}))))
      (local.set $pc (i32.const 0))
      (block $pcd (loop $pcl
        (br_if $pcd (i32.ge_s (local.get $pc) (local.get $k)))
        (local.set $kc (i32.sub (local.get $k) (local.get $pc)))
        (if (i32.gt_s (local.get $kc) (i32.const {{GEMM.KC}})) (then (local.set $kc (i32.const {{GEMM.KC}}))))
        (local.set $acc (i32.or (local.get $accumulate) (i32.ne (local.get $pc) (i32.const 0))))
        ;; op(B) = Bᵀ's block, [pc, pc + kc) × [jc, jc + nc), one sample's part at a time
        (local.set $p (local.get $pc))
        (block $bd (loop $bl
          (br_if $bd (i32.ge_s (local.get $p) (i32.add (local.get $pc) (local.get $kc))))
          (local.set $s (i32.div_u (local.get $p) (local.get $L)))
          (local.set $pos (i32.rem_u (local.get $p) (local.get $L)))
          (local.set $seg (i32.sub (local.get $L) (local.get $pos)))
          (if (i32.gt_s (local.get $seg) (i32.sub (i32.add (local.get $pc) (local.get $kc)) (local.get $p)))
            (then (local.set $seg (i32.sub (i32.add (local.get $pc) (local.get $kc)) (local.get $p)))))
          (call $packB
            (i32.add (i32.add (local.get $b) (i32.mul (local.get $s) (local.get $bs))) (i32.add (i32.shl (local.get $pos) (i32.const 2)) (i32.mul (local.get $jc) (local.get $row))))
            (i32.const 1) (local.get $L) (local.get $seg) (local.get $nc)
            (i32.add (local.get $packB) (i32.shl (i32.sub (local.get $p) (local.get $pc)) (i32.const 6)))
            (i32.shl (i32.sub (local.get $kc) (local.get $seg)) (i32.const 6)))
          (local.set $p (i32.add (local.get $p) (local.get $seg)))
          (br $bl)))
        (local.set $ic (i32.const 0))
        (block $icd (loop $icl
          (br_if $icd (i32.ge_s (local.get $ic) (local.get $m)))
          (local.set $mc (i32.sub (local.get $m) (local.get $ic)))
          (if (i32.gt_s (local.get $mc) (i32.const {{GEMM.MC}})) (then (local.set $mc (i32.const {{GEMM.MC}}))))
          (local.set $p (local.get $pc))
          (block $ad (loop $al
            (br_if $ad (i32.ge_s (local.get $p) (i32.add (local.get $pc) (local.get $kc))))
            (local.set $s (i32.div_u (local.get $p) (local.get $L)))
            (local.set $pos (i32.rem_u (local.get $p) (local.get $L)))
            (local.set $seg (i32.sub (local.get $L) (local.get $pos)))
            (if (i32.gt_s (local.get $seg) (i32.sub (i32.add (local.get $pc) (local.get $kc)) (local.get $p)))
              (then (local.set $seg (i32.sub (i32.add (local.get $pc) (local.get $kc)) (local.get $p)))))
            (call $packA
              (i32.add (i32.add (local.get $a) (i32.mul (local.get $s) (local.get $as))) (i32.add (i32.shl (local.get $pos) (i32.const 2)) (i32.mul (local.get $ic) (local.get $row))))
              (local.get $L) (i32.const 1) (local.get $mc) (local.get $seg)
              (i32.add (local.get $packA) (i32.shl (i32.sub (local.get $p) (local.get $pc)) (i32.const 3)))
              (i32.shl (local.get $kc) (i32.const 3)))
            (local.set $p (i32.add (local.get $p) (local.get $seg)))
            (br $al)))
          (local.set $jr (i32.const 0))
          (block $jrd (loop $jrl
            (br_if $jrd (i32.ge_s (local.get $jr) (local.get $nc)))
            (local.set $nr (i32.sub (local.get $nc) (local.get $jr)))
            (if (i32.gt_s (local.get $nr) (i32.const {{GEMM.NR}})) (then (local.set $nr (i32.const {{GEMM.NR}}))))
            (local.set $pb (i32.add (local.get $packB) (i32.mul (local.get $jr) (i32.shl (local.get $kc) (i32.const 2)))))
            (local.set $ir (i32.const 0))
            (block $ird (loop $irl
              (br_if $ird (i32.ge_s (local.get $ir) (local.get $mc)))
              (local.set $mr (i32.sub (local.get $mc) (local.get $ir)))
              (if (i32.gt_s (local.get $mr) (i32.const {{GEMM.MR}})) (then (local.set $mr (i32.const {{GEMM.MR}}))))
              (local.set $pa (i32.add (local.get $packA) (i32.mul (local.get $ir) (i32.shl (local.get $kc) (i32.const 2)))))
              (local.set $cp (i32.add (local.get $c)
                (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ldcb)) (i32.shl (i32.add (local.get $jc) (local.get $jr)) (i32.const 2)))))
              (if (i32.and (i32.eq (local.get $mr) (i32.const {{GEMM.MR}})) (i32.eq (local.get $nr) (i32.const {{GEMM.NR}})))
                (then (call $micro (local.get $pa) (local.get $pb) (local.get $kc) (local.get $cp) (local.get $ldcb) (local.get $acc) (local.get $cp) (local.get $ldcb)))
                (else
                  (call $micro (local.get $pa) (local.get $pb) (local.get $kc) (local.get $tile) (i32.const {{GEMM.TILE_ROW_BYTES}}) (i32.const 0) (i32.const 0) (i32.const 0))
                  (call $mergeTile (local.get $tile) (local.get $cp) (local.get $ldcb) (local.get $mr) (local.get $nr) (local.get $acc) (local.get $cp) (local.get $ldcb))))
              (local.set $ir (i32.add (local.get $ir) (i32.const {{GEMM.MR}})))
              (br $irl)))
            (local.set $jr (i32.add (local.get $jr) (i32.const {{GEMM.NR}})))
            (br $jrl)))
          (local.set $ic (i32.add (local.get $ic) (i32.const {{GEMM.MC}})))
          (br $icl)))
        (local.set $pc (i32.add (local.get $pc) (i32.const {{GEMM.KC}})))
        (br $pcl)))
      (local.set $jc (i32.add (local.get $jc) (i32.const {{GEMM.NC}})))
      (br $jcl)))
  )
)
