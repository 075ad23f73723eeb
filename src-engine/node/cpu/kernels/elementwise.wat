;; Memory-bound op kernels for WebAssembly SIMD: ReLU, MaxPool2d and BatchNorm, forward and
;; backward. Each takes a range (elements, planes or channels) so the thread pool can split one op
;; across threads. All pointers are byte addresses into the shared heap.
;;
;; NOTE: BatchNorm sums in float64 (f64x2) like the reference backend, so batch statistics and
;; running stats agree with it to float64 rounding; the per-element normalise runs in f32x4.
;; Forward statistics take one pass (shifted sums), not the reference's two.
(module
  (import "env" "memory" (memory 1 {{HEAP.MAX_PAGES}} shared))

  ;; y[i] = x[i] < 0 ? 0 : x[i] for i in [i0, i1): NaN and -0 pass through, as in the reference.
  ;; f32x4.pmax(x, 0) is exactly `x < 0 ? 0 : x` lane-wise.
  (func (export "reluForward") (param $x i32) (param $y i32) (param $i0 i32) (param $i1 i32)
    (local $p i32) (local $end i32) (local $end4 i32) (local $v f32)
    (local.set $p (i32.shl (local.get $i0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $i1) (i32.const 2)))
    (local.set $end4 (i32.add (local.get $p) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const -16))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $p) (local.get $end4)))
      (v128.store (i32.add (local.get $y) (local.get $p))
        (f32x4.pmax (v128.load (i32.add (local.get $x) (local.get $p))) (v128.const f32x4 0 0 0 0)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $v (f32.load (i32.add (local.get $x) (local.get $p))))
      (f32.store (i32.add (local.get $y) (local.get $p))
        (select (f32.const 0) (local.get $v) (f32.lt (local.get $v) (f32.const 0))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $sl)))
  )

  ;; dx[i] += x[i] > 0 ? dy[i] : 0 for i in [i0, i1) (relu'(0) = 0, as PyTorch); $assign = 1: dx[i] =
  ;; the same (dx is fresh: not read).
  (func $reluBackward (export "reluBackward") (param $x i32) (param $dy i32) (param $dx i32) (param $i0 i32) (param $i1 i32) (param $assign i32)
    (local $p i32) (local $end i32) (local $end4 i32) (local $q i32) (local $v v128) (local $f f32)
    (local.set $p (i32.shl (local.get $i0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $i1) (i32.const 2)))
    (local.set $end4 (i32.add (local.get $p) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const -16))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $p) (local.get $end4)))
      (local.set $q (i32.add (local.get $dx) (local.get $p)))
      (local.set $v (v128.and (v128.load (i32.add (local.get $dy) (local.get $p)))
        (f32x4.gt (v128.load (i32.add (local.get $x) (local.get $p))) (v128.const f32x4 0 0 0 0))))
      (if (local.get $assign)
        (then (v128.store (local.get $q) (local.get $v)))
        (else (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (local.get $v)))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $q (i32.add (local.get $dx) (local.get $p)))
      (local.set $f (select (f32.load (i32.add (local.get $dy) (local.get $p))) (f32.const 0)
        (f32.gt (f32.load (i32.add (local.get $x) (local.get $p))) (f32.const 0))))
      (if (local.get $assign)
        (then (f32.store (local.get $q) (local.get $f)))
        (else (f32.store (local.get $q) (f32.add (f32.load (local.get $q)) (local.get $f)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $sl)))
  )

  ;; Four outputs of the 2×2, stride-2 pool, branch-free: $src = byte address of input (2·oy, 2·ox)
  ;; (8 floats in that row and the next), $i0 = its index within the plane. The same rule as the
  ;; general loop: a later value wins when strictly greater, or when it is NaN and the best so far
  ;; is not (so the first NaN in window order wins and stays).
  (func $pool4 (param $src i32) (param $W i32) (param $i0 i32) (param $yp i32) (param $ap i32)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128) (local $r1 i32)
    (local $base v128) (local $best v128) (local $idx v128) (local $v v128) (local $take v128)
    (local.set $r1 (i32.add (local.get $src) (i32.shl (local.get $W) (i32.const 2))))
    (local.set $a0 (v128.load (local.get $src)))
    (local.set $a1 (v128.load offset=16 (local.get $src)))
    (local.set $b0 (v128.load (local.get $r1)))
    (local.set $b1 (v128.load offset=16 (local.get $r1)))
    (local.set $base (i32x4.add (i32x4.splat (local.get $i0)) (v128.const i32x4 0 2 4 6)))
    (local.set $best (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a0) (local.get $a1)))
    (local.set $idx (local.get $base))
    ;; (r0, c0 + 1)
    (local.set $v (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a0) (local.get $a1)))
    (local.set $take (v128.or (f32x4.gt (local.get $v) (local.get $best))
      (v128.and (f32x4.ne (local.get $v) (local.get $v)) (f32x4.eq (local.get $best) (local.get $best)))))
    (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $take)))
    (local.set $idx (v128.bitselect (i32x4.add (local.get $base) (v128.const i32x4 1 1 1 1)) (local.get $idx) (local.get $take)))
    ;; (r0 + 1, c0)
    (local.set $v (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $b0) (local.get $b1)))
    (local.set $take (v128.or (f32x4.gt (local.get $v) (local.get $best))
      (v128.and (f32x4.ne (local.get $v) (local.get $v)) (f32x4.eq (local.get $best) (local.get $best)))))
    (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $take)))
    (local.set $idx (v128.bitselect (i32x4.add (local.get $base) (i32x4.splat (local.get $W))) (local.get $idx) (local.get $take)))
    ;; (r0 + 1, c0 + 1)
    (local.set $v (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $b0) (local.get $b1)))
    (local.set $take (v128.or (f32x4.gt (local.get $v) (local.get $best))
      (v128.and (f32x4.ne (local.get $v) (local.get $v)) (f32x4.eq (local.get $best) (local.get $best)))))
    (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $take)))
    (local.set $idx (v128.bitselect (i32x4.add (local.get $base) (i32x4.splat (i32.add (local.get $W) (i32.const 1)))) (local.get $idx) (local.get $take)))
    (v128.store (local.get $yp) (local.get $best))
    (v128.store (local.get $ap) (f32x4.convert_i32x4_s (local.get $idx))))

  ;; The common 2×2, stride 2, no-padding pool (oW >= 4): each output row in vectors of four; a
  ;; ragged end is one more vector overlapping the previous (it recomputes equal values).
  (func $maxPool2x2 (param $x i32) (param $y i32) (param $arg i32) (param $pl0 i32) (param $pl1 i32)
    (param $H i32) (param $W i32) (param $oH i32) (param $oW i32)
    (local $pl i32) (local $base i32) (local $o i32) (local $oy i32) (local $ox i32) (local $r0 i32)
    (local.set $pl (local.get $pl0))
    (local.set $o (i32.mul (local.get $pl0) (i32.mul (local.get $oH) (local.get $oW))))
    (block $pld (loop $pll
      (br_if $pld (i32.ge_s (local.get $pl) (local.get $pl1)))
      (local.set $base (i32.add (local.get $x) (i32.shl (i32.mul (local.get $pl) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
      (local.set $oy (i32.const 0))
      (block $oyd (loop $oyl
        (br_if $oyd (i32.ge_s (local.get $oy) (local.get $oH)))
        (local.set $r0 (i32.mul (i32.shl (local.get $oy) (i32.const 1)) (local.get $W)))
        (local.set $ox (i32.const 0))
        (block $oxd (loop $oxl
          (if (i32.gt_s (i32.add (local.get $ox) (i32.const 4)) (local.get $oW)) (then
            (br_if $oxd (i32.ge_s (local.get $ox) (local.get $oW)))
            (local.set $ox (i32.sub (local.get $oW) (i32.const 4)))))
          (call $pool4
            (i32.add (local.get $base) (i32.shl (i32.add (local.get $r0) (i32.shl (local.get $ox) (i32.const 1))) (i32.const 2)))
            (local.get $W)
            (i32.add (local.get $r0) (i32.shl (local.get $ox) (i32.const 1)))
            (i32.add (local.get $y) (i32.shl (i32.add (local.get $o) (local.get $ox)) (i32.const 2)))
            (i32.add (local.get $arg) (i32.shl (i32.add (local.get $o) (local.get $ox)) (i32.const 2))))
          (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
          (br $oxl)))
        (local.set $o (i32.add (local.get $o) (local.get $oW)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyl)))
      (local.set $pl (i32.add (local.get $pl) (i32.const 1)))
      (br $pll)))
  )

  ;; $mode 0: *p += v; 1: *p = v; 2: *p = v in the lanes set in $m, else kept.
  (func $put (param $p i32) (param $mode i32) (param $v v128) (param $m v128)
    (if (i32.eqz (local.get $mode))
      (then (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (local.get $v))))
      (else (if (i32.eq (local.get $mode) (i32.const 1))
        (then (v128.store (local.get $p) (local.get $v)))
        (else (v128.store (local.get $p) (v128.bitselect (local.get $v) (v128.load (local.get $p)) (local.get $m))))))))

  ;; Backward of the 2×2, stride-2, no-padding pool (oW >= 4): the windows do not overlap, so each
  ;; input receives dy of its window or 0; rows of 8 inputs are built from 4 outputs and added with
  ;; f32x4. The ragged-end vector overlaps the previous one, with the lanes already done masked off.
  ;; $assign = 1 (only when the windows tile the whole image): dx = instead of dx +=; the
  ;; ragged-end vector then stores only the lanes not done before.
  (func $maxPoolBackward2x2 (param $dy i32) (param $arg i32) (param $dx i32) (param $pl0 i32) (param $pl1 i32)
    (param $H i32) (param $W i32) (param $oH i32) (param $oW i32) (param $assign i32)
    (local $pl i32) (local $base i32) (local $o i32) (local $oy i32) (local $ox i32) (local $r0 i32) (local $done i32)
    (local $d v128) (local $rel v128) (local $e0 v128) (local $o0 v128) (local $e1 v128) (local $o1 v128)
    (local $p i32) (local $q i32) (local $w v128) (local $w1 v128) (local $mode i32) (local $m v128) (local $mlo v128) (local $mhi v128)
    (local.set $w (i32x4.splat (local.get $W)))
    (local.set $w1 (i32x4.splat (i32.add (local.get $W) (i32.const 1))))
    (local.set $pl (local.get $pl0))
    (local.set $o (i32.mul (local.get $pl0) (i32.mul (local.get $oH) (local.get $oW))))
    (block $pld (loop $pll
      (br_if $pld (i32.ge_s (local.get $pl) (local.get $pl1)))
      (local.set $base (i32.add (local.get $dx) (i32.shl (i32.mul (local.get $pl) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
      (local.set $oy (i32.const 0))
      (block $oyd (loop $oyl
        (br_if $oyd (i32.ge_s (local.get $oy) (local.get $oH)))
        (local.set $r0 (i32.mul (i32.shl (local.get $oy) (i32.const 1)) (local.get $W)))
        (local.set $ox (i32.const 0))
        (block $oxd (loop $oxl
          (local.set $done (local.get $ox))
          (if (i32.gt_s (i32.add (local.get $ox) (i32.const 4)) (local.get $oW)) (then
            (br_if $oxd (i32.ge_s (local.get $ox) (local.get $oW)))
            (local.set $ox (i32.sub (local.get $oW) (i32.const 4)))))
          (local.set $d (v128.load (i32.add (local.get $dy) (i32.shl (i32.add (local.get $o) (local.get $ox)) (i32.const 2)))))
          ;; Lanes ox + j < done were handled by the previous vector.
          (local.set $m (i32x4.ge_s (i32x4.add (i32x4.splat (local.get $ox)) (v128.const i32x4 0 1 2 3)) (i32x4.splat (local.get $done))))
          (local.set $d (v128.and (local.get $d) (local.get $m)))
          (local.set $mode (select (select (i32.const 2) (i32.const 1) (i32.lt_s (local.get $ox) (local.get $done))) (i32.const 0) (local.get $assign)))
          (local.set $mlo (i8x16.shuffle 0 1 2 3 0 1 2 3 4 5 6 7 4 5 6 7 (local.get $m) (local.get $m)))
          (local.set $mhi (i8x16.shuffle 8 9 10 11 8 9 10 11 12 13 14 15 12 13 14 15 (local.get $m) (local.get $m)))
          (local.set $rel (i32x4.sub
            (i32x4.trunc_sat_f32x4_s (v128.load (i32.add (local.get $arg) (i32.shl (i32.add (local.get $o) (local.get $ox)) (i32.const 2)))))
            (i32x4.add (i32x4.splat (i32.add (local.get $r0) (i32.shl (local.get $ox) (i32.const 1)))) (v128.const i32x4 0 2 4 6))))
          (local.set $e0 (v128.and (local.get $d) (i32x4.eq (local.get $rel) (v128.const i32x4 0 0 0 0))))
          (local.set $o0 (v128.and (local.get $d) (i32x4.eq (local.get $rel) (v128.const i32x4 1 1 1 1))))
          (local.set $e1 (v128.and (local.get $d) (i32x4.eq (local.get $rel) (local.get $w))))
          (local.set $o1 (v128.and (local.get $d) (i32x4.eq (local.get $rel) (local.get $w1))))
          (local.set $p (i32.add (local.get $base) (i32.shl (i32.add (local.get $r0) (i32.shl (local.get $ox) (i32.const 1))) (i32.const 2))))
          (local.set $q (i32.add (local.get $p) (i32.shl (local.get $W) (i32.const 2))))
          (call $put (local.get $p) (local.get $mode)
            (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $e0) (local.get $o0)) (local.get $mlo))
          (call $put (i32.add (local.get $p) (i32.const 16)) (local.get $mode)
            (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $e0) (local.get $o0)) (local.get $mhi))
          (call $put (local.get $q) (local.get $mode)
            (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $e1) (local.get $o1)) (local.get $mlo))
          (call $put (i32.add (local.get $q) (i32.const 16)) (local.get $mode)
            (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $e1) (local.get $o1)) (local.get $mhi))
          (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
          (br $oxl)))
        (local.set $o (i32.add (local.get $o) (local.get $oW)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyl)))
      (local.set $pl (i32.add (local.get $pl) (i32.const 1)))
      (br $pll)))
  )

  ;; Four outputs of a 3×3 stride-2 pool (columns x0 + 2·lane .. + 2, x0 + 8 < W; rows y0 + ky for
  ;; ky in [ky0, ky1), the rows inside the image), as the scalar loop of maxPoolForward computes them:
  ;; each tap's four inputs (every other float of two f32x4 loads, the second 12 bytes on: nothing
  ;; past the last window's last float is read) in row-major order, taken where greater than the
  ;; best so far or a NaN where the best is not one (the first NaN wins and nothing replaces it; ties
  ;; keep the first): where the best is not NaN and the input not ≤ it, one test fewer than saying
  ;; so. The index goes beside it, which starts at each window's first position inside the
  ;; image (row y0 + ky0, column max(x0 + 2·lane, 0)). $clip (x0 < 0, padding 1): a lane's taps left
  ;; of column 0 are −∞ (never taken; read from the float before the row, which is in the heap).
  ;; ResNet's stem pool (3×3, stride 2, padding 1 on 112×112) ran its first output row and column
  ;; one float and a branch at a time (~9 % of its outputs); now they are in the groups too.
  (func $maxPool3x3s2Four (param $base i32) (param $W i32) (param $y0 i32) (param $ky0 i32) (param $ky1 i32) (param $x0 i32) (param $yo i32) (param $ao i32)
    (local $ky i32) (local $at i32) (local $idx i32) (local $clip i32) (local $v v128) (local $best v128) (local $bi v128) (local $iv v128) (local $take v128)
    (local $xv v128) (local $ninf v128)
    (local.set $clip (i32.lt_s (local.get $x0) (i32.const 0)))
    (local.set $xv (i32x4.add (i32x4.splat (local.get $x0)) (v128.const i32x4 0 2 4 6)))
    (local.set $ninf (f32x4.splat (f32.const -inf)))
    (local.set $best (local.get $ninf))
    (local.set $bi (i32x4.add (i32x4.splat (i32.mul (i32.add (local.get $y0) (local.get $ky0)) (local.get $W)))
      (i32x4.max_s (local.get $xv) (v128.const i32x4 0 0 0 0))))
    (local.set $ky (local.get $ky0))
    (loop $kyl
      (local.set $idx (i32.add (i32.mul (i32.add (local.get $y0) (local.get $ky)) (local.get $W)) (local.get $x0)))
      (local.set $at (i32.add (local.get $base) (i32.shl (local.get $idx) (i32.const 2))))
      (local.set $iv (i32x4.splat (local.get $idx)))
        (local.set $v (i8x16.shuffle 0 1 2 3 8 9 10 11 20 21 22 23 28 29 30 31 (v128.load offset=0 (local.get $at)) (v128.load offset=12 (local.get $at))))
        (if (local.get $clip) (then (local.set $v (v128.bitselect (local.get $v) (local.get $ninf) (i32x4.ge_s (local.get $xv) (v128.const i32x4 0 0 0 0))))))
        (local.set $take (v128.andnot (f32x4.eq (local.get $best) (local.get $best)) (f32x4.le (local.get $v) (local.get $best))))
        (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $take)))
        (local.set $bi (v128.bitselect (i32x4.add (local.get $iv) (v128.const i32x4 0 2 4 6)) (local.get $bi) (local.get $take)))
        (local.set $v (i8x16.shuffle 0 1 2 3 8 9 10 11 20 21 22 23 28 29 30 31 (v128.load offset=4 (local.get $at)) (v128.load offset=16 (local.get $at))))
        (if (local.get $clip) (then (local.set $v (v128.bitselect (local.get $v) (local.get $ninf) (i32x4.ge_s (i32x4.add (local.get $xv) (v128.const i32x4 1 1 1 1)) (v128.const i32x4 0 0 0 0))))))
        (local.set $take (v128.andnot (f32x4.eq (local.get $best) (local.get $best)) (f32x4.le (local.get $v) (local.get $best))))
        (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $take)))
        (local.set $bi (v128.bitselect (i32x4.add (local.get $iv) (v128.const i32x4 1 3 5 7)) (local.get $bi) (local.get $take)))
        (local.set $v (i8x16.shuffle 0 1 2 3 8 9 10 11 20 21 22 23 28 29 30 31 (v128.load offset=8 (local.get $at)) (v128.load offset=20 (local.get $at))))
        (if (local.get $clip) (then (local.set $v (v128.bitselect (local.get $v) (local.get $ninf) (i32x4.ge_s (i32x4.add (local.get $xv) (v128.const i32x4 2 2 2 2)) (v128.const i32x4 0 0 0 0))))))
        (local.set $take (v128.andnot (f32x4.eq (local.get $best) (local.get $best)) (f32x4.le (local.get $v) (local.get $best))))
        (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $take)))
        (local.set $bi (v128.bitselect (i32x4.add (local.get $iv) (v128.const i32x4 2 4 6 8)) (local.get $bi) (local.get $take)))
      (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
      (br_if $kyl (i32.lt_s (local.get $ky) (local.get $ky1))))
    (v128.store (local.get $yo) (local.get $best))
    (v128.store (local.get $ao) (f32x4.convert_i32x4_s (local.get $bi)))
  )

  ;; Eight outputs, ox .. ox + 7, as two groups of four ($maxPool3x3s2Four's, the second 8 columns on):
  ;; each group's taps are a chain (every take waits on the best before it), so two chains side by
  ;; side keep the core busy where one left it waiting. The same values and indices as two calls of
  ;; $maxPool3x3s2Four. ResNet's stem pool (16 × 64 planes of 112×112, 1 thread, min CPU ms of 12):
  ;; 24.1 with the edges one float at a time, 18.4 with every output four at a time, 14.4 eight.
  (func $maxPool3x3s2Eight (param $base i32) (param $W i32) (param $y0 i32) (param $ky0 i32) (param $ky1 i32) (param $x0 i32) (param $yo i32) (param $ao i32)
    (local $ky i32) (local $at i32) (local $idx i32) (local $clip i32) (local $iv v128) (local $xv v128) (local $ninf v128)
    (local $v v128) (local $best v128) (local $bi v128) (local $take v128)
    (local $vB v128) (local $bestB v128) (local $biB v128) (local $takeB v128)
    (local.set $clip (i32.lt_s (local.get $x0) (i32.const 0)))
    (local.set $xv (i32x4.add (i32x4.splat (local.get $x0)) (v128.const i32x4 0 2 4 6)))
    (local.set $ninf (f32x4.splat (f32.const -inf)))
    (local.set $best (local.get $ninf))
    (local.set $bestB (local.get $ninf))
    (local.set $iv (i32x4.splat (i32.mul (i32.add (local.get $y0) (local.get $ky0)) (local.get $W))))
    (local.set $bi (i32x4.add (local.get $iv) (i32x4.max_s (local.get $xv) (v128.const i32x4 0 0 0 0))))
    (local.set $biB (i32x4.add (local.get $iv) (i32x4.add (local.get $xv) (v128.const i32x4 8 8 8 8))))
    (local.set $ky (local.get $ky0))
    (loop $kyl
      (local.set $idx (i32.add (i32.mul (i32.add (local.get $y0) (local.get $ky)) (local.get $W)) (local.get $x0)))
      (local.set $at (i32.add (local.get $base) (i32.shl (local.get $idx) (i32.const 2))))
      (local.set $iv (i32x4.splat (local.get $idx)))
        (local.set $v (i8x16.shuffle 0 1 2 3 8 9 10 11 20 21 22 23 28 29 30 31 (v128.load offset=0 (local.get $at)) (v128.load offset=12 (local.get $at))))
        (if (local.get $clip) (then (local.set $v (v128.bitselect (local.get $v) (local.get $ninf) (i32x4.ge_s (local.get $xv) (v128.const i32x4 0 0 0 0))))))
        (local.set $best (v128.bitselect (local.get $v) (local.get $best)
          (local.tee $take (v128.andnot (f32x4.eq (local.get $best) (local.get $best)) (f32x4.le (local.get $v) (local.get $best))))))
        (local.set $bi (v128.bitselect (i32x4.add (local.get $iv) (v128.const i32x4 0 2 4 6)) (local.get $bi) (local.get $take)))
        (local.set $vB (i8x16.shuffle 0 1 2 3 8 9 10 11 20 21 22 23 28 29 30 31 (v128.load offset=32 (local.get $at)) (v128.load offset=44 (local.get $at))))
        (local.set $bestB (v128.bitselect (local.get $vB) (local.get $bestB)
          (local.tee $takeB (v128.andnot (f32x4.eq (local.get $bestB) (local.get $bestB)) (f32x4.le (local.get $vB) (local.get $bestB))))))
        (local.set $biB (v128.bitselect (i32x4.add (local.get $iv) (v128.const i32x4 8 10 12 14)) (local.get $biB) (local.get $takeB)))
        (local.set $v (i8x16.shuffle 0 1 2 3 8 9 10 11 20 21 22 23 28 29 30 31 (v128.load offset=4 (local.get $at)) (v128.load offset=16 (local.get $at))))
        (if (local.get $clip) (then (local.set $v (v128.bitselect (local.get $v) (local.get $ninf) (i32x4.ge_s (i32x4.add (local.get $xv) (v128.const i32x4 1 1 1 1)) (v128.const i32x4 0 0 0 0))))))
        (local.set $best (v128.bitselect (local.get $v) (local.get $best)
          (local.tee $take (v128.andnot (f32x4.eq (local.get $best) (local.get $best)) (f32x4.le (local.get $v) (local.get $best))))))
        (local.set $bi (v128.bitselect (i32x4.add (local.get $iv) (v128.const i32x4 1 3 5 7)) (local.get $bi) (local.get $take)))
        (local.set $vB (i8x16.shuffle 0 1 2 3 8 9 10 11 20 21 22 23 28 29 30 31 (v128.load offset=36 (local.get $at)) (v128.load offset=48 (local.get $at))))
        (local.set $bestB (v128.bitselect (local.get $vB) (local.get $bestB)
          (local.tee $takeB (v128.andnot (f32x4.eq (local.get $bestB) (local.get $bestB)) (f32x4.le (local.get $vB) (local.get $bestB))))))
        (local.set $biB (v128.bitselect (i32x4.add (local.get $iv) (v128.const i32x4 9 11 13 15)) (local.get $biB) (local.get $takeB)))
        (local.set $v (i8x16.shuffle 0 1 2 3 8 9 10 11 20 21 22 23 28 29 30 31 (v128.load offset=8 (local.get $at)) (v128.load offset=20 (local.get $at))))
        (if (local.get $clip) (then (local.set $v (v128.bitselect (local.get $v) (local.get $ninf) (i32x4.ge_s (i32x4.add (local.get $xv) (v128.const i32x4 2 2 2 2)) (v128.const i32x4 0 0 0 0))))))
        (local.set $best (v128.bitselect (local.get $v) (local.get $best)
          (local.tee $take (v128.andnot (f32x4.eq (local.get $best) (local.get $best)) (f32x4.le (local.get $v) (local.get $best))))))
        (local.set $bi (v128.bitselect (i32x4.add (local.get $iv) (v128.const i32x4 2 4 6 8)) (local.get $bi) (local.get $take)))
        (local.set $vB (i8x16.shuffle 0 1 2 3 8 9 10 11 20 21 22 23 28 29 30 31 (v128.load offset=40 (local.get $at)) (v128.load offset=52 (local.get $at))))
        (local.set $bestB (v128.bitselect (local.get $vB) (local.get $bestB)
          (local.tee $takeB (v128.andnot (f32x4.eq (local.get $bestB) (local.get $bestB)) (f32x4.le (local.get $vB) (local.get $bestB))))))
        (local.set $biB (v128.bitselect (i32x4.add (local.get $iv) (v128.const i32x4 10 12 14 16)) (local.get $biB) (local.get $takeB)))
      (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
      (br_if $kyl (i32.lt_s (local.get $ky) (local.get $ky1))))
    (v128.store (local.get $yo) (local.get $best))
    (v128.store offset=16 (local.get $yo) (local.get $bestB))
    (v128.store (local.get $ao) (f32x4.convert_i32x4_s (local.get $bi)))
    (v128.store offset=16 (local.get $ao) (f32x4.convert_i32x4_s (local.get $biB)))
  )

  ;; Max over each window of planes [pl0, pl1) of [H, W] images; padding counts as -inf. Ties go to
  ;; the first maximum in row-major window order and a NaN wins, as in the reference (and PyTorch).
  ;; arg[o] = index of the winner within its plane (as f32). A 3×3 stride-2 pool takes four outputs
  ;; at a time where their windows lie inside the image ($maxPool3x3s2Four: the same values).
  (func (export "maxPoolForward")
    (param $x i32) (param $y i32) (param $arg i32) (param $pl0 i32) (param $pl1 i32)
    (param $H i32) (param $W i32) (param $kH i32) (param $kW i32) (param $sH i32) (param $sW i32)
    (param $pH i32) (param $pW i32) (param $oH i32) (param $oW i32)
    (local $pl i32) (local $base i32) (local $o i32) (local $oy i32) (local $ox i32)
    (local $y0 i32) (local $ys i32) (local $ye i32) (local $x0 i32) (local $xs i32) (local $xe i32)
    (local $yy i32) (local $xx i32) (local $best f32) (local $bestIdx i32) (local $v f32) (local $idx i32)
    (local $four i32)
    (local.set $four (i32.and
      (i32.and (i32.eq (local.get $kH) (i32.const 3)) (i32.eq (local.get $kW) (i32.const 3)))
      (i32.and (i32.eq (local.get $sH) (i32.const 2)) (i32.eq (local.get $sW) (i32.const 2)))))
    (if (i32.and
          (i32.and (i32.eq (local.get $kH) (i32.const 2)) (i32.eq (local.get $kW) (i32.const 2)))
          (i32.and (i32.and (i32.eq (local.get $sH) (i32.const 2)) (i32.eq (local.get $sW) (i32.const 2)))
                   (i32.and (i32.eqz (i32.or (local.get $pH) (local.get $pW))) (i32.ge_s (local.get $oW) (i32.const 4)))))
      (then
        (call $maxPool2x2 (local.get $x) (local.get $y) (local.get $arg) (local.get $pl0) (local.get $pl1)
          (local.get $H) (local.get $W) (local.get $oH) (local.get $oW))
        (return)))
    (local.set $pl (local.get $pl0))
    (local.set $o (i32.mul (local.get $pl0) (i32.mul (local.get $oH) (local.get $oW))))
    (block $pld (loop $pll
      (br_if $pld (i32.ge_s (local.get $pl) (local.get $pl1)))
      (local.set $base (i32.add (local.get $x) (i32.shl (i32.mul (local.get $pl) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
      (local.set $oy (i32.const 0))
      (block $oyd (loop $oyl
        (br_if $oyd (i32.ge_s (local.get $oy) (local.get $oH)))
        (local.set $y0 (i32.sub (i32.mul (local.get $oy) (local.get $sH)) (local.get $pH)))
        (local.set $ys (select (local.get $y0) (i32.const 0) (i32.gt_s (local.get $y0) (i32.const 0))))
        (local.set $ye (i32.add (local.get $y0) (local.get $kH)))
        (if (i32.gt_s (local.get $ye) (local.get $H)) (then (local.set $ye (local.get $H))))
        (local.set $ox (i32.const 0))
        (block $oxd (loop $oxl
          (br_if $oxd (i32.ge_s (local.get $ox) (local.get $oW)))
          (local.set $x0 (i32.sub (i32.mul (local.get $ox) (local.get $sW)) (local.get $pW)))
          (if (i32.and (i32.and (local.get $four) (i32.lt_s (i32.add (local.get $ox) (i32.const 7)) (local.get $oW)))
                (i32.and (i32.lt_s (local.get $ys) (local.get $ye))
                         (i32.and (i32.ge_s (local.get $x0) (i32.const -1)) (i32.lt_s (i32.add (local.get $x0) (i32.const 16)) (local.get $W)))))
            (then
              (call $maxPool3x3s2Eight (local.get $base) (local.get $W) (local.get $y0)
                (i32.sub (local.get $ys) (local.get $y0)) (i32.sub (local.get $ye) (local.get $y0)) (local.get $x0)
                (i32.add (local.get $y) (i32.shl (local.get $o) (i32.const 2))) (i32.add (local.get $arg) (i32.shl (local.get $o) (i32.const 2))))
              (local.set $o (i32.add (local.get $o) (i32.const 8)))
              (local.set $ox (i32.add (local.get $ox) (i32.const 8)))
              (br $oxl)))
          (if (i32.and (i32.and (local.get $four) (i32.lt_s (i32.add (local.get $ox) (i32.const 3)) (local.get $oW)))
                (i32.and (i32.lt_s (local.get $ys) (local.get $ye))
                         (i32.and (i32.ge_s (local.get $x0) (i32.const -1)) (i32.lt_s (i32.add (local.get $x0) (i32.const 8)) (local.get $W)))))
            (then
              (call $maxPool3x3s2Four (local.get $base) (local.get $W) (local.get $y0)
                (i32.sub (local.get $ys) (local.get $y0)) (i32.sub (local.get $ye) (local.get $y0)) (local.get $x0)
                (i32.add (local.get $y) (i32.shl (local.get $o) (i32.const 2))) (i32.add (local.get $arg) (i32.shl (local.get $o) (i32.const 2))))
              (local.set $o (i32.add (local.get $o) (i32.const 4)))
              (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
              (br $oxl)))
          (local.set $xs (select (local.get $x0) (i32.const 0) (i32.gt_s (local.get $x0) (i32.const 0))))
          (local.set $xe (i32.add (local.get $x0) (local.get $kW)))
          (if (i32.gt_s (local.get $xe) (local.get $W)) (then (local.set $xe (local.get $W))))
          (local.set $best (f32.const -inf))
          (local.set $bestIdx (i32.add (i32.mul (local.get $ys) (local.get $W)) (local.get $xs)))
          (block $found
            (local.set $yy (local.get $ys))
            (loop $yyl
              (if (i32.lt_s (local.get $yy) (local.get $ye)) (then
                (local.set $xx (local.get $xs))
                (loop $xxl
                  (if (i32.lt_s (local.get $xx) (local.get $xe)) (then
                    (local.set $idx (i32.add (i32.mul (local.get $yy) (local.get $W)) (local.get $xx)))
                    (local.set $v (f32.load (i32.add (local.get $base) (i32.shl (local.get $idx) (i32.const 2)))))
                    (if (f32.gt (local.get $v) (local.get $best))
                      (then (local.set $best (local.get $v)) (local.set $bestIdx (local.get $idx)))
                      (else (if (f32.ne (local.get $v) (local.get $v)) (then
                        (local.set $best (local.get $v)) (local.set $bestIdx (local.get $idx)) (br $found)))))
                    (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
                    (br $xxl))))
                (local.set $yy (i32.add (local.get $yy) (i32.const 1)))
                (br $yyl)))))
          (f32.store (i32.add (local.get $y) (i32.shl (local.get $o) (i32.const 2))) (local.get $best))
          (f32.store (i32.add (local.get $arg) (i32.shl (local.get $o) (i32.const 2))) (f32.convert_i32_s (local.get $bestIdx)))
          (local.set $o (i32.add (local.get $o) (i32.const 1)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $oxl)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyl)))
      (local.set $pl (i32.add (local.get $pl) (i32.const 1)))
      (br $pll)))
  )

  ;; dx[plane][arg[o]] += dy[o] for planes [pl0, pl1); `per` outputs and `hw` inputs per plane.
  ;; $pair2 = 1: the pool is 2×2, stride 2, no padding, with oW >= 4 ($H, $W, $oH, $oW its sizes);
  ;; then $assign = 1 stores instead of adding (see $maxPoolBackward2x2).
  (func (export "maxPoolBackward") (param $dy i32) (param $arg i32) (param $dx i32) (param $pl0 i32) (param $pl1 i32) (param $hw i32) (param $per i32)
    (param $pair2 i32) (param $H i32) (param $W i32) (param $oH i32) (param $oW i32) (param $assign i32)
    (local $pl i32) (local $i i32) (local $end i32) (local $base i32) (local $q i32)
    (if (local.get $pair2) (then
      (call $maxPoolBackward2x2 (local.get $dy) (local.get $arg) (local.get $dx) (local.get $pl0) (local.get $pl1)
        (local.get $H) (local.get $W) (local.get $oH) (local.get $oW) (local.get $assign))
      (return)))
    (local.set $pl (local.get $pl0))
    (block $pld (loop $pll
      (br_if $pld (i32.ge_s (local.get $pl) (local.get $pl1)))
      (local.set $base (i32.add (local.get $dx) (i32.shl (i32.mul (local.get $pl) (local.get $hw)) (i32.const 2))))
      (local.set $i (i32.mul (local.get $pl) (local.get $per)))
      (local.set $end (i32.add (local.get $i) (local.get $per)))
      (block $id (loop $il
        (br_if $id (i32.ge_s (local.get $i) (local.get $end)))
        (local.set $q (i32.add (local.get $base)
          (i32.shl (i32.trunc_f32_s (f32.load (i32.add (local.get $arg) (i32.shl (local.get $i) (i32.const 2))))) (i32.const 2))))
        (f32.store (local.get $q) (f32.add (f32.load (local.get $q)) (f32.load (i32.add (local.get $dy) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il)))
      (local.set $pl (i32.add (local.get $pl) (i32.const 1)))
      (br $pll)))
  )

  ;; Per-instance (so per-thread) accumulators of $shiftedSums.
  (global $acc1 (mut f64) (f64.const 0))
  (global $acc2 (mut f64) (f64.const 0))

  ;; acc1 += Σ (p[i] − k), acc2 += Σ (p[i] − k)² over [0, n), in float64 (f64x2 pairs, then the tail).
  (func $shiftedSums (param $p i32) (param $n i32) (param $k f64)
    (local $end i32) (local $end4 i32) (local $v v128) (local $kk v128) (local $d v128) (local $e2 v128) (local $s1 v128) (local $s2 v128) (local $e f64)
    (local $t1 f64) (local $t2 f64)
    (local.set $kk (f64x2.splat (local.get $k)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $p) (local.get $end4)))
      ;; NOTE: one add per accumulator per iteration (the two halves are summed first): the
      ;; loop-carried f64 add latency, not throughput, bounded the version adding each half in turn.
      (local.set $v (v128.load (local.get $p)))
      (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $kk)))
      (local.set $e2 (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (local.get $kk)))
      (local.set $s1 (f64x2.add (local.get $s1) (f64x2.add (local.get $d) (local.get $e2))))
      (local.set $s2 (f64x2.add (local.get $s2) (f64x2.add (f64x2.mul (local.get $d) (local.get $d)) (f64x2.mul (local.get $e2) (local.get $e2)))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $vl)))
    (local.set $t1 (f64.add (f64x2.extract_lane 0 (local.get $s1)) (f64x2.extract_lane 1 (local.get $s1))))
    (local.set $t2 (f64.add (f64x2.extract_lane 0 (local.get $s2)) (f64x2.extract_lane 1 (local.get $s2))))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $e (f64.sub (f64.promote_f32 (f32.load (local.get $p))) (local.get $k)))
      (local.set $t1 (f64.add (local.get $t1) (local.get $e)))
      (local.set $t2 (f64.add (local.get $t2) (f64.mul (local.get $e) (local.get $e))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $sl)))
    (global.set $acc1 (f64.add (global.get $acc1) (local.get $t1)))
    (global.set $acc2 (f64.add (global.get $acc2) (local.get $t2)))
  )

  ;; Σ dy[i] and Σ dy[i]·xhat[i] over [0, n) in float64 (f64x2 pairs, then the tail), added to
  ;; the f64 pair at $out.
  (func $sumDyXhat (param $dy i32) (param $xh i32) (param $n i32) (param $out i32)
    (local $end i32) (local $end4 i32) (local $d v128) (local $x v128) (local $lo v128) (local $hi v128)
    (local $s v128) (local $sx v128) (local $ts f64) (local $tsx f64) (local $e f64)
    (local.set $end (i32.add (local.get $dy) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $dy) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $dy) (local.get $end4)))
      (local.set $d (v128.load (local.get $dy)))
      (local.set $x (v128.load (local.get $xh)))
      (local.set $lo (f64x2.promote_low_f32x4 (local.get $d)))
      (local.set $hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d) (local.get $d))))
      (local.set $s (f64x2.add (local.get $s) (f64x2.add (local.get $lo) (local.get $hi))))
      (local.set $sx (f64x2.add (local.get $sx)
        (f64x2.add
          (f64x2.mul (local.get $lo) (f64x2.promote_low_f32x4 (local.get $x)))
          (f64x2.mul (local.get $hi) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $xh (i32.add (local.get $xh) (i32.const 16)))
      (br $vl)))
    (local.set $ts (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))
    (local.set $tsx (f64.add (f64x2.extract_lane 0 (local.get $sx)) (f64x2.extract_lane 1 (local.get $sx))))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $dy) (local.get $end)))
      (local.set $e (f64.promote_f32 (f32.load (local.get $dy))))
      (local.set $ts (f64.add (local.get $ts) (local.get $e)))
      (local.set $tsx (f64.add (local.get $tsx) (f64.mul (local.get $e) (f64.promote_f32 (f32.load (local.get $xh))))))
      (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
      (local.set $xh (i32.add (local.get $xh) (i32.const 4)))
      (br $sl)))
    (f64.store (local.get $out) (f64.add (f64.load (local.get $out)) (local.get $ts)))
    (f64.store offset=8 (local.get $out) (f64.add (f64.load offset=8 (local.get $out)) (local.get $tsx)))
  )

  ;; dst[i] = (src[i] − mean)·inv → xhat (stored where $keep); y = xhat·g + b, over [0, n), f32x4
  ;; body; $act (bnForward's $mode) 1: y = max(xhat·g + b, 0) as reluForward computes it (BatchNorm →
  ;; ReLU run as one); 3: y = HardSwish of it, in the instructions of activations.wat's HardSwish
  ;; kernel (printed from the op file's expression; written out here, inline: fusions.test.ts
  ;; compares the fused chain with the two kernels bit for bit, so a change there shows). Exported
  ;; for the convolutions that apply an eval-mode BatchNorm as they write their output (in place:
  ;; $src = $y, $keep = 0; fusions/conv-batch-norm.ts), so that they compute what this computes.
  (func $normalize (export "bnNormalize") (param $src i32) (param $xh i32) (param $y i32) (param $n i32) (param $mean f32) (param $inv f32) (param $g f32) (param $b f32) (param $act i32)
    (param $keep i32)
    (local $i i32) (local $t v128) (local $s f32)
    (local.set $i (i32.and (local.get $n) (i32.const -4)))
    (call $normalizeLanes (local.get $src) (local.get $xh) (local.get $y) (i32.shr_u (local.get $i) (i32.const 2))
      (f32x4.splat (local.get $mean)) (f32x4.splat (local.get $inv)) (f32x4.splat (local.get $g)) (f32x4.splat (local.get $b))
      (local.get $act) (local.get $keep))
    (local.set $src (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
    (local.set $xh (i32.add (local.get $xh) (i32.shl (local.get $i) (i32.const 2))))
    (local.set $y (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2))))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $s (f32.mul (f32.sub (f32.load (local.get $src)) (local.get $mean)) (local.get $inv)))
      (if (local.get $keep) (then (f32.store (local.get $xh) (local.get $s))))
      (local.set $s (f32.add (f32.mul (local.get $s) (local.get $g)) (local.get $b)))
      (if (i32.eq (local.get $act) (i32.const 1)) (then (local.set $s (select (f32.const 0) (local.get $s) (f32.lt (local.get $s) (f32.const 0))))))
      (if (i32.eq (local.get $act) (i32.const 3)) (then
        (local.set $t (f32x4.splat (local.get $s)))
        (local.set $s (f32x4.extract_lane 0 (f32x4.div (f32x4.mul (local.get $t) (f32x4.pmin (f32x4.pmax (f32x4.add (local.get $t) (v128.const f32x4 3 3 3 3)) (v128.const f32x4 0 0 0 0)) (v128.const f32x4 6 6 6 6))) (v128.const f32x4 6 6 6 6))))))
      (f32.store (local.get $y) (local.get $s))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (local.set $xh (i32.add (local.get $xh) (i32.const 4)))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sl)))
  )

  ;; $normalize's f32x4 body over $nv vectors with a mean, 1/σ, γ and β per lane: lane k of every
  ;; vector gets exactly what $normalize gives an element of its channel (it runs its whole vectors
  ;; through this, splatted). The depthwise forward by channel groups applies it to its interleaved
  ;; output, four channels a vector. Exported for other modules only (a v128 parameter: not callable
  ;; from JS, so not a kernel-table entry).
  (export "bnNormalizeLanes" (func $normalizeLanes))
  (func $normalizeLanes (param $src i32) (param $xh i32) (param $y i32) (param $nv i32)
    (param $vm v128) (param $vi v128) (param $vg v128) (param $vb v128) (param $act i32) (param $keep i32)
    (local $t v128) (local $zero v128) (local $three v128) (local $six v128)
    (local.set $three (v128.const f32x4 3 3 3 3))
    (local.set $six (v128.const f32x4 6 6 6 6))
    (if (local.get $keep) (then
      (block $vd (loop $vl
        (br_if $vd (i32.eqz (local.get $nv)))
        (local.set $t (f32x4.mul (f32x4.sub (v128.load (local.get $src)) (local.get $vm)) (local.get $vi)))
        (v128.store (local.get $xh) (local.get $t))
        (local.set $t (f32x4.add (f32x4.mul (local.get $t) (local.get $vg)) (local.get $vb)))
        (if (i32.eq (local.get $act) (i32.const 1)) (then (local.set $t (f32x4.pmax (local.get $t) (local.get $zero)))))
        (if (i32.eq (local.get $act) (i32.const 3)) (then (local.set $t (f32x4.div (f32x4.mul (local.get $t) (f32x4.pmin (f32x4.pmax (f32x4.add (local.get $t) (local.get $three)) (local.get $zero)) (local.get $six))) (local.get $six)))))
        (v128.store (local.get $y) (local.get $t))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $xh (i32.add (local.get $xh) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $nv (i32.sub (local.get $nv) (i32.const 1)))
        (br $vl)))
      (return)))
    ;; No x̂ kept (eval mode, a convolution's epilogue): a loop per activation, without the two
    ;; tests a vector the loop above makes, and the constants in locals (the same arithmetic, so the
    ;; same bits). Measured (gemm.wat's gemmSampleCols at batch 16, 1 thread, min CPU ms of 30,
    ;; interleaved; the product alone / with this epilogue before / after): mobilenet_v3_small's
    ;; 40→240 on 14×14 with HardSwish 1.47 / 1.96 / 1.80; 48→288 on 14×14 2.08 / 2.72 / 2.50;
    ;; 16→72 on 56×56 with ReLU 3.61 / 4.94 / 4.43. HardSwish's f32x4.div bounds what is left.
    (if (i32.eq (local.get $act) (i32.const 3)) (then
      (block $hd (loop $hl
        (br_if $hd (i32.eqz (local.get $nv)))
        (local.set $t (f32x4.add (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (local.get $src)) (local.get $vm)) (local.get $vi)) (local.get $vg)) (local.get $vb)))
        (v128.store (local.get $y) (f32x4.div (f32x4.mul (local.get $t) (f32x4.pmin (f32x4.pmax (f32x4.add (local.get $t) (local.get $three)) (local.get $zero)) (local.get $six))) (local.get $six)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $nv (i32.sub (local.get $nv) (i32.const 1)))
        (br $hl)))
      (return)))
    (if (i32.eq (local.get $act) (i32.const 1)) (then
      (block $rd (loop $rl
        (br_if $rd (i32.eqz (local.get $nv)))
        (v128.store (local.get $y) (f32x4.pmax (f32x4.add (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (local.get $src)) (local.get $vm)) (local.get $vi)) (local.get $vg)) (local.get $vb)) (local.get $zero)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $nv (i32.sub (local.get $nv) (i32.const 1)))
        (br $rl)))
      (return)))
    (block $nd (loop $nl
      (br_if $nd (i32.eqz (local.get $nv)))
      (v128.store (local.get $y) (f32x4.add (f32x4.mul (f32x4.mul (f32x4.sub (v128.load (local.get $src)) (local.get $vm)) (local.get $vi)) (local.get $vg)) (local.get $vb)))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $nv (i32.sub (local.get $nv) (i32.const 1)))
      (br $nl)))
  )

  ;; dx[i] += k·(dy[i] − a − xhat[i]·b) over [0, n)  (eval mode: a = b = 0).
  (func $bnDx (param $dy i32) (param $xh i32) (param $dx i32) (param $n i32) (param $k f32) (param $a f32) (param $b f32) (param $assign i32)
    (local $i i32) (local $n4 i32) (local $vk v128) (local $va v128) (local $vb v128) (local $v v128) (local $f f32)
    (local.set $vk (f32x4.splat (local.get $k)))
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $vb (f32x4.splat (local.get $b)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_s (local.get $i) (local.get $n4)))
      (local.set $v (f32x4.mul (local.get $vk)
        (f32x4.sub (f32x4.sub (v128.load (local.get $dy)) (local.get $va)) (f32x4.mul (v128.load (local.get $xh)) (local.get $vb)))))
      (if (local.get $assign)
        (then (v128.store (local.get $dx) (local.get $v)))
        (else (v128.store (local.get $dx) (f32x4.add (v128.load (local.get $dx)) (local.get $v)))))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $xh (i32.add (local.get $xh) (i32.const 16)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $f (f32.mul (local.get $k)
        (f32.sub (f32.sub (f32.load (local.get $dy)) (local.get $a)) (f32.mul (f32.load (local.get $xh)) (local.get $b)))))
      (if (local.get $assign)
        (then (f32.store (local.get $dx) (local.get $f)))
        (else (f32.store (local.get $dx) (f32.add (f32.load (local.get $dx)) (local.get $f)))))
      (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
      (local.set $xh (i32.add (local.get $xh) (i32.const 4)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 4)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sl)))
  )

  ;; BatchNorm's channels in blocks (bnForward, bnBackward): as many as keep a tensor's planes of
  ;; the block within BATCH_NORM.BLOCK_BYTES (at least one), so the statistics pass leaves them in L2 for the
  ;; pass that uses the statistics. Each pass walks a block sample by sample, its planes in memory
  ;; order: with small planes (mobilenet's 576 channels of 7×7) a channel at a time jumped a whole
  ;; sample between 196-byte planes, which the prefetcher does not follow. Per channel the sums
  ;; still add its planes in sample order, as before: the same bits.
  (func $bnBlock (param $n i32) (param $inner i32) (result i32)
    (local $b i32)
    (local.set $b (i32.div_u (i32.const {{BATCH_NORM.BLOCK_BYTES}}) (i32.shl (i32.mul (local.get $n) (local.get $inner)) (i32.const 2))))
    (select (local.get $b) (i32.const 1) (local.get $b)))

  ;; Σ (x − K) and Σ (x − K)² of channels [cb, ce) (K: the channel's first value) into each one's
  ;; f64 pair at $tab + 32·(ch − cb), summed per channel in sample order. One value per sample
  ;; (inner = 1, a BatchNorm1d after a Linear): a channel at a time in registers, the arithmetic
  ;; of $shiftedSums's tail.
  (func $bnSums (param $x i32) (param $tab i32) (param $n i32) (param $c i32) (param $inner i32) (param $cb i32) (param $ce i32)
    (local $b i32) (local $ch i32) (local $t i32) (local $k f64) (local $e f64) (local $p i32) (local $a1 f64) (local $a2 f64)
    (if (i32.eq (local.get $inner) (i32.const 1)) (then
      (local.set $t (local.get $tab))
      (local.set $ch (local.get $cb))
      (block $od (loop $ol
        (br_if $od (i32.ge_s (local.get $ch) (local.get $ce)))
        (local.set $k (f64.promote_f32 (f32.load (i32.add (local.get $x) (i32.shl (local.get $ch) (i32.const 2))))))
        (local.set $a1 (f64.const 0))
        (local.set $a2 (f64.const 0))
        (local.set $b (i32.const 0))
        (block $bd (loop $bl
          (br_if $bd (i32.ge_s (local.get $b) (local.get $n)))
          (local.set $e (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $x)
            (i32.shl (i32.add (i32.mul (local.get $b) (local.get $c)) (local.get $ch)) (i32.const 2))))) (local.get $k)))
          (local.set $a1 (f64.add (local.get $a1) (local.get $e)))
          (local.set $a2 (f64.add (local.get $a2) (f64.mul (local.get $e) (local.get $e))))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $bl)))
        (f64.store (local.get $t) (local.get $a1))
        (f64.store offset=8 (local.get $t) (local.get $a2))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
        (br $ol)))
      (return)))
    (local.set $t (local.get $tab))
    (local.set $ch (local.get $cb))
    (block $zd (loop $zl
      (br_if $zd (i32.ge_s (local.get $ch) (local.get $ce)))
      (f64.store (local.get $t) (f64.const 0))
      (f64.store offset=8 (local.get $t) (f64.const 0))
      (local.set $t (i32.add (local.get $t) (i32.const 32)))
      (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
      (br $zl)))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_s (local.get $b) (local.get $n)))
      (local.set $p (i32.add (local.get $x) (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $c)) (local.get $cb)) (local.get $inner)) (i32.const 2))))
      (local.set $t (local.get $tab))
      (local.set $ch (local.get $cb))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_s (local.get $ch) (local.get $ce)))
        (global.set $acc1 (f64.load (local.get $t)))
        (global.set $acc2 (f64.load offset=8 (local.get $t)))
        (call $shiftedSums (local.get $p) (local.get $inner)
          (f64.promote_f32 (f32.load (i32.add (local.get $x) (i32.shl (i32.mul (local.get $ch) (local.get $inner)) (i32.const 2))))))
        (f64.store (local.get $t) (global.get $acc1))
        (f64.store offset=8 (local.get $t) (global.get $acc2))
        (local.set $p (i32.add (local.get $p) (i32.shl (local.get $inner) (i32.const 2))))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
        (br $cl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl)))
  )

  ;; Channel $ch's statistics into its table entry $t (after the sums pair: mean, 1/σ as float32,
  ;; then γ and β), its invStd, and in training its running statistics. Train: batch mean and
  ;; biased variance from $bnSums's shifted sums (float64), running stats updated with the
  ;; unbiased variance; eval: running stats. invStd = 1/√(var + eps).
  (func $bnChannel (param $t i32) (param $ch i32) (param $x i32) (param $invStd i32) (param $gamma i32) (param $beta i32)
    (param $rm i32) (param $rv i32) (param $m f64) (param $inner i32) (param $training i32) (param $eps f64) (param $momentum f64)
    (local $chb i32) (local $s f64) (local $ss f64) (local $mean f64) (local $var f64) (local $inv f64) (local $unbiased f64) (local $shift f64)
    (local.set $chb (i32.shl (local.get $ch) (i32.const 2)))
    (if (local.get $training)
      (then
        ;; One pass: sums of (x − K) and (x − K)² in float64 with K = the channel's first value
        ;; (shifting by a sample keeps E[(x−K)²] − E[x−K]² free of cancellation; float64 leaves
        ;; the statistics equal to the two-pass reference's to ~1e-16).
        (local.set $shift (f64.promote_f32 (f32.load (i32.add (local.get $x) (i32.shl (i32.mul (local.get $ch) (local.get $inner)) (i32.const 2))))))
        (local.set $s (f64.load (local.get $t)))
        (local.set $mean (f64.add (local.get $shift) (f64.div (local.get $s) (local.get $m))))
        (local.set $ss (f64.sub (f64.load offset=8 (local.get $t)) (f64.div (f64.mul (local.get $s) (local.get $s)) (local.get $m))))
        (if (f64.lt (local.get $ss) (f64.const 0)) (then (local.set $ss (f64.const 0))))
        (local.set $var (f64.div (local.get $ss) (local.get $m)))
        (local.set $inv (f64.div (f64.const 1) (f64.sqrt (f64.add (local.get $var) (local.get $eps)))))
        (local.set $unbiased (select (f64.div (local.get $ss) (f64.sub (local.get $m) (f64.const 1))) (local.get $var)
          (f64.gt (local.get $m) (f64.const 1))))
        (f32.store (i32.add (local.get $rm) (local.get $chb)) (f32.demote_f64
          (f64.add (f64.mul (f64.sub (f64.const 1) (local.get $momentum)) (f64.promote_f32 (f32.load (i32.add (local.get $rm) (local.get $chb)))))
                   (f64.mul (local.get $momentum) (local.get $mean)))))
        (f32.store (i32.add (local.get $rv) (local.get $chb)) (f32.demote_f64
          (f64.add (f64.mul (f64.sub (f64.const 1) (local.get $momentum)) (f64.promote_f32 (f32.load (i32.add (local.get $rv) (local.get $chb)))))
                   (f64.mul (local.get $momentum) (local.get $unbiased))))))
      (else
        (local.set $mean (f64.promote_f32 (f32.load (i32.add (local.get $rm) (local.get $chb)))))
        (local.set $inv (f64.div (f64.const 1) (f64.sqrt (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $rv) (local.get $chb)))) (local.get $eps)))))))
    (f32.store (i32.add (local.get $invStd) (local.get $chb)) (f32.demote_f64 (local.get $inv)))
    (f32.store offset=16 (local.get $t) (f32.demote_f64 (local.get $mean)))
    (f32.store offset=20 (local.get $t) (f32.demote_f64 (local.get $inv)))
    (f32.store offset=24 (local.get $t) (if (result f32) (local.get $gamma) (then (f32.load (i32.add (local.get $gamma) (local.get $chb)))) (else (f32.const 1))))
    (f32.store offset=28 (local.get $t) (if (result f32) (local.get $beta) (then (f32.load (i32.add (local.get $beta) (local.get $chb)))) (else (f32.const 0)))))

  ;; x̂ (none where $xhat = 0) and y of channels [cb, ce) from their table entries ($bnChannel's),
  ;; sample by sample: y as bnForward's $mode says. inner = 1 (mode 0 or 1): inline, the arithmetic of $normalize's tail.
  (func $bnApply (param $x i32) (param $y i32) (param $xhat i32) (param $tab i32) (param $n i32) (param $c i32) (param $inner i32)
    (param $cb i32) (param $ce i32) (param $mode i32) (param $H i32) (param $W i32) (param $arg i32) (param $plane i32)
    (local $b i32) (local $ch i32) (local $t i32) (local $off i32) (local $po i32) (local $ppl i32) (local $s f32)
    (local.set $ppl (i32.mul (i32.shr_u (local.get $H) (i32.const 1)) (i32.shr_u (local.get $W) (i32.const 1))))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_s (local.get $b) (local.get $n)))
      (local.set $t (local.get $tab))
      (local.set $ch (local.get $cb))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_s (local.get $ch) (local.get $ce)))
        (local.set $off (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $c)) (local.get $ch)) (local.get $inner)) (i32.const 2)))
        (if (i32.eq (local.get $mode) (i32.const 2))
          (then
            ;; The plane's pooled outputs start at plane·(H/2)·(W/2).
            (local.set $po (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (local.get $c)) (local.get $ch)) (local.get $ppl)) (i32.const 2)))
            (call $normalize (i32.add (local.get $x) (local.get $off)) (i32.add (local.get $xhat) (local.get $off)) (local.get $plane)
              (local.get $inner) (f32.load offset=16 (local.get $t)) (f32.load offset=20 (local.get $t)) (f32.load offset=24 (local.get $t)) (f32.load offset=28 (local.get $t)) (i32.const 1)
              (local.get $xhat))
            (call $maxPool2x2 (local.get $plane) (i32.add (local.get $y) (local.get $po)) (i32.add (local.get $arg) (local.get $po))
              (i32.const 0) (i32.const 1) (local.get $H) (local.get $W) (i32.shr_u (local.get $H) (i32.const 1)) (i32.shr_u (local.get $W) (i32.const 1))))
          (else (if (i32.and (i32.eq (local.get $inner) (i32.const 1)) (i32.le_u (local.get $mode) (i32.const 1)))
            (then
              (local.set $s (f32.mul (f32.sub (f32.load (i32.add (local.get $x) (local.get $off))) (f32.load offset=16 (local.get $t))) (f32.load offset=20 (local.get $t))))
              (if (local.get $xhat) (then (f32.store (i32.add (local.get $xhat) (local.get $off)) (local.get $s))))
              (local.set $s (f32.add (f32.mul (local.get $s) (f32.load offset=24 (local.get $t))) (f32.load offset=28 (local.get $t))))
              (if (local.get $mode) (then (local.set $s (select (f32.const 0) (local.get $s) (f32.lt (local.get $s) (f32.const 0))))))
              (f32.store (i32.add (local.get $y) (local.get $off)) (local.get $s)))
            (else
              (call $normalize (i32.add (local.get $x) (local.get $off)) (i32.add (local.get $xhat) (local.get $off)) (i32.add (local.get $y) (local.get $off))
                (local.get $inner) (f32.load offset=16 (local.get $t)) (f32.load offset=20 (local.get $t)) (f32.load offset=24 (local.get $t)) (f32.load offset=28 (local.get $t)) (local.get $mode)
                (local.get $xhat))))))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
        (br $cl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl)))
  )

  ;; BatchNorm forward for channels [c0, c1) of x viewed as [n, c, inner], in blocks ($bnBlock):
  ;; statistics ($bnSums, $bnChannel), then x̂ and y ($bnApply). gamma/beta = 0: none; xhat = 0:
  ;; x̂ not stored (eval mode: its backward has it written first).
  ;; $mode 0: y = BatchNorm's output. Fused with what follows it (overrides/fusions.ts), x̂ and
  ;; invStd the same: 1: y = ReLU of it; 2: y = the 2×2, stride-2 MaxPool2d of that ReLU, argmax in
  ;; $arg (planes of [H, W] = inner, H and W even, W >= 8), each plane normalised into this thread's
  ;; scratch first; 3: y = HardSwish of it (the fusion runs it in eval mode only). What the ops
  ;; compute one by one, bit for bit. $scratch: this thread's, 32 bytes a channel of the block (its
  ;; table), then `inner` floats for mode 2's plane.
  (func (export "bnForward")
    (param $x i32) (param $y i32) (param $xhat i32) (param $invStd i32) (param $gamma i32) (param $beta i32)
    (param $rm i32) (param $rv i32) (param $n i32) (param $c i32) (param $inner i32) (param $c0 i32) (param $c1 i32)
    (param $training i32) (param $eps f64) (param $momentum f64)
    (param $mode i32) (param $H i32) (param $W i32) (param $arg i32) (param $scratch i32)
    (local $blk i32) (local $cb i32) (local $ce i32) (local $ch i32) (local $t i32) (local $m f64)
    ;; eval: no statistics pass, one block
    (local.set $blk (if (result i32) (local.get $training) (then (call $bnBlock (local.get $n) (local.get $inner))) (else (local.get $c))))
    (local.set $m (f64.convert_i32_s (i32.mul (local.get $n) (local.get $inner))))
    (local.set $cb (local.get $c0))
    (block $kd (loop $kl
      (br_if $kd (i32.ge_s (local.get $cb) (local.get $c1)))
      (local.set $ce (i32.add (local.get $cb) (local.get $blk)))
      (if (i32.gt_s (local.get $ce) (local.get $c1)) (then (local.set $ce (local.get $c1))))
      (if (local.get $training) (then
        (call $bnSums (local.get $x) (local.get $scratch) (local.get $n) (local.get $c) (local.get $inner) (local.get $cb) (local.get $ce))))
      (local.set $t (local.get $scratch))
      (local.set $ch (local.get $cb))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_s (local.get $ch) (local.get $ce)))
        (call $bnChannel (local.get $t) (local.get $ch) (local.get $x) (local.get $invStd) (local.get $gamma) (local.get $beta)
          (local.get $rm) (local.get $rv) (local.get $m) (local.get $inner) (local.get $training) (local.get $eps) (local.get $momentum))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
        (br $cl)))
      (call $bnApply (local.get $x) (local.get $y) (local.get $xhat) (local.get $scratch) (local.get $n) (local.get $c) (local.get $inner)
        (local.get $cb) (local.get $ce) (local.get $mode) (local.get $H) (local.get $W) (local.get $arg)
        (i32.add (local.get $scratch) (i32.shl (local.get $blk) (i32.const 5))))
      (local.set $cb (local.get $ce))
      (br $kl)))
  )

  ;; dy of BatchNorm's output for one plane (elements at byte offset $off) of a fused BatchNorm →
  ;; ReLU (bnForward's $mode 1): ReLU's backward of $dy (dy where its output $y > 0, else +0) into
  ;; $plane. Mode 0: BatchNorm's own dy. Returns the address to read.
  (func $bnDy (param $mode i32) (param $dy i32) (param $y i32) (param $off i32) (param $inner i32) (param $plane i32) (result i32)
    (if (i32.eqz (local.get $mode)) (then (return (i32.add (local.get $dy) (local.get $off)))))
    (call $reluBackward (i32.add (local.get $y) (local.get $off)) (i32.add (local.get $dy) (local.get $off)) (local.get $plane)
      (i32.const 0) (local.get $inner) (i32.const 1))
    (local.get $plane))

  ;; BatchNorm's dy in a fused BatchNorm → ReLU → 2×2 MaxPool2d (bnForward's $mode 2) is the pooled
  ;; dy at each window's argmax where the pooled output is > 0, and +0 elsewhere (what the pool's
  ;; and ReLU's backwards would write). Its sums Σ d and Σ d·x̂ over one plane, from the $m pooled
  ;; cells alone (branch-free), added to the f64 pair at $out.
  (func $pooledSums (param $dy i32) (param $y i32) (param $arg i32) (param $xh i32) (param $m i32) (param $out i32)
    (local $end i32) (local $d f64) (local $s f64) (local $sx f64)
    (local.set $end (i32.add (local.get $dy) (i32.shl (local.get $m) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $dy) (local.get $end)))
      (local.set $d (select (f64.promote_f32 (f32.load (local.get $dy))) (f64.const 0) (f32.gt (f32.load (local.get $y)) (f32.const 0))))
      (local.set $s (f64.add (local.get $s) (local.get $d)))
      (local.set $sx (f64.add (local.get $sx) (f64.mul (local.get $d)
        (f64.promote_f32 (f32.load (i32.add (local.get $xh) (i32.shl (i32.trunc_f32_s (f32.load (local.get $arg))) (i32.const 2))))))))
      (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (local.set $arg (i32.add (local.get $arg) (i32.const 4)))
      (br $l)))
    (f64.store (local.get $out) (f64.add (f64.load (local.get $out)) (local.get $s)))
    (f64.store offset=8 (local.get $out) (f64.add (f64.load offset=8 (local.get $out)) (local.get $sx))))

  ;; $bnDx over one [H, W] plane (W even) with that dy rebuilt per element from the pooled planes
  ;; $dy, $y, $arg: f32x4 over four columns (two windows, whose pooled values are loaded as one
  ;; 64-bit pair and spread to two lanes each), scalar where W is not a multiple of 4. The same
  ;; arithmetic per element as $bnDx ($assign = 1: dx =, else dx +=).
  (func $bnDxPooled (param $dy i32) (param $y i32) (param $arg i32) (param $xh i32) (param $dx i32) (param $H i32) (param $W i32)
    (param $k f32) (param $a f32) (param $b f32) (param $assign i32)
    (local $r i32) (local $col i32) (local $W4 i32) (local $o i32) (local $q i32) (local $e i32) (local $p i32)
    (local $d v128) (local $v v128) (local $vk v128) (local $va v128) (local $vb v128) (local $f f32)
    (local.set $vk (f32x4.splat (local.get $k)))
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $vb (f32x4.splat (local.get $b)))
    (local.set $W4 (i32.and (local.get $W) (i32.const -4)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s (local.get $r) (local.get $H)))
      ;; this row's windows are pooled cells (r/2)·(W/2) + col/2; its elements r·W + col
      (local.set $o (i32.mul (i32.shr_u (local.get $r) (i32.const 1)) (i32.shr_u (local.get $W) (i32.const 1))))
      (local.set $e (i32.mul (local.get $r) (local.get $W)))
      (local.set $col (i32.const 0))
      (block $vd (loop $vl
        (br_if $vd (i32.ge_s (local.get $col) (local.get $W4)))
        (local.set $q (i32.shl (i32.add (local.get $o) (i32.shr_u (local.get $col) (i32.const 1))) (i32.const 2)))
        (local.set $d (v128.and
          (i8x16.shuffle 0 1 2 3 0 1 2 3 4 5 6 7 4 5 6 7 (v128.load64_zero (i32.add (local.get $dy) (local.get $q))) (v128.const i32x4 0 0 0 0))
          (v128.and
            (f32x4.gt (i8x16.shuffle 0 1 2 3 0 1 2 3 4 5 6 7 4 5 6 7 (v128.load64_zero (i32.add (local.get $y) (local.get $q))) (v128.const i32x4 0 0 0 0))
              (v128.const f32x4 0 0 0 0))
            (f32x4.eq (i8x16.shuffle 0 1 2 3 0 1 2 3 4 5 6 7 4 5 6 7 (v128.load64_zero (i32.add (local.get $arg) (local.get $q))) (v128.const i32x4 0 0 0 0))
              (f32x4.convert_i32x4_s (i32x4.add (i32x4.splat (i32.add (local.get $e) (local.get $col))) (v128.const i32x4 0 1 2 3)))))))
        (local.set $p (i32.shl (i32.add (local.get $e) (local.get $col)) (i32.const 2)))
        (local.set $v (f32x4.mul (local.get $vk)
          (f32x4.sub (f32x4.sub (local.get $d) (local.get $va)) (f32x4.mul (v128.load (i32.add (local.get $xh) (local.get $p))) (local.get $vb)))))
        (local.set $p (i32.add (local.get $dx) (local.get $p)))
        (if (local.get $assign)
          (then (v128.store (local.get $p) (local.get $v)))
          (else (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (local.get $v)))))
        (local.set $col (i32.add (local.get $col) (i32.const 4)))
        (br $vl)))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_s (local.get $col) (local.get $W)))
        (local.set $q (i32.shl (i32.add (local.get $o) (i32.shr_u (local.get $col) (i32.const 1))) (i32.const 2)))
        (local.set $f (select (f32.load (i32.add (local.get $dy) (local.get $q))) (f32.const 0)
          (i32.and (f32.gt (f32.load (i32.add (local.get $y) (local.get $q))) (f32.const 0))
            (f32.eq (f32.load (i32.add (local.get $arg) (local.get $q))) (f32.convert_i32_s (i32.add (local.get $e) (local.get $col)))))))
        (local.set $p (i32.shl (i32.add (local.get $e) (local.get $col)) (i32.const 2)))
        (local.set $f (f32.mul (local.get $k)
          (f32.sub (f32.sub (local.get $f) (local.get $a)) (f32.mul (f32.load (i32.add (local.get $xh) (local.get $p))) (local.get $b)))))
        (local.set $p (i32.add (local.get $dx) (local.get $p)))
        (if (local.get $assign)
          (then (f32.store (local.get $p) (local.get $f)))
          (else (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (local.get $f)))))
        (local.set $col (i32.add (local.get $col) (i32.const 1)))
        (br $sl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl)))
  )

  ;; BatchNorm backward for channels [c0, c1), in blocks ($bnBlock): dGamma += Σ dy·x̂, dBeta += Σ dy
  ;; (float64 sums, per channel in sample order), dx += γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)) in train
  ;; mode, γ/σ·dy in eval mode ($assign = 1: dx =); eval mode without dGamma and dBeta skips the
  ;; sums. dGamma/dBeta/dx = 0: not needed. $tmp: this thread's scratch: 32 bytes a channel of the
  ;; block (f64 sums, then k, a, b as float32), and for $mode 1 (bnForward's; $dy, $y: the ReLU's)
  ;; after 32·c bytes the block's planes of dy rebuilt ($bnDy, $blockPlane) for the sums, read
  ;; again for dx (rebuilt again where eval mode skips the sums). Mode 2 ($dy, $y, $arg: the pool's) rebuilds it per element ($pooledSums, $bnDxPooled).
  (func (export "bnBackward")
    (param $dy i32) (param $xhat i32) (param $invStd i32) (param $gamma i32) (param $dGamma i32) (param $dBeta i32) (param $dx i32)
    (param $n i32) (param $c i32) (param $inner i32) (param $c0 i32) (param $c1 i32) (param $training i32) (param $tmp i32) (param $assign i32)
    (param $mode i32) (param $y i32) (param $H i32) (param $W i32) (param $arg i32)
    (local $blk i32) (local $cb i32) (local $ce i32) (local $ch i32) (local $t i32) (local $chb i32) (local $p i32) (local $m f64)
    (local $plane i32) (local $sums i32)
    (local.set $plane (i32.add (local.get $tmp) (i32.shl (local.get $c) (i32.const 5))))
    (local.set $blk (call $bnBlock (local.get $n) (local.get $inner)))
    (local.set $m (f64.convert_i32_s (i32.mul (local.get $n) (local.get $inner))))
    (local.set $sums (i32.or (local.get $training) (i32.or (local.get $dGamma) (local.get $dBeta))))
    (local.set $cb (local.get $c0))
    (block $kd (loop $kl
      (br_if $kd (i32.ge_s (local.get $cb) (local.get $c1)))
      (local.set $ce (i32.add (local.get $cb) (local.get $blk)))
      (if (i32.gt_s (local.get $ce) (local.get $c1)) (then (local.set $ce (local.get $c1))))
      (if (local.get $sums) (then
        (call $bnGradSums (local.get $dy) (local.get $xhat) (local.get $tmp) (local.get $n) (local.get $c) (local.get $inner) (local.get $cb) (local.get $ce)
          (local.get $mode) (local.get $y) (local.get $H) (local.get $W) (local.get $arg) (local.get $plane))))
      (local.set $t (local.get $tmp))
      (local.set $ch (local.get $cb))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_s (local.get $ch) (local.get $ce)))
        (local.set $chb (i32.shl (local.get $ch) (i32.const 2)))
        (if (local.get $dGamma) (then
          (local.set $p (i32.add (local.get $dGamma) (local.get $chb)))
          (f32.store (local.get $p) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $p))) (f64.load offset=8 (local.get $t)))))))
        (if (local.get $dBeta) (then
          (local.set $p (i32.add (local.get $dBeta) (local.get $chb)))
          (f32.store (local.get $p) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $p))) (f64.load (local.get $t)))))))
        (f32.store offset=16 (local.get $t) (f32.demote_f64 (f64.mul
          (if (result f64) (local.get $gamma) (then (f64.promote_f32 (f32.load (i32.add (local.get $gamma) (local.get $chb))))) (else (f64.const 1)))
          (f64.promote_f32 (f32.load (i32.add (local.get $invStd) (local.get $chb)))))))
        (f32.store offset=20 (local.get $t) (if (result f32) (local.get $training) (then (f32.demote_f64 (f64.div (f64.load (local.get $t)) (local.get $m)))) (else (f32.const 0))))
        (f32.store offset=24 (local.get $t) (if (result f32) (local.get $training) (then (f32.demote_f64 (f64.div (f64.load offset=8 (local.get $t)) (local.get $m)))) (else (f32.const 0))))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
        (br $cl)))
      (if (local.get $dx) (then
        (call $bnGradInput (local.get $dy) (local.get $xhat) (local.get $dx) (local.get $tmp) (local.get $n) (local.get $c) (local.get $inner) (local.get $cb) (local.get $ce)
          (local.get $assign) (local.get $mode) (local.get $y) (local.get $H) (local.get $W) (local.get $arg) (local.get $plane) (local.get $sums))))
      (local.set $cb (local.get $ce))
      (br $kl)))
  )

  ;; Where plane (b, ch) of a block [cb, ce) is kept in $buf (`inner` floats each, sample-major).
  (func $blockPlane (param $buf i32) (param $b i32) (param $ch i32) (param $cb i32) (param $ce i32) (param $inner i32) (result i32)
    (i32.add (local.get $buf) (i32.shl (i32.mul (i32.add (i32.mul (local.get $b) (i32.sub (local.get $ce) (local.get $cb)))
      (i32.sub (local.get $ch) (local.get $cb))) (local.get $inner)) (i32.const 2))))

  ;; Σ dy and Σ dy·x̂ of channels [cb, ce) into each one's f64 pair at $tab + 32·(ch − cb), summed
  ;; per channel in sample order (bnBackward's $mode says what dy is). inner = 1 with BatchNorm's
  ;; own dy: a channel at a time in registers, the arithmetic of $sumDyXhat's tail.
  (func $bnGradSums (param $dy i32) (param $xhat i32) (param $tab i32) (param $n i32) (param $c i32) (param $inner i32) (param $cb i32) (param $ce i32)
    (param $mode i32) (param $y i32) (param $H i32) (param $W i32) (param $arg i32) (param $plane i32)
    (local $b i32) (local $ch i32) (local $t i32) (local $pl i32) (local $off i32) (local $po i32) (local $ppl i32) (local $e f64)
    (local $s f64) (local $sx f64)
    (if (i32.and (i32.eq (local.get $inner) (i32.const 1)) (i32.eqz (local.get $mode))) (then
      (local.set $t (local.get $tab))
      (local.set $ch (local.get $cb))
      (block $od (loop $ol
        (br_if $od (i32.ge_s (local.get $ch) (local.get $ce)))
        (local.set $s (f64.const 0))
        (local.set $sx (f64.const 0))
        (local.set $b (i32.const 0))
        (block $bd (loop $bl
          (br_if $bd (i32.ge_s (local.get $b) (local.get $n)))
          (local.set $off (i32.shl (i32.add (i32.mul (local.get $b) (local.get $c)) (local.get $ch)) (i32.const 2)))
          (local.set $e (f64.promote_f32 (f32.load (i32.add (local.get $dy) (local.get $off)))))
          (local.set $s (f64.add (local.get $s) (local.get $e)))
          (local.set $sx (f64.add (local.get $sx) (f64.mul (local.get $e) (f64.promote_f32 (f32.load (i32.add (local.get $xhat) (local.get $off)))))))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $bl)))
        (f64.store (local.get $t) (local.get $s))
        (f64.store offset=8 (local.get $t) (local.get $sx))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
        (br $ol)))
      (return)))
    (local.set $ppl (i32.mul (i32.shr_u (local.get $H) (i32.const 1)) (i32.shr_u (local.get $W) (i32.const 1))))
    (local.set $t (local.get $tab))
    (local.set $ch (local.get $cb))
    (block $zd (loop $zl
      (br_if $zd (i32.ge_s (local.get $ch) (local.get $ce)))
      (f64.store (local.get $t) (f64.const 0))
      (f64.store offset=8 (local.get $t) (f64.const 0))
      (local.set $t (i32.add (local.get $t) (i32.const 32)))
      (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
      (br $zl)))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_s (local.get $b) (local.get $n)))
      (local.set $t (local.get $tab))
      (local.set $ch (local.get $cb))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_s (local.get $ch) (local.get $ce)))
        (local.set $pl (i32.add (i32.mul (local.get $b) (local.get $c)) (local.get $ch)))
        (local.set $off (i32.shl (i32.mul (local.get $pl) (local.get $inner)) (i32.const 2)))
        (if (i32.eq (local.get $mode) (i32.const 2))
          (then
            (local.set $po (i32.shl (i32.mul (local.get $pl) (local.get $ppl)) (i32.const 2)))
            (call $pooledSums (i32.add (local.get $dy) (local.get $po)) (i32.add (local.get $y) (local.get $po)) (i32.add (local.get $arg) (local.get $po))
              (i32.add (local.get $xhat) (local.get $off)) (local.get $ppl) (local.get $t)))
          (else
            (call $sumDyXhat
              (call $bnDy (local.get $mode) (local.get $dy) (local.get $y) (local.get $off) (local.get $inner)
                (call $blockPlane (local.get $plane) (local.get $b) (local.get $ch) (local.get $cb) (local.get $ce) (local.get $inner)))
              (i32.add (local.get $xhat) (local.get $off)) (local.get $inner) (local.get $t))))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
        (br $cl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl)))
  )

  ;; dx of channels [cb, ce) from their table entries (k, a, b at offsets 16, 20, 24), sample by
  ;; sample. inner = 1 with BatchNorm's own dy: inline, the arithmetic of $bnDx's tail.
  (func $bnGradInput (param $dy i32) (param $xhat i32) (param $dx i32) (param $tab i32) (param $n i32) (param $c i32) (param $inner i32)
    (param $cb i32) (param $ce i32) (param $assign i32) (param $mode i32) (param $y i32) (param $H i32) (param $W i32) (param $arg i32) (param $plane i32)
    (param $kept i32)
    (local $b i32) (local $ch i32) (local $t i32) (local $pl i32) (local $off i32) (local $po i32) (local $ppl i32) (local $p i32) (local $f f32)
    (local.set $ppl (i32.mul (i32.shr_u (local.get $H) (i32.const 1)) (i32.shr_u (local.get $W) (i32.const 1))))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_s (local.get $b) (local.get $n)))
      (local.set $t (local.get $tab))
      (local.set $ch (local.get $cb))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_s (local.get $ch) (local.get $ce)))
        (local.set $pl (i32.add (i32.mul (local.get $b) (local.get $c)) (local.get $ch)))
        (local.set $off (i32.shl (i32.mul (local.get $pl) (local.get $inner)) (i32.const 2)))
        (if (i32.eq (local.get $mode) (i32.const 2))
          (then
            (local.set $po (i32.shl (i32.mul (local.get $pl) (local.get $ppl)) (i32.const 2)))
            (call $bnDxPooled (i32.add (local.get $dy) (local.get $po)) (i32.add (local.get $y) (local.get $po)) (i32.add (local.get $arg) (local.get $po))
              (i32.add (local.get $xhat) (local.get $off)) (i32.add (local.get $dx) (local.get $off)) (local.get $H) (local.get $W)
              (f32.load offset=16 (local.get $t)) (f32.load offset=20 (local.get $t)) (f32.load offset=24 (local.get $t)) (local.get $assign)))
          (else (if (i32.and (i32.eq (local.get $inner) (i32.const 1)) (i32.eqz (local.get $mode)))
            (then
              (local.set $f (f32.mul (f32.load offset=16 (local.get $t))
                (f32.sub (f32.sub (f32.load (i32.add (local.get $dy) (local.get $off))) (f32.load offset=20 (local.get $t)))
                  (f32.mul (f32.load (i32.add (local.get $xhat) (local.get $off))) (f32.load offset=24 (local.get $t))))))
              (local.set $p (i32.add (local.get $dx) (local.get $off)))
              (if (local.get $assign)
                (then (f32.store (local.get $p) (local.get $f)))
                (else (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (local.get $f))))))
            (else
              (call $bnDx
                (if (result i32) (i32.and (local.get $kept) (i32.eq (local.get $mode) (i32.const 1)))
                  (then (call $blockPlane (local.get $plane) (local.get $b) (local.get $ch) (local.get $cb) (local.get $ce) (local.get $inner)))
                  (else (call $bnDy (local.get $mode) (local.get $dy) (local.get $y) (local.get $off) (local.get $inner)
                    (call $blockPlane (local.get $plane) (local.get $b) (local.get $ch) (local.get $cb) (local.get $ce) (local.get $inner)))))
                (i32.add (local.get $xhat) (local.get $off)) (i32.add (local.get $dx) (local.get $off))
                (local.get $inner) (f32.load offset=16 (local.get $t)) (f32.load offset=20 (local.get $t)) (f32.load offset=24 (local.get $t)) (local.get $assign))))))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
        (br $cl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl)))
  )

  ;; σ(x) = 1/(1 + e^(−x)) for four lanes. e^t: t clamped to [−88, 88] (σ is then 0 or 1 to float32
  ;; precision anyway), t = n·ln2 + r with n = ⌊t·log2(e) + ½⌋ and |r| ≤ ln2/2 (ln2 split in two
  ;; for an exact reduction), e^r by Cephes' degree-6 expf polynomial, 2ⁿ built in the exponent bits.
  ;; NOTE: about 2 ulp from the float64 reference (Math.exp) before the final division; NaN
  ;; propagates (f32x4.min/max do).
  (func $sigmoid4 (param $x v128) (result v128)
    (local $t v128) (local $n v128) (local $r v128) (local $p v128)
    (local.set $t (f32x4.min (f32x4.max (f32x4.neg (local.get $x)) (v128.const f32x4 -88 -88 -88 -88)) (v128.const f32x4 88 88 88 88)))
    (local.set $n (f32x4.floor (f32x4.add (f32x4.mul (local.get $t) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
      (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (local.set $r (f32x4.sub (f32x4.sub (local.get $t) (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
      (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    ;; e^r = p·r² + r + 1
    (local.set $p (f32x4.add (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
      (v128.const f32x4 1 1 1 1)))
    ;; × 2ⁿ (n ∈ [−127, 127]; n = −127 gives 0, and σ = 1)
    (local.set $p (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $p)))
  )

  ;; $sigmoid4 on the four vectors at $x, stored at $y: the same operations per lane (the same bits),
  ;; interleaved so that four independent dependency chains are in flight. One vector's chain
  ;; (reduction, degree-6 polynomial, division) is ~70 cycles of latency; one at a time, V8 cannot
  ;; overlap enough of them (MNIST AE's output layer, 64 × 784: 166 µs on one thread).
  (func $sigmoid16 (param $x i32) (param $y i32)
    (local $t0 v128) (local $n0 v128) (local $r0 v128) (local $p0 v128) (local $t1 v128) (local $n1 v128) (local $r1 v128) (local $p1 v128) (local $t2 v128) (local $n2 v128) (local $r2 v128) (local $p2 v128) (local $t3 v128) (local $n3 v128) (local $r3 v128) (local $p3 v128)
    (local.set $t0 (f32x4.min (f32x4.max (f32x4.neg (v128.load offset=0 (local.get $x))) (v128.const f32x4 -88 -88 -88 -88)) (v128.const f32x4 88 88 88 88)))
    (local.set $t1 (f32x4.min (f32x4.max (f32x4.neg (v128.load offset=16 (local.get $x))) (v128.const f32x4 -88 -88 -88 -88)) (v128.const f32x4 88 88 88 88)))
    (local.set $t2 (f32x4.min (f32x4.max (f32x4.neg (v128.load offset=32 (local.get $x))) (v128.const f32x4 -88 -88 -88 -88)) (v128.const f32x4 88 88 88 88)))
    (local.set $t3 (f32x4.min (f32x4.max (f32x4.neg (v128.load offset=48 (local.get $x))) (v128.const f32x4 -88 -88 -88 -88)) (v128.const f32x4 88 88 88 88)))
    (local.set $n0 (f32x4.floor (f32x4.add (f32x4.mul (local.get $t0) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341)) (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (local.set $n1 (f32x4.floor (f32x4.add (f32x4.mul (local.get $t1) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341)) (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (local.set $n2 (f32x4.floor (f32x4.add (f32x4.mul (local.get $t2) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341)) (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (local.set $n3 (f32x4.floor (f32x4.add (f32x4.mul (local.get $t3) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341)) (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (local.set $r0 (f32x4.sub (f32x4.sub (local.get $t0) (f32x4.mul (local.get $n0) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))) (f32x4.mul (local.get $n0) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $r1 (f32x4.sub (f32x4.sub (local.get $t1) (f32x4.mul (local.get $n1) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))) (f32x4.mul (local.get $n1) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $r2 (f32x4.sub (f32x4.sub (local.get $t2) (f32x4.mul (local.get $n2) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))) (f32x4.mul (local.get $n2) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $r3 (f32x4.sub (f32x4.sub (local.get $t3) (f32x4.mul (local.get $n3) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))) (f32x4.mul (local.get $n3) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p0 (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $r0)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p1 (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $r1)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p2 (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $r2)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p3 (f32x4.add (f32x4.mul (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $r3)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p0 (f32x4.add (f32x4.mul (local.get $p0) (local.get $r0)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p1 (f32x4.add (f32x4.mul (local.get $p1) (local.get $r1)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p2 (f32x4.add (f32x4.mul (local.get $p2) (local.get $r2)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p3 (f32x4.add (f32x4.mul (local.get $p3) (local.get $r3)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p0 (f32x4.add (f32x4.mul (local.get $p0) (local.get $r0)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p1 (f32x4.add (f32x4.mul (local.get $p1) (local.get $r1)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p2 (f32x4.add (f32x4.mul (local.get $p2) (local.get $r2)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p3 (f32x4.add (f32x4.mul (local.get $p3) (local.get $r3)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p0 (f32x4.add (f32x4.mul (local.get $p0) (local.get $r0)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p1 (f32x4.add (f32x4.mul (local.get $p1) (local.get $r1)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p2 (f32x4.add (f32x4.mul (local.get $p2) (local.get $r2)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p3 (f32x4.add (f32x4.mul (local.get $p3) (local.get $r3)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p0 (f32x4.add (f32x4.mul (local.get $p0) (local.get $r0)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $p1 (f32x4.add (f32x4.mul (local.get $p1) (local.get $r1)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $p2 (f32x4.add (f32x4.mul (local.get $p2) (local.get $r2)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $p3 (f32x4.add (f32x4.mul (local.get $p3) (local.get $r3)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    ;; e^r = p·r² + r + 1
    (local.set $p0 (f32x4.add (f32x4.add (f32x4.mul (local.get $p0) (f32x4.mul (local.get $r0) (local.get $r0))) (local.get $r0)) (v128.const f32x4 1 1 1 1)))
    (local.set $p1 (f32x4.add (f32x4.add (f32x4.mul (local.get $p1) (f32x4.mul (local.get $r1) (local.get $r1))) (local.get $r1)) (v128.const f32x4 1 1 1 1)))
    (local.set $p2 (f32x4.add (f32x4.add (f32x4.mul (local.get $p2) (f32x4.mul (local.get $r2) (local.get $r2))) (local.get $r2)) (v128.const f32x4 1 1 1 1)))
    (local.set $p3 (f32x4.add (f32x4.add (f32x4.mul (local.get $p3) (f32x4.mul (local.get $r3) (local.get $r3))) (local.get $r3)) (v128.const f32x4 1 1 1 1)))
    ;; × 2ⁿ, then 1/(1 + e^(−x))
    (local.set $p0 (f32x4.mul (local.get $p0) (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n0)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (local.set $p1 (f32x4.mul (local.get $p1) (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n1)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (local.set $p2 (f32x4.mul (local.get $p2) (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n2)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (local.set $p3 (f32x4.mul (local.get $p3) (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n3)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
    (v128.store offset=0 (local.get $y) (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $p0))))
    (v128.store offset=16 (local.get $y) (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $p1))))
    (v128.store offset=32 (local.get $y) (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $p2))))
    (v128.store offset=48 (local.get $y) (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $p3))))
  )

  ;; y[i] = σ(x[i]) for i in [i0, i1).
  (func (export "sigmoidForward") (param $x i32) (param $y i32) (param $i0 i32) (param $i1 i32)
    (local $p i32) (local $end i32) (local $end4 i32) (local $v v128)
    (local.set $p (i32.shl (local.get $i0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $i1) (i32.const 2)))
    (local.set $end4 (i32.add (local.get $p) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const -16))))
    ;; four vectors at a time (interleaved chains), then the rest
    (block $qd (loop $ql
      (br_if $qd (i32.gt_u (i32.add (local.get $p) (i32.const 64)) (local.get $end4)))
      (call $sigmoid16 (i32.add (local.get $x) (local.get $p)) (i32.add (local.get $y) (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 64)))
      (br $ql)))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $p) (local.get $end4)))
      ;; two vectors per iteration: fewer calls, and two independent dependency chains
      (if (i32.lt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end4))
        (then
          (v128.store (i32.add (local.get $y) (local.get $p)) (call $sigmoid4 (v128.load (i32.add (local.get $x) (local.get $p)))))
          (v128.store offset=16 (i32.add (local.get $y) (local.get $p)) (call $sigmoid4 (v128.load offset=16 (i32.add (local.get $x) (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (i32.const 32))))
        (else
          (v128.store (i32.add (local.get $y) (local.get $p)) (call $sigmoid4 (v128.load (i32.add (local.get $x) (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $v (call $sigmoid4 (f32x4.splat (f32.load (i32.add (local.get $x) (local.get $p))))))
      (f32.store (i32.add (local.get $y) (local.get $p)) (f32x4.extract_lane 0 (local.get $v)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $sl)))
  )

  ;; n floats at p = 0: one memory.fill (a memset). NOTE: V8's TypedArray fill on shared memory
  ;; stores element by element, ~7× slower.
  (func (export "fillZero") (param $p i32) (param $n i32)
    (memory.fill (local.get $p) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))
  )

  ;; y[r][j] = b[j] for rows [r0, r1) of a rows × cols matrix (Linear's bias, before the GEMM adds x·Wᵀ).
  (func (export "fillRows") (param $y i32) (param $b i32) (param $r0 i32) (param $r1 i32) (param $cols i32)
    (local $r i32) (local $row i32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $r (local.get $r0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s (local.get $r) (local.get $r1)))
      (memory.copy (i32.add (local.get $y) (i32.mul (local.get $r) (local.get $bytes))) (local.get $b) (local.get $bytes))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl)))
  )

  ;; db[j] += Σ_r dy[r][j] and dd[j] += Σ_r dy[r][j]·xh[r][j] for columns [j0, j1), rows in order.
  (func $colDots (param $dy i32) (param $xh i32) (param $rows i32) (param $cols i32) (param $db i32) (param $dd i32) (param $j0 i32) (param $j1 i32)
    (local $r i32) (local $j i32) (local $j4 i32) (local $row i32) (local $xrow i32) (local $q i32) (local $qd i32) (local $o i32)
    (local $v v128) (local $f f32)
    (local.set $j4 (i32.add (local.get $j0) (i32.and (i32.sub (local.get $j1) (local.get $j0)) (i32.const -4))))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s (local.get $r) (local.get $rows)))
      (local.set $o (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2)))
      (local.set $row (i32.add (local.get $dy) (local.get $o)))
      (local.set $xrow (i32.add (local.get $xh) (local.get $o)))
      (local.set $j (local.get $j0))
      (block $vd (loop $vl
        (br_if $vd (i32.ge_s (local.get $j) (local.get $j4)))
        (local.set $v (v128.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $qd (i32.add (local.get $dd) (i32.shl (local.get $j) (i32.const 2))))
        (v128.store (local.get $qd) (f32x4.add (v128.load (local.get $qd))
          (f32x4.mul (local.get $v) (v128.load (i32.add (local.get $xrow) (i32.shl (local.get $j) (i32.const 2)))))))
        (if (local.get $db) (then
          (local.set $q (i32.add (local.get $db) (i32.shl (local.get $j) (i32.const 2))))
          (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (local.get $v)))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $vl)))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_s (local.get $j) (local.get $j1)))
        (local.set $f (f32.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $qd (i32.add (local.get $dd) (i32.shl (local.get $j) (i32.const 2))))
        (f32.store (local.get $qd) (f32.add (f32.load (local.get $qd))
          (f32.mul (local.get $f) (f32.load (i32.add (local.get $xrow) (i32.shl (local.get $j) (i32.const 2)))))))
        (if (local.get $db) (then
          (local.set $q (i32.add (local.get $db) (i32.shl (local.get $j) (i32.const 2))))
          (f32.store (local.get $q) (f32.add (f32.load (local.get $q)) (local.get $f)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $sl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl)))
  )

  ;; db[j] += Σ_r dy[r][j] for columns [j0, j1), rows added in order (as the op file does, so the
  ;; float32 sums are identical). ddot ≠ 0: also ddot[j] += Σ_r dy[r][j]·xh[r][j] in the same pass
  ;; ($colDots; LayerNorm's dβ and dγ).
  (func (export "colSums") (param $dy i32) (param $xh i32) (param $rows i32) (param $cols i32) (param $db i32) (param $ddot i32) (param $j0 i32) (param $j1 i32)
    (local $r i32) (local $j i32) (local $j4 i32) (local $row i32) (local $q i32)
    (if (local.get $ddot) (then
      (call $colDots (local.get $dy) (local.get $xh) (local.get $rows) (local.get $cols) (local.get $db) (local.get $ddot) (local.get $j0) (local.get $j1))
      (return)))
    (local.set $j4 (i32.add (local.get $j0) (i32.and (i32.sub (local.get $j1) (local.get $j0)) (i32.const -4))))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s (local.get $r) (local.get $rows)))
      (local.set $row (i32.add (local.get $dy) (i32.shl (i32.mul (local.get $r) (local.get $cols)) (i32.const 2))))
      (local.set $j (local.get $j0))
      (block $vd (loop $vl
        (br_if $vd (i32.ge_s (local.get $j) (local.get $j4)))
        (local.set $q (i32.add (local.get $db) (i32.shl (local.get $j) (i32.const 2))))
        (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (v128.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $vl)))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_s (local.get $j) (local.get $j1)))
        (local.set $q (i32.add (local.get $db) (i32.shl (local.get $j) (i32.const 2))))
        (f32.store (local.get $q) (f32.add (f32.load (local.get $q)) (f32.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $sl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl)))
  )

  ;; dx[i] += dy[i]·y[i]·(1 − y[i]) for i in [i0, i1): σ' from the saved output, as the op file.
  (func (export "sigmoidBackward") (param $y i32) (param $dy i32) (param $dx i32) (param $i0 i32) (param $i1 i32)
    (local $p i32) (local $end i32) (local $end4 i32) (local $v v128) (local $q i32) (local $s f32)
    (local.set $p (i32.shl (local.get $i0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $i1) (i32.const 2)))
    (local.set $end4 (i32.add (local.get $p) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const -16))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $p) (local.get $end4)))
      (local.set $v (v128.load (i32.add (local.get $y) (local.get $p))))
      (local.set $q (i32.add (local.get $dx) (local.get $p)))
      (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q))
        (f32x4.mul (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $p))) (local.get $v))
          (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $v)))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $s (f32.load (i32.add (local.get $y) (local.get $p))))
      (local.set $q (i32.add (local.get $dx) (local.get $p)))
      (f32.store (local.get $q) (f32.add (f32.load (local.get $q))
        (f32.mul (f32.mul (f32.load (i32.add (local.get $dy) (local.get $p))) (local.get $s)) (f32.sub (f32.const 1) (local.get $s)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $sl)))
  )

  ;; Dropout's training forward over elements [i0, i1): mask[i] = 0 when dropoutBits(i, k) <
  ;; threshold (unsigned), else scale; y[i] = x[i]·mask[i]. dropoutBits is the op file's pcg4d hash
  ;; of (i + k3, k0, k1, k2), its fourth word: four elements at a time in i32x4 lanes, then one at
  ;; a time, so any range of any thread draws the reference backend's mask bit for bit.
  (func (export "dropoutForward") (param $x i32) (param $y i32) (param $mask i32) (param $i0 i32) (param $i1 i32)
    (param $k0 i32) (param $k1 i32) (param $k2 i32) (param $k3 i32) (param $threshold i32) (param $scale f32)
    (local $i i32) (local $p i32) (local $end4 i32)
    (local $vx v128) (local $vy v128) (local $vz v128) (local $vw v128) (local $vm v128)
    (local $sx i32) (local $sy i32) (local $sz i32) (local $sw i32) (local $m f32)
    (local.set $i (local.get $i0))
    (local.set $end4 (i32.add (local.get $i0) (i32.and (i32.sub (local.get $i1) (local.get $i0)) (i32.const -4))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $i) (local.get $end4)))
      (local.set $vx (i32x4.add (i32x4.mul (i32x4.add (i32x4.splat (i32.add (local.get $i) (local.get $k3))) (v128.const i32x4 0 1 2 3))
        (v128.const i32x4 1664525 1664525 1664525 1664525)) (v128.const i32x4 1013904223 1013904223 1013904223 1013904223)))
      (local.set $vy (i32x4.splat (i32.add (i32.mul (local.get $k0) (i32.const 1664525)) (i32.const 1013904223))))
      (local.set $vz (i32x4.splat (i32.add (i32.mul (local.get $k1) (i32.const 1664525)) (i32.const 1013904223))))
      (local.set $vw (i32x4.splat (i32.add (i32.mul (local.get $k2) (i32.const 1664525)) (i32.const 1013904223))))
      (local.set $vx (i32x4.add (local.get $vx) (i32x4.mul (local.get $vy) (local.get $vw))))
      (local.set $vy (i32x4.add (local.get $vy) (i32x4.mul (local.get $vz) (local.get $vx))))
      (local.set $vz (i32x4.add (local.get $vz) (i32x4.mul (local.get $vx) (local.get $vy))))
      (local.set $vw (i32x4.add (local.get $vw) (i32x4.mul (local.get $vy) (local.get $vz))))
      (local.set $vx (v128.xor (local.get $vx) (i32x4.shr_u (local.get $vx) (i32.const 16))))
      (local.set $vy (v128.xor (local.get $vy) (i32x4.shr_u (local.get $vy) (i32.const 16))))
      (local.set $vz (v128.xor (local.get $vz) (i32x4.shr_u (local.get $vz) (i32.const 16))))
      (local.set $vw (v128.xor (local.get $vw) (i32x4.shr_u (local.get $vw) (i32.const 16))))
      (local.set $vx (i32x4.add (local.get $vx) (i32x4.mul (local.get $vy) (local.get $vw))))
      (local.set $vy (i32x4.add (local.get $vy) (i32x4.mul (local.get $vz) (local.get $vx))))
      (local.set $vz (i32x4.add (local.get $vz) (i32x4.mul (local.get $vx) (local.get $vy))))
      (local.set $vw (i32x4.add (local.get $vw) (i32x4.mul (local.get $vy) (local.get $vz))))
      ;; lanes below the threshold are all ones: the mask there is scale & ~ones = 0.
      (local.set $vm (v128.andnot (f32x4.splat (local.get $scale)) (i32x4.lt_u (local.get $vw) (i32x4.splat (local.get $threshold)))))
      (local.set $p (i32.shl (local.get $i) (i32.const 2)))
      (v128.store (i32.add (local.get $mask) (local.get $p)) (local.get $vm))
      (v128.store (i32.add (local.get $y) (local.get $p))
        (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $p))) (local.get $vm)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $i) (local.get $i1)))
      (local.set $sx (i32.add (i32.mul (i32.add (local.get $i) (local.get $k3)) (i32.const 1664525)) (i32.const 1013904223)))
      (local.set $sy (i32.add (i32.mul (local.get $k0) (i32.const 1664525)) (i32.const 1013904223)))
      (local.set $sz (i32.add (i32.mul (local.get $k1) (i32.const 1664525)) (i32.const 1013904223)))
      (local.set $sw (i32.add (i32.mul (local.get $k2) (i32.const 1664525)) (i32.const 1013904223)))
      (local.set $sx (i32.add (local.get $sx) (i32.mul (local.get $sy) (local.get $sw))))
      (local.set $sy (i32.add (local.get $sy) (i32.mul (local.get $sz) (local.get $sx))))
      (local.set $sz (i32.add (local.get $sz) (i32.mul (local.get $sx) (local.get $sy))))
      (local.set $sw (i32.add (local.get $sw) (i32.mul (local.get $sy) (local.get $sz))))
      (local.set $sx (i32.xor (local.get $sx) (i32.shr_u (local.get $sx) (i32.const 16))))
      (local.set $sy (i32.xor (local.get $sy) (i32.shr_u (local.get $sy) (i32.const 16))))
      (local.set $sz (i32.xor (local.get $sz) (i32.shr_u (local.get $sz) (i32.const 16))))
      (local.set $sw (i32.xor (local.get $sw) (i32.shr_u (local.get $sw) (i32.const 16))))
      (local.set $sx (i32.add (local.get $sx) (i32.mul (local.get $sy) (local.get $sw))))
      (local.set $sy (i32.add (local.get $sy) (i32.mul (local.get $sz) (local.get $sx))))
      (local.set $sz (i32.add (local.get $sz) (i32.mul (local.get $sx) (local.get $sy))))
      (local.set $sw (i32.add (local.get $sw) (i32.mul (local.get $sy) (local.get $sz))))
      (local.set $m (select (f32.const 0) (local.get $scale) (i32.lt_u (local.get $sw) (local.get $threshold))))
      (local.set $p (i32.shl (local.get $i) (i32.const 2)))
      (f32.store (i32.add (local.get $mask) (local.get $p)) (local.get $m))
      (f32.store (i32.add (local.get $y) (local.get $p))
        (f32.mul (f32.load (i32.add (local.get $x) (local.get $p))) (local.get $m)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sl)))
  )

  ;; dst[i] += src[i]·scale[i] for i in [i0, i1); scale = 0: dst[i] += src[i]; $assign = 1: dst[i] =
  ;; (dst is fresh: not read). (Dropout's and the shape ops' backward.)
  (func (export "accumulate") (param $src i32) (param $scale i32) (param $dst i32) (param $i0 i32) (param $i1 i32) (param $assign i32)
    (local $p i32) (local $end i32) (local $end4 i32) (local $q i32) (local $v v128) (local $f f32)
    (local.set $p (i32.shl (local.get $i0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $i1) (i32.const 2)))
    (local.set $end4 (i32.add (local.get $p) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const -16))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $p) (local.get $end4)))
      (local.set $q (i32.add (local.get $dst) (local.get $p)))
      (local.set $v (v128.load (i32.add (local.get $src) (local.get $p))))
      (if (local.get $scale) (then
        (local.set $v (f32x4.mul (local.get $v) (v128.load (i32.add (local.get $scale) (local.get $p)))))))
      (if (local.get $assign)
        (then (v128.store (local.get $q) (local.get $v)))
        (else (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (local.get $v)))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $q (i32.add (local.get $dst) (local.get $p)))
      (local.set $f (f32.load (i32.add (local.get $src) (local.get $p))))
      (if (local.get $scale) (then
        (local.set $f (f32.mul (local.get $f) (f32.load (i32.add (local.get $scale) (local.get $p)))))))
      (if (local.get $assign)
        (then (f32.store (local.get $q) (local.get $f)))
        (else (f32.store (local.get $q) (f32.add (f32.load (local.get $q)) (local.get $f)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $sl)))
  )

  ;; dst[i] = ((dst[i] + src_0[i]) + src_1[i]) + … + src_{parts−1}[i] for floats i in [i0, i1), src_k at
  ;; src + k·stride bytes: per-task partial sums (a weight gradient's, a Winograd dU's) added in task
  ;; order, so the result does not depend on which thread ran which task; in f32x4, the last
  ;; (i1 − i0) mod 4 floats one at a time. f32.add of two floats: the bits of JavaScript's
  ;; `dst[i] += src[i]` on Float32Arrays (a float64 sum rounded once to float32).
  (func (export "addParts") (param $dst i32) (param $src i32) (param $parts i32) (param $stride i32) (param $i0 i32) (param $i1 i32)
    (local $p i32) (local $end i32) (local $end4 i32) (local $q i32) (local $k i32) (local $v v128) (local $f f32)
    (local.set $src (i32.sub (local.get $src) (local.get $dst)))
    (local.set $p (i32.add (local.get $dst) (i32.shl (local.get $i0) (i32.const 2))))
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $i1) (i32.const 2))))
    (local.set $end4 (i32.sub (local.get $end) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const 15))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $p) (local.get $end4)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $q (i32.add (local.get $p) (local.get $src)))
      (local.set $k (i32.const 0))
      (block $kd (loop $kl
        (br_if $kd (i32.ge_s (local.get $k) (local.get $parts)))
        (local.set $v (f32x4.add (local.get $v) (v128.load (local.get $q))))
        (local.set $q (i32.add (local.get $q) (local.get $stride)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $kl)))
      (v128.store (local.get $p) (local.get $v))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $f (f32.load (local.get $p)))
      (local.set $q (i32.add (local.get $p) (local.get $src)))
      (local.set $k (i32.const 0))
      (block $kd2 (loop $kl2
        (br_if $kd2 (i32.ge_s (local.get $k) (local.get $parts)))
        (local.set $f (f32.add (local.get $f) (f32.load (local.get $q))))
        (local.set $q (i32.add (local.get $q) (local.get $stride)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $kl2)))
      (f32.store (local.get $p) (local.get $f))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $sl)))
  )

  ;; Embedding's row of the id x among $rows (ops/kernels/embedding.ts, rowOf): x truncated toward
  ;; zero, a negative one counted from the end; −1 when out of range or NaN.
  (func $embeddingRow (param $x f32) (param $rows i32) (result i32)
    (local $k i32)
    (if (f32.ne (local.get $x) (local.get $x)) (then (return (i32.const -1))))
    (local.set $k (i32.trunc_sat_f32_s (local.get $x)))
    (if (i32.lt_s (local.get $k) (i32.const 0)) (then (local.set $k (i32.add (local.get $k) (local.get $rows)))))
    (select (local.get $k) (i32.const -1) (i32.and (i32.ge_s (local.get $k) (i32.const 0)) (i32.lt_s (local.get $k) (local.get $rows))))
  )

  ;; Embedding forward for ids [i0, i1): y[i] = w[row(ids[i])], a row of $d, zeros where none.
  (func (export "embeddingRows") (param $ids i32) (param $w i32) (param $y i32) (param $i0 i32) (param $i1 i32) (param $rows i32) (param $d i32)
    (local $i i32) (local $k i32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $i (local.get $i0))
    (block $id (loop $il
      (br_if $id (i32.ge_s (local.get $i) (local.get $i1)))
      (local.set $k (call $embeddingRow (f32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))) (local.get $rows)))
      (if (i32.lt_s (local.get $k) (i32.const 0))
        (then (memory.fill (i32.add (local.get $y) (i32.mul (local.get $i) (local.get $bytes))) (i32.const 0) (local.get $bytes)))
        (else (memory.copy (i32.add (local.get $y) (i32.mul (local.get $i) (local.get $bytes))) (i32.add (local.get $w) (i32.mul (local.get $k) (local.get $bytes))) (local.get $bytes))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
  )

  ;; Embedding backward: dw[row(ids[i])] += dy[i] for i in [0, $n) in order (float32 sums, the op
  ;; file's order: the same bits), one thread.
  (func (export "embeddingGrad") (param $ids i32) (param $dy i32) (param $dw i32) (param $n i32) (param $rows i32) (param $d i32)
    (local $i i32) (local $k i32) (local $bytes i32) (local $src i32) (local $dst i32) (local $p i32) (local $end4 i32)
    (local.set $bytes (i32.shl (local.get $d) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $bytes) (i32.const -16)))
    (block $id (loop $il
      (br_if $id (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $k (call $embeddingRow (f32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))) (local.get $rows)))
      (if (i32.ge_s (local.get $k) (i32.const 0)) (then
        (local.set $src (i32.add (local.get $dy) (i32.mul (local.get $i) (local.get $bytes))))
        (local.set $dst (i32.add (local.get $dw) (i32.mul (local.get $k) (local.get $bytes))))
        (local.set $p (i32.const 0))
        (block $vd (loop $vl
          (br_if $vd (i32.ge_u (local.get $p) (local.get $end4)))
          (v128.store (i32.add (local.get $dst) (local.get $p))
            (f32x4.add (v128.load (i32.add (local.get $dst) (local.get $p))) (v128.load (i32.add (local.get $src) (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $vl)))
        (block $sd (loop $sl
          (br_if $sd (i32.ge_u (local.get $p) (local.get $bytes)))
          (f32.store (i32.add (local.get $dst) (local.get $p))
            (f32.add (f32.load (i32.add (local.get $dst) (local.get $p))) (f32.load (i32.add (local.get $src) (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br $sl)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
  )

  ;; LayerNorm forward for rows [r0, r1) of length d: mean and variance in float64 (one pass of
  ;; shifted sums, K = the row's first value, as BatchNorm's $shiftedSums: in float64 E[(x−K)²] −
  ;; E[x−K]² has no cancellation to speak of, and matches the two-pass op file to ~1e-16; the op file
  ;; takes two passes), invStd[r] = 1/√(var + eps), x̂ = (x − mean)·invStd and y = x̂·γ + β in f32x4
  ;; (γ = 0: no affine, y = x̂). Rows go in pairs, each with its own sums in $shiftedSums' order and its
  ;; own statistics, so that the two rows' float64 add and divide chains overlap (a row of 64 waited
  ;; on them); the last row of an odd range is its own pair (computed twice, the same values).
  (func (export "layerNormForward") (param $x i32) (param $y i32) (param $xhat i32) (param $invStd i32)
    (param $gamma i32) (param $beta i32) (param $d i32) (param $r0 i32) (param $r1 i32) (param $eps f64)
    (local $r i32) (local $rb i32) (local $off i32) (local $src i32) (local $srcb i32) (local $xh i32) (local $dst i32) (local $i i32) (local $d4 i32)
    (local $p i32) (local $end4 i32) (local $end i32) (local $gb i32) (local $df f64) (local $e f64) (local $f f32)
    (local $v v128) (local $dd v128) (local $e2 v128) (local $vm v128) (local $vi v128) (local $t v128)
    (local $kk v128) (local $kkb v128) (local $s1 v128) (local $s2 v128) (local $s1b v128) (local $s2b v128)
    (local $k f64) (local $kb f64) (local $t1 f64) (local $t2 f64) (local $t1b f64) (local $t2b f64)
    (local $mean f64) (local $meanb f64) (local $ss f64) (local $ssb f64) (local $inv f64) (local $invb f64)
    (local.set $d4 (i32.and (local.get $d) (i32.const -4)))
    (local.set $end4 (i32.shl (local.get $d4) (i32.const 2)))
    (local.set $end (i32.shl (local.get $d) (i32.const 2)))
    (local.set $df (f64.convert_i32_s (local.get $d)))
    (local.set $r (local.get $r0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s (local.get $r) (local.get $r1)))
      (local.set $rb (select (i32.add (local.get $r) (i32.const 1)) (local.get $r) (i32.lt_s (i32.add (local.get $r) (i32.const 1)) (local.get $r1))))
      (local.set $src (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $d)) (i32.const 2))))
      (local.set $srcb (i32.add (local.get $x) (i32.shl (i32.mul (local.get $rb) (local.get $d)) (i32.const 2))))
      (local.set $k (f64.promote_f32 (f32.load (local.get $src))))
      (local.set $kb (f64.promote_f32 (f32.load (local.get $srcb))))
      (local.set $kk (f64x2.splat (local.get $k)))
      (local.set $kkb (f64x2.splat (local.get $kb)))
      (local.set $s1 (v128.const i64x2 0 0)) (local.set $s2 (v128.const i64x2 0 0))
      (local.set $s1b (v128.const i64x2 0 0)) (local.set $s2b (v128.const i64x2 0 0))
      (local.set $p (i32.const 0))
      (block $pd (loop $pl
        (br_if $pd (i32.ge_u (local.get $p) (local.get $end4)))
        (local.set $v (v128.load (i32.add (local.get $src) (local.get $p))))
        (local.set $dd (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $kk)))
        (local.set $e2 (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (local.get $kk)))
        (local.set $s1 (f64x2.add (local.get $s1) (f64x2.add (local.get $dd) (local.get $e2))))
        (local.set $s2 (f64x2.add (local.get $s2) (f64x2.add (f64x2.mul (local.get $dd) (local.get $dd)) (f64x2.mul (local.get $e2) (local.get $e2)))))
        (local.set $v (v128.load (i32.add (local.get $srcb) (local.get $p))))
        (local.set $dd (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $kkb)))
        (local.set $e2 (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (local.get $kkb)))
        (local.set $s1b (f64x2.add (local.get $s1b) (f64x2.add (local.get $dd) (local.get $e2))))
        (local.set $s2b (f64x2.add (local.get $s2b) (f64x2.add (f64x2.mul (local.get $dd) (local.get $dd)) (f64x2.mul (local.get $e2) (local.get $e2)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $pl)))
      (local.set $t1 (f64.add (f64x2.extract_lane 0 (local.get $s1)) (f64x2.extract_lane 1 (local.get $s1))))
      (local.set $t2 (f64.add (f64x2.extract_lane 0 (local.get $s2)) (f64x2.extract_lane 1 (local.get $s2))))
      (local.set $t1b (f64.add (f64x2.extract_lane 0 (local.get $s1b)) (f64x2.extract_lane 1 (local.get $s1b))))
      (local.set $t2b (f64.add (f64x2.extract_lane 0 (local.get $s2b)) (f64x2.extract_lane 1 (local.get $s2b))))
      (block $qd (loop $ql
        (br_if $qd (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $e (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $src) (local.get $p)))) (local.get $k)))
        (local.set $t1 (f64.add (local.get $t1) (local.get $e)))
        (local.set $t2 (f64.add (local.get $t2) (f64.mul (local.get $e) (local.get $e))))
        (local.set $e (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $srcb) (local.get $p)))) (local.get $kb)))
        (local.set $t1b (f64.add (local.get $t1b) (local.get $e)))
        (local.set $t2b (f64.add (local.get $t2b) (f64.mul (local.get $e) (local.get $e))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $ql)))
      ;; as $shiftedSums leaves them: 0 + the row's sum (a sum of −0 becomes +0 there too)
      (local.set $t1 (f64.add (f64.const 0) (local.get $t1)))
      (local.set $t2 (f64.add (f64.const 0) (local.get $t2)))
      (local.set $mean (f64.add (local.get $k) (f64.div (local.get $t1) (local.get $df))))
      (local.set $ss (f64.sub (local.get $t2) (f64.div (f64.mul (local.get $t1) (local.get $t1)) (local.get $df))))
      (if (f64.lt (local.get $ss) (f64.const 0)) (then (local.set $ss (f64.const 0))))
      (local.set $inv (f64.div (f64.const 1) (f64.sqrt (f64.add (f64.div (local.get $ss) (local.get $df)) (local.get $eps)))))
      (f32.store (i32.add (local.get $invStd) (i32.shl (local.get $r) (i32.const 2))) (f32.demote_f64 (local.get $inv)))
      (local.set $t1b (f64.add (f64.const 0) (local.get $t1b)))
      (local.set $t2b (f64.add (f64.const 0) (local.get $t2b)))
      (local.set $meanb (f64.add (local.get $kb) (f64.div (local.get $t1b) (local.get $df))))
      (local.set $ssb (f64.sub (local.get $t2b) (f64.div (f64.mul (local.get $t1b) (local.get $t1b)) (local.get $df))))
      (if (f64.lt (local.get $ssb) (f64.const 0)) (then (local.set $ssb (f64.const 0))))
      (local.set $invb (f64.div (f64.const 1) (f64.sqrt (f64.add (f64.div (local.get $ssb) (local.get $df)) (local.get $eps)))))
      (f32.store (i32.add (local.get $invStd) (i32.shl (local.get $rb) (i32.const 2))) (f32.demote_f64 (local.get $invb)))
      (local.set $vm (f32x4.splat (f32.demote_f64 (local.get $mean))))
      (local.set $vi (f32x4.splat (f32.demote_f64 (local.get $inv))))
      (local.set $off (i32.shl (i32.mul (local.get $r) (local.get $d)) (i32.const 2)))
      (local.set $xh (i32.add (local.get $xhat) (local.get $off)))
      (local.set $dst (i32.add (local.get $y) (local.get $off)))
      (local.set $i (i32.const 0))
      (block $vd (loop $vl
        (br_if $vd (i32.ge_s (local.get $i) (local.get $d4)))
        (local.set $gb (i32.shl (local.get $i) (i32.const 2)))
        (local.set $t (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $src) (local.get $gb))) (local.get $vm)) (local.get $vi)))
        (v128.store (i32.add (local.get $xh) (local.get $gb)) (local.get $t))
        (if (local.get $gamma) (then
          (local.set $t (f32x4.add (f32x4.mul (local.get $t) (v128.load (i32.add (local.get $gamma) (local.get $gb))))
            (v128.load (i32.add (local.get $beta) (local.get $gb)))))))
        (v128.store (i32.add (local.get $dst) (local.get $gb)) (local.get $t))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vl)))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_s (local.get $i) (local.get $d)))
        (local.set $gb (i32.shl (local.get $i) (i32.const 2)))
        (local.set $f (f32.mul (f32.sub (f32.load (i32.add (local.get $src) (local.get $gb))) (f32x4.extract_lane 0 (local.get $vm)))
          (f32x4.extract_lane 0 (local.get $vi))))
        (f32.store (i32.add (local.get $xh) (local.get $gb)) (local.get $f))
        (if (local.get $gamma) (then
          (local.set $f (f32.add (f32.mul (local.get $f) (f32.load (i32.add (local.get $gamma) (local.get $gb))))
            (f32.load (i32.add (local.get $beta) (local.get $gb)))))))
        (f32.store (i32.add (local.get $dst) (local.get $gb)) (local.get $f))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sl)))
      (local.set $vm (f32x4.splat (f32.demote_f64 (local.get $meanb))))
      (local.set $vi (f32x4.splat (f32.demote_f64 (local.get $invb))))
      (local.set $off (i32.shl (i32.mul (local.get $rb) (local.get $d)) (i32.const 2)))
      (local.set $xh (i32.add (local.get $xhat) (local.get $off)))
      (local.set $dst (i32.add (local.get $y) (local.get $off)))
      (local.set $i (i32.const 0))
      (block $vdb (loop $vlb
        (br_if $vdb (i32.ge_s (local.get $i) (local.get $d4)))
        (local.set $gb (i32.shl (local.get $i) (i32.const 2)))
        (local.set $t (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $srcb) (local.get $gb))) (local.get $vm)) (local.get $vi)))
        (v128.store (i32.add (local.get $xh) (local.get $gb)) (local.get $t))
        (if (local.get $gamma) (then
          (local.set $t (f32x4.add (f32x4.mul (local.get $t) (v128.load (i32.add (local.get $gamma) (local.get $gb))))
            (v128.load (i32.add (local.get $beta) (local.get $gb)))))))
        (v128.store (i32.add (local.get $dst) (local.get $gb)) (local.get $t))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vlb)))
      (block $sdb (loop $slb
        (br_if $sdb (i32.ge_s (local.get $i) (local.get $d)))
        (local.set $gb (i32.shl (local.get $i) (i32.const 2)))
        (local.set $f (f32.mul (f32.sub (f32.load (i32.add (local.get $srcb) (local.get $gb))) (f32x4.extract_lane 0 (local.get $vm)))
          (f32x4.extract_lane 0 (local.get $vi))))
        (f32.store (i32.add (local.get $xh) (local.get $gb)) (local.get $f))
        (if (local.get $gamma) (then
          (local.set $f (f32.add (f32.mul (local.get $f) (f32.load (i32.add (local.get $gamma) (local.get $gb))))
            (f32.load (i32.add (local.get $beta) (local.get $gb)))))))
        (f32.store (i32.add (local.get $dst) (local.get $gb)) (local.get $f))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $slb)))
      (local.set $r (i32.add (local.get $r) (i32.const 2)))
      (br $rl)))
  )

  ;; LayerNorm input gradient for rows [r0, r1): with g = dy·γ (γ = 0: g = dy), in float64
  ;; mean(g) and mean(g·x̂), then dx = invStd·(g − mean(g) − x̂·mean(g·x̂)) in f32x4
  ;; ($assign = 1: dx =, else dx +=). dγ and dβ are column sums (colSums), not done here. Rows go in
  ;; pairs as in the forward (each row's sums and quotients its own, in the same order); the last
  ;; row of an odd range alone (its pair's sums computed and dropped, so dx is added to once).
  (func (export "layerNormBackward") (param $dy i32) (param $xhat i32) (param $invStd i32) (param $gamma i32)
    (param $dx i32) (param $d i32) (param $r0 i32) (param $r1 i32) (param $assign i32)
    (local $r i32) (local $rb i32) (local $off i32) (local $pdy i32) (local $pxh i32) (local $pdx i32) (local $pdyb i32) (local $pxhb i32) (local $pdxb i32)
    (local $i i32) (local $d4 i32) (local $gb i32) (local $df f64)
    (local $v v128) (local $gv v128) (local $gvh v128) (local $xv v128) (local $glo v128) (local $ghi v128) (local $s v128) (local $sx v128) (local $sb v128) (local $sxb v128)
    (local $sumG f64) (local $sumGX f64) (local $sumGb f64) (local $sumGXb f64) (local $g f64) (local $vk v128) (local $va v128) (local $vb v128) (local $t v128)
    (local $f f32) (local $gf f32)
    (local.set $d4 (i32.and (local.get $d) (i32.const -4)))
    (local.set $df (f64.convert_i32_s (local.get $d)))
    (local.set $r (local.get $r0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s (local.get $r) (local.get $r1)))
      (local.set $rb (select (i32.add (local.get $r) (i32.const 1)) (local.get $r) (i32.lt_s (i32.add (local.get $r) (i32.const 1)) (local.get $r1))))
      (local.set $off (i32.shl (i32.mul (local.get $r) (local.get $d)) (i32.const 2)))
      (local.set $pdy (i32.add (local.get $dy) (local.get $off)))
      (local.set $pxh (i32.add (local.get $xhat) (local.get $off)))
      (local.set $pdx (i32.add (local.get $dx) (local.get $off)))
      (local.set $off (i32.shl (i32.mul (local.get $rb) (local.get $d)) (i32.const 2)))
      (local.set $pdyb (i32.add (local.get $dy) (local.get $off)))
      (local.set $pxhb (i32.add (local.get $xhat) (local.get $off)))
      (local.set $pdxb (i32.add (local.get $dx) (local.get $off)))
      (local.set $s (v128.const i64x2 0 0)) (local.set $sx (v128.const i64x2 0 0))
      (local.set $sb (v128.const i64x2 0 0)) (local.set $sxb (v128.const i64x2 0 0))
      (local.set $i (i32.const 0))
      (block $vd (loop $vl
        (br_if $vd (i32.ge_s (local.get $i) (local.get $d4)))
        (local.set $gb (i32.shl (local.get $i) (i32.const 2)))
        (if (local.get $gamma) (then
          (local.set $gv (v128.load (i32.add (local.get $gamma) (local.get $gb))))
          (local.set $gvh (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $gv) (local.get $gv))))))
        (local.set $v (v128.load (i32.add (local.get $pdy) (local.get $gb))))
        (local.set $xv (v128.load (i32.add (local.get $pxh) (local.get $gb))))
        ;; g in float64: the product of two float32 values is exact there, as in the op file.
        (local.set $glo (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $ghi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (if (local.get $gamma) (then
          (local.set $glo (f64x2.mul (local.get $glo) (f64x2.promote_low_f32x4 (local.get $gv))))
          (local.set $ghi (f64x2.mul (local.get $ghi) (local.get $gvh)))))
        (local.set $s (f64x2.add (local.get $s) (f64x2.add (local.get $glo) (local.get $ghi))))
        (local.set $sx (f64x2.add (local.get $sx) (f64x2.add
          (f64x2.mul (local.get $glo) (f64x2.promote_low_f32x4 (local.get $xv)))
          (f64x2.mul (local.get $ghi) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $xv) (local.get $xv)))))))
        (local.set $v (v128.load (i32.add (local.get $pdyb) (local.get $gb))))
        (local.set $xv (v128.load (i32.add (local.get $pxhb) (local.get $gb))))
        ;; g in float64: the product of two float32 values is exact there, as in the op file.
        (local.set $glo (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $ghi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (if (local.get $gamma) (then
          (local.set $glo (f64x2.mul (local.get $glo) (f64x2.promote_low_f32x4 (local.get $gv))))
          (local.set $ghi (f64x2.mul (local.get $ghi) (local.get $gvh)))))
        (local.set $sb (f64x2.add (local.get $sb) (f64x2.add (local.get $glo) (local.get $ghi))))
        (local.set $sxb (f64x2.add (local.get $sxb) (f64x2.add
          (f64x2.mul (local.get $glo) (f64x2.promote_low_f32x4 (local.get $xv)))
          (f64x2.mul (local.get $ghi) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $xv) (local.get $xv)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vl)))
      (local.set $sumG (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))
      (local.set $sumGX (f64.add (f64x2.extract_lane 0 (local.get $sx)) (f64x2.extract_lane 1 (local.get $sx))))
      (local.set $sumGb (f64.add (f64x2.extract_lane 0 (local.get $sb)) (f64x2.extract_lane 1 (local.get $sb))))
      (local.set $sumGXb (f64.add (f64x2.extract_lane 0 (local.get $sxb)) (f64x2.extract_lane 1 (local.get $sxb))))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_s (local.get $i) (local.get $d)))
        (local.set $gb (i32.shl (local.get $i) (i32.const 2)))
        (local.set $g (f64.promote_f32 (f32.load (i32.add (local.get $pdy) (local.get $gb)))))
        (if (local.get $gamma) (then
          (local.set $g (f64.mul (local.get $g) (f64.promote_f32 (f32.load (i32.add (local.get $gamma) (local.get $gb))))))))
        (local.set $sumG (f64.add (local.get $sumG) (local.get $g)))
        (local.set $sumGX (f64.add (local.get $sumGX) (f64.mul (local.get $g) (f64.promote_f32 (f32.load (i32.add (local.get $pxh) (local.get $gb)))))))
        (local.set $g (f64.promote_f32 (f32.load (i32.add (local.get $pdyb) (local.get $gb)))))
        (if (local.get $gamma) (then
          (local.set $g (f64.mul (local.get $g) (f64.promote_f32 (f32.load (i32.add (local.get $gamma) (local.get $gb))))))))
        (local.set $sumGb (f64.add (local.get $sumGb) (local.get $g)))
        (local.set $sumGXb (f64.add (local.get $sumGXb) (f64.mul (local.get $g) (f64.promote_f32 (f32.load (i32.add (local.get $pxhb) (local.get $gb)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sl)))
      (local.set $vk (f32x4.splat (f32.load (i32.add (local.get $invStd) (i32.shl (local.get $r) (i32.const 2))))))
      (local.set $va (f32x4.splat (f32.demote_f64 (f64.div (local.get $sumG) (local.get $df)))))
      (local.set $vb (f32x4.splat (f32.demote_f64 (f64.div (local.get $sumGX) (local.get $df)))))
      (local.set $i (i32.const 0))
      (block $vd2 (loop $vl2
        (br_if $vd2 (i32.ge_s (local.get $i) (local.get $d4)))
        (local.set $gb (i32.shl (local.get $i) (i32.const 2)))
        (local.set $v (v128.load (i32.add (local.get $pdy) (local.get $gb))))
        (if (local.get $gamma) (then (local.set $v (f32x4.mul (local.get $v) (v128.load (i32.add (local.get $gamma) (local.get $gb)))))))
        (local.set $t (f32x4.mul (local.get $vk) (f32x4.sub (f32x4.sub (local.get $v) (local.get $va))
          (f32x4.mul (v128.load (i32.add (local.get $pxh) (local.get $gb))) (local.get $vb)))))
        (if (local.get $assign)
          (then (v128.store (i32.add (local.get $pdx) (local.get $gb)) (local.get $t)))
          (else (v128.store (i32.add (local.get $pdx) (local.get $gb)) (f32x4.add (v128.load (i32.add (local.get $pdx) (local.get $gb))) (local.get $t)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vl2)))
      (block $sd2 (loop $sl2
        (br_if $sd2 (i32.ge_s (local.get $i) (local.get $d)))
        (local.set $gb (i32.shl (local.get $i) (i32.const 2)))
        (local.set $gf (f32.load (i32.add (local.get $pdy) (local.get $gb))))
        (if (local.get $gamma) (then (local.set $gf (f32.mul (local.get $gf) (f32.load (i32.add (local.get $gamma) (local.get $gb)))))))
        (local.set $f (f32.mul (f32x4.extract_lane 0 (local.get $vk)) (f32.sub (f32.sub (local.get $gf) (f32x4.extract_lane 0 (local.get $va)))
          (f32.mul (f32.load (i32.add (local.get $pxh) (local.get $gb))) (f32x4.extract_lane 0 (local.get $vb))))))
        (if (local.get $assign)
          (then (f32.store (i32.add (local.get $pdx) (local.get $gb)) (local.get $f)))
          (else (f32.store (i32.add (local.get $pdx) (local.get $gb)) (f32.add (f32.load (i32.add (local.get $pdx) (local.get $gb))) (local.get $f)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sl2)))
      (if (i32.ne (local.get $rb) (local.get $r)) (then
      (local.set $vk (f32x4.splat (f32.load (i32.add (local.get $invStd) (i32.shl (local.get $rb) (i32.const 2))))))
      (local.set $va (f32x4.splat (f32.demote_f64 (f64.div (local.get $sumGb) (local.get $df)))))
      (local.set $vb (f32x4.splat (f32.demote_f64 (f64.div (local.get $sumGXb) (local.get $df)))))
      (local.set $i (i32.const 0))
      (block $vd2b (loop $vl2b
        (br_if $vd2b (i32.ge_s (local.get $i) (local.get $d4)))
        (local.set $gb (i32.shl (local.get $i) (i32.const 2)))
        (local.set $v (v128.load (i32.add (local.get $pdyb) (local.get $gb))))
        (if (local.get $gamma) (then (local.set $v (f32x4.mul (local.get $v) (v128.load (i32.add (local.get $gamma) (local.get $gb)))))))
        (local.set $t (f32x4.mul (local.get $vk) (f32x4.sub (f32x4.sub (local.get $v) (local.get $va))
          (f32x4.mul (v128.load (i32.add (local.get $pxhb) (local.get $gb))) (local.get $vb)))))
        (if (local.get $assign)
          (then (v128.store (i32.add (local.get $pdxb) (local.get $gb)) (local.get $t)))
          (else (v128.store (i32.add (local.get $pdxb) (local.get $gb)) (f32x4.add (v128.load (i32.add (local.get $pdxb) (local.get $gb))) (local.get $t)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $vl2b)))
      (block $sd2b (loop $sl2b
        (br_if $sd2b (i32.ge_s (local.get $i) (local.get $d)))
        (local.set $gb (i32.shl (local.get $i) (i32.const 2)))
        (local.set $gf (f32.load (i32.add (local.get $pdyb) (local.get $gb))))
        (if (local.get $gamma) (then (local.set $gf (f32.mul (local.get $gf) (f32.load (i32.add (local.get $gamma) (local.get $gb)))))))
        (local.set $f (f32.mul (f32x4.extract_lane 0 (local.get $vk)) (f32.sub (f32.sub (local.get $gf) (f32x4.extract_lane 0 (local.get $va)))
          (f32.mul (f32.load (i32.add (local.get $pxhb) (local.get $gb))) (f32x4.extract_lane 0 (local.get $vb))))))
        (if (local.get $assign)
          (then (f32.store (i32.add (local.get $pdxb) (local.get $gb)) (local.get $f)))
          (else (f32.store (i32.add (local.get $pdxb) (local.get $gb)) (f32.add (f32.load (i32.add (local.get $pdxb) (local.get $gb))) (local.get $f)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sl2b)))))
      (local.set $r (i32.add (local.get $r) (i32.const 2)))
      (br $rl)))
  )


  ;; ---- the LSTM cell (core/ops/lstm.ts's maths, f32x4 over hidden units) --------------------------
  ;; Gate arrays hold 4h floats per row (blocks i, f, g, o); state arrays h per row. `$h4` lanes of a
  ;; row go four at a time; a row's last h mod 4 units go one at a time through lane 0 of the same code
  ;; (`$vec` = 0: splat loads, lane-0 stores), so no load or store ever leaves the row.

  ;; tanh x = 2σ(2x) − 1 (absolute error ~1e-7, as $sigmoid4's).
  (func $tanh4 (param $x v128) (result v128)
    (f32x4.sub (f32x4.mul (call $sigmoid4 (f32x4.add (local.get $x) (local.get $x))) (v128.const f32x4 2 2 2 2)) (v128.const f32x4 1 1 1 1))
  )

  (func $ld4 (param $a i32) (param $vec i32) (result v128)
    (if (result v128) (local.get $vec) (then (v128.load (local.get $a))) (else (f32x4.splat (f32.load (local.get $a)))))
  )

  (func $st4 (param $a i32) (param $v v128) (param $vec i32)
    (if (local.get $vec) (then (v128.store (local.get $a) (local.get $v))) (else (f32.store (local.get $a) (f32x4.extract_lane 0 (local.get $v)))))
  )

  ;; One step of rows [r0, r1): i, f, o = σ(xg + rg), g = tanh(xg + rg) per block; c = f·c_prev + i·g
  ;; (c_prev = 0 without `hasPrev`); h = o·tanh(c). Writes the gates, c and h.
  (func (export "lstmCellForward") (param $xg i32) (param $rg i32) (param $cprev i32) (param $gates i32) (param $c i32) (param $hout i32)
      (param $h i32) (param $r0 i32) (param $r1 i32) (param $hasPrev i32)
    (local $row i32) (local $j i32) (local $hb i32) (local $o i32) (local $k i32) (local $vec i32)
    (local $i v128) (local $f v128) (local $g v128) (local $og v128) (local $cv v128) (local $cp v128)
    (local.set $hb (i32.shl (local.get $h) (i32.const 2)))
    (local.set $row (local.get $r0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $row) (local.get $r1)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $h)))
        (local.set $vec (i32.le_u (i32.add (local.get $j) (i32.const 4)) (local.get $h)))
        ;; $o: byte offset of unit j in the gate rows; $k: in the state rows
        (local.set $o (i32.add (i32.mul (local.get $row) (i32.shl (local.get $hb) (i32.const 2))) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $k (i32.add (i32.mul (local.get $row) (local.get $hb)) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $i (call $sigmoid4 (f32x4.add (call $ld4 (i32.add (local.get $xg) (local.get $o)) (local.get $vec)) (call $ld4 (i32.add (local.get $rg) (local.get $o)) (local.get $vec)))))
        (local.set $o (i32.add (local.get $o) (local.get $hb)))
        (local.set $f (call $sigmoid4 (f32x4.add (call $ld4 (i32.add (local.get $xg) (local.get $o)) (local.get $vec)) (call $ld4 (i32.add (local.get $rg) (local.get $o)) (local.get $vec)))))
        (local.set $o (i32.add (local.get $o) (local.get $hb)))
        (local.set $g (call $tanh4 (f32x4.add (call $ld4 (i32.add (local.get $xg) (local.get $o)) (local.get $vec)) (call $ld4 (i32.add (local.get $rg) (local.get $o)) (local.get $vec)))))
        (local.set $o (i32.add (local.get $o) (local.get $hb)))
        (local.set $og (call $sigmoid4 (f32x4.add (call $ld4 (i32.add (local.get $xg) (local.get $o)) (local.get $vec)) (call $ld4 (i32.add (local.get $rg) (local.get $o)) (local.get $vec)))))
        (local.set $cp (if (result v128) (local.get $hasPrev) (then (call $ld4 (i32.add (local.get $cprev) (local.get $k)) (local.get $vec))) (else (v128.const f32x4 0 0 0 0))))
        (local.set $cv (f32x4.add (f32x4.mul (local.get $f) (local.get $cp)) (f32x4.mul (local.get $i) (local.get $g))))
        (call $st4 (i32.add (local.get $gates) (local.get $o)) (local.get $og) (local.get $vec))
        (local.set $o (i32.sub (local.get $o) (local.get $hb)))
        (call $st4 (i32.add (local.get $gates) (local.get $o)) (local.get $g) (local.get $vec))
        (local.set $o (i32.sub (local.get $o) (local.get $hb)))
        (call $st4 (i32.add (local.get $gates) (local.get $o)) (local.get $f) (local.get $vec))
        (local.set $o (i32.sub (local.get $o) (local.get $hb)))
        (call $st4 (i32.add (local.get $gates) (local.get $o)) (local.get $i) (local.get $vec))
        (call $st4 (i32.add (local.get $c) (local.get $k)) (local.get $cv) (local.get $vec))
        (call $st4 (i32.add (local.get $hout) (local.get $k)) (f32x4.mul (local.get $og) (call $tanh4 (local.get $cv))) (local.get $vec))
        (local.set $j (i32.add (local.get $j) (select (i32.const 4) (i32.const 1) (local.get $vec))))
        (br $jl)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rl)))
  )

  ;; One step back over rows [r0, r1), from the saved gates and c: dc_t = dc + dh·o·(1 − tanh²c);
  ;; the preactivations' gradients dXg (i: dc_t·g·i(1−i), f: dc_t·c_prev·f(1−f), g: dc_t·i(1−g²),
  ;; o: dh·tanh c·o(1−o)); dc ← dc_t·f carried to the previous step; dhPrev ← 0.
  (func (export "lstmCellBackward") (param $dh i32) (param $dc i32) (param $gates i32) (param $c i32) (param $cprev i32) (param $dxg i32) (param $dhprev i32)
      (param $h i32) (param $r0 i32) (param $r1 i32) (param $hasPrev i32)
    (local $row i32) (local $j i32) (local $hb i32) (local $o i32) (local $k i32) (local $vec i32)
    (local $i v128) (local $f v128) (local $g v128) (local $og v128) (local $tc v128) (local $dhv v128) (local $dct v128) (local $cp v128)
    (local.set $hb (i32.shl (local.get $h) (i32.const 2)))
    (local.set $row (local.get $r0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $row) (local.get $r1)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $h)))
        (local.set $vec (i32.le_u (i32.add (local.get $j) (i32.const 4)) (local.get $h)))
        (local.set $o (i32.add (i32.mul (local.get $row) (i32.shl (local.get $hb) (i32.const 2))) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $k (i32.add (i32.mul (local.get $row) (local.get $hb)) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $i (call $ld4 (i32.add (local.get $gates) (local.get $o)) (local.get $vec)))
        (local.set $f (call $ld4 (i32.add (i32.add (local.get $gates) (local.get $o)) (local.get $hb)) (local.get $vec)))
        (local.set $g (call $ld4 (i32.add (i32.add (local.get $gates) (local.get $o)) (i32.shl (local.get $hb) (i32.const 1))) (local.get $vec)))
        (local.set $og (call $ld4 (i32.add (i32.add (local.get $gates) (local.get $o)) (i32.mul (local.get $hb) (i32.const 3))) (local.get $vec)))
        (local.set $tc (call $tanh4 (call $ld4 (i32.add (local.get $c) (local.get $k)) (local.get $vec))))
        (local.set $dhv (call $ld4 (i32.add (local.get $dh) (local.get $k)) (local.get $vec)))
        (local.set $dct (f32x4.add (call $ld4 (i32.add (local.get $dc) (local.get $k)) (local.get $vec))
          (f32x4.mul (f32x4.mul (local.get $dhv) (local.get $og)) (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $tc) (local.get $tc))))))
        (local.set $cp (if (result v128) (local.get $hasPrev) (then (call $ld4 (i32.add (local.get $cprev) (local.get $k)) (local.get $vec))) (else (v128.const f32x4 0 0 0 0))))
        (call $st4 (i32.add (local.get $dxg) (local.get $o))
          (f32x4.mul (f32x4.mul (local.get $dct) (local.get $g)) (f32x4.mul (local.get $i) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $i)))) (local.get $vec))
        (call $st4 (i32.add (i32.add (local.get $dxg) (local.get $o)) (local.get $hb))
          (f32x4.mul (f32x4.mul (local.get $dct) (local.get $cp)) (f32x4.mul (local.get $f) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $f)))) (local.get $vec))
        (call $st4 (i32.add (i32.add (local.get $dxg) (local.get $o)) (i32.shl (local.get $hb) (i32.const 1)))
          (f32x4.mul (f32x4.mul (local.get $dct) (local.get $i)) (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $g) (local.get $g)))) (local.get $vec))
        (call $st4 (i32.add (i32.add (local.get $dxg) (local.get $o)) (i32.mul (local.get $hb) (i32.const 3)))
          (f32x4.mul (f32x4.mul (local.get $dhv) (local.get $tc)) (f32x4.mul (local.get $og) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $og)))) (local.get $vec))
        (call $st4 (i32.add (local.get $dc) (local.get $k)) (f32x4.mul (local.get $dct) (local.get $f)) (local.get $vec))
        (call $st4 (i32.add (local.get $dhprev) (local.get $k)) (v128.const f32x4 0 0 0 0) (local.get $vec))
        (local.set $j (i32.add (local.get $j) (select (i32.const 4) (i32.const 1) (local.get $vec))))
        (br $jl)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rl)))
  )

  ;; ---- the GRU cell (core/ops/gru.ts's maths; gates r, z, n; 3h floats per gate row) ----------------
  ;; r, z = σ(xg + rg); n = tanh(xg_n + r·rg_n); h = (1 − z)·n + z·h_prev (h_prev = 0 without
  ;; `hasPrev`). Writes the gates, rg_n (the recurrent n-projection, kept for backward) and h.
  (func (export "gruCellForward") (param $xg i32) (param $rg i32) (param $hprev i32) (param $gates i32) (param $hn i32) (param $hout i32)
      (param $h i32) (param $r0 i32) (param $r1 i32) (param $hasPrev i32)
    (local $row i32) (local $j i32) (local $hb i32) (local $o i32) (local $k i32) (local $vec i32)
    (local $r v128) (local $z v128) (local $rec v128) (local $nv v128) (local $hp v128)
    (local.set $hb (i32.shl (local.get $h) (i32.const 2)))
    (local.set $row (local.get $r0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $row) (local.get $r1)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $h)))
        (local.set $vec (i32.le_u (i32.add (local.get $j) (i32.const 4)) (local.get $h)))
        (local.set $o (i32.add (i32.mul (local.get $row) (i32.mul (local.get $hb) (i32.const 3))) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $k (i32.add (i32.mul (local.get $row) (local.get $hb)) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (call $sigmoid4 (f32x4.add (call $ld4 (i32.add (local.get $xg) (local.get $o)) (local.get $vec)) (call $ld4 (i32.add (local.get $rg) (local.get $o)) (local.get $vec)))))
        (call $st4 (i32.add (local.get $gates) (local.get $o)) (local.get $r) (local.get $vec))
        (local.set $o (i32.add (local.get $o) (local.get $hb)))
        (local.set $z (call $sigmoid4 (f32x4.add (call $ld4 (i32.add (local.get $xg) (local.get $o)) (local.get $vec)) (call $ld4 (i32.add (local.get $rg) (local.get $o)) (local.get $vec)))))
        (call $st4 (i32.add (local.get $gates) (local.get $o)) (local.get $z) (local.get $vec))
        (local.set $o (i32.add (local.get $o) (local.get $hb)))
        (local.set $rec (call $ld4 (i32.add (local.get $rg) (local.get $o)) (local.get $vec)))
        (local.set $nv (call $tanh4 (f32x4.add (call $ld4 (i32.add (local.get $xg) (local.get $o)) (local.get $vec)) (f32x4.mul (local.get $r) (local.get $rec)))))
        (call $st4 (i32.add (local.get $gates) (local.get $o)) (local.get $nv) (local.get $vec))
        (call $st4 (i32.add (local.get $hn) (local.get $k)) (local.get $rec) (local.get $vec))
        (local.set $hp (if (result v128) (local.get $hasPrev) (then (call $ld4 (i32.add (local.get $hprev) (local.get $k)) (local.get $vec))) (else (v128.const f32x4 0 0 0 0))))
        (call $st4 (i32.add (local.get $hout) (local.get $k))
          (f32x4.add (f32x4.mul (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $z)) (local.get $nv)) (f32x4.mul (local.get $z) (local.get $hp))) (local.get $vec))
        (local.set $j (i32.add (local.get $j) (select (i32.const 4) (i32.const 1) (local.get $vec))))
        (br $jl)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rl)))
  )

  ;; One step back over rows [r0, r1): dn = dh·(1 − z)(1 − n²), dr = dn·rg_n·r(1 − r),
  ;; dz = dh·(h_prev − n)·z(1 − z); dXg = (dr, dz, dn), dRg = (dr, dz, dn·r); dhPrev ← dh·z.
  (func (export "gruCellBackward") (param $dh i32) (param $gates i32) (param $hn i32) (param $hprev i32) (param $dxg i32) (param $drg i32) (param $dhprev i32)
      (param $h i32) (param $r0 i32) (param $r1 i32) (param $hasPrev i32)
    (local $row i32) (local $j i32) (local $hb i32) (local $o i32) (local $k i32) (local $vec i32)
    (local $r v128) (local $z v128) (local $nv v128) (local $hp v128) (local $dhv v128) (local $dn v128) (local $d v128)
    (local.set $hb (i32.shl (local.get $h) (i32.const 2)))
    (local.set $row (local.get $r0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $row) (local.get $r1)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $h)))
        (local.set $vec (i32.le_u (i32.add (local.get $j) (i32.const 4)) (local.get $h)))
        (local.set $o (i32.add (i32.mul (local.get $row) (i32.mul (local.get $hb) (i32.const 3))) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $k (i32.add (i32.mul (local.get $row) (local.get $hb)) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (call $ld4 (i32.add (local.get $gates) (local.get $o)) (local.get $vec)))
        (local.set $z (call $ld4 (i32.add (i32.add (local.get $gates) (local.get $o)) (local.get $hb)) (local.get $vec)))
        (local.set $nv (call $ld4 (i32.add (i32.add (local.get $gates) (local.get $o)) (i32.shl (local.get $hb) (i32.const 1))) (local.get $vec)))
        (local.set $hp (if (result v128) (local.get $hasPrev) (then (call $ld4 (i32.add (local.get $hprev) (local.get $k)) (local.get $vec))) (else (v128.const f32x4 0 0 0 0))))
        (local.set $dhv (call $ld4 (i32.add (local.get $dh) (local.get $k)) (local.get $vec)))
        (local.set $dn (f32x4.mul (f32x4.mul (local.get $dhv) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $z)))
          (f32x4.sub (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $nv) (local.get $nv)))))
        ;; dr
        (local.set $d (f32x4.mul (f32x4.mul (local.get $dn) (call $ld4 (i32.add (local.get $hn) (local.get $k)) (local.get $vec)))
          (f32x4.mul (local.get $r) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $r)))))
        (call $st4 (i32.add (local.get $dxg) (local.get $o)) (local.get $d) (local.get $vec))
        (call $st4 (i32.add (local.get $drg) (local.get $o)) (local.get $d) (local.get $vec))
        ;; dz
        (local.set $d (f32x4.mul (f32x4.mul (local.get $dhv) (f32x4.sub (local.get $hp) (local.get $nv)))
          (f32x4.mul (local.get $z) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $z)))))
        (local.set $o (i32.add (local.get $o) (local.get $hb)))
        (call $st4 (i32.add (local.get $dxg) (local.get $o)) (local.get $d) (local.get $vec))
        (call $st4 (i32.add (local.get $drg) (local.get $o)) (local.get $d) (local.get $vec))
        ;; dn
        (local.set $o (i32.add (local.get $o) (local.get $hb)))
        (call $st4 (i32.add (local.get $dxg) (local.get $o)) (local.get $dn) (local.get $vec))
        (call $st4 (i32.add (local.get $drg) (local.get $o)) (f32x4.mul (local.get $dn) (local.get $r)) (local.get $vec))
        (call $st4 (i32.add (local.get $dhprev) (local.get $k)) (f32x4.mul (local.get $dhv) (local.get $z)) (local.get $vec))
        (local.set $j (i32.add (local.get $j) (select (i32.const 4) (i32.const 1) (local.get $vec))))
        (br $jl)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rl)))
  )
;; p[i] *= s for i in [i0, i1) (multiples of 4 but the last): attention's scores and their
  ;; gradient times 1/√d.
  (func (export "scaleInPlace") (param $p i32) (param $s f32) (param $i0 i32) (param $i1 i32)
    (local $q i32) (local $end i32) (local $end4 i32) (local $vs v128)
    (local.set $vs (f32x4.splat (local.get $s)))
    (local.set $q (i32.add (local.get $p) (i32.shl (local.get $i0) (i32.const 2))))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $i1) (i32.const 2))))
    (local.set $end4 (i32.sub (local.get $end) (i32.and (i32.sub (local.get $end) (local.get $q)) (i32.const 15))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $q) (local.get $end4)))
      (v128.store (local.get $q) (f32x4.mul (v128.load (local.get $q)) (local.get $vs)))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $q) (local.get $end)))
      (f32.store (local.get $q) (f32.mul (f32.load (local.get $q)) (local.get $s)))
      (local.set $q (i32.add (local.get $q) (i32.const 4)))
      (br $sl)))
  )
)
