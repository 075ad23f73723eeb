;; Causal attention's per-(sample, head) products for WebAssembly SIMD, computing only the
;; triangle a causal mask keeps (MultiHeadAttention with `causal`: the tiny GPT). The general
;; `gemmBatched` computes every square [T, T] block in full, half of it for keys after the query
;; that the softmax then zeroes; these skip that half.
;;
;; Bit-identical to `gemmBatched` on what they keep: every output element is a sum over the
;; reduction index in ascending order, started from +0, one `acc + a·b` per term, as gemm.wat's
;; micro-kernel (the relaxed-SIMD build fuses both the same way); the terms skipped are the ones
;; whose factor is a masked 0, and adding 0·b to such a sum leaves it unchanged.
;;
;; Items i in [i0, i1) are (o, r) = (i / inner, i % inner), at byte offsets o·*Outer + r·*Inner
;; from a, b and c, as `gemmBatched`. Strides are in elements.
(module
  (import "env" "memory" (memory 1 {{HEAP.MAX_PAGES}} shared))
  (import "activations" "softmaxRows" (func $softmaxRows (param i32 i32 i32 i32 i32 i32 i32)))
  (import "activations" "softmaxBackwardRows" (func $softmaxBackwardRows (param i32 i32 i32 i32 i32 i32 i32 f32 i32)))

  ;; Two rows of a product: c0[0..n) = s · Σ_p a0[p·acs] · b[p·ldb + 0..n) and c1 likewise from
  ;; a1, over the shared terms p in [0, np), in ascending p; $mode 1: row 1 then adds the term
  ;; p = np; $mode 2: row 0 first takes the term p = −1. n is a multiple of 4; acs and ldb in bytes.
  ;; Sixteen columns at a time (2 × 4 accumulators, as gemm.wat's 2×16 micro-kernel), then four.
  (func $panel2 (param $a0 i32) (param $a1 i32) (param $acs i32) (param $b i32) (param $ldb i32) (param $np i32)
    (param $c0 i32) (param $c1 i32) (param $n i32) (param $s f32) (param $mode i32)
    (local $j i32) (local $n16 i32) (local $p0 i32) (local $p1 i32) (local $bp i32) (local $end i32) (local $sv v128) (local $w i32)
    (local $x v128) (local $y v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local.set $sv (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $a0) (i32.mul (local.get $np) (local.get $acs))))
    (local.set $n16 (i32.and (local.get $n) (i32.const -16)))
    (block $jd (loop $jl
      (br_if $jd (i32.ge_s (local.get $j) (local.get $n16)))
      (local.set $r0 (v128.const i64x2 0 0)) (local.set $r1 (v128.const i64x2 0 0)) (local.set $r2 (v128.const i64x2 0 0)) (local.set $r3 (v128.const i64x2 0 0))
      (local.set $q0 (v128.const i64x2 0 0)) (local.set $q1 (v128.const i64x2 0 0)) (local.set $q2 (v128.const i64x2 0 0)) (local.set $q3 (v128.const i64x2 0 0))
      (local.set $p0 (local.get $a0))
      (local.set $p1 (local.get $a1))
      (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
      (if (i32.eq (local.get $mode) (i32.const 2)) (then
        (local.set $w (i32.sub (local.get $bp) (local.get $ldb)))
        (local.set $x (v128.load32_splat (i32.sub (local.get $p0) (local.get $acs))))
        (local.set $b0 (v128.load offset=0 (local.get $w)))
        (local.set $b1 (v128.load offset=16 (local.get $w)))
        (local.set $b2 (v128.load offset=32 (local.get $w)))
        (local.set $b3 (v128.load offset=48 (local.get $w)))
        (local.set $r0 (f32x4.add (local.get $r0) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $r1 (f32x4.add (local.get $r1) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $r2 (f32x4.add (local.get $r2) (f32x4.mul (local.get $x) (local.get $b2))))
        (local.set $r3 (f32x4.add (local.get $r3) (f32x4.mul (local.get $x) (local.get $b3))))))
      (block $pd (loop $pl
        (br_if $pd (i32.ge_u (local.get $p0) (local.get $end)))
        (local.set $b0 (v128.load offset=0 (local.get $bp)))
        (local.set $b1 (v128.load offset=16 (local.get $bp)))
        (local.set $b2 (v128.load offset=32 (local.get $bp)))
        (local.set $b3 (v128.load offset=48 (local.get $bp)))
        (local.set $x (v128.load32_splat (local.get $p0)))
        (local.set $r0 (f32x4.add (local.get $r0) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $r1 (f32x4.add (local.get $r1) (f32x4.mul (local.get $x) (local.get $b1))))
        (local.set $r2 (f32x4.add (local.get $r2) (f32x4.mul (local.get $x) (local.get $b2))))
        (local.set $r3 (f32x4.add (local.get $r3) (f32x4.mul (local.get $x) (local.get $b3))))
        (local.set $y (v128.load32_splat (local.get $p1)))
        (local.set $q0 (f32x4.add (local.get $q0) (f32x4.mul (local.get $y) (local.get $b0))))
        (local.set $q1 (f32x4.add (local.get $q1) (f32x4.mul (local.get $y) (local.get $b1))))
        (local.set $q2 (f32x4.add (local.get $q2) (f32x4.mul (local.get $y) (local.get $b2))))
        (local.set $q3 (f32x4.add (local.get $q3) (f32x4.mul (local.get $y) (local.get $b3))))
        (local.set $p0 (i32.add (local.get $p0) (local.get $acs)))
        (local.set $p1 (i32.add (local.get $p1) (local.get $acs)))
        (local.set $bp (i32.add (local.get $bp) (local.get $ldb)))
        (br $pl)))
      (if (i32.eq (local.get $mode) (i32.const 1)) (then
        (local.set $y (v128.load32_splat (local.get $p1)))
        (local.set $b0 (v128.load offset=0 (local.get $bp)))
        (local.set $b1 (v128.load offset=16 (local.get $bp)))
        (local.set $b2 (v128.load offset=32 (local.get $bp)))
        (local.set $b3 (v128.load offset=48 (local.get $bp)))
        (local.set $q0 (f32x4.add (local.get $q0) (f32x4.mul (local.get $y) (local.get $b0))))
        (local.set $q1 (f32x4.add (local.get $q1) (f32x4.mul (local.get $y) (local.get $b1))))
        (local.set $q2 (f32x4.add (local.get $q2) (f32x4.mul (local.get $y) (local.get $b2))))
        (local.set $q3 (f32x4.add (local.get $q3) (f32x4.mul (local.get $y) (local.get $b3))))))
      (local.set $w (i32.add (local.get $c0) (i32.shl (local.get $j) (i32.const 2))))
      (v128.store offset=0 (local.get $w) (f32x4.mul (local.get $r0) (local.get $sv)))
      (v128.store offset=16 (local.get $w) (f32x4.mul (local.get $r1) (local.get $sv)))
      (v128.store offset=32 (local.get $w) (f32x4.mul (local.get $r2) (local.get $sv)))
      (v128.store offset=48 (local.get $w) (f32x4.mul (local.get $r3) (local.get $sv)))
      (local.set $w (i32.add (local.get $c1) (i32.shl (local.get $j) (i32.const 2))))
      (v128.store offset=0 (local.get $w) (f32x4.mul (local.get $q0) (local.get $sv)))
      (v128.store offset=16 (local.get $w) (f32x4.mul (local.get $q1) (local.get $sv)))
      (v128.store offset=32 (local.get $w) (f32x4.mul (local.get $q2) (local.get $sv)))
      (v128.store offset=48 (local.get $w) (f32x4.mul (local.get $q3) (local.get $sv)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $jl)))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_s (local.get $j) (local.get $n)))
      (local.set $r0 (v128.const i64x2 0 0))
      (local.set $q0 (v128.const i64x2 0 0))
      (local.set $p0 (local.get $a0))
      (local.set $p1 (local.get $a1))
      (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
      (if (i32.eq (local.get $mode) (i32.const 2)) (then
        (local.set $x (v128.load32_splat (i32.sub (local.get $p0) (local.get $acs))))
        (local.set $b0 (v128.load (i32.sub (local.get $bp) (local.get $ldb))))
        (local.set $r0 (f32x4.add (local.get $r0) (f32x4.mul (local.get $x) (local.get $b0))))))
      (block $qd (loop $ql
        (br_if $qd (i32.ge_u (local.get $p0) (local.get $end)))
        (local.set $b0 (v128.load (local.get $bp)))
        (local.set $x (v128.load32_splat (local.get $p0)))
        (local.set $y (v128.load32_splat (local.get $p1)))
        (local.set $r0 (f32x4.add (local.get $r0) (f32x4.mul (local.get $x) (local.get $b0))))
        (local.set $q0 (f32x4.add (local.get $q0) (f32x4.mul (local.get $y) (local.get $b0))))
        (local.set $p0 (i32.add (local.get $p0) (local.get $acs)))
        (local.set $p1 (i32.add (local.get $p1) (local.get $acs)))
        (local.set $bp (i32.add (local.get $bp) (local.get $ldb)))
        (br $ql)))
      (if (i32.eq (local.get $mode) (i32.const 1)) (then
        (local.set $y (v128.load32_splat (local.get $p1)))
        (local.set $b0 (v128.load (local.get $bp)))
        (local.set $q0 (f32x4.add (local.get $q0) (f32x4.mul (local.get $y) (local.get $b0))))))
      (v128.store (i32.add (local.get $c0) (i32.shl (local.get $j) (i32.const 2))) (f32x4.mul (local.get $r0) (local.get $sv)))
      (v128.store (i32.add (local.get $c1) (i32.shl (local.get $j) (i32.const 2))) (f32x4.mul (local.get $q0) (local.get $sv)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $vl)))
  )

  ;; base + o·outer + r·inner: where item (o, r) starts in an operand.
  (func $at (param $base i32) (param $o i32) (param $r i32) (param $outer i32) (param $inner i32) (result i32)
    (i32.add (local.get $base) (i32.add (i32.mul (local.get $o) (local.get $outer)) (i32.mul (local.get $r) (local.get $inner)))))

  ;; One item of attentionScores (below): B transposed into $scratch, then the rows in pairs.
  (func $scoresItem (param $ai i32) (param $lda i32) (param $bi i32) (param $ldb i32) (param $ci i32) (param $t i32) (param $d i32) (param $s f32) (param $zero i32)
    (param $scratch i32)
    (local $r i32) (local $p i32) (local $n i32) (local $row i32) (local $src i32) (local $dst i32) (local $t4 i32) (local $ldb4 i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local.set $t4 (i32.shl (local.get $t) (i32.const 2)))
    (local.set $ldb4 (i32.shl (local.get $ldb) (i32.const 2)))
    ;; scratch[p·t + j] = B[j, p], in 4×4 blocks (t and d multiples of 4)
    (local.set $r (i32.const 0))
    (block $td (loop $tl
      (br_if $td (i32.ge_s (local.get $r) (local.get $t)))
      (local.set $src (i32.add (local.get $bi) (i32.shl (i32.mul (local.get $r) (local.get $ldb)) (i32.const 2))))
      (local.set $dst (i32.add (local.get $scratch) (i32.shl (local.get $r) (i32.const 2))))
      (local.set $p (i32.const 0))
      (block $pd (loop $pl
        (br_if $pd (i32.ge_s (local.get $p) (local.get $d)))
        (local.set $v0 (v128.load (local.get $src)))
        (local.set $v1 (v128.load (i32.add (local.get $src) (local.get $ldb4))))
        (local.set $v2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $ldb4) (i32.const 1)))))
        (local.set $v3 (v128.load (i32.add (local.get $src) (i32.mul (local.get $ldb4) (i32.const 3)))))
        ;; (a0 b0 a1 b1), (c0 d0 c1 d1), (a2 b2 a3 b3), (c2 d2 c3 d3)
        (local.set $w0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
        (local.set $w1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
        (local.set $w2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
        (local.set $w3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
        (v128.store (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $w0) (local.get $w1)))
        (v128.store (i32.add (local.get $dst) (local.get $t4)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $w0) (local.get $w1)))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $t4) (i32.const 1))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $w2) (local.get $w3)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $t4) (i32.const 3))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $w2) (local.get $w3)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $t4) (i32.const 2))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $pl)))
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $tl)))
    ;; rows r, r + 1: the columns up to r + 1's 4-aligned end (for row r too: the same sums), then 0
    (local.set $r (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s (local.get $r) (local.get $t)))
      (local.set $n (i32.and (i32.add (local.get $r) (i32.const 17)) (i32.const -16)))
      (if (i32.gt_s (local.get $n) (local.get $t)) (then (local.set $n (i32.and (i32.add (local.get $r) (i32.const 5)) (i32.const -4)))))
      (local.set $row (i32.add (local.get $ci) (i32.shl (i32.mul (local.get $r) (local.get $t)) (i32.const 2))))
      (local.set $src (i32.add (local.get $ai) (i32.shl (i32.mul (local.get $r) (local.get $lda)) (i32.const 2))))
      (call $panel2 (local.get $src) (i32.add (local.get $src) (i32.shl (local.get $lda) (i32.const 2))) (i32.const 4)
        (local.get $scratch) (i32.shl (local.get $t) (i32.const 2)) (local.get $d)
        (local.get $row) (i32.add (local.get $row) (i32.shl (local.get $t) (i32.const 2))) (local.get $n) (local.get $s) (i32.const 0))
      (local.set $dst (i32.add (local.get $row) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $p (select (i32.add (local.get $row) (local.get $t4)) (local.get $dst) (local.get $zero)))
      (block $zd (loop $zl
        (br_if $zd (i32.ge_u (local.get $dst) (local.get $p)))
        (v128.store (local.get $dst) (v128.const i64x2 0 0))
        (v128.store (i32.add (local.get $dst) (local.get $t4)) (v128.const i64x2 0 0))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $zl)))
      (local.set $r (i32.add (local.get $r) (i32.const 2)))
      (br $rl)))
  )

  ;; Scores of a causal block, per item: C[r, j] = s · Σ_{p < d} A[r, p] · B[j, p] for j ≤ r, C square
  ;; [t, t] (row stride t): `gemmBatched` with transB = 1, then scaled by s (the same rounding: the
  ;; sum, then one product). Rows go in pairs, both up to the second's 16-aligned end where the
  ;; row has it, else its 4-aligned end (sixteen columns at full speed cost less than four at a time;
  ;; the extra entries are the same sums, left for the softmax to mask); $zero = 1: the rest of each row set
  ;; to 0 (dP, whose softmax backward reads whole rows), 0: left as it was (the forward's softmax
  ;; writes it). B is transposed into $scratch (t·d floats) first, so each row's columns are f32x4
  ;; lanes. t and d are multiples of 4.
  (func (export "attentionScores") (param $a i32) (param $lda i32) (param $b i32) (param $ldb i32) (param $c i32) (param $t i32) (param $d i32) (param $s f32) (param $zero i32)
    (param $inner i32) (param $aOuter i32) (param $aInner i32) (param $bOuter i32) (param $bInner i32) (param $cOuter i32) (param $cInner i32)
    (param $i0 i32) (param $i1 i32) (param $scratch i32)
    (local $i i32) (local $o i32) (local $q i32)
    (local.set $i (local.get $i0))
    (block $id (loop $il
      (br_if $id (i32.ge_s (local.get $i) (local.get $i1)))
      (local.set $o (i32.div_u (local.get $i) (local.get $inner)))
      (local.set $q (i32.sub (local.get $i) (i32.mul (local.get $o) (local.get $inner))))
      (call $scoresItem
        (call $at (local.get $a) (local.get $o) (local.get $q) (local.get $aOuter) (local.get $aInner)) (local.get $lda)
        (call $at (local.get $b) (local.get $o) (local.get $q) (local.get $bOuter) (local.get $bInner)) (local.get $ldb)
        (call $at (local.get $c) (local.get $o) (local.get $q) (local.get $cOuter) (local.get $cInner))
        (local.get $t) (local.get $d) (local.get $s) (local.get $zero) (local.get $scratch))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
  )

  ;; One item of attentionApply (below).
  (func $applyItem (param $ai i32) (param $ars i32) (param $acs i32) (param $bi i32) (param $ldb i32) (param $ci i32) (param $ldc i32)
    (param $t i32) (param $n i32) (param $upper i32)
    (local $r i32) (local $lo i32) (local $hi i32) (local $row i32) (local $out i32)
    (local.set $r (i32.const 0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s (local.get $r) (local.get $t)))
      ;; rows r, r + 1: lower, the terms p ≤ r shared, then row r + 1's p = r + 1; upper, row r's
      ;; p = r, then the terms p > r shared
      (local.set $lo (i32.mul (local.get $upper) (i32.add (local.get $r) (i32.const 1))))
      (local.set $hi (select (local.get $t) (i32.add (local.get $r) (i32.const 1)) (local.get $upper)))
      (local.set $row (i32.add (local.get $ai) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $ars)) (i32.mul (local.get $lo) (local.get $acs))) (i32.const 2))))
      (local.set $out (i32.add (local.get $ci) (i32.shl (i32.mul (local.get $r) (local.get $ldc)) (i32.const 2))))
      (call $panel2
        (local.get $row) (i32.add (local.get $row) (i32.shl (local.get $ars) (i32.const 2)))
        (i32.shl (local.get $acs) (i32.const 2))
        (i32.add (local.get $bi) (i32.shl (i32.mul (local.get $lo) (local.get $ldb)) (i32.const 2)))
        (i32.shl (local.get $ldb) (i32.const 2))
        (i32.sub (local.get $hi) (local.get $lo))
        (local.get $out) (i32.add (local.get $out) (i32.shl (local.get $ldc) (i32.const 2)))
        (local.get $n) (f32.const 1) (i32.add (local.get $upper) (i32.const 1)))
      (local.set $r (i32.add (local.get $r) (i32.const 2)))
      (br $rl)))
  )

  ;; A causal block times a panel, per item: C[r, 0..n) = Σ_p A(r, p) · B[p, 0..n) over the p a
  ;; causal mask keeps, in ascending order: $upper = 0, p ≤ r (A lower-triangular: P·v, dS·k);
  ;; $upper = 1, p ≥ r (A upper-triangular, a transposed lower one: Pᵀ·dO, dSᵀ·q). A(r, p) is at
  ;; a + 4·(r·ars + p·acs) (ars = t, acs = 1: A; ars = 1, acs = t: Aᵀ), B's rows ldb apart, C's ldc.
  ;; `gemmBatched` with m = t, k = t; n a multiple of 4.
  (func (export "attentionApply") (param $a i32) (param $ars i32) (param $acs i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32)
    (param $t i32) (param $n i32) (param $upper i32)
    (param $inner i32) (param $aOuter i32) (param $aInner i32) (param $bOuter i32) (param $bInner i32) (param $cOuter i32) (param $cInner i32)
    (param $i0 i32) (param $i1 i32)
    (local $i i32) (local $o i32) (local $q i32)
    (local.set $i (local.get $i0))
    (block $id (loop $il
      (br_if $id (i32.ge_s (local.get $i) (local.get $i1)))
      (local.set $o (i32.div_u (local.get $i) (local.get $inner)))
      (local.set $q (i32.sub (local.get $i) (i32.mul (local.get $o) (local.get $inner))))
      (call $applyItem
        (call $at (local.get $a) (local.get $o) (local.get $q) (local.get $aOuter) (local.get $aInner)) (local.get $ars) (local.get $acs)
        (call $at (local.get $b) (local.get $o) (local.get $q) (local.get $bOuter) (local.get $bInner)) (local.get $ldb)
        (call $at (local.get $c) (local.get $o) (local.get $q) (local.get $cOuter) (local.get $cInner)) (local.get $ldc)
        (local.get $t) (local.get $n) (local.get $upper))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
  )

  ;; The whole causal core of one (sample, head) per item, in one parallel round instead of three
  ;; (forward) or five (backward), each item's [t, t] block used while it is in cache. The same calls
  ;; per item as the separate kernels make, in the same order: the same bits.
  ;; Forward: P = softmax(causal(q·kᵀ)·s) into $p (attentionScores, then Softmax's causal rows), then
  ;; o = P·v into $out (attentionApply, lower). q, k and v are the item's rows $ldq floats apart, at
  ;; byte offset o·qOuter + r·qInner from $q, $k and $v; P at o·pOuter + r·pInner; o at o·oOuter + r·oInner.
  (func (export "attentionCausalForward") (param $q i32) (param $k i32) (param $v i32) (param $ldq i32) (param $p i32) (param $out i32) (param $ldo i32)
    (param $t i32) (param $d i32) (param $s f32)
    (param $inner i32) (param $qOuter i32) (param $qInner i32) (param $pOuter i32) (param $pInner i32) (param $oOuter i32) (param $oInner i32)
    (param $i0 i32) (param $i1 i32) (param $scratch i32)
    (local $i i32) (local $o i32) (local $r i32) (local $qo i32) (local $pi i32)
    (local.set $i (local.get $i0))
    (block $id (loop $il
      (br_if $id (i32.ge_s (local.get $i) (local.get $i1)))
      (local.set $o (i32.div_u (local.get $i) (local.get $inner)))
      (local.set $r (i32.sub (local.get $i) (i32.mul (local.get $o) (local.get $inner))))
      (local.set $qo (call $at (i32.const 0) (local.get $o) (local.get $r) (local.get $qOuter) (local.get $qInner)))
      (local.set $pi (call $at (local.get $p) (local.get $o) (local.get $r) (local.get $pOuter) (local.get $pInner)))
      (call $scoresItem (i32.add (local.get $q) (local.get $qo)) (local.get $ldq) (i32.add (local.get $k) (local.get $qo)) (local.get $ldq)
        (local.get $pi) (local.get $t) (local.get $d) (local.get $s) (i32.const 0) (local.get $scratch))
      (call $softmaxRows (local.get $pi) (local.get $pi) (i32.const 0) (local.get $t) (local.get $t) (i32.const 0) (i32.const 1))
      (call $applyItem (local.get $pi) (local.get $t) (i32.const 1) (i32.add (local.get $v) (local.get $qo)) (local.get $ldq)
        (call $at (local.get $out) (local.get $o) (local.get $r) (local.get $oOuter) (local.get $oInner)) (local.get $ldo)
        (local.get $t) (local.get $d) (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
  )

  ;; Backward, per item: dP = dO·vᵀ into $dS (its masked entries 0), dv = Pᵀ·dO, dS = P ∘ (dP −
  ;; rowsum(P ∘ dP))·$sc in place (Softmax's causal backward rows), dq = dS·k, dk = dSᵀ·q. q, k, v
  ;; and dq, dk, dv at the same offsets (o·qOuter + r·qInner, rows $ldq apart); dO at o·oOuter +
  ;; r·oInner (rows $ldo apart); P and dS at o·pOuter + r·pInner.
  (func (export "attentionCausalBackward") (param $q i32) (param $k i32) (param $v i32) (param $ldq i32) (param $dO i32) (param $ldo i32)
    (param $p i32) (param $dS i32) (param $dq i32) (param $dk i32) (param $dv i32) (param $t i32) (param $d i32) (param $sc f32)
    (param $inner i32) (param $qOuter i32) (param $qInner i32) (param $oOuter i32) (param $oInner i32) (param $pOuter i32) (param $pInner i32)
    (param $i0 i32) (param $i1 i32) (param $scratch i32)
    (local $i i32) (local $o i32) (local $r i32) (local $qo i32) (local $po i32) (local $oi i32)
    (local.set $i (local.get $i0))
    (block $id (loop $il
      (br_if $id (i32.ge_s (local.get $i) (local.get $i1)))
      (local.set $o (i32.div_u (local.get $i) (local.get $inner)))
      (local.set $r (i32.sub (local.get $i) (i32.mul (local.get $o) (local.get $inner))))
      (local.set $qo (call $at (i32.const 0) (local.get $o) (local.get $r) (local.get $qOuter) (local.get $qInner)))
      (local.set $po (call $at (i32.const 0) (local.get $o) (local.get $r) (local.get $pOuter) (local.get $pInner)))
      (local.set $oi (call $at (local.get $dO) (local.get $o) (local.get $r) (local.get $oOuter) (local.get $oInner)))
      (call $scoresItem (local.get $oi) (local.get $ldo) (i32.add (local.get $v) (local.get $qo)) (local.get $ldq)
        (i32.add (local.get $dS) (local.get $po)) (local.get $t) (local.get $d) (f32.const 1) (i32.const 1) (local.get $scratch))
      (call $applyItem (i32.add (local.get $p) (local.get $po)) (i32.const 1) (local.get $t) (local.get $oi) (local.get $ldo)
        (i32.add (local.get $dv) (local.get $qo)) (local.get $ldq) (local.get $t) (local.get $d) (i32.const 1))
      (call $softmaxBackwardRows (i32.add (local.get $p) (local.get $po)) (i32.add (local.get $dS) (local.get $po)) (i32.add (local.get $dS) (local.get $po))
        (i32.const 0) (local.get $t) (local.get $t) (i32.const 1) (local.get $sc) (i32.const 1))
      (call $applyItem (i32.add (local.get $dS) (local.get $po)) (local.get $t) (i32.const 1) (i32.add (local.get $k) (local.get $qo)) (local.get $ldq)
        (i32.add (local.get $dq) (local.get $qo)) (local.get $ldq) (local.get $t) (local.get $d) (i32.const 0))
      (call $applyItem (i32.add (local.get $dS) (local.get $po)) (i32.const 1) (local.get $t) (i32.add (local.get $q) (local.get $qo)) (local.get $ldq)
        (i32.add (local.get $dk) (local.get $qo)) (local.get $ldq) (local.get $t) (local.get $d) (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
  )
)
