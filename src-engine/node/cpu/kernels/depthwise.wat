;; Depthwise Conv2d (groups = C = Cout: one kH×kW filter per channel, MobileNet's and EfficientNet's
;; blocks) over planes of [N·C, H, W]: any stride, padding (zeros) and dilation. The op file runs
;; such a layer as one im2col and one 1-row GEMM per sample and channel, each a parallel round of
;; its own (16 × 576 of them for one of mobilenet_v3_small's layers at batch 16); these run a range
;; of planes (forward, input gradient) or of channels (weight gradient) per task, one round a layer.
;;
;; Each plane is first copied into the task's scratch (per thread, depthwiseScratchBytes) with its
;; zero padding written out, so the inner loop has no bounds logic: a correlation of that padded
;; source with a list of taps (a byte offset and the weight splatted), four f32x4 outputs at a time
;; (along a row, or wrapping onto the next: 7-wide rows fill the block too), the taps looped. A
;; stride s along W stores each padded row as s column phases (phase q holds columns q, q + s, …;
;; f32x4 shuffles for s = 2), so a tap's four outputs are four contiguous floats of one phase.
;; Rows whose width is not a multiple of 4 are computed in scratch rows of whole vectors and copied.
;; Sums, in order:
;;   forward       y = Σ_{ky, kx} w·x in row-major tap order from 0 (+ bias after);
;;   input grad    dx += w·dy, tap by tap (ky, kx): dx, per output phase of the stride (iy mod sH,
;;                 ix mod sW), is a correlation of the zero-padded dy with the taps of that phase,
;;                 accumulated onto dx's own values;
;;   weight grad   dW[c, tap] += Σ_n Σ_out dy·x in float32: per channel and tap one f32x4 running sum, each
;;                 block of eight or four vectors' products summed pairwise ((0 + 1) + (2 + 3)) into it,
;;                 its lanes summed ((0 + 1) + (2 + 3)) and added to dW once per channel and tap;
;;                 and db[c] = f32(db[c] + Σ_out dy) per sample with the sum in float64 (the op
;;                 file's bias gradient).
;; Forward and input gradient add each product, rounded (a mul then an add, never the `acc + x·y`
;; pattern the relaxed build fuses), in the order the previous row-by-row kernels did: taps whose
;; input falls in the padding add w·0 = ±0, which leaves every sum as it was (a finite w; only the
;; sign of a −0 dx can turn +0). The outputs differ from the op file's by float32 reassociation
;; only (its GEMM sums the taps in its own order; test/unit/cpu-backend/overrides.test.ts holds
;; them to 1e-5).
;;
;; All pointers are byte addresses into the shared heap; sizes are element counts.
(module
  (import "env" "memory" (memory 1 {{HEAP.MAX_PAGES}} shared))
  (import "elementwise" "bnNormalize" (func $normalize (param i32 i32 i32 i32 f32 f32 f32 f32 i32 i32)))

  (func $ceil4 (param $n i32) (result i32)
    (i32.and (i32.add (local.get $n) (i32.const 3)) (i32.const -4)))
  ;; ⌈a / b⌉ for a ≥ 0, b > 0.
  (func $ceilDiv (param $a i32) (param $b i32) (result i32)
    (i32.div_u (i32.add (local.get $a) (i32.sub (local.get $b) (i32.const 1))) (local.get $b)))

  ;; The padded x plane (forward, weight gradient): rows (oH − 1)·sH + (kH − 1)·dH + 1; each of sW
  ;; column phases xWq floats wide, enough for every output vector of every tap.
  (func $xRows (param $oH i32) (param $kH i32) (param $sH i32) (param $dH i32) (result i32)
    (i32.add (i32.add (i32.mul (i32.sub (local.get $oH) (i32.const 1)) (local.get $sH))
                      (i32.mul (i32.sub (local.get $kH) (i32.const 1)) (local.get $dH))) (i32.const 1)))
  (func $xWq (param $oW i32) (param $kW i32) (param $sW i32) (param $dW i32) (result i32)
    (call $ceil4 (i32.add (call $ceil4 (local.get $oW))
      (i32.div_u (i32.mul (i32.sub (local.get $kW) (i32.const 1)) (local.get $dW)) (local.get $sW)))))
  ;; Scratch of the forward and weight gradient: tap records, a row buffer, the padded x plane, an
  ;; output (or dy) plane in whole vectors.
  (func $xBytes (param $kH i32) (param $kW i32) (param $sH i32) (param $sW i32) (param $dH i32) (param $dW i32)
                (param $oH i32) (param $oW i32) (result i32)
    (local $pitch i32)
    (local.set $pitch (i32.mul (local.get $sW) (call $xWq (local.get $oW) (local.get $kW) (local.get $sW) (local.get $dW))))
    (i32.add (i32.add (i32.shl (i32.mul (local.get $kH) (local.get $kW)) (i32.const 5)) (i32.shl (local.get $pitch) (i32.const 2)))
      (i32.add (i32.shl (i32.mul (call $xRows (local.get $oH) (local.get $kH) (local.get $sH) (local.get $dH)) (local.get $pitch)) (i32.const 2))
               (i32.shl (i32.mul (local.get $oH) (call $ceil4 (local.get $oW))) (i32.const 2)))))

  ;; The input gradient's planes: dx in sW column phases of dxWd floats (whole vectors), and dy
  ;; padded by dyTop rows and dyLeft columns, dyRows × dyWq, enough for every phase's taps.
  (func $dxWd (param $W i32) (param $sW i32) (result i32)
    (call $ceil4 (call $ceilDiv (local.get $W) (local.get $sW))))
  (func $dyPad (param $k i32) (param $s i32) (param $d i32) (result i32)
    (call $ceilDiv (i32.mul (i32.sub (local.get $k) (i32.const 1)) (local.get $d)) (local.get $s)))
  (func $dyRows (param $H i32) (param $kH i32) (param $sH i32) (param $pH i32) (param $dH i32) (result i32)
    (i32.add (i32.add (call $dyPad (local.get $kH) (local.get $sH) (local.get $dH)) (call $ceilDiv (local.get $H) (local.get $sH)))
             (i32.div_u (i32.add (i32.sub (local.get $sH) (i32.const 1)) (local.get $pH)) (local.get $sH))))
;; (the same count as $dyRows across, over dxWd's whole vectors)
  (func $dyWq (param $W i32) (param $kW i32) (param $sW i32) (param $pW i32) (param $dW i32) (result i32)
    (call $ceil4 (call $dyRows (i32.mul (call $dxWd (local.get $W) (local.get $sW)) (local.get $sW)) (local.get $kW) (local.get $sW) (local.get $pW) (local.get $dW))))
  ;; The input gradient's tap records and, after them, each phase's records' end (sH·sW i32).
  (func $dxTapBytes (param $kH i32) (param $kW i32) (param $sH i32) (param $sW i32) (result i32)
    (i32.add (i32.shl (i32.mul (local.get $kH) (local.get $kW)) (i32.const 5))
             (i32.and (i32.add (i32.shl (i32.mul (local.get $sH) (local.get $sW)) (i32.const 2)) (i32.const 15)) (i32.const -16))))
  ;; Scratch of the input gradient: tap records and phase ends, two row buffers, padded dy, dx's phases.
  (func $dxBytes (param $H i32) (param $W i32) (param $kH i32) (param $kW i32) (param $sH i32) (param $sW i32)
                 (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32) (result i32)
    (local $pitch i32)
    (local.set $pitch (i32.mul (local.get $sW) (call $dxWd (local.get $W) (local.get $sW))))
    (i32.add (i32.add (call $dxTapBytes (local.get $kH) (local.get $kW) (local.get $sH) (local.get $sW)) (i32.shl (local.get $pitch) (i32.const 3)))
      (i32.add (i32.shl (i32.mul (call $dyRows (local.get $H) (local.get $kH) (local.get $sH) (local.get $pH) (local.get $dH))
                                 (call $dyWq (local.get $W) (local.get $kW) (local.get $sW) (local.get $pW) (local.get $dW))) (i32.const 2))
               (i32.shl (i32.mul (local.get $H) (local.get $pitch)) (i32.const 2)))))

  ;; Per-thread scratch bytes the three kernels need for this geometry.
  (func (export "depthwiseScratchBytes")
    (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32) (result i32)
    (local $a i32) (local $b i32)
    (local.set $a (call $xBytes (local.get $kH) (local.get $kW) (local.get $sH) (local.get $sW) (local.get $dH) (local.get $dW) (local.get $oH) (local.get $oW)))
    (local.set $b (call $dxBytes (local.get $H) (local.get $W) (local.get $kH) (local.get $kW) (local.get $sH) (local.get $sW)
                                 (local.get $pH) (local.get $pW) (local.get $dH) (local.get $dW)))
    (local.set $a (i32.add (local.get $a) (i32.shl (i32.mul (call $dwBlock (local.get $H) (local.get $W) (local.get $oH) (local.get $oW))
                                                           (i32.mul (local.get $kH) (local.get $kW))) (i32.const 4))))
    (select (local.get $a) (local.get $b) (i32.gt_u (local.get $a) (local.get $b))))

  ;; dst[0, n) = src[0, n): f32x4 along the row, the last (n mod 4) floats by one f32x4 ending at the
  ;; row's end (it rewrites a few floats with the same values); floats where n < 4.
  (func $copyRow (param $dst i32) (param $src i32) (param $n i32)
    (local $end4 i32) (local $last i32)
    (if (i32.lt_u (local.get $n) (i32.const 4)) (then
      (block $sd (loop $sl
        (br_if $sd (i32.eqz (local.get $n)))
        (f32.store (local.get $dst) (f32.load (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $sl)))
      (return)))
    (local.set $last (i32.sub (i32.shl (local.get $n) (i32.const 2)) (i32.const 16)))
    (v128.store (i32.add (local.get $dst) (local.get $last)) (v128.load (i32.add (local.get $src) (local.get $last))))
    (local.set $end4 (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $dst) (local.get $end4)))
      (v128.store (local.get $dst) (v128.load (local.get $src)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (br $vl)))
  )

  ;; dst[q·Wq + j] = buf[j·s + q] for q < s, j < Wq (Wq a multiple of 4): a row split into s phases.
  (func $split (param $buf i32) (param $dst i32) (param $s i32) (param $Wq i32)
    (local $odd i32) (local $end i32) (local $q i32) (local $j i32) (local $v0 v128) (local $v1 v128)
    (if (i32.eq (local.get $s) (i32.const 2)) (then
      (local.set $odd (i32.add (local.get $dst) (i32.shl (local.get $Wq) (i32.const 2))))
      (local.set $end (local.get $odd))
      (block $d (loop $l
        (br_if $d (i32.ge_u (local.get $dst) (local.get $end)))
        (local.set $v0 (v128.load (local.get $buf)))
        (local.set $v1 (v128.load offset=16 (local.get $buf)))
        (v128.store (local.get $dst) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $v0) (local.get $v1)))
        (v128.store (local.get $odd) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $v0) (local.get $v1)))
        (local.set $buf (i32.add (local.get $buf) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $odd (i32.add (local.get $odd) (i32.const 16)))
        (br $l)))
      (return)))
    (block $qd (loop $ql
      (br_if $qd (i32.ge_s (local.get $q) (local.get $s)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_s (local.get $j) (local.get $Wq)))
        (f32.store (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $Wq)) (local.get $j)) (i32.const 2)))
                   (f32.load (i32.add (local.get $buf) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $s)) (local.get $q)) (i32.const 2)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $ql)))
  )

  ;; buf[j·s + q] = src[q·Wq + j]: $split's inverse.
  (func $merge (param $src i32) (param $buf i32) (param $s i32) (param $Wq i32)
    (local $odd i32) (local $end i32) (local $q i32) (local $j i32) (local $e v128) (local $o v128)
    (if (i32.eq (local.get $s) (i32.const 2)) (then
      (local.set $odd (i32.add (local.get $src) (i32.shl (local.get $Wq) (i32.const 2))))
      (local.set $end (local.get $odd))
      (block $d (loop $l
        (br_if $d (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $e (v128.load (local.get $src)))
        (local.set $o (v128.load (local.get $odd)))
        (v128.store (local.get $buf) (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $e) (local.get $o)))
        (v128.store offset=16 (local.get $buf) (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $e) (local.get $o)))
        (local.set $buf (i32.add (local.get $buf) (i32.const 32)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $odd (i32.add (local.get $odd) (i32.const 16)))
        (br $l)))
      (return)))
    (block $qd (loop $ql
      (br_if $qd (i32.ge_s (local.get $q) (local.get $s)))
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_s (local.get $j) (local.get $Wq)))
        (f32.store (i32.add (local.get $buf) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $s)) (local.get $q)) (i32.const 2)))
                   (f32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $Wq)) (local.get $j)) (i32.const 2)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $ql)))
  )

  ;; The plane src [rows, cols] into dst's padded rows: dst row r (of rowsP, s phases of Wq floats
  ;; each) holds src row r − top with its column c at padded column c + left (split through buf,
  ;; zero outside [left, left + cols), where s > 1). What falls outside dst is never read. dst's
  ;; padding, and buf's, are zero: written once per call, never here.
  (func $padSplit (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32) (param $rowsP i32)
                  (param $s i32) (param $Wq i32) (param $top i32) (param $left i32) (param $buf i32)
    (local $r i32) (local $end i32) (local $n i32) (local $pitch i32)
    (local.set $pitch (i32.shl (i32.mul (local.get $s) (local.get $Wq)) (i32.const 2)))
    (local.set $n (i32.sub (i32.mul (local.get $s) (local.get $Wq)) (local.get $left)))
    (if (i32.gt_s (local.get $n) (local.get $cols)) (then (local.set $n (local.get $cols))))
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return)))
    (local.set $r (local.get $top))
    (local.set $end (i32.add (local.get $top) (local.get $rows)))
    (if (i32.gt_s (local.get $end) (local.get $rowsP)) (then (local.set $end (local.get $rowsP))))
    (block $d (loop $l
      (br_if $d (i32.ge_s (local.get $r) (local.get $end)))
      (if (i32.eq (local.get $s) (i32.const 1))
        (then (call $copyRow (i32.add (local.get $dst) (i32.add (i32.mul (local.get $r) (local.get $pitch)) (i32.shl (local.get $left) (i32.const 2))))
                             (local.get $src) (local.get $n)))
        (else
          ;; A row that fills the phases exactly is split where it lies.
          (if (i32.and (i32.eqz (local.get $left)) (i32.eq (local.get $n) (i32.mul (local.get $s) (local.get $Wq))))
            (then (call $split (local.get $src) (i32.add (local.get $dst) (i32.mul (local.get $r) (local.get $pitch))) (local.get $s) (local.get $Wq)))
            (else
              (call $copyRow (i32.add (local.get $buf) (i32.shl (local.get $left) (i32.const 2))) (local.get $src) (local.get $n))
              (call $split (local.get $buf) (i32.add (local.get $dst) (i32.mul (local.get $r) (local.get $pitch))) (local.get $s) (local.get $Wq))))))
      (local.set $src (i32.add (local.get $src) (i32.shl (local.get $cols) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $l)))
  )

  ;; Zeros over `rows` rows of n floats, `step` bytes apart.
  (func $zeroPhase (param $at i32) (param $step i32) (param $rows i32) (param $n i32)
    (block $d (loop $l
      (br_if $d (i32.le_s (local.get $rows) (i32.const 0)))
      (memory.fill (local.get $at) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))
      (local.set $at (i32.add (local.get $at) (local.get $step)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $l)))
  )

  ;; Tap records (32 bytes each: a v128 at 0, the tap's byte offset into the padded x plane at 16)
  ;; in row-major tap order: tap (ky, kx) reads row ky·dH, column kx·dW of phase (kx·dW) mod s.
  (func $xTapOffsets (param $taps i32) (param $kH i32) (param $kW i32) (param $dH i32) (param $dW i32)
                     (param $s i32) (param $Wq i32)
    (local $ky i32) (local $kx i32) (local $col i32)
    (block $yd (loop $yl
      (br_if $yd (i32.ge_s (local.get $ky) (local.get $kH)))
      (local.set $kx (i32.const 0))
      (block $xd (loop $xl
        (br_if $xd (i32.ge_s (local.get $kx) (local.get $kW)))
        (local.set $col (i32.mul (local.get $kx) (local.get $dW)))
        (i32.store offset=16 (local.get $taps) (i32.shl (i32.add
          (i32.mul (i32.mul (local.get $ky) (local.get $dH)) (i32.mul (local.get $s) (local.get $Wq)))
          (i32.add (i32.mul (i32.rem_u (local.get $col) (local.get $s)) (local.get $Wq)) (i32.div_u (local.get $col) (local.get $s)))) (i32.const 2)))
        (local.set $taps (i32.add (local.get $taps) (i32.const 32)))
        (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
        (br $xl)))
      (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
      (br $yl)))
  )

  ;; Each tap record's v128 = its weight w[t] splatted, t < n.
  (func $tapWeights (param $taps i32) (param $w i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $w) (local.get $end)))
      (v128.store (local.get $taps) (f32x4.splat (f32.load (local.get $w))))
      (local.set $taps (i32.add (local.get $taps) (i32.const 32)))
      (local.set $w (i32.add (local.get $w) (i32.const 4)))
      (br $l)))
  )

  ;; $correlate's block of four vectors in one row: dst[0, 4) and src[0, 4) contiguous.
  (func $correlate4 (param $d i32) (param $s i32) (param $t i32) (param $end i32) (param $load i32) (param $bias v128) (param $hasBias i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $w v128) (local $at i32)
    (if (local.get $load) (then
      (local.set $a0 (v128.load (local.get $d))) (local.set $a1 (v128.load offset=16 (local.get $d)))
      (local.set $a2 (v128.load offset=32 (local.get $d))) (local.set $a3 (v128.load offset=48 (local.get $d)))))
    (loop $tl
      (local.set $w (v128.load (local.get $t)))
      (local.set $at (i32.add (local.get $s) (i32.load offset=16 (local.get $t))))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $at)) (local.get $w))))
      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $at)) (local.get $w))))
      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $at)) (local.get $w))))
      (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $at)) (local.get $w))))
      (local.set $t (i32.add (local.get $t) (i32.const 32)))
      (br_if $tl (i32.lt_u (local.get $t) (local.get $end))))
    (if (local.get $hasBias) (then
      (local.set $a0 (f32x4.add (local.get $a0) (local.get $bias))) (local.set $a1 (f32x4.add (local.get $a1) (local.get $bias)))
      (local.set $a2 (f32x4.add (local.get $a2) (local.get $bias))) (local.set $a3 (f32x4.add (local.get $a3) (local.get $bias)))))
    (v128.store (local.get $d) (local.get $a0)) (v128.store offset=16 (local.get $d) (local.get $a1))
    (v128.store offset=32 (local.get $d) (local.get $a2)) (v128.store offset=48 (local.get $d) (local.get $a3))
  )

  ;; Each tap record's v128 in [taps, end) = w[its index (at 20)] splatted.
  (func $tapWeightsAt (param $taps i32) (param $end i32) (param $w i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $taps) (local.get $end)))
      (v128.store (local.get $taps) (f32x4.splat (f32.load (i32.add (local.get $w) (i32.shl (i32.load offset=20 (local.get $taps)) (i32.const 2))))))
      (local.set $taps (i32.add (local.get $taps) (i32.const 32)))
      (br $l)))
  )

  ;; $correlate's block of two rows of four vectors (rows of four vectors: 13 to 16 wide), stored row after row.
  (func $correlate2x4 (param $d i32) (param $dRow i32) (param $s i32) (param $sRow i32) (param $t i32) (param $end i32) (param $load i32) (param $bias v128) (param $hasBias i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128) (local $w v128) (local $p0 i32) (local $d1 i32) (local $p1 i32)
    (local.set $d1 (i32.add (local.get $d) (local.get $dRow)))
    (if (local.get $load) (then
      (local.set $a0 (v128.load (local.get $d)))
      (local.set $a1 (v128.load offset=16 (local.get $d)))
      (local.set $a2 (v128.load offset=32 (local.get $d)))
      (local.set $a3 (v128.load offset=48 (local.get $d)))
      (local.set $a4 (v128.load (local.get $d1)))
      (local.set $a5 (v128.load offset=16 (local.get $d1)))
      (local.set $a6 (v128.load offset=32 (local.get $d1)))
      (local.set $a7 (v128.load offset=48 (local.get $d1)))
    ))
    (loop $tl
      (local.set $w (v128.load (local.get $t)))
      (local.set $p0 (i32.add (local.get $s) (i32.load offset=16 (local.get $t))))
      (local.set $p1 (i32.add (local.get $p0) (local.get $sRow)))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $p0)) (local.get $w))))
      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $p0)) (local.get $w))))
      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $p0)) (local.get $w))))
      (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $p0)) (local.get $w))))
      (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (v128.load (local.get $p1)) (local.get $w))))
      (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (v128.load offset=16 (local.get $p1)) (local.get $w))))
      (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (v128.load offset=32 (local.get $p1)) (local.get $w))))
      (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (v128.load offset=48 (local.get $p1)) (local.get $w))))
      (local.set $t (i32.add (local.get $t) (i32.const 32)))
      (br_if $tl (i32.lt_u (local.get $t) (local.get $end))))
    (if (local.get $hasBias) (then
      (local.set $a0 (f32x4.add (local.get $a0) (local.get $bias)))
      (local.set $a1 (f32x4.add (local.get $a1) (local.get $bias)))
      (local.set $a2 (f32x4.add (local.get $a2) (local.get $bias)))
      (local.set $a3 (f32x4.add (local.get $a3) (local.get $bias)))
      (local.set $a4 (f32x4.add (local.get $a4) (local.get $bias)))
      (local.set $a5 (f32x4.add (local.get $a5) (local.get $bias)))
      (local.set $a6 (f32x4.add (local.get $a6) (local.get $bias)))
      (local.set $a7 (f32x4.add (local.get $a7) (local.get $bias)))
    ))
    (v128.store (local.get $d) (local.get $a0))
    (v128.store offset=16 (local.get $d) (local.get $a1))
    (v128.store offset=32 (local.get $d) (local.get $a2))
    (v128.store offset=48 (local.get $d) (local.get $a3))
    (v128.store (local.get $d1) (local.get $a4))
    (v128.store offset=16 (local.get $d1) (local.get $a5))
    (v128.store offset=32 (local.get $d1) (local.get $a6))
    (v128.store offset=48 (local.get $d1) (local.get $a7))
  )

  ;; $correlate's block of four rows of two vectors (rows of two vectors: 5 to 8 wide), stored row after row.
  (func $correlate4x2 (param $d i32) (param $dRow i32) (param $s i32) (param $sRow i32) (param $t i32) (param $end i32) (param $load i32) (param $bias v128) (param $hasBias i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128) (local $w v128) (local $p0 i32) (local $d1 i32) (local $p1 i32) (local $d2 i32) (local $p2 i32) (local $d3 i32) (local $p3 i32)
    (local.set $d1 (i32.add (local.get $d) (local.get $dRow)))
    (local.set $d2 (i32.add (local.get $d1) (local.get $dRow)))
    (local.set $d3 (i32.add (local.get $d2) (local.get $dRow)))
    (if (local.get $load) (then
      (local.set $a0 (v128.load (local.get $d)))
      (local.set $a1 (v128.load offset=16 (local.get $d)))
      (local.set $a2 (v128.load (local.get $d1)))
      (local.set $a3 (v128.load offset=16 (local.get $d1)))
      (local.set $a4 (v128.load (local.get $d2)))
      (local.set $a5 (v128.load offset=16 (local.get $d2)))
      (local.set $a6 (v128.load (local.get $d3)))
      (local.set $a7 (v128.load offset=16 (local.get $d3)))
    ))
    (loop $tl
      (local.set $w (v128.load (local.get $t)))
      (local.set $p0 (i32.add (local.get $s) (i32.load offset=16 (local.get $t))))
      (local.set $p1 (i32.add (local.get $p0) (local.get $sRow)))
      (local.set $p2 (i32.add (local.get $p1) (local.get $sRow)))
      (local.set $p3 (i32.add (local.get $p2) (local.get $sRow)))
      (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $p0)) (local.get $w))))
      (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $p0)) (local.get $w))))
      (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load (local.get $p1)) (local.get $w))))
      (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=16 (local.get $p1)) (local.get $w))))
      (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (v128.load (local.get $p2)) (local.get $w))))
      (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (v128.load offset=16 (local.get $p2)) (local.get $w))))
      (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (v128.load (local.get $p3)) (local.get $w))))
      (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (v128.load offset=16 (local.get $p3)) (local.get $w))))
      (local.set $t (i32.add (local.get $t) (i32.const 32)))
      (br_if $tl (i32.lt_u (local.get $t) (local.get $end))))
    (if (local.get $hasBias) (then
      (local.set $a0 (f32x4.add (local.get $a0) (local.get $bias)))
      (local.set $a1 (f32x4.add (local.get $a1) (local.get $bias)))
      (local.set $a2 (f32x4.add (local.get $a2) (local.get $bias)))
      (local.set $a3 (f32x4.add (local.get $a3) (local.get $bias)))
      (local.set $a4 (f32x4.add (local.get $a4) (local.get $bias)))
      (local.set $a5 (f32x4.add (local.get $a5) (local.get $bias)))
      (local.set $a6 (f32x4.add (local.get $a6) (local.get $bias)))
      (local.set $a7 (f32x4.add (local.get $a7) (local.get $bias)))
    ))
    (v128.store (local.get $d) (local.get $a0))
    (v128.store offset=16 (local.get $d) (local.get $a1))
    (v128.store (local.get $d1) (local.get $a2))
    (v128.store offset=16 (local.get $d1) (local.get $a3))
    (v128.store (local.get $d2) (local.get $a4))
    (v128.store offset=16 (local.get $d2) (local.get $a5))
    (v128.store (local.get $d3) (local.get $a6))
    (v128.store offset=16 (local.get $d3) (local.get $a7))
  )

  ;; For the `rows` × `nv` output vectors at dst (rows dRow bytes apart) over the source at src (its
  ;; rows sRow bytes apart), vector v = (load ? dst[v] : 0) + Σ_taps src[v + off]·w in record order
  ;; [taps, end), then + bias where hasBias. Four vectors at a time, row after row (a block may
  ;; wrap onto the next row), then one at a time.
  (func $correlate (param $dst i32) (param $dRow i32) (param $src i32) (param $sRow i32) (param $rows i32) (param $nv i32)
                   (param $taps i32) (param $end i32) (param $load i32) (param $bias v128) (param $hasBias i32)
    (local $left i32) (local $cv i32) (local $dB i32) (local $sB i32)
    (local $d0 i32) (local $d1 i32) (local $d2 i32) (local $d3 i32) (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $w v128) (local $t i32) (local $off i32)
    (local.set $left (i32.mul (local.get $rows) (local.get $nv)))
    (local.set $dB (local.get $dst))
    (local.set $sB (local.get $src))
    (block $bd (loop $bl
      (br_if $bd (i32.lt_s (local.get $left) (i32.const 4)))
      (local.set $d0 (i32.add (local.get $dB) (i32.shl (local.get $cv) (i32.const 4))))
      (local.set $s0 (i32.add (local.get $sB) (i32.shl (local.get $cv) (i32.const 4))))
      ;; Two whole rows of four or more vectors (a multiple of four, or assigned: the last four of
      ;; a row then overlap the ones before): blocks of two rows of four vectors. Rows closer than
      ;; their vectors (one's last vector runs into the next) take it only at four, one block.
      (if (i32.and (i32.eqz (local.get $cv)) (i32.and (i32.ge_s (local.get $nv) (i32.const 4)) (i32.ge_s (local.get $left) (i32.shl (local.get $nv) (i32.const 1))))) (then
        (if (i32.and (i32.or (i32.eqz (local.get $load)) (i32.eqz (i32.and (local.get $nv) (i32.const 3))))
                     (i32.or (i32.eq (local.get $nv) (i32.const 4)) (i32.ge_u (local.get $dRow) (i32.shl (local.get $nv) (i32.const 4))))) (then
          (block $rd (loop $rl
            (call $correlate2x4 (i32.add (local.get $dB) (i32.shl (local.get $cv) (i32.const 4))) (local.get $dRow)
                                (i32.add (local.get $sB) (i32.shl (local.get $cv) (i32.const 4))) (local.get $sRow)
                                (local.get $taps) (local.get $end) (local.get $load) (local.get $bias) (local.get $hasBias))
            (local.set $cv (i32.add (local.get $cv) (i32.const 4)))
            (br_if $rd (i32.ge_s (local.get $cv) (local.get $nv)))
            (if (i32.gt_s (i32.add (local.get $cv) (i32.const 4)) (local.get $nv)) (then (local.set $cv (i32.sub (local.get $nv) (i32.const 4)))))
            (br $rl)))
          (local.set $cv (i32.const 0))
          (local.set $dB (i32.add (local.get $dB) (i32.shl (local.get $dRow) (i32.const 1))))
          (local.set $sB (i32.add (local.get $sB) (i32.shl (local.get $sRow) (i32.const 1))))
          (local.set $left (i32.sub (local.get $left) (i32.shl (local.get $nv) (i32.const 1))))
          (br $bl)))))
      ;; Rows of two vectors, from a row's start: eight vectors over four rows.
      (if (i32.and (i32.eqz (local.get $cv)) (i32.ge_s (local.get $left) (i32.const 8))) (then
        (if (i32.eq (local.get $nv) (i32.const 2)) (then
          (call $correlate4x2 (local.get $dB) (local.get $dRow) (local.get $sB) (local.get $sRow) (local.get $taps) (local.get $end) (local.get $load) (local.get $bias) (local.get $hasBias))
          (local.set $dB (i32.add (local.get $dB) (i32.shl (local.get $dRow) (i32.const 2))))
          (local.set $sB (i32.add (local.get $sB) (i32.shl (local.get $sRow) (i32.const 2))))
          (local.set $left (i32.sub (local.get $left) (i32.const 8)))
          (br $bl)))))
      ;; Assigning, a row's last vectors (under four) are the last four of it, some computed again
      ;; (the same values): no block wraps onto the next row.
      (if (i32.and (i32.eqz (local.get $load)) (i32.and (i32.ge_s (local.get $nv) (i32.const 4)) (i32.gt_s (i32.add (local.get $cv) (i32.const 4)) (local.get $nv)))) (then
        (call $correlate4 (i32.add (local.get $dB) (i32.shl (i32.sub (local.get $nv) (i32.const 4)) (i32.const 4)))
                          (i32.add (local.get $sB) (i32.shl (i32.sub (local.get $nv) (i32.const 4)) (i32.const 4)))
                          (local.get $taps) (local.get $end) (i32.const 0) (local.get $bias) (local.get $hasBias))
        (local.set $left (i32.sub (local.get $left) (i32.sub (local.get $nv) (local.get $cv))))
        (local.set $cv (i32.const 0))
        (local.set $dB (i32.add (local.get $dB) (local.get $dRow)))
        (local.set $sB (i32.add (local.get $sB) (local.get $sRow)))
        (br $bl)))
      ;; Four vectors in one row: one address a tap, the others at fixed offsets from it.
      (if (i32.le_s (i32.add (local.get $cv) (i32.const 4)) (local.get $nv)) (then
        (call $correlate4 (local.get $d0) (local.get $s0) (local.get $taps) (local.get $end) (local.get $load) (local.get $bias) (local.get $hasBias))
        (local.set $cv (i32.add (local.get $cv) (i32.const 4)))
        (if (i32.eq (local.get $cv) (local.get $nv)) (then (local.set $cv (i32.const 0))
          (local.set $dB (i32.add (local.get $dB) (local.get $dRow))) (local.set $sB (i32.add (local.get $sB) (local.get $sRow)))))
        (local.set $left (i32.sub (local.get $left) (i32.const 4)))
        (br $bl)))
      (local.set $cv (i32.add (local.get $cv) (i32.const 1)))
      (if (i32.eq (local.get $cv) (local.get $nv)) (then (local.set $cv (i32.const 0))
        (local.set $dB (i32.add (local.get $dB) (local.get $dRow))) (local.set $sB (i32.add (local.get $sB) (local.get $sRow)))))
      (local.set $d1 (i32.add (local.get $dB) (i32.shl (local.get $cv) (i32.const 4))))
      (local.set $s1 (i32.add (local.get $sB) (i32.shl (local.get $cv) (i32.const 4))))
      (local.set $cv (i32.add (local.get $cv) (i32.const 1)))
      (if (i32.eq (local.get $cv) (local.get $nv)) (then (local.set $cv (i32.const 0))
        (local.set $dB (i32.add (local.get $dB) (local.get $dRow))) (local.set $sB (i32.add (local.get $sB) (local.get $sRow)))))
      (local.set $d2 (i32.add (local.get $dB) (i32.shl (local.get $cv) (i32.const 4))))
      (local.set $s2 (i32.add (local.get $sB) (i32.shl (local.get $cv) (i32.const 4))))
      (local.set $cv (i32.add (local.get $cv) (i32.const 1)))
      (if (i32.eq (local.get $cv) (local.get $nv)) (then (local.set $cv (i32.const 0))
        (local.set $dB (i32.add (local.get $dB) (local.get $dRow))) (local.set $sB (i32.add (local.get $sB) (local.get $sRow)))))
      (local.set $d3 (i32.add (local.get $dB) (i32.shl (local.get $cv) (i32.const 4))))
      (local.set $s3 (i32.add (local.get $sB) (i32.shl (local.get $cv) (i32.const 4))))
      (local.set $cv (i32.add (local.get $cv) (i32.const 1)))
      (if (i32.eq (local.get $cv) (local.get $nv)) (then (local.set $cv (i32.const 0))
        (local.set $dB (i32.add (local.get $dB) (local.get $dRow))) (local.set $sB (i32.add (local.get $sB) (local.get $sRow)))))
      (if (local.get $load)
        (then
          (local.set $a0 (v128.load (local.get $d0))) (local.set $a1 (v128.load (local.get $d1)))
          (local.set $a2 (v128.load (local.get $d2))) (local.set $a3 (v128.load (local.get $d3))))
        (else
          (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
          (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))))
      (local.set $t (local.get $taps))
      (loop $tl
        (local.set $w (v128.load (local.get $t)))
        (local.set $off (i32.load offset=16 (local.get $t)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (i32.add (local.get $s0) (local.get $off))) (local.get $w))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load (i32.add (local.get $s1) (local.get $off))) (local.get $w))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load (i32.add (local.get $s2) (local.get $off))) (local.get $w))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load (i32.add (local.get $s3) (local.get $off))) (local.get $w))))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (br_if $tl (i32.lt_u (local.get $t) (local.get $end))))
      (if (local.get $hasBias) (then
        (local.set $a0 (f32x4.add (local.get $a0) (local.get $bias))) (local.set $a1 (f32x4.add (local.get $a1) (local.get $bias)))
        (local.set $a2 (f32x4.add (local.get $a2) (local.get $bias))) (local.set $a3 (f32x4.add (local.get $a3) (local.get $bias)))))
      (v128.store (local.get $d0) (local.get $a0)) (v128.store (local.get $d1) (local.get $a1))
      (v128.store (local.get $d2) (local.get $a2)) (v128.store (local.get $d3) (local.get $a3))
      (local.set $left (i32.sub (local.get $left) (i32.const 4)))
      (br $bl)))
    (block $vd (loop $vl
      (br_if $vd (i32.eqz (local.get $left)))
      (local.set $d0 (i32.add (local.get $dB) (i32.shl (local.get $cv) (i32.const 4))))
      (local.set $s0 (i32.add (local.get $sB) (i32.shl (local.get $cv) (i32.const 4))))
      (local.set $cv (i32.add (local.get $cv) (i32.const 1)))
      (if (i32.eq (local.get $cv) (local.get $nv)) (then (local.set $cv (i32.const 0))
        (local.set $dB (i32.add (local.get $dB) (local.get $dRow))) (local.set $sB (i32.add (local.get $sB) (local.get $sRow)))))
      (local.set $a0 (select (v128.load (local.get $d0)) (v128.const i32x4 0 0 0 0) (local.get $load)))
      (local.set $t (local.get $taps))
      (loop $tl
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (i32.add (local.get $s0) (i32.load offset=16 (local.get $t)))) (v128.load (local.get $t)))))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (br_if $tl (i32.lt_u (local.get $t) (local.get $end))))
      (if (local.get $hasBias) (then (local.set $a0 (f32x4.add (local.get $a0) (local.get $bias)))))
      (v128.store (local.get $d0) (local.get $a0))
      (local.set $left (i32.sub (local.get $left) (i32.const 1)))
      (br $vl)))
  )

  ;; $correlate assigning rows of n floats (not read first) at dst, whole vectors or not: a row's
  ;; last vector runs into the next row, which is written after it; the last row (all of them where
  ;; n < 4, when a vector would run past the next row) goes through the spill rows and is copied.
  (func $assignRows (param $dst i32) (param $n i32) (param $src i32) (param $sRow i32) (param $rows i32)
                    (param $taps i32) (param $end i32) (param $bias v128) (param $hasBias i32) (param $spill i32)
    (local $nv i32) (local $direct i32) (local $r i32)
    (local.set $nv (i32.shr_u (call $ceil4 (local.get $n)) (i32.const 2)))
    (if (i32.eqz (i32.and (local.get $n) (i32.const 3))) (then
      (call $correlate (local.get $dst) (i32.shl (local.get $n) (i32.const 2)) (local.get $src) (local.get $sRow) (local.get $rows) (local.get $nv)
                       (local.get $taps) (local.get $end) (i32.const 0) (local.get $bias) (local.get $hasBias))
      (return)))
    (local.set $direct (select (i32.sub (local.get $rows) (i32.const 1)) (i32.const 0) (i32.ge_u (local.get $n) (i32.const 4))))
    (if (local.get $direct) (then
      (call $correlate (local.get $dst) (i32.shl (local.get $n) (i32.const 2)) (local.get $src) (local.get $sRow) (local.get $direct) (local.get $nv)
                       (local.get $taps) (local.get $end) (i32.const 0) (local.get $bias) (local.get $hasBias))))
    (call $correlate (local.get $spill) (i32.shl (local.get $nv) (i32.const 4)) (i32.add (local.get $src) (i32.mul (local.get $direct) (local.get $sRow))) (local.get $sRow)
                     (i32.sub (local.get $rows) (local.get $direct)) (local.get $nv) (local.get $taps) (local.get $end) (i32.const 0) (local.get $bias) (local.get $hasBias))
    (local.set $r (local.get $direct))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_s (local.get $r) (local.get $rows)))
      (call $copyRow (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $r) (local.get $n)) (i32.const 2)))
                     (i32.add (local.get $spill) (i32.shl (i32.mul (i32.sub (local.get $r) (local.get $direct)) (local.get $nv)) (i32.const 4))) (local.get $n))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl)))
  )

  ;; y[p] = Σ taps w[c]·x[p] (+ bias[c]; bias = 0: none) for planes p in [p0, p1), c = p mod C.
  ;; $ep ≠ 0: then an eval-mode BatchNorm and activation $act (0 none, 1 ReLU, 3 HardSwish:
  ;; bnForward's modes) on each plane while in cache, by elementwise.wat's $normalize (bnForward's
  ;; instructions), channel c's mean, 1/σ, γ and β at $ep + 16·c (fusions/conv-batch-norm.ts).
  (func (export "depthwiseForward")
    (param $x i32) (param $w i32) (param $bias i32) (param $y i32) (param $p0 i32) (param $p1 i32)
    (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32) (param $ep i32) (param $act i32) (param $scratch i32)
    (local $p i32) (local $c i32) (local $nv i32) (local $Wq i32) (local $rowsP i32) (local $taps i32)
    (local $end i32) (local $buf i32) (local $xp i32) (local $ys i32) (local $yb i32) (local $e i32)
    (local.set $nv (i32.shr_u (call $ceil4 (local.get $oW)) (i32.const 2)))
    (local.set $Wq (call $xWq (local.get $oW) (local.get $kW) (local.get $sW) (local.get $dW)))
    (local.set $rowsP (call $xRows (local.get $oH) (local.get $kH) (local.get $sH) (local.get $dH)))
    (local.set $taps (local.get $scratch))
    (local.set $end (i32.add (local.get $taps) (i32.shl (i32.mul (local.get $kH) (local.get $kW)) (i32.const 5))))
    (local.set $buf (local.get $end))
    (local.set $xp (i32.add (local.get $buf) (i32.shl (i32.mul (local.get $sW) (local.get $Wq)) (i32.const 2))))
    (local.set $ys (i32.add (local.get $xp) (i32.shl (i32.mul (local.get $rowsP) (i32.mul (local.get $sW) (local.get $Wq))) (i32.const 2))))
    (memory.fill (local.get $buf) (i32.const 0) (i32.sub (i32.add (local.get $ys) (i32.shl (i32.mul (local.get $oH) (local.get $nv)) (i32.const 4))) (local.get $buf)))
    (call $xTapOffsets (local.get $taps) (local.get $kH) (local.get $kW) (local.get $dH) (local.get $dW) (local.get $sW) (local.get $Wq))
    (local.set $p (local.get $p0))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_s (local.get $p) (local.get $p1)))
      (local.set $c (i32.rem_u (local.get $p) (local.get $C)))
      (call $tapWeights (local.get $taps) (i32.add (local.get $w) (i32.shl (i32.mul (local.get $c) (i32.mul (local.get $kH) (local.get $kW))) (i32.const 2)))
                        (i32.mul (local.get $kH) (local.get $kW)))
      (call $padSplit (i32.add (local.get $x) (i32.shl (i32.mul (local.get $p) (i32.mul (local.get $H) (local.get $W))) (i32.const 2)))
                      (local.get $H) (local.get $W) (local.get $xp) (local.get $rowsP) (local.get $sW) (local.get $Wq) (local.get $pH) (local.get $pW) (local.get $buf))
      (local.set $yb (i32.add (local.get $y) (i32.shl (i32.mul (local.get $p) (i32.mul (local.get $oH) (local.get $oW))) (i32.const 2))))
      (call $assignRows (local.get $yb) (local.get $oW) (local.get $xp) (i32.shl (i32.mul (local.get $sH) (i32.mul (local.get $sW) (local.get $Wq))) (i32.const 2))
                        (local.get $oH) (local.get $taps) (local.get $end)
                        (f32x4.splat (if (result f32) (local.get $bias) (then (f32.load (i32.add (local.get $bias) (i32.shl (local.get $c) (i32.const 2))))) (else (f32.const 0))))
                        (local.get $bias) (local.get $ys))
      (if (local.get $ep) (then
        (local.set $e (i32.add (local.get $ep) (i32.shl (local.get $c) (i32.const 4))))
        (call $normalize (local.get $yb) (i32.const 0) (local.get $yb) (i32.mul (local.get $oH) (local.get $oW))
          (f32.load offset=0 (local.get $e)) (f32.load offset=4 (local.get $e)) (f32.load offset=8 (local.get $e)) (f32.load offset=12 (local.get $e))
          (local.get $act) (i32.const 0))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $pl)))
  )

  ;; The records [taps, returned end) of output phase (a, b) of the input gradient: each tap (ky, kx),
  ;; in row-major order, whose outputs land on that phase (a + pH − ky·dH ≡ 0 mod sH, likewise
  ;; across), with its byte offset into the padded dy (wq floats a row) at 16 and its index at 20.
  (func $dxTaps (param $taps i32) (param $kH i32) (param $kW i32) (param $a i32) (param $b i32)
                (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
                (param $top i32) (param $left i32) (param $wq i32) (result i32)
    (local $ky i32) (local $kx i32) (local $ty i32) (local $tx i32)
    (block $yd (loop $yl
      (br_if $yd (i32.ge_s (local.get $ky) (local.get $kH)))
      (local.set $ty (i32.sub (i32.add (local.get $a) (local.get $pH)) (i32.mul (local.get $ky) (local.get $dH))))
      (if (i32.eqz (i32.rem_s (local.get $ty) (local.get $sH))) (then
        (local.set $kx (i32.const 0))
        (block $xd (loop $xl
          (br_if $xd (i32.ge_s (local.get $kx) (local.get $kW)))
          (local.set $tx (i32.sub (i32.add (local.get $b) (local.get $pW)) (i32.mul (local.get $kx) (local.get $dW))))
          (if (i32.eqz (i32.rem_s (local.get $tx) (local.get $sW))) (then
            (i32.store offset=20 (local.get $taps) (i32.add (i32.mul (local.get $ky) (local.get $kW)) (local.get $kx)))
            (i32.store offset=16 (local.get $taps) (i32.shl (i32.add
              (i32.mul (i32.add (i32.div_s (local.get $ty) (local.get $sH)) (local.get $top)) (local.get $wq))
              (i32.add (i32.div_s (local.get $tx) (local.get $sW)) (local.get $left))) (i32.const 2)))
            (local.set $taps (i32.add (local.get $taps) (i32.const 32)))))
          (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
          (br $xl)))))
      (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
      (br $yl)))
    (local.get $taps)
  )

  ;; dx[p] += Σ taps w[c]·dy[p] (the adjoint of depthwiseForward; fresh: dx[p] = that, dx not read) for planes p in [p0, p1): per
  ;; output phase (a, b), a correlation of the padded dy onto dx's phase, in place where dx's rows
  ;; are whole vectors at stride 1, else on a split copy merged back.
  (func (export "depthwiseInputGrad")
    (param $dy i32) (param $w i32) (param $dx i32) (param $p0 i32) (param $p1 i32)
    (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32) (param $fresh i32) (param $scratch i32)
    (local $p i32) (local $ends i32) (local $start i32) (local $stop i32) (local $Wd i32) (local $pitch i32) (local $top i32) (local $left i32) (local $rows i32) (local $wq i32)
    (local $end i32) (local $buf i32) (local $buf2 i32) (local $dyp i32) (local $ds i32) (local $inPlace i32)
    (local $dxb i32) (local $a i32) (local $b i32) (local $r i32)
    (local.set $Wd (call $dxWd (local.get $W) (local.get $sW)))
    (local.set $pitch (i32.mul (local.get $sW) (local.get $Wd)))
    (local.set $top (call $dyPad (local.get $kH) (local.get $sH) (local.get $dH)))
    (local.set $left (call $dyPad (local.get $kW) (local.get $sW) (local.get $dW)))
    (local.set $rows (call $dyRows (local.get $H) (local.get $kH) (local.get $sH) (local.get $pH) (local.get $dH)))
    (local.set $wq (call $dyWq (local.get $W) (local.get $kW) (local.get $sW) (local.get $pW) (local.get $dW)))
    (local.set $ends (i32.add (local.get $scratch) (i32.shl (i32.mul (local.get $kH) (local.get $kW)) (i32.const 5))))
    (local.set $buf (i32.add (local.get $scratch) (call $dxTapBytes (local.get $kH) (local.get $kW) (local.get $sH) (local.get $sW))))
    (local.set $buf2 (i32.add (local.get $buf) (i32.shl (local.get $pitch) (i32.const 2))))
    (local.set $dyp (i32.add (local.get $buf2) (i32.shl (local.get $pitch) (i32.const 2))))
    (local.set $ds (i32.add (local.get $dyp) (i32.shl (i32.mul (local.get $rows) (local.get $wq)) (i32.const 2))))
    (memory.fill (local.get $buf) (i32.const 0) (i32.sub (i32.add (local.get $ds) (i32.shl (i32.mul (local.get $H) (local.get $pitch)) (i32.const 2))) (local.get $buf)))
    ;; Each phase's tap records, phase after phase; their weights are each plane's.
    (local.set $end (local.get $scratch))
    (block $ad (loop $al
      (br_if $ad (i32.ge_s (local.get $a) (local.get $sH)))
      (local.set $b (i32.const 0))
      (block $bd (loop $bl
        (br_if $bd (i32.ge_s (local.get $b) (local.get $sW)))
        (local.set $end (call $dxTaps (local.get $end) (local.get $kH) (local.get $kW) (local.get $a) (local.get $b)
          (local.get $sH) (local.get $sW) (local.get $pH) (local.get $pW) (local.get $dH) (local.get $dW) (local.get $top) (local.get $left) (local.get $wq)))
        (i32.store (i32.add (local.get $ends) (i32.shl (i32.add (i32.mul (local.get $a) (local.get $sW)) (local.get $b)) (i32.const 2))) (local.get $end))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bl)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $al)))
    ;; In place at stride 1 where dx's rows are whole vectors, or where dx is assigned (fresh).
    (local.set $inPlace (i32.and (i32.eq (i32.mul (local.get $sH) (local.get $sW)) (i32.const 1))
                                 (i32.or (local.get $fresh) (i32.eqz (i32.and (local.get $W) (i32.const 3))))))
    (local.set $p (local.get $p0))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_s (local.get $p) (local.get $p1)))
      (call $tapWeightsAt (local.get $scratch) (local.get $end)
        (i32.add (local.get $w) (i32.shl (i32.mul (i32.rem_u (local.get $p) (local.get $C)) (i32.mul (local.get $kH) (local.get $kW))) (i32.const 2))))
      (call $padSplit (i32.add (local.get $dy) (i32.shl (i32.mul (local.get $p) (i32.mul (local.get $oH) (local.get $oW))) (i32.const 2)))
                      (local.get $oH) (local.get $oW) (local.get $dyp) (local.get $rows) (i32.const 1) (local.get $wq) (local.get $top) (local.get $left) (i32.const 0))
      (local.set $dxb (i32.add (local.get $dx) (i32.shl (i32.mul (local.get $p) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
      (if (i32.eqz (i32.or (local.get $inPlace) (local.get $fresh))) (then
        (call $padSplit (local.get $dxb) (local.get $H) (local.get $W) (local.get $ds) (local.get $H) (local.get $sW) (local.get $Wd) (i32.const 0) (i32.const 0) (local.get $buf))))
      (local.set $start (local.get $scratch))
      (local.set $a (i32.const 0))
      (block $ad (loop $al
        (br_if $ad (i32.ge_s (local.get $a) (local.get $sH)))
        (br_if $ad (i32.ge_s (local.get $a) (local.get $H)))
        (local.set $b (i32.const 0))
        (block $bd (loop $bl
          (br_if $bd (i32.ge_s (local.get $b) (local.get $sW)))
          (local.set $stop (i32.load (i32.add (local.get $ends) (i32.shl (i32.add (i32.mul (local.get $a) (local.get $sW)) (local.get $b)) (i32.const 2)))))
          ;; A fresh dx's phase without taps is +0 (a split copy holds the last plane's).
          (if (i32.and (local.get $fresh) (i32.eq (local.get $stop) (local.get $start))) (then
            (call $zeroPhase (i32.add (local.get $ds) (i32.shl (i32.add (i32.mul (local.get $a) (local.get $pitch)) (i32.mul (local.get $b) (local.get $Wd))) (i32.const 2)))
                             (i32.shl (i32.mul (local.get $sH) (local.get $pitch)) (i32.const 2)) (call $ceilDiv (i32.sub (local.get $H) (local.get $a)) (local.get $sH)) (local.get $Wd))))
          (if (i32.gt_u (local.get $stop) (local.get $start)) (then
            (if (local.get $inPlace)
              (then (if (local.get $fresh)
                (then (call $assignRows (local.get $dxb) (local.get $W) (local.get $dyp) (i32.shl (local.get $wq) (i32.const 2)) (local.get $H)
                                        (local.get $start) (local.get $stop) (v128.const i32x4 0 0 0 0) (i32.const 0) (local.get $ds)))
                (else (call $correlate (local.get $dxb) (i32.shl (local.get $W) (i32.const 2)) (local.get $dyp) (i32.shl (local.get $wq) (i32.const 2))
                                       (local.get $H) (i32.shr_u (local.get $W) (i32.const 2)) (local.get $start) (local.get $stop) (i32.const 1) (v128.const i32x4 0 0 0 0) (i32.const 0)))))
              (else (call $correlate (i32.add (local.get $ds) (i32.shl (i32.add (i32.mul (local.get $a) (local.get $pitch)) (i32.mul (local.get $b) (local.get $Wd))) (i32.const 2)))
                                     (i32.shl (i32.mul (local.get $sH) (local.get $pitch)) (i32.const 2)) (local.get $dyp) (i32.shl (local.get $wq) (i32.const 2))
                                     (call $ceilDiv (i32.sub (local.get $H) (local.get $a)) (local.get $sH)) (i32.shr_u (local.get $Wd) (i32.const 2))
                                     (local.get $start) (local.get $stop) (i32.eqz (local.get $fresh)) (v128.const i32x4 0 0 0 0) (i32.const 0))))))
          (local.set $start (local.get $stop))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $bl)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $al)))
      (if (i32.eqz (local.get $inPlace)) (then
        (local.set $r (i32.const 0))
        (block $rd (loop $rl
          (br_if $rd (i32.ge_s (local.get $r) (local.get $H)))
          (if (i32.eq (local.get $sW) (i32.const 1))
            (then (call $copyRow (i32.add (local.get $dxb) (i32.shl (i32.mul (local.get $r) (local.get $W)) (i32.const 2)))
                                 (i32.add (local.get $ds) (i32.shl (i32.mul (local.get $r) (local.get $pitch)) (i32.const 2))) (local.get $W)))
            (else (if (i32.eq (local.get $pitch) (local.get $W))
              (then (call $merge (i32.add (local.get $ds) (i32.shl (i32.mul (local.get $r) (local.get $pitch)) (i32.const 2)))
                                 (i32.add (local.get $dxb) (i32.shl (i32.mul (local.get $r) (local.get $W)) (i32.const 2))) (local.get $sW) (local.get $Wd)))
              (else
                (call $merge (i32.add (local.get $ds) (i32.shl (i32.mul (local.get $r) (local.get $pitch)) (i32.const 2))) (local.get $buf2) (local.get $sW) (local.get $Wd))
                (call $copyRow (i32.add (local.get $dxb) (i32.shl (i32.mul (local.get $r) (local.get $W)) (i32.const 2))) (local.get $buf2) (local.get $W))))))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rl)))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $pl)))
  )

  ;; $tapSums' block of four vectors in one row: src[0, 4) contiguous.
  (func $tapSums4 (param $dy i32) (param $s i32) (param $t i32) (param $end i32) (param $acc i32)
    (local $g0 v128) (local $g1 v128) (local $g2 v128) (local $g3 v128) (local $at i32)
    (local.set $g0 (v128.load (local.get $dy)))
    (local.set $g1 (v128.load offset=16 (local.get $dy)))
    (local.set $g2 (v128.load offset=32 (local.get $dy)))
    (local.set $g3 (v128.load offset=48 (local.get $dy)))
    (loop $tl
      (local.set $at (i32.add (local.get $s) (i32.load offset=16 (local.get $t))))
      (v128.store (local.get $acc) (f32x4.add (v128.load (local.get $acc)) (f32x4.add
        (f32x4.add (f32x4.mul (v128.load (local.get $at)) (local.get $g0))
                   (f32x4.mul (v128.load offset=16 (local.get $at)) (local.get $g1)))
        (f32x4.add (f32x4.mul (v128.load offset=32 (local.get $at)) (local.get $g2))
                   (f32x4.mul (v128.load offset=48 (local.get $at)) (local.get $g3))))))
      (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
      (local.set $t (i32.add (local.get $t) (i32.const 32)))
      (br_if $tl (i32.lt_u (local.get $t) (local.get $end))))
  )

  ;; $tapSums' block of two rows of four vectors (dy's rows dyRow bytes apart), its products summed pairwise ((0 + 1) + (2 + 3)) + ((4 + 5) + (6 + 7)); the first `skip` vectors of each row (already summed: a row's last four overlapping) count as zero.
  (func $tapSums2x4 (param $dy i32) (param $dyRow i32) (param $skip i32) (param $s i32) (param $sRow i32) (param $t i32) (param $end i32) (param $acc i32)
    (local $g0 v128) (local $g1 v128) (local $g2 v128) (local $g3 v128) (local $g4 v128) (local $g5 v128) (local $g6 v128) (local $g7 v128) (local $p0 i32) (local $p1 i32)
    (local.set $g0 (v128.load (local.get $dy)))
    (local.set $g1 (v128.load offset=16 (local.get $dy)))
    (local.set $g2 (v128.load offset=32 (local.get $dy)))
    (local.set $g3 (v128.load offset=48 (local.get $dy)))
    (local.set $dy (i32.add (local.get $dy) (local.get $dyRow)))
    (local.set $g4 (v128.load (local.get $dy)))
    (local.set $g5 (v128.load offset=16 (local.get $dy)))
    (local.set $g6 (v128.load offset=32 (local.get $dy)))
    (local.set $g7 (v128.load offset=48 (local.get $dy)))
    (if (i32.gt_s (local.get $skip) (i32.const 0)) (then (local.set $g0 (v128.const i32x4 0 0 0 0)) (local.set $g4 (v128.const i32x4 0 0 0 0))))
    (if (i32.gt_s (local.get $skip) (i32.const 1)) (then (local.set $g1 (v128.const i32x4 0 0 0 0)) (local.set $g5 (v128.const i32x4 0 0 0 0))))
    (if (i32.gt_s (local.get $skip) (i32.const 2)) (then (local.set $g2 (v128.const i32x4 0 0 0 0)) (local.set $g6 (v128.const i32x4 0 0 0 0))))
    (loop $tl
      (local.set $p0 (i32.add (local.get $s) (i32.load offset=16 (local.get $t))))
      (local.set $p1 (i32.add (local.get $p0) (local.get $sRow)))
      (v128.store (local.get $acc) (f32x4.add (v128.load (local.get $acc)) (f32x4.add (f32x4.add (f32x4.add (f32x4.mul (v128.load (local.get $p0)) (local.get $g0)) (f32x4.mul (v128.load offset=16 (local.get $p0)) (local.get $g1))) (f32x4.add (f32x4.mul (v128.load offset=32 (local.get $p0)) (local.get $g2)) (f32x4.mul (v128.load offset=48 (local.get $p0)) (local.get $g3)))) (f32x4.add (f32x4.add (f32x4.mul (v128.load (local.get $p1)) (local.get $g4)) (f32x4.mul (v128.load offset=16 (local.get $p1)) (local.get $g5))) (f32x4.add (f32x4.mul (v128.load offset=32 (local.get $p1)) (local.get $g6)) (f32x4.mul (v128.load offset=48 (local.get $p1)) (local.get $g7)))))))
      (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
      (local.set $t (i32.add (local.get $t) (i32.const 32)))
      (br_if $tl (i32.lt_u (local.get $t) (local.get $end))))
  )

  ;; $tapSums' block of four rows of two vectors, likewise.
  (func $tapSums4x2 (param $dy i32) (param $s i32) (param $sRow i32) (param $t i32) (param $end i32) (param $acc i32)
    (local $g0 v128) (local $g1 v128) (local $g2 v128) (local $g3 v128) (local $g4 v128) (local $g5 v128) (local $g6 v128) (local $g7 v128) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local.set $g0 (v128.load (local.get $dy)))
    (local.set $g1 (v128.load offset=16 (local.get $dy)))
    (local.set $g2 (v128.load offset=32 (local.get $dy)))
    (local.set $g3 (v128.load offset=48 (local.get $dy)))
    (local.set $g4 (v128.load offset=64 (local.get $dy)))
    (local.set $g5 (v128.load offset=80 (local.get $dy)))
    (local.set $g6 (v128.load offset=96 (local.get $dy)))
    (local.set $g7 (v128.load offset=112 (local.get $dy)))
    (loop $tl
      (local.set $p0 (i32.add (local.get $s) (i32.load offset=16 (local.get $t))))
      (local.set $p1 (i32.add (local.get $p0) (local.get $sRow)))
      (local.set $p2 (i32.add (local.get $p1) (local.get $sRow)))
      (local.set $p3 (i32.add (local.get $p2) (local.get $sRow)))
      (v128.store (local.get $acc) (f32x4.add (v128.load (local.get $acc)) (f32x4.add (f32x4.add (f32x4.add (f32x4.mul (v128.load (local.get $p0)) (local.get $g0)) (f32x4.mul (v128.load offset=16 (local.get $p0)) (local.get $g1))) (f32x4.add (f32x4.mul (v128.load (local.get $p1)) (local.get $g2)) (f32x4.mul (v128.load offset=16 (local.get $p1)) (local.get $g3)))) (f32x4.add (f32x4.add (f32x4.mul (v128.load (local.get $p2)) (local.get $g4)) (f32x4.mul (v128.load offset=16 (local.get $p2)) (local.get $g5))) (f32x4.add (f32x4.mul (v128.load (local.get $p3)) (local.get $g6)) (f32x4.mul (v128.load offset=16 (local.get $p3)) (local.get $g7)))))))
      (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
      (local.set $t (i32.add (local.get $t) (i32.const 32)))
      (br_if $tl (i32.lt_u (local.get $t) (local.get $end))))
  )

  ;; Each tap's running sum (a v128 at acc, one a tap in record order) += Σ_v dy[v]·src[v + off]
  ;; over the rows × nv vectors of dy (contiguous) and the source (its rows sRow bytes apart, as
  ;; $correlate walks them), the offsets from the tap records [taps, end): per block of eight or
  ;; four vectors the products summed pairwise, then vector by vector.
  (func $tapSums (param $dy i32) (param $src i32) (param $sRow i32) (param $rows i32) (param $nv i32) (param $taps i32) (param $end i32) (param $acc i32)
    (local $left i32) (local $cv i32) (local $sB i32) (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32)
    (local $g0 v128) (local $g1 v128) (local $g2 v128) (local $g3 v128) (local $t i32) (local $off i32) (local $a i32) (local $skip i32)
    (local.set $left (i32.mul (local.get $rows) (local.get $nv)))
    (local.set $sB (local.get $src))
    (block $bd (loop $bl
      (br_if $bd (i32.lt_s (local.get $left) (i32.const 4)))
      ;; Two whole rows of four or more vectors: blocks of two rows of four, a row's last four
      ;; overlapping the ones before with those counted as zero.
      (if (i32.and (i32.eqz (local.get $cv)) (i32.and (i32.ge_s (local.get $nv) (i32.const 4)) (i32.ge_s (local.get $left) (i32.shl (local.get $nv) (i32.const 1))))) (then
        (block $rd (loop $rl
          (local.set $skip (i32.const 0))
          (if (i32.gt_s (i32.add (local.get $cv) (i32.const 4)) (local.get $nv)) (then
            (local.set $skip (i32.sub (i32.add (local.get $cv) (i32.const 4)) (local.get $nv)))
            (local.set $cv (i32.sub (local.get $nv) (i32.const 4)))))
          (call $tapSums2x4 (i32.add (local.get $dy) (i32.shl (local.get $cv) (i32.const 4))) (i32.shl (local.get $nv) (i32.const 4)) (local.get $skip)
                            (i32.add (local.get $sB) (i32.shl (local.get $cv) (i32.const 4))) (local.get $sRow) (local.get $taps) (local.get $end) (local.get $acc))
          (local.set $cv (i32.add (local.get $cv) (i32.const 4)))
          (br_if $rl (i32.lt_s (local.get $cv) (local.get $nv)))))
        (local.set $cv (i32.const 0))
        (local.set $sB (i32.add (local.get $sB) (i32.shl (local.get $sRow) (i32.const 1))))
        (local.set $dy (i32.add (local.get $dy) (i32.shl (local.get $nv) (i32.const 5))))
        (local.set $left (i32.sub (local.get $left) (i32.shl (local.get $nv) (i32.const 1))))
        (br $bl)))
      (if (i32.and (i32.eqz (local.get $cv)) (i32.ge_s (local.get $left) (i32.const 8))) (then
        (if (i32.eq (local.get $nv) (i32.const 2)) (then
          (call $tapSums4x2 (local.get $dy) (local.get $sB) (local.get $sRow) (local.get $taps) (local.get $end) (local.get $acc))
          (local.set $sB (i32.add (local.get $sB) (i32.shl (local.get $sRow) (i32.const 2))))
          (local.set $dy (i32.add (local.get $dy) (i32.const 128)))
          (local.set $left (i32.sub (local.get $left) (i32.const 8)))
          (br $bl)))))
      (local.set $s0 (i32.add (local.get $sB) (i32.shl (local.get $cv) (i32.const 4))))
      (if (i32.le_s (i32.add (local.get $cv) (i32.const 4)) (local.get $nv)) (then
        (call $tapSums4 (local.get $dy) (local.get $s0) (local.get $taps) (local.get $end) (local.get $acc))
        (local.set $cv (i32.add (local.get $cv) (i32.const 4)))
        (if (i32.eq (local.get $cv) (local.get $nv)) (then (local.set $cv (i32.const 0)) (local.set $sB (i32.add (local.get $sB) (local.get $sRow)))))
        (local.set $dy (i32.add (local.get $dy) (i32.const 64)))
        (local.set $left (i32.sub (local.get $left) (i32.const 4)))
        (br $bl)))
      (local.set $cv (i32.add (local.get $cv) (i32.const 1)))
      (if (i32.eq (local.get $cv) (local.get $nv)) (then (local.set $cv (i32.const 0)) (local.set $sB (i32.add (local.get $sB) (local.get $sRow)))))
      (local.set $s1 (i32.add (local.get $sB) (i32.shl (local.get $cv) (i32.const 4))))
      (local.set $cv (i32.add (local.get $cv) (i32.const 1)))
      (if (i32.eq (local.get $cv) (local.get $nv)) (then (local.set $cv (i32.const 0)) (local.set $sB (i32.add (local.get $sB) (local.get $sRow)))))
      (local.set $s2 (i32.add (local.get $sB) (i32.shl (local.get $cv) (i32.const 4))))
      (local.set $cv (i32.add (local.get $cv) (i32.const 1)))
      (if (i32.eq (local.get $cv) (local.get $nv)) (then (local.set $cv (i32.const 0)) (local.set $sB (i32.add (local.get $sB) (local.get $sRow)))))
      (local.set $s3 (i32.add (local.get $sB) (i32.shl (local.get $cv) (i32.const 4))))
      (local.set $cv (i32.add (local.get $cv) (i32.const 1)))
      (if (i32.eq (local.get $cv) (local.get $nv)) (then (local.set $cv (i32.const 0)) (local.set $sB (i32.add (local.get $sB) (local.get $sRow)))))
      (local.set $g0 (v128.load (local.get $dy)))
      (local.set $g1 (v128.load offset=16 (local.get $dy)))
      (local.set $g2 (v128.load offset=32 (local.get $dy)))
      (local.set $g3 (v128.load offset=48 (local.get $dy)))
      (local.set $t (local.get $taps))
      (local.set $a (local.get $acc))
      (loop $tl
        (local.set $off (i32.load offset=16 (local.get $t)))
        (v128.store (local.get $a) (f32x4.add (v128.load (local.get $a)) (f32x4.add
          (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $s0) (local.get $off))) (local.get $g0))
                     (f32x4.mul (v128.load (i32.add (local.get $s1) (local.get $off))) (local.get $g1)))
          (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $s2) (local.get $off))) (local.get $g2))
                     (f32x4.mul (v128.load (i32.add (local.get $s3) (local.get $off))) (local.get $g3))))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (br_if $tl (i32.lt_u (local.get $t) (local.get $end))))
      (local.set $dy (i32.add (local.get $dy) (i32.const 64)))
      (local.set $left (i32.sub (local.get $left) (i32.const 4)))
      (br $bl)))
    (block $vd (loop $vl
      (br_if $vd (i32.eqz (local.get $left)))
      (local.set $s0 (i32.add (local.get $sB) (i32.shl (local.get $cv) (i32.const 4))))
      (local.set $cv (i32.add (local.get $cv) (i32.const 1)))
      (if (i32.eq (local.get $cv) (local.get $nv)) (then (local.set $cv (i32.const 0)) (local.set $sB (i32.add (local.get $sB) (local.get $sRow)))))
      (local.set $g0 (v128.load (local.get $dy)))
      (local.set $t (local.get $taps))
      (local.set $a (local.get $acc))
      (loop $tl
        (v128.store (local.get $a) (f32x4.add (v128.load (local.get $a))
          (f32x4.mul (v128.load (i32.add (local.get $s0) (i32.load offset=16 (local.get $t)))) (local.get $g0))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (br_if $tl (i32.lt_u (local.get $t) (local.get $end))))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $left (i32.sub (local.get $left) (i32.const 1)))
      (br $vl)))
  )

  ;; Channels a weight-gradient block holds: as many as have their x and dy planes in ~96 KiB (one
  ;; at least), so that a block's planes of one sample, contiguous in memory, are read in order.
  (func $dwBlock (param $H i32) (param $W i32) (param $oH i32) (param $oW i32) (result i32)
    (local $n i32)
    (local.set $n (i32.div_u (i32.const 98304) (i32.shl (i32.add (i32.mul (local.get $H) (local.get $W)) (i32.mul (local.get $oH) (local.get $oW))) (i32.const 2))))
    (select (local.get $n) (i32.const 1) (local.get $n)))

  ;; For channels c in [c0, c1) over all N samples: dW[c, tap] += Σ_n Σ_out dy·x (dW = 0: skipped),
  ;; and per sample db[c] = f32(db[c] + Σ_out dy) with the sum in float64 (db = 0: no bias). The
  ;; channels go in blocks ($dwBlock), each sample by sample, every channel's tap sums (v128 each)
  ;; kept in scratch after the dy rows until its block is done.
  (func (export "depthwiseWeightGrad")
    (param $x i32) (param $dy i32) (param $dWt i32) (param $db i32) (param $c0 i32) (param $c1 i32) (param $N i32)
    (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32) (param $scratch i32)
    (local $c i32) (local $n i32) (local $plane i32) (local $nv i32) (local $Wq i32) (local $rowsP i32) (local $taps i32)
    (local $end i32) (local $buf i32) (local $xp i32) (local $dys i32) (local $accs i32) (local $g i32) (local $t i32) (local $r i32)
    (local $cb0 i32) (local $cb1 i32) (local $block i32) (local $a i32)
    (local $v v128) (local $at i32) (local $stop i32) (local $s f64) (local $wAt i32)
    (local.set $taps (i32.mul (local.get $kH) (local.get $kW)))
    (local.set $nv (i32.shr_u (call $ceil4 (local.get $oW)) (i32.const 2)))
    (local.set $Wq (call $xWq (local.get $oW) (local.get $kW) (local.get $sW) (local.get $dW)))
    (local.set $rowsP (call $xRows (local.get $oH) (local.get $kH) (local.get $sH) (local.get $dH)))
    (local.set $end (i32.add (local.get $scratch) (i32.shl (local.get $taps) (i32.const 5))))
    (local.set $buf (local.get $end))
    (local.set $xp (i32.add (local.get $buf) (i32.shl (i32.mul (local.get $sW) (local.get $Wq)) (i32.const 2))))
    (local.set $dys (i32.add (local.get $xp) (i32.shl (i32.mul (local.get $rowsP) (i32.mul (local.get $sW) (local.get $Wq))) (i32.const 2))))
    (local.set $accs (i32.add (local.get $dys) (i32.shl (i32.mul (local.get $oH) (local.get $nv)) (i32.const 4))))
    (memory.fill (local.get $buf) (i32.const 0) (i32.sub (local.get $accs) (local.get $buf)))
    (call $xTapOffsets (local.get $scratch) (local.get $kH) (local.get $kW) (local.get $dH) (local.get $dW) (local.get $sW) (local.get $Wq))
    (local.set $block (call $dwBlock (local.get $H) (local.get $W) (local.get $oH) (local.get $oW)))
    (local.set $cb0 (local.get $c0))
    (block $kd (loop $kl
      (br_if $kd (i32.ge_s (local.get $cb0) (local.get $c1)))
      (local.set $cb1 (i32.add (local.get $cb0) (local.get $block)))
      (if (i32.gt_s (local.get $cb1) (local.get $c1)) (then (local.set $cb1 (local.get $c1))))
      (memory.fill (local.get $accs) (i32.const 0) (i32.shl (i32.mul (i32.sub (local.get $cb1) (local.get $cb0)) (local.get $taps)) (i32.const 4)))
      (local.set $n (i32.const 0))
      (block $nd (loop $nl
        (br_if $nd (i32.ge_s (local.get $n) (local.get $N)))
        (local.set $c (local.get $cb0))
        (block $cd (loop $cl
          (br_if $cd (i32.ge_s (local.get $c) (local.get $cb1)))
          (local.set $plane (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $c)))
          (local.set $g (i32.add (local.get $dy) (i32.shl (i32.mul (local.get $plane) (i32.mul (local.get $oH) (local.get $oW))) (i32.const 2))))
          (if (local.get $dWt) (then
            (call $padSplit (i32.add (local.get $x) (i32.shl (i32.mul (local.get $plane) (i32.mul (local.get $H) (local.get $W))) (i32.const 2)))
                            (local.get $H) (local.get $W) (local.get $xp) (local.get $rowsP) (local.get $sW) (local.get $Wq) (local.get $pH) (local.get $pW) (local.get $buf))
            ;; Rows not of whole vectors: copied into rows that are, their tails zero.
            (if (i32.and (local.get $oW) (i32.const 3)) (then
              (local.set $r (i32.const 0))
              (block $rd (loop $rl
                (br_if $rd (i32.ge_s (local.get $r) (local.get $oH)))
                (call $copyRow (i32.add (local.get $dys) (i32.shl (i32.mul (local.get $r) (local.get $nv)) (i32.const 4)))
                               (i32.add (local.get $g) (i32.shl (i32.mul (local.get $r) (local.get $oW)) (i32.const 2))) (local.get $oW))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $rl)))))
            (call $tapSums (select (local.get $dys) (local.get $g) (i32.and (local.get $oW) (i32.const 3)))
                           (local.get $xp) (i32.shl (i32.mul (local.get $sH) (i32.mul (local.get $sW) (local.get $Wq))) (i32.const 2))
                           (local.get $oH) (local.get $nv) (local.get $scratch) (local.get $end)
                           (i32.add (local.get $accs) (i32.shl (i32.mul (i32.sub (local.get $c) (local.get $cb0)) (local.get $taps)) (i32.const 4))))))
          (if (local.get $db) (then
            (local.set $at (local.get $g))
            (local.set $stop (i32.add (local.get $at) (i32.shl (i32.mul (local.get $oH) (local.get $oW)) (i32.const 2))))
            (local.set $s (f64.const 0))
            (block $ad (loop $al
              (br_if $ad (i32.ge_u (local.get $at) (local.get $stop)))
              (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.load (local.get $at)))))
              (local.set $at (i32.add (local.get $at) (i32.const 4)))
              (br $al)))
            (local.set $wAt (i32.add (local.get $db) (i32.shl (local.get $c) (i32.const 2))))
            (f32.store (local.get $wAt) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $wAt))) (local.get $s))))))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $cl)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $nl)))
      ;; dW[c, tap] += the lanes of its sum, ((0 + 1) + (2 + 3)).
      (if (local.get $dWt) (then
        (local.set $a (local.get $accs))
        (local.set $wAt (i32.add (local.get $dWt) (i32.shl (i32.mul (local.get $cb0) (local.get $taps)) (i32.const 2))))
        (local.set $stop (i32.add (local.get $wAt) (i32.shl (i32.mul (i32.sub (local.get $cb1) (local.get $cb0)) (local.get $taps)) (i32.const 2))))
        (block $sd (loop $sl
          (br_if $sd (i32.ge_u (local.get $wAt) (local.get $stop)))
          (local.set $v (v128.load (local.get $a)))
          (f32.store (local.get $wAt) (f32.add (f32.load (local.get $wAt))
            (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
                     (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v))))))
          (local.set $wAt (i32.add (local.get $wAt) (i32.const 4)))
          (local.set $a (i32.add (local.get $a) (i32.const 16)))
          (br $sl)))))
      (local.set $cb0 (local.get $cb1))
      (br $kl)))
  )

)
