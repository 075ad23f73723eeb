;; int8 inference (#85): the quantised chain of core/quantize/ run with integer SIMD dot products.
;; Every value is an exact integer, so the outputs equal core/quantize/int8.ts's `runInt8` bit for bit.
;;
;; Layout. An activation is uint8 (0…255) held in i16 lanes, channels last: the value of channel c
;; at pixel (y, x) sits at element (y·w + x)·cs + c, with `cs` ≥ c channels per pixel (a multiple of
;; 8 where a kernel reads whole vectors of channels). Each sample's block ends with one extra pixel
;; that holds the zero point (what a padded tap reads). Weights are i16 too, packed once per model.
;;
;; Dense layers (Linear, Conv2d) are one kernel, `int8Dense`: output position p of sample s reads
;; `taps` input rows of cp i16 each, at byte offsets `ind[p·taps + t]` from the sample's block (an
;; indirection buffer, as XNNPACK's: a 3×3 convolution's nine pixels, or a padded tap's zero-point
;; pixel; a Linear's one row, the whole input; an im2col'd first layer's one unfolded row), and sums
;;   acc[o] = bias'[o] + Σ_t Σ_k w[o, t, k]·x[t, k]
;; with `i32x4.dot_i16x8_s` (eight products, summed in pairs into four i32 lanes; no rounding,
;; no saturation: |x·w| ≤ 255·127). bias' = b − zp_x·Σw, so the sums over uint8 inputs equal the
;; reference's Σ (x − zp_x)·w + b; i32 arithmetic is modular, so the intermediate sums may wrap as
;; long as the result fits (int8.ts checks that bound per channel before it uses this path).
;; NOTE: relaxed SIMD's `i32x4.relaxed_dot_i8x16_i7x16_add_s` would take 16 products a step but its
;; result may differ between CPUs outside 7-bit inputs, and these inputs are 8-bit: not used.
;;
;; Requantisation, four channels at a time, as the reference: y = sat(nearest(f32(acc)·M[o]) + zp_y)
;; into [lo, 255]: `f32x4.convert_i32x4_s` rounds to nearest even (Math.fround of an integer),
;; `f32x4.mul` rounds once (the product of two float32 is exact in float64), `f32x4.nearest` is
;; round-half-even, and the clamp happens before the zero point is added (a saturated i32 would wrap).
(module
  (import "env" "memory" (memory 1 {{HEAP.MAX_PAGES}} shared))

  ;; A Linear or Conv2d over positions [q0, q1) of the batch (position q = s·P + p: sample s,
  ;; output pixel p), output channels [0, outC4) in fours (outC4: the channels rounded up to 4; the
  ;; packed weights, bias' and multipliers have zero rows past the layer's own). Output pixel p of
  ;; sample s goes to `out + s·outStep + (p / pw)·outRow + (p mod pw)·csBytes` (pw = P: a plain
  ;; layer's pixels one after another; a transposed convolution's phase writes every s-th pixel). Tiles of 4 channels × 2 positions (8 i32x4
  ;; accumulators); an odd last position is computed twice.
  (func (export "int8Dense")
    (param $w i32) (param $rowBytes i32) (param $bias i32) (param $mult i32)
    (param $ind i32) (param $taps i32) (param $cpBytes i32) (param $P i32)
    (param $x i32) (param $xStep i32) (param $out i32) (param $outStep i32) (param $csBytes i32)
    (param $outC4 i32) (param $q0 i32) (param $q1 i32) (param $zp i32) (param $lo i32) (param $hi i32)
    (param $pw i32) (param $outRow i32)
    (local $q i32) (local $qb i32) (local $s i32) (local $p i32)
    (local $baseA i32) (local $baseB i32) (local $indA i32) (local $indB i32) (local $outA i32) (local $outB i32)
    (local $o i32) (local $wt i32) (local $t i32) (local $a i32) (local $b i32) (local $end i32)
    (local $r2 i32) (local $r3 i32) (local $single i32)
    (local $va v128) (local $vb v128) (local $wv v128) (local $t0 v128) (local $t1 v128) (local $bv v128) (local $mv v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $r2 (i32.shl (local.get $rowBytes) (i32.const 1)))
    (local.set $r3 (i32.add (local.get $r2) (local.get $rowBytes)))
    (local.set $q (local.get $q0))
    (block $doneQ
      (loop $nextQ
        (br_if $doneQ (i32.ge_s (local.get $q) (local.get $q1)))
        (local.set $qb (i32.add (local.get $q) (i32.const 1)))
        (local.set $single (i32.ge_s (local.get $qb) (local.get $q1)))
        (if (local.get $single) (then (local.set $qb (local.get $q))))
        ;; Position A (q) and B (qb): their sample blocks, indirection rows and output pixels.
        (local.set $s (i32.div_u (local.get $q) (local.get $P)))
        (local.set $p (i32.sub (local.get $q) (i32.mul (local.get $s) (local.get $P))))
        (local.set $baseA (i32.add (local.get $x) (i32.mul (local.get $s) (local.get $xStep))))
        (local.set $indA (i32.add (local.get $ind) (i32.shl (i32.mul (local.get $p) (local.get $taps)) (i32.const 2))))
        (local.set $outA (i32.add (i32.add (local.get $out) (i32.mul (local.get $s) (local.get $outStep)))
          (i32.add (i32.mul (i32.div_u (local.get $p) (local.get $pw)) (local.get $outRow)) (i32.mul (i32.rem_u (local.get $p) (local.get $pw)) (local.get $csBytes)))))
        (local.set $s (i32.div_u (local.get $qb) (local.get $P)))
        (local.set $p (i32.sub (local.get $qb) (i32.mul (local.get $s) (local.get $P))))
        (local.set $baseB (i32.add (local.get $x) (i32.mul (local.get $s) (local.get $xStep))))
        (local.set $indB (i32.add (local.get $ind) (i32.shl (i32.mul (local.get $p) (local.get $taps)) (i32.const 2))))
        (local.set $outB (i32.add (i32.add (local.get $out) (i32.mul (local.get $s) (local.get $outStep)))
          (i32.add (i32.mul (i32.div_u (local.get $p) (local.get $pw)) (local.get $outRow)) (i32.mul (i32.rem_u (local.get $p) (local.get $pw)) (local.get $csBytes)))))
        (local.set $o (i32.const 0))
        (block $doneO
          (loop $nextO
            (br_if $doneO (i32.ge_s (local.get $o) (local.get $outC4)))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0))
            (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $b0 (v128.const i32x4 0 0 0 0))
            (local.set $b1 (v128.const i32x4 0 0 0 0))
            (local.set $b2 (v128.const i32x4 0 0 0 0))
            (local.set $b3 (v128.const i32x4 0 0 0 0))
            (local.set $wt (i32.add (local.get $w) (i32.mul (local.get $o) (local.get $rowBytes))))
            (local.set $t (i32.const 0))
            (block $doneT
              (loop $nextT
                (br_if $doneT (i32.ge_s (local.get $t) (local.get $taps)))
                (local.set $a (i32.add (local.get $baseA) (i32.load (i32.add (local.get $indA) (i32.shl (local.get $t) (i32.const 2))))))
                (local.set $b (i32.add (local.get $baseB) (i32.load (i32.add (local.get $indB) (i32.shl (local.get $t) (i32.const 2))))))
                (local.set $end (i32.add (local.get $a) (local.get $cpBytes)))
                (if (local.get $single)
                  (then
                    ;; A lone last position (an odd count; a Linear at batch 1): position A only, B's sums stay 0.
                    (block $doneK1
                      (loop $nextK1
                        (br_if $doneK1 (i32.ge_u (local.get $a) (local.get $end)))
                        (local.set $va (v128.load (local.get $a)))
                        (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load (local.get $wt)) (local.get $va))))
                        (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (v128.load (i32.add (local.get $wt) (local.get $rowBytes))) (local.get $va))))
                        (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (v128.load (i32.add (local.get $wt) (local.get $r2))) (local.get $va))))
                        (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (v128.load (i32.add (local.get $wt) (local.get $r3))) (local.get $va))))
                        (local.set $a (i32.add (local.get $a) (i32.const 16)))
                        (local.set $wt (i32.add (local.get $wt) (i32.const 16)))
                        (br $nextK1)))
                  )
                  (else
                    (block $doneK
                      (loop $nextK
                        (br_if $doneK (i32.ge_u (local.get $a) (local.get $end)))
                        (local.set $va (v128.load (local.get $a)))
                        (local.set $vb (v128.load (local.get $b)))
                        (local.set $wv (v128.load (local.get $wt)))
                        (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (local.get $wv) (local.get $va))))
                        (local.set $b0 (i32x4.add (local.get $b0) (i32x4.dot_i16x8_s (local.get $wv) (local.get $vb))))
                        (local.set $wv (v128.load (i32.add (local.get $wt) (local.get $rowBytes))))
                        (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (local.get $wv) (local.get $va))))
                        (local.set $b1 (i32x4.add (local.get $b1) (i32x4.dot_i16x8_s (local.get $wv) (local.get $vb))))
                        (local.set $wv (v128.load (i32.add (local.get $wt) (local.get $r2))))
                        (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (local.get $wv) (local.get $va))))
                        (local.set $b2 (i32x4.add (local.get $b2) (i32x4.dot_i16x8_s (local.get $wv) (local.get $vb))))
                        (local.set $wv (v128.load (i32.add (local.get $wt) (local.get $r3))))
                        (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (local.get $wv) (local.get $va))))
                        (local.set $b3 (i32x4.add (local.get $b3) (i32x4.dot_i16x8_s (local.get $wv) (local.get $vb))))
                        (local.set $a (i32.add (local.get $a) (i32.const 16)))
                        (local.set $b (i32.add (local.get $b) (i32.const 16)))
                        (local.set $wt (i32.add (local.get $wt) (i32.const 16)))
                        (br $nextK)))
                  ))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $nextT)))
            ;; The lane sums of each position's four accumulators, requantised, stored as four i16 (B first: A wins where B = A).
            (local.set $t0 (i32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1))
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
            (local.set $t1 (i32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3))
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
            (local.set $a0 (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1))))
            (local.set $t0 (i32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $b0) (local.get $b1))
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $b0) (local.get $b1))))
            (local.set $t1 (i32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $b2) (local.get $b3))
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $b2) (local.get $b3))))
            (local.set $b0 (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1))))
            (local.set $bv (v128.load (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
            (local.set $mv (v128.load (i32.add (local.get $mult) (i32.shl (local.get $o) (i32.const 2)))))
            (local.set $a0
              (i32x4.trunc_sat_f32x4_s
                (f32x4.nearest
                  (f32x4.mul
                    (f32x4.convert_i32x4_s (i32x4.add (local.get $a0) (local.get $bv)))
                    (local.get $mv)))))
            (local.set $a0 (i32x4.add (i32x4.min_s (i32x4.max_s (local.get $a0) (i32x4.splat (local.get $lo))) (i32x4.splat (local.get $hi))) (i32x4.splat (local.get $zp))))
            (local.set $b0
              (i32x4.trunc_sat_f32x4_s
                (f32x4.nearest
                  (f32x4.mul
                    (f32x4.convert_i32x4_s (i32x4.add (local.get $b0) (local.get $bv)))
                    (local.get $mv)))))
            (local.set $b0 (i32x4.add (i32x4.min_s (i32x4.max_s (local.get $b0) (i32x4.splat (local.get $lo))) (i32x4.splat (local.get $hi))) (i32x4.splat (local.get $zp))))
            (v128.store64_lane 0 (i32.add (local.get $outB) (i32.shl (local.get $o) (i32.const 1))) (i16x8.narrow_i32x4_s (local.get $b0) (local.get $b0)))
            (v128.store64_lane 0 (i32.add (local.get $outA) (i32.shl (local.get $o) (i32.const 1))) (i16x8.narrow_i32x4_s (local.get $a0) (local.get $a0)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $nextO)))
        (local.set $q (i32.add (local.get $q) (i32.const 2)))
        (br $nextQ))))

  ;; A layer on unfolded rows (a first convolution on few channels), in the other order: each lane
  ;; one output channel, `i32x4.dot_i16x8_s` of four channels' weight pairs with a splat of two
  ;; consecutive values of the row, so the sums need no lane reduction (the row is short: 9 taps of
  ;; a 3×3 on one channel). Rows of kpBytes (an even count of values) for positions [q0, q1) (s = q / P,
  ;; p = q mod P): row q at `x + s·xStep + p·kpBytes` (unfolded rows: xStep = P·kpBytes; a block's
  ;; pixels as rows: its stride); output pixel q at `out + s·outStep + (p / pw)·outRow + (p mod pw)·csBytes`.
  ;; Weights: per pair of output-channel quads, kp/2 vectors of quad 0 then kp/2 of quad 1, each
  ;; vector four channels × (value 2j, value 2j + 1); outC8 (the channels rounded up to 8) zero-padded.
  (func (export "int8DensePairs")
    (param $w i32) (param $bias i32) (param $mult i32) (param $kpBytes i32) (param $P i32)
    (param $x i32) (param $out i32) (param $outStep i32) (param $csBytes i32)
    (param $outC8 i32) (param $q0 i32) (param $q1 i32) (param $zp i32) (param $lo i32) (param $hi i32)
    (param $xStep i32) (param $pw i32) (param $outRow i32)
    (local $q i32) (local $qb i32) (local $s i32) (local $p i32) (local $rowA i32) (local $rowB i32) (local $outA i32) (local $outB i32)
    (local $o i32) (local $wq i32) (local $half i32) (local $j i32)
    (local $sa v128) (local $sb v128) (local $w0 v128) (local $w1 v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128) (local $zpv v128) (local $lov v128) (local $hiv v128)
    (local $a2 v128) (local $a3 v128) (local $b2 v128) (local $b3 v128) (local $half2 i32) (local $half3 i32) (local $bo i32) (local $mo i32)
    (local.set $zpv (i32x4.splat (local.get $zp)))
    (local.set $lov (i32x4.splat (local.get $lo)))
    (local.set $hiv (i32x4.splat (local.get $hi)))
    (local.set $half (i32.shl (local.get $kpBytes) (i32.const 2)))
    (local.set $half2 (i32.shl (local.get $half) (i32.const 1)))
    (local.set $half3 (i32.add (local.get $half2) (local.get $half)))
    (local.set $q (local.get $q0))
    (block $doneQ
      (loop $nextQ
        (br_if $doneQ (i32.ge_s (local.get $q) (local.get $q1)))
        (local.set $qb (i32.add (local.get $q) (i32.const 1)))
        (if (i32.ge_s (local.get $qb) (local.get $q1)) (then (local.set $qb (local.get $q))))
        (local.set $s (i32.div_u (local.get $q) (local.get $P)))
        (local.set $p (i32.sub (local.get $q) (i32.mul (local.get $s) (local.get $P))))
        (local.set $rowA (i32.add (i32.add (local.get $x) (i32.mul (local.get $s) (local.get $xStep))) (i32.mul (local.get $p) (local.get $kpBytes))))
        (local.set $outA (i32.add (i32.add (local.get $out) (i32.mul (local.get $s) (local.get $outStep)))
          (i32.add (i32.mul (i32.div_u (local.get $p) (local.get $pw)) (local.get $outRow)) (i32.mul (i32.rem_u (local.get $p) (local.get $pw)) (local.get $csBytes)))))
        (local.set $s (i32.div_u (local.get $qb) (local.get $P)))
        (local.set $p (i32.sub (local.get $qb) (i32.mul (local.get $s) (local.get $P))))
        (local.set $rowB (i32.add (i32.add (local.get $x) (i32.mul (local.get $s) (local.get $xStep))) (i32.mul (local.get $p) (local.get $kpBytes))))
        (local.set $outB (i32.add (i32.add (local.get $out) (i32.mul (local.get $s) (local.get $outStep)))
          (i32.add (i32.mul (i32.div_u (local.get $p) (local.get $pw)) (local.get $outRow)) (i32.mul (i32.rem_u (local.get $p) (local.get $pw)) (local.get $csBytes)))))
        (local.set $o (i32.const 0))
        (local.set $wq (local.get $w))
        ;; Sixteen channels a tile while they last (eight accumulators: 0.75 loads a product against
        ;; eight channels' one; the U-Net's 2×2 transposed layers 55 → 44 µs), then eight.
        (block $done16
          (loop $next16
            (br_if $done16 (i32.gt_s (i32.add (local.get $o) (i32.const 16)) (local.get $outC8)))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0))
            (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $b0 (v128.const i32x4 0 0 0 0))
            (local.set $b1 (v128.const i32x4 0 0 0 0))
            (local.set $b2 (v128.const i32x4 0 0 0 0))
            (local.set $b3 (v128.const i32x4 0 0 0 0))
            (local.set $j (i32.const 0))
            (block $doneJ16
              (loop $nextJ16
                (br_if $doneJ16 (i32.ge_u (local.get $j) (local.get $kpBytes)))
                (local.set $sa (v128.load32_splat (i32.add (local.get $rowA) (local.get $j))))
                (local.set $sb (v128.load32_splat (i32.add (local.get $rowB) (local.get $j))))
                (local.set $w0 (v128.load (local.get $wq)))
                (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sa))))
                (local.set $b0 (i32x4.add (local.get $b0) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sb))))
                (local.set $w0 (v128.load (i32.add (local.get $wq) (local.get $half))))
                (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sa))))
                (local.set $b1 (i32x4.add (local.get $b1) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sb))))
                (local.set $w0 (v128.load (i32.add (local.get $wq) (local.get $half2))))
                (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sa))))
                (local.set $b2 (i32x4.add (local.get $b2) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sb))))
                (local.set $w0 (v128.load (i32.add (local.get $wq) (local.get $half3))))
                (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sa))))
                (local.set $b3 (i32x4.add (local.get $b3) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sb))))
                (local.set $wq (i32.add (local.get $wq) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $nextJ16)))
            (local.set $wq (i32.add (local.get $wq) (local.get $half3)))
            (local.set $bo (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2))))
            (local.set $mo (i32.add (local.get $mult) (i32.shl (local.get $o) (i32.const 2))))
            ;; Requantised as the eight-channel tiles below, B then A (A wins where B = A).
            (v128.store (i32.add (local.get $outB) (i32.shl (local.get $o) (i32.const 1)))
              (i16x8.narrow_i32x4_s
                (i32x4.add
                  (i32x4.min_s
                    (i32x4.max_s
                      (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (local.get $b0) (v128.load offset=0 (local.get $bo)))) (v128.load offset=0 (local.get $mo)))))
                      (local.get $lov))
                    (local.get $hiv))
                  (local.get $zpv))
                (i32x4.add
                  (i32x4.min_s
                    (i32x4.max_s
                      (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (local.get $b1) (v128.load offset=16 (local.get $bo)))) (v128.load offset=16 (local.get $mo)))))
                      (local.get $lov))
                    (local.get $hiv))
                  (local.get $zpv))))
            (v128.store offset=16 (i32.add (local.get $outB) (i32.shl (local.get $o) (i32.const 1)))
              (i16x8.narrow_i32x4_s
                (i32x4.add
                  (i32x4.min_s
                    (i32x4.max_s
                      (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (local.get $b2) (v128.load offset=32 (local.get $bo)))) (v128.load offset=32 (local.get $mo)))))
                      (local.get $lov))
                    (local.get $hiv))
                  (local.get $zpv))
                (i32x4.add
                  (i32x4.min_s
                    (i32x4.max_s
                      (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (local.get $b3) (v128.load offset=48 (local.get $bo)))) (v128.load offset=48 (local.get $mo)))))
                      (local.get $lov))
                    (local.get $hiv))
                  (local.get $zpv))))
            (v128.store (i32.add (local.get $outA) (i32.shl (local.get $o) (i32.const 1)))
              (i16x8.narrow_i32x4_s
                (i32x4.add
                  (i32x4.min_s
                    (i32x4.max_s
                      (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (local.get $a0) (v128.load offset=0 (local.get $bo)))) (v128.load offset=0 (local.get $mo)))))
                      (local.get $lov))
                    (local.get $hiv))
                  (local.get $zpv))
                (i32x4.add
                  (i32x4.min_s
                    (i32x4.max_s
                      (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (local.get $a1) (v128.load offset=16 (local.get $bo)))) (v128.load offset=16 (local.get $mo)))))
                      (local.get $lov))
                    (local.get $hiv))
                  (local.get $zpv))))
            (v128.store offset=16 (i32.add (local.get $outA) (i32.shl (local.get $o) (i32.const 1)))
              (i16x8.narrow_i32x4_s
                (i32x4.add
                  (i32x4.min_s
                    (i32x4.max_s
                      (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (local.get $a2) (v128.load offset=32 (local.get $bo)))) (v128.load offset=32 (local.get $mo)))))
                      (local.get $lov))
                    (local.get $hiv))
                  (local.get $zpv))
                (i32x4.add
                  (i32x4.min_s
                    (i32x4.max_s
                      (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (local.get $a3) (v128.load offset=48 (local.get $bo)))) (v128.load offset=48 (local.get $mo)))))
                      (local.get $lov))
                    (local.get $hiv))
                  (local.get $zpv))))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br $next16)))
        (block $doneO
          (loop $nextO
            (br_if $doneO (i32.ge_s (local.get $o) (local.get $outC8)))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $b0 (v128.const i32x4 0 0 0 0))
            (local.set $b1 (v128.const i32x4 0 0 0 0))
            (local.set $j (i32.const 0))
            (block $doneJ
              (loop $nextJ
                (br_if $doneJ (i32.ge_u (local.get $j) (local.get $kpBytes)))
                (local.set $sa (v128.load32_splat (i32.add (local.get $rowA) (local.get $j))))
                (local.set $sb (v128.load32_splat (i32.add (local.get $rowB) (local.get $j))))
                (local.set $w0 (v128.load (local.get $wq)))
                (local.set $w1 (v128.load (i32.add (local.get $wq) (local.get $half))))
                (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sa))))
                (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (local.get $w1) (local.get $sa))))
                (local.set $b0 (i32x4.add (local.get $b0) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sb))))
                (local.set $b1 (i32x4.add (local.get $b1) (i32x4.dot_i16x8_s (local.get $w1) (local.get $sb))))
                (local.set $wq (i32.add (local.get $wq) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $nextJ)))
            (local.set $wq (i32.add (local.get $wq) (local.get $half)))
            ;; Requantised as int8Dense's, eight channels of B then of A (A wins where B = A).
            (local.set $sa (v128.load (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
            (local.set $sb (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
            (local.set $w0 (v128.load (i32.add (local.get $mult) (i32.shl (local.get $o) (i32.const 2)))))
            (local.set $w1 (v128.load offset=16 (i32.add (local.get $mult) (i32.shl (local.get $o) (i32.const 2)))))
            (v128.store (i32.add (local.get $outB) (i32.shl (local.get $o) (i32.const 1)))
              (i16x8.narrow_i32x4_s
                (i32x4.add
                  (i32x4.min_s
                    (i32x4.max_s
                      (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (local.get $b0) (local.get $sa))) (local.get $w0))))
                      (local.get $lov))
                    (local.get $hiv))
                  (local.get $zpv))
                (i32x4.add
                  (i32x4.min_s
                    (i32x4.max_s
                      (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (local.get $b1) (local.get $sb))) (local.get $w1))))
                      (local.get $lov))
                    (local.get $hiv))
                  (local.get $zpv))))
            (v128.store (i32.add (local.get $outA) (i32.shl (local.get $o) (i32.const 1)))
              (i16x8.narrow_i32x4_s
                (i32x4.add
                  (i32x4.min_s
                    (i32x4.max_s
                      (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (local.get $a0) (local.get $sa))) (local.get $w0))))
                      (local.get $lov))
                    (local.get $hiv))
                  (local.get $zpv))
                (i32x4.add
                  (i32x4.min_s
                    (i32x4.max_s
                      (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (local.get $a1) (local.get $sb))) (local.get $w1))))
                      (local.get $lov))
                    (local.get $hiv))
                  (local.get $zpv))))
            (local.set $o (i32.add (local.get $o) (i32.const 8)))
            (br $nextO)))
        (local.set $q (i32.add (local.get $q) (i32.const 2)))
        (br $nextQ))))

  ;; Integer Winograd F(2×2, 3×3) for 3×3 stride-1 layers (the reference's sums, with 2.25× fewer
  ;; products). With G' = 2G (integers), U' = G'·g·G'ᵀ = 4·GgGᵀ (|U'| ≤ 9·127), V = Bᵀ·d·B on the
  ;; inputs minus their zero point (|V| ≤ 4·255), M = Σ_c U'⊙V and Aᵀ·M·A = 4·(Σ (x − zp)·w) exactly:
  ;; integer arithmetic, so the result is the direct sum's (i32 wraps cancel, as int8Dense's, while
  ;; 4·255·Σ|w| < 2³¹, which int8.ts checks).
  ;;
  ;; Input: for samples [s0, s1) and tiles [0, T), the 16 pixels of tile t at byte offsets
  ;; ind[t·16 + r·4 + c] in the sample's block (a pixel off the image: the zero-point pixel), eight
  ;; channels a step; V's plane ξ = r·4 + c at V + ξ·vPlane, row s·T + t of csBytes.
  (func (export "int8WinogradInput")
    (param $x i32) (param $xStep i32) (param $ind i32) (param $T i32) (param $csBytes i32) (param $zp i32)
    (param $V i32) (param $vPlane i32) (param $s0 i32) (param $s1 i32)
    (local $s i32) (local $t i32) (local $src i32) (local $it i32) (local $cv i32) (local $dst i32) (local $zpv v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32) (local $o4 i32) (local $o5 i32) (local $o6 i32) (local $o7 i32) (local $o8 i32) (local $o9 i32) (local $o10 i32) (local $o11 i32) (local $o12 i32) (local $o13 i32) (local $o14 i32) (local $o15 i32)
    (local.set $zpv (i16x8.splat (local.get $zp)))
    (local.set $s (local.get $s0))
    (block $doneS
      (loop $nextS
        (br_if $doneS (i32.ge_s (local.get $s) (local.get $s1)))
        (local.set $src (i32.add (local.get $x) (i32.mul (local.get $s) (local.get $xStep))))
        (local.set $t (i32.const 0))
        (block $doneT
          (loop $nextT
            (br_if $doneT (i32.ge_s (local.get $t) (local.get $T)))
            (local.set $it (i32.add (local.get $ind) (i32.shl (local.get $t) (i32.const 6))))
            (local.set $o0 (i32.add (local.get $src) (i32.load offset=0 (local.get $it))))
            (local.set $o1 (i32.add (local.get $src) (i32.load offset=4 (local.get $it))))
            (local.set $o2 (i32.add (local.get $src) (i32.load offset=8 (local.get $it))))
            (local.set $o3 (i32.add (local.get $src) (i32.load offset=12 (local.get $it))))
            (local.set $o4 (i32.add (local.get $src) (i32.load offset=16 (local.get $it))))
            (local.set $o5 (i32.add (local.get $src) (i32.load offset=20 (local.get $it))))
            (local.set $o6 (i32.add (local.get $src) (i32.load offset=24 (local.get $it))))
            (local.set $o7 (i32.add (local.get $src) (i32.load offset=28 (local.get $it))))
            (local.set $o8 (i32.add (local.get $src) (i32.load offset=32 (local.get $it))))
            (local.set $o9 (i32.add (local.get $src) (i32.load offset=36 (local.get $it))))
            (local.set $o10 (i32.add (local.get $src) (i32.load offset=40 (local.get $it))))
            (local.set $o11 (i32.add (local.get $src) (i32.load offset=44 (local.get $it))))
            (local.set $o12 (i32.add (local.get $src) (i32.load offset=48 (local.get $it))))
            (local.set $o13 (i32.add (local.get $src) (i32.load offset=52 (local.get $it))))
            (local.set $o14 (i32.add (local.get $src) (i32.load offset=56 (local.get $it))))
            (local.set $o15 (i32.add (local.get $src) (i32.load offset=60 (local.get $it))))
            (local.set $dst (i32.add (local.get $V) (i32.mul (i32.add (i32.mul (local.get $s) (local.get $T)) (local.get $t)) (local.get $csBytes))))
            (local.set $cv (i32.const 0))
            (block $doneC
              (loop $nextC
                (br_if $doneC (i32.ge_u (local.get $cv) (local.get $csBytes)))
                (local.set $t0 (i16x8.sub (i16x8.sub (v128.load (i32.add (local.get $o0) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o8) (local.get $cv))) (local.get $zpv))))
                (local.set $t1 (i16x8.sub (i16x8.sub (v128.load (i32.add (local.get $o1) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o9) (local.get $cv))) (local.get $zpv))))
                (local.set $t2 (i16x8.sub (i16x8.sub (v128.load (i32.add (local.get $o2) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o10) (local.get $cv))) (local.get $zpv))))
                (local.set $t3 (i16x8.sub (i16x8.sub (v128.load (i32.add (local.get $o3) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o11) (local.get $cv))) (local.get $zpv))))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 0) (local.get $vPlane))) (i16x8.sub (local.get $t0) (local.get $t2)))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 1) (local.get $vPlane))) (i16x8.add (local.get $t1) (local.get $t2)))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 2) (local.get $vPlane))) (i16x8.sub (local.get $t2) (local.get $t1)))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 3) (local.get $vPlane))) (i16x8.sub (local.get $t1) (local.get $t3)))
                (local.set $t0 (i16x8.add (i16x8.sub (v128.load (i32.add (local.get $o4) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o8) (local.get $cv))) (local.get $zpv))))
                (local.set $t1 (i16x8.add (i16x8.sub (v128.load (i32.add (local.get $o5) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o9) (local.get $cv))) (local.get $zpv))))
                (local.set $t2 (i16x8.add (i16x8.sub (v128.load (i32.add (local.get $o6) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o10) (local.get $cv))) (local.get $zpv))))
                (local.set $t3 (i16x8.add (i16x8.sub (v128.load (i32.add (local.get $o7) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o11) (local.get $cv))) (local.get $zpv))))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 4) (local.get $vPlane))) (i16x8.sub (local.get $t0) (local.get $t2)))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 5) (local.get $vPlane))) (i16x8.add (local.get $t1) (local.get $t2)))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 6) (local.get $vPlane))) (i16x8.sub (local.get $t2) (local.get $t1)))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 7) (local.get $vPlane))) (i16x8.sub (local.get $t1) (local.get $t3)))
                (local.set $t0 (i16x8.sub (i16x8.sub (v128.load (i32.add (local.get $o8) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o4) (local.get $cv))) (local.get $zpv))))
                (local.set $t1 (i16x8.sub (i16x8.sub (v128.load (i32.add (local.get $o9) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o5) (local.get $cv))) (local.get $zpv))))
                (local.set $t2 (i16x8.sub (i16x8.sub (v128.load (i32.add (local.get $o10) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o6) (local.get $cv))) (local.get $zpv))))
                (local.set $t3 (i16x8.sub (i16x8.sub (v128.load (i32.add (local.get $o11) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o7) (local.get $cv))) (local.get $zpv))))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 8) (local.get $vPlane))) (i16x8.sub (local.get $t0) (local.get $t2)))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 9) (local.get $vPlane))) (i16x8.add (local.get $t1) (local.get $t2)))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 10) (local.get $vPlane))) (i16x8.sub (local.get $t2) (local.get $t1)))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 11) (local.get $vPlane))) (i16x8.sub (local.get $t1) (local.get $t3)))
                (local.set $t0 (i16x8.sub (i16x8.sub (v128.load (i32.add (local.get $o4) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o12) (local.get $cv))) (local.get $zpv))))
                (local.set $t1 (i16x8.sub (i16x8.sub (v128.load (i32.add (local.get $o5) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o13) (local.get $cv))) (local.get $zpv))))
                (local.set $t2 (i16x8.sub (i16x8.sub (v128.load (i32.add (local.get $o6) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o14) (local.get $cv))) (local.get $zpv))))
                (local.set $t3 (i16x8.sub (i16x8.sub (v128.load (i32.add (local.get $o7) (local.get $cv))) (local.get $zpv)) (i16x8.sub (v128.load (i32.add (local.get $o15) (local.get $cv))) (local.get $zpv))))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 12) (local.get $vPlane))) (i16x8.sub (local.get $t0) (local.get $t2)))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 13) (local.get $vPlane))) (i16x8.add (local.get $t1) (local.get $t2)))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 14) (local.get $vPlane))) (i16x8.sub (local.get $t2) (local.get $t1)))
                (v128.store (i32.add (local.get $dst) (i32.mul (i32.const 15) (local.get $vPlane))) (i16x8.sub (local.get $t1) (local.get $t3)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                (local.set $cv (i32.add (local.get $cv) (i32.const 16)))
                (br $nextC)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $nextT)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $nextS))))

  ;; The 16 products of the transforms, M_ξ[q][o] = Σ_c U'_ξ[o][c]·V_ξ[q][c], for rows [q0, q1) of
  ;; every plane, as int8DensePairs (each lane an output channel, weight pairs times a splat of two
  ;; channels) but stored as raw i32 sums: M_ξ row q of outC8 at M + ξ·mPlane + q·outC8·4. U'_ξ at
  ;; U + ξ·uPlane in int8DensePairs' order over rows of csBytes.
  (func (export "int8WinogradGemm")
    (param $U i32) (param $uPlane i32) (param $V i32) (param $vPlane i32) (param $csBytes i32)
    (param $M i32) (param $mPlane i32) (param $outC8 i32) (param $q0 i32) (param $q1 i32)
    (local $xi i32) (local $q i32) (local $rowA i32) (local $rowB i32) (local $mA i32) (local $mB i32)
    (local $o i32) (local $wq i32) (local $half i32) (local $j i32) (local $u i32) (local $v i32) (local $m i32)
    (local $sa v128) (local $sb v128) (local $w0 v128) (local $w1 v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128)
    (local $a2 v128) (local $a3 v128) (local $b2 v128) (local $b3 v128) (local $half2 i32) (local $half3 i32)
    (local.set $half (i32.shl (local.get $csBytes) (i32.const 2)))
    (local.set $half2 (i32.shl (local.get $half) (i32.const 1)))
    (local.set $half3 (i32.add (local.get $half2) (local.get $half)))
    (local.set $xi (i32.const 0))
    (block $doneXi
      (loop $nextXi
        (br_if $doneXi (i32.ge_s (local.get $xi) (i32.const 16)))
        (local.set $u (i32.add (local.get $U) (i32.mul (local.get $xi) (local.get $uPlane))))
        (local.set $v (i32.add (local.get $V) (i32.mul (local.get $xi) (local.get $vPlane))))
        (local.set $m (i32.add (local.get $M) (i32.mul (local.get $xi) (local.get $mPlane))))
        (local.set $q (local.get $q0))
        (block $doneQ
          (loop $nextQ
            (br_if $doneQ (i32.ge_s (local.get $q) (local.get $q1)))
            (local.set $rowA (i32.add (local.get $v) (i32.mul (local.get $q) (local.get $csBytes))))
            (local.set $mA (i32.add (local.get $m) (i32.shl (i32.mul (local.get $q) (local.get $outC8)) (i32.const 2))))
            (if (i32.lt_s (i32.add (local.get $q) (i32.const 1)) (local.get $q1))
              (then
                (local.set $rowB (i32.add (local.get $rowA) (local.get $csBytes)))
                (local.set $mB (i32.add (local.get $mA) (i32.shl (local.get $outC8) (i32.const 2)))))
              (else
                (local.set $rowB (local.get $rowA))
                (local.set $mB (local.get $mA))))
            (local.set $o (i32.const 0))
            (local.set $wq (local.get $u))
            ;; Sixteen channels a tile while they last (eight accumulators), then eight.
            (block $done16
              (loop $next16
                (br_if $done16 (i32.gt_s (i32.add (local.get $o) (i32.const 16)) (local.get $outC8)))
                (local.set $a0 (v128.const i32x4 0 0 0 0))
                (local.set $a1 (v128.const i32x4 0 0 0 0))
                (local.set $a2 (v128.const i32x4 0 0 0 0))
                (local.set $a3 (v128.const i32x4 0 0 0 0))
                (local.set $b0 (v128.const i32x4 0 0 0 0))
                (local.set $b1 (v128.const i32x4 0 0 0 0))
                (local.set $b2 (v128.const i32x4 0 0 0 0))
                (local.set $b3 (v128.const i32x4 0 0 0 0))
                (local.set $j (i32.const 0))
                (block $doneJ16
                  (loop $nextJ16
                    (br_if $doneJ16 (i32.ge_u (local.get $j) (local.get $csBytes)))
                    (local.set $sa (v128.load32_splat (i32.add (local.get $rowA) (local.get $j))))
                    (local.set $sb (v128.load32_splat (i32.add (local.get $rowB) (local.get $j))))
                    (local.set $w0 (v128.load (local.get $wq)))
                    (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sa))))
                    (local.set $b0 (i32x4.add (local.get $b0) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sb))))
                    (local.set $w0 (v128.load (i32.add (local.get $wq) (local.get $half))))
                    (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sa))))
                    (local.set $b1 (i32x4.add (local.get $b1) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sb))))
                    (local.set $w0 (v128.load (i32.add (local.get $wq) (local.get $half2))))
                    (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sa))))
                    (local.set $b2 (i32x4.add (local.get $b2) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sb))))
                    (local.set $w0 (v128.load (i32.add (local.get $wq) (local.get $half3))))
                    (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sa))))
                    (local.set $b3 (i32x4.add (local.get $b3) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sb))))
                    (local.set $wq (i32.add (local.get $wq) (i32.const 16)))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (br $nextJ16)))
                (local.set $wq (i32.add (local.get $wq) (local.get $half3)))
                (v128.store (i32.add (local.get $mB) (i32.shl (local.get $o) (i32.const 2))) (local.get $b0))
                (v128.store offset=16 (i32.add (local.get $mB) (i32.shl (local.get $o) (i32.const 2))) (local.get $b1))
                (v128.store offset=32 (i32.add (local.get $mB) (i32.shl (local.get $o) (i32.const 2))) (local.get $b2))
                (v128.store offset=48 (i32.add (local.get $mB) (i32.shl (local.get $o) (i32.const 2))) (local.get $b3))
                (v128.store (i32.add (local.get $mA) (i32.shl (local.get $o) (i32.const 2))) (local.get $a0))
                (v128.store offset=16 (i32.add (local.get $mA) (i32.shl (local.get $o) (i32.const 2))) (local.get $a1))
                (v128.store offset=32 (i32.add (local.get $mA) (i32.shl (local.get $o) (i32.const 2))) (local.get $a2))
                (v128.store offset=48 (i32.add (local.get $mA) (i32.shl (local.get $o) (i32.const 2))) (local.get $a3))
                (local.set $o (i32.add (local.get $o) (i32.const 16)))
                (br $next16)))
            (block $doneO
              (loop $nextO
                (br_if $doneO (i32.ge_s (local.get $o) (local.get $outC8)))
                (local.set $a0 (v128.const i32x4 0 0 0 0))
                (local.set $a1 (v128.const i32x4 0 0 0 0))
                (local.set $b0 (v128.const i32x4 0 0 0 0))
                (local.set $b1 (v128.const i32x4 0 0 0 0))
                (local.set $j (i32.const 0))
                (block $doneJ
                  (loop $nextJ
                    (br_if $doneJ (i32.ge_u (local.get $j) (local.get $csBytes)))
                    (local.set $sa (v128.load32_splat (i32.add (local.get $rowA) (local.get $j))))
                    (local.set $sb (v128.load32_splat (i32.add (local.get $rowB) (local.get $j))))
                    (local.set $w0 (v128.load (local.get $wq)))
                    (local.set $w1 (v128.load (i32.add (local.get $wq) (local.get $half))))
                    (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sa))))
                    (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (local.get $w1) (local.get $sa))))
                    (local.set $b0 (i32x4.add (local.get $b0) (i32x4.dot_i16x8_s (local.get $w0) (local.get $sb))))
                    (local.set $b1 (i32x4.add (local.get $b1) (i32x4.dot_i16x8_s (local.get $w1) (local.get $sb))))
                    (local.set $wq (i32.add (local.get $wq) (i32.const 16)))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (br $nextJ)))
                (local.set $wq (i32.add (local.get $wq) (local.get $half)))
                (v128.store (i32.add (local.get $mB) (i32.shl (local.get $o) (i32.const 2))) (local.get $b0))
                (v128.store offset=16 (i32.add (local.get $mB) (i32.shl (local.get $o) (i32.const 2))) (local.get $b1))
                (v128.store (i32.add (local.get $mA) (i32.shl (local.get $o) (i32.const 2))) (local.get $a0))
                (v128.store offset=16 (i32.add (local.get $mA) (i32.shl (local.get $o) (i32.const 2))) (local.get $a1))
                (local.set $o (i32.add (local.get $o) (i32.const 8)))
                (br $nextO)))
            (local.set $q (i32.add (local.get $q) (i32.const 2)))
            (br $nextQ)))
        (local.set $xi (i32.add (local.get $xi) (i32.const 1)))
        (br $nextXi))))

  ;; Output: for rows [q0, q1) (q = s·T + t, tile t = ty·TW + tx), four channels a step: Aᵀ·M·A
  ;; (2×2 of 4·the sum: along each row of M first, a_r = m_r0 + m_r1 + m_r2 and b_r = m_r1 − m_r2 − m_r3,
  ;; then down those), shifted right by 2 (exact), plus the layer's own int32 bias, requantised as
  ;; int8Dense's and stored at the tile's output pixels inside outH × outW (a tile wholly inside
  ;; without a test a pixel). The tile's sample, row and column are counted on from q0's.
  (func (export "int8WinogradOutput")
    (param $M i32) (param $mPlane i32) (param $outC8 i32) (param $T i32) (param $TW i32)
    (param $bias i32) (param $mult i32) (param $out i32) (param $outStep i32) (param $csBytes i32)
    (param $outH i32) (param $outW i32) (param $zp i32) (param $lo i32) (param $hi i32) (param $q0 i32) (param $q1 i32)
    (local $q i32) (local $s i32) (local $t i32) (local $ty i32) (local $tx i32) (local $oy i32) (local $ox i32) (local $o i32)
    (local $at i32) (local $px i32) (local $rowBytes i32) (local $whole i32) (local $base i32)
    (local $bv v128) (local $mv v128) (local $zpv v128) (local $lov v128) (local $hiv v128) (local $r v128)
    (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local.set $zpv (i32x4.splat (local.get $zp)))
    (local.set $lov (i32x4.splat (local.get $lo)))
    (local.set $hiv (i32x4.splat (local.get $hi)))
    (local.set $rowBytes (i32.mul (local.get $outW) (local.get $csBytes)))
    (local.set $s (i32.div_u (local.get $q0) (local.get $T)))
    (local.set $t (i32.sub (local.get $q0) (i32.mul (local.get $s) (local.get $T))))
    (local.set $ty (i32.div_u (local.get $t) (local.get $TW)))
    (local.set $tx (i32.sub (local.get $t) (i32.mul (local.get $ty) (local.get $TW))))
    (local.set $q (local.get $q0))
    (block $doneQ
      (loop $nextQ
        (br_if $doneQ (i32.ge_s (local.get $q) (local.get $q1)))
        (local.set $oy (i32.shl (local.get $ty) (i32.const 1)))
        (local.set $ox (i32.shl (local.get $tx) (i32.const 1)))
        (local.set $whole (i32.and (i32.lt_s (i32.add (local.get $oy) (i32.const 1)) (local.get $outH)) (i32.lt_s (i32.add (local.get $ox) (i32.const 1)) (local.get $outW))))
        (local.set $base (i32.add (i32.add (local.get $out) (i32.mul (local.get $s) (local.get $outStep)))
          (i32.mul (i32.add (i32.mul (local.get $oy) (local.get $outW)) (local.get $ox)) (local.get $csBytes))))
        (local.set $o (i32.const 0))
        (block $doneO
          (loop $nextO
            (br_if $doneO (i32.ge_s (local.get $o) (local.get $outC8)))
            (local.set $at (i32.add (local.get $M) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $outC8)) (local.get $o)) (i32.const 2))))
            (local.set $m0 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 0) (local.get $mPlane)))))
            (local.set $m1 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 1) (local.get $mPlane)))))
            (local.set $m2 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 2) (local.get $mPlane)))))
            (local.set $m3 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 3) (local.get $mPlane)))))
            (local.set $a0 (i32x4.add (i32x4.add (local.get $m0) (local.get $m1)) (local.get $m2)))
            (local.set $b0 (i32x4.sub (i32x4.sub (local.get $m1) (local.get $m2)) (local.get $m3)))
            (local.set $m0 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 4) (local.get $mPlane)))))
            (local.set $m1 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 5) (local.get $mPlane)))))
            (local.set $m2 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 6) (local.get $mPlane)))))
            (local.set $m3 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 7) (local.get $mPlane)))))
            (local.set $a1 (i32x4.add (i32x4.add (local.get $m0) (local.get $m1)) (local.get $m2)))
            (local.set $b1 (i32x4.sub (i32x4.sub (local.get $m1) (local.get $m2)) (local.get $m3)))
            (local.set $m0 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 8) (local.get $mPlane)))))
            (local.set $m1 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 9) (local.get $mPlane)))))
            (local.set $m2 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 10) (local.get $mPlane)))))
            (local.set $m3 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 11) (local.get $mPlane)))))
            (local.set $a2 (i32x4.add (i32x4.add (local.get $m0) (local.get $m1)) (local.get $m2)))
            (local.set $b2 (i32x4.sub (i32x4.sub (local.get $m1) (local.get $m2)) (local.get $m3)))
            (local.set $m0 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 12) (local.get $mPlane)))))
            (local.set $m1 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 13) (local.get $mPlane)))))
            (local.set $m2 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 14) (local.get $mPlane)))))
            (local.set $m3 (v128.load (i32.add (local.get $at) (i32.mul (i32.const 15) (local.get $mPlane)))))
            (local.set $a3 (i32x4.add (i32x4.add (local.get $m0) (local.get $m1)) (local.get $m2)))
            (local.set $b3 (i32x4.sub (i32x4.sub (local.get $m1) (local.get $m2)) (local.get $m3)))
            (local.set $bv (v128.load (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2)))))
            (local.set $mv (v128.load (i32.add (local.get $mult) (i32.shl (local.get $o) (i32.const 2)))))
            (local.set $px (i32.add (local.get $base) (i32.shl (local.get $o) (i32.const 1))))
            (v128.store64_lane 0 (local.get $px)
              (i16x8.narrow_i32x4_s (local.tee $r (i32x4.add
              (i32x4.min_s
                (i32x4.max_s
                  (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (i32x4.shr_s (i32x4.add (i32x4.add (local.get $a0) (local.get $a1)) (local.get $a2)) (i32.const 2)) (local.get $bv))) (local.get $mv))))
                  (local.get $lov))
                (local.get $hiv))
              (local.get $zpv))) (local.get $r)))
            (if (i32.or (local.get $whole) (i32.lt_s (i32.add (local.get $ox) (i32.const 1)) (local.get $outW))) (then
            (v128.store64_lane 0 (i32.add (local.get $px) (local.get $csBytes))
              (i16x8.narrow_i32x4_s (local.tee $r (i32x4.add
              (i32x4.min_s
                (i32x4.max_s
                  (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (i32x4.shr_s (i32x4.add (i32x4.add (local.get $b0) (local.get $b1)) (local.get $b2)) (i32.const 2)) (local.get $bv))) (local.get $mv))))
                  (local.get $lov))
                (local.get $hiv))
              (local.get $zpv))) (local.get $r)))))
            (if (i32.or (local.get $whole) (i32.lt_s (i32.add (local.get $oy) (i32.const 1)) (local.get $outH))) (then
            (v128.store64_lane 0 (i32.add (local.get $px) (local.get $rowBytes))
              (i16x8.narrow_i32x4_s (local.tee $r (i32x4.add
              (i32x4.min_s
                (i32x4.max_s
                  (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (i32x4.shr_s (i32x4.sub (i32x4.sub (local.get $a1) (local.get $a2)) (local.get $a3)) (i32.const 2)) (local.get $bv))) (local.get $mv))))
                  (local.get $lov))
                (local.get $hiv))
              (local.get $zpv))) (local.get $r)))))
            (if (local.get $whole) (then
            (v128.store64_lane 0 (i32.add (local.get $px) (i32.add (local.get $rowBytes) (local.get $csBytes)))
              (i16x8.narrow_i32x4_s (local.tee $r (i32x4.add
              (i32x4.min_s
                (i32x4.max_s
                  (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (i32x4.add (i32x4.shr_s (i32x4.sub (i32x4.sub (local.get $b1) (local.get $b2)) (local.get $b3)) (i32.const 2)) (local.get $bv))) (local.get $mv))))
                  (local.get $lov))
                (local.get $hiv))
              (local.get $zpv))) (local.get $r)))))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $nextO)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (local.set $tx (i32.add (local.get $tx) (i32.const 1)))
        (if (i32.eq (local.get $tx) (local.get $TW)) (then (local.set $tx (i32.const 0)) (local.set $ty (i32.add (local.get $ty) (i32.const 1)))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (if (i32.eq (local.get $t) (local.get $T)) (then (local.set $t (i32.const 0)) (local.set $ty (i32.const 0)) (local.set $tx (i32.const 0)) (local.set $s (i32.add (local.get $s) (i32.const 1)))))
        (br $nextQ))))

;; A depthwise convolution (groups = channels, one filter per channel: MobileNet's) over positions
  ;; [q0, q1) of the batch (q = s·P + p), eight channels a step: each tap's eight input values at
  ;; `x + s·xStep + ind[p·taps + t] + c` (a padded tap: the block's zero-point pixel) times the tap's
  ;; eight weights (`w + t·csBytes + c`), widened to i32 by `i32x4.extmul_*_i16x8_s` and summed onto
  ;; bias' = b − zp_x·Σw; requantised as int8Dense does, stored at `out + s·outStep + p·csBytes + c`.
  ;; The input and output blocks have the same channels per pixel (csBytes, a multiple of 16).
  (func (export "int8Depthwise")
    (param $w i32) (param $bias i32) (param $mult i32) (param $ind i32) (param $taps i32) (param $csBytes i32) (param $P i32)
    (param $x i32) (param $xStep i32) (param $out i32) (param $outStep i32) (param $q0 i32) (param $q1 i32)
    (param $zp i32) (param $lo i32) (param $hi i32)
    (local $q i32) (local $s i32) (local $p i32) (local $base i32) (local $row i32) (local $dst i32) (local $c i32)
    (local $t i32) (local $wt i32) (local $end i32) (local $xv v128) (local $wv v128) (local $a0 v128) (local $a1 v128)
    (local $zpv v128) (local $lov v128) (local $hiv v128)
    (local.set $zpv (i32x4.splat (local.get $zp)))
    (local.set $lov (i32x4.splat (local.get $lo)))
    (local.set $hiv (i32x4.splat (local.get $hi)))
    (local.set $q (local.get $q0))
    (block $doneQ
      (loop $nextQ
        (br_if $doneQ (i32.ge_s (local.get $q) (local.get $q1)))
        (local.set $s (i32.div_u (local.get $q) (local.get $P)))
        (local.set $p (i32.sub (local.get $q) (i32.mul (local.get $s) (local.get $P))))
        (local.set $base (i32.add (local.get $x) (i32.mul (local.get $s) (local.get $xStep))))
        (local.set $row (i32.add (local.get $ind) (i32.shl (i32.mul (local.get $p) (local.get $taps)) (i32.const 2))))
        (local.set $dst (i32.add (i32.add (local.get $out) (i32.mul (local.get $s) (local.get $outStep))) (i32.mul (local.get $p) (local.get $csBytes))))
        (local.set $c (i32.const 0))
        (block $doneC
          (loop $nextC
            (br_if $doneC (i32.ge_s (local.get $c) (local.get $csBytes)))
            (local.set $a0 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $c) (i32.const 1)))))
            (local.set $a1 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $c) (i32.const 1)))))
            (local.set $wt (i32.add (local.get $w) (local.get $c)))
            (local.set $t (local.get $row))
            (local.set $end (i32.add (local.get $row) (i32.shl (local.get $taps) (i32.const 2))))
            (block $doneT
              (loop $nextT
                (br_if $doneT (i32.ge_u (local.get $t) (local.get $end)))
                (local.set $xv (v128.load (i32.add (i32.add (local.get $base) (i32.load (local.get $t))) (local.get $c))))
                (local.set $wv (v128.load (local.get $wt)))
                (local.set $a0 (i32x4.add (local.get $a0) (i32x4.extmul_low_i16x8_s (local.get $xv) (local.get $wv))))
                (local.set $a1 (i32x4.add (local.get $a1) (i32x4.extmul_high_i16x8_s (local.get $xv) (local.get $wv))))
                (local.set $wt (i32.add (local.get $wt) (local.get $csBytes)))
                (local.set $t (i32.add (local.get $t) (i32.const 4)))
                (br $nextT)))
            (local.set $a0 (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (local.get $a0))
              (v128.load (i32.add (local.get $mult) (i32.shl (local.get $c) (i32.const 1))))))))
            (local.set $a1 (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (f32x4.convert_i32x4_s (local.get $a1))
              (v128.load offset=16 (i32.add (local.get $mult) (i32.shl (local.get $c) (i32.const 1))))))))
            (local.set $a0 (i32x4.add (i32x4.min_s (i32x4.max_s (local.get $a0) (local.get $lov)) (local.get $hiv)) (local.get $zpv)))
            (local.set $a1 (i32x4.add (i32x4.min_s (i32x4.max_s (local.get $a1) (local.get $lov)) (local.get $hiv)) (local.get $zpv)))
            (v128.store (i32.add (local.get $dst) (local.get $c)) (i16x8.narrow_i32x4_s (local.get $a0) (local.get $a1)))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $nextC)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $nextQ))))

;; A float op's integer form as a table (core/quantize/forms.ts): for samples [s0, s1), `c` channels
  ;; of `hw` pixels, out = table[x] (uint8 entries). Pixels are xPix / outPix bytes apart (a Concat's
  ;; input goes to its channels of the output: `out` is offset by the channels before it).
  (func (export "int8Table")
    (param $table i32) (param $x i32) (param $xStep i32) (param $xPix i32)
    (param $out i32) (param $outStep i32) (param $outPix i32) (param $hw i32) (param $c i32) (param $s0 i32) (param $s1 i32)
    (local $s i32) (local $p i32) (local $src i32) (local $dst i32) (local $end i32) (local $end16 i32)
    (local $v v128) (local $u v128) (local $r v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128) (local $t4 v128) (local $t5 v128) (local $t6 v128) (local $t7 v128) (local $t8 v128) (local $t9 v128) (local $t10 v128) (local $t11 v128) (local $t12 v128) (local $t13 v128) (local $t14 v128) (local $t15 v128)
    (local.set $t0 (v128.load offset=0 (local.get $table)))
    (local.set $t1 (v128.load offset=16 (local.get $table)))
    (local.set $t2 (v128.load offset=32 (local.get $table)))
    (local.set $t3 (v128.load offset=48 (local.get $table)))
    (local.set $t4 (v128.load offset=64 (local.get $table)))
    (local.set $t5 (v128.load offset=80 (local.get $table)))
    (local.set $t6 (v128.load offset=96 (local.get $table)))
    (local.set $t7 (v128.load offset=112 (local.get $table)))
    (local.set $t8 (v128.load offset=128 (local.get $table)))
    (local.set $t9 (v128.load offset=144 (local.get $table)))
    (local.set $t10 (v128.load offset=160 (local.get $table)))
    (local.set $t11 (v128.load offset=176 (local.get $table)))
    (local.set $t12 (v128.load offset=192 (local.get $table)))
    (local.set $t13 (v128.load offset=208 (local.get $table)))
    (local.set $t14 (v128.load offset=224 (local.get $table)))
    (local.set $t15 (v128.load offset=240 (local.get $table)))
    (local.set $s (local.get $s0))
    (block $doneS
      (loop $nextS
        (br_if $doneS (i32.ge_s (local.get $s) (local.get $s1)))
        (local.set $p (i32.const 0))
        (block $doneP
          (loop $nextP
            (br_if $doneP (i32.ge_s (local.get $p) (local.get $hw)))
            (local.set $src (i32.add (i32.add (local.get $x) (i32.mul (local.get $s) (local.get $xStep))) (i32.mul (local.get $p) (local.get $xPix))))
            (local.set $dst (i32.add (i32.add (local.get $out) (i32.mul (local.get $s) (local.get $outStep))) (i32.mul (local.get $p) (local.get $outPix))))
            (local.set $end (i32.add (local.get $src) (i32.shl (local.get $c) (i32.const 1))))
            (local.set $end16 (i32.sub (local.get $end) (i32.const 32)))
            ;; Sixteen values a step: i8x16.swizzle of each sixteenth of the table by the values less
            ;; 16·k (an index past 15 gives 0), or'ed (the U-Net's Concats 31 → 17 µs); then one by one.
            (block $done16
              (loop $next16
                (br_if $done16 (i32.gt_s (local.get $src) (local.get $end16)))
                (local.set $v (i8x16.narrow_i16x8_u (v128.load (local.get $src)) (v128.load offset=16 (local.get $src))))
                (local.set $u (local.get $v))
                (local.set $r (i8x16.swizzle (local.get $t0) (local.get $u)))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t1) (local.get $u))))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t2) (local.get $u))))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t3) (local.get $u))))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t4) (local.get $u))))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t5) (local.get $u))))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t6) (local.get $u))))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t7) (local.get $u))))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t8) (local.get $u))))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t9) (local.get $u))))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t10) (local.get $u))))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t11) (local.get $u))))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t12) (local.get $u))))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t13) (local.get $u))))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t14) (local.get $u))))
                (local.set $u (i8x16.sub (local.get $u) (v128.const i8x16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16 16)))
                (local.set $r (v128.or (local.get $r) (i8x16.swizzle (local.get $t15) (local.get $u))))
                (v128.store (local.get $dst) (i16x8.extend_low_i8x16_u (local.get $r)))
                (v128.store offset=16 (local.get $dst) (i16x8.extend_high_i8x16_u (local.get $r)))
                (local.set $src (i32.add (local.get $src) (i32.const 32)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (br $next16)))
            (block $doneC
              (loop $nextC
                (br_if $doneC (i32.ge_u (local.get $src) (local.get $end)))
                (i32.store16 (local.get $dst) (i32.load8_u (i32.add (local.get $table) (i32.load16_u (local.get $src)))))
                (local.set $src (i32.add (local.get $src) (i32.const 2)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 2)))
                (br $nextC)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $nextP)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $nextS))))

  ;; An elementwise op of two inputs as a table of 65,536 uint8 entries: out = table[a·256 + b]. An
  ;; input given once per channel (a squeeze-and-excitation gate) has 0 bytes between its pixels.
  (func (export "int8Table2")
    (param $table i32) (param $a i32) (param $aStep i32) (param $aPix i32) (param $b i32) (param $bStep i32) (param $bPix i32)
    (param $out i32) (param $outStep i32) (param $outPix i32) (param $hw i32) (param $c i32) (param $s0 i32) (param $s1 i32)
    (local $s i32) (local $p i32) (local $pa i32) (local $pb i32) (local $dst i32) (local $end i32)
    (local.set $s (local.get $s0))
    (block $doneS
      (loop $nextS
        (br_if $doneS (i32.ge_s (local.get $s) (local.get $s1)))
        (local.set $p (i32.const 0))
        (block $doneP
          (loop $nextP
            (br_if $doneP (i32.ge_s (local.get $p) (local.get $hw)))
            (local.set $pa (i32.add (i32.add (local.get $a) (i32.mul (local.get $s) (local.get $aStep))) (i32.mul (local.get $p) (local.get $aPix))))
            (local.set $pb (i32.add (i32.add (local.get $b) (i32.mul (local.get $s) (local.get $bStep))) (i32.mul (local.get $p) (local.get $bPix))))
            (local.set $dst (i32.add (i32.add (local.get $out) (i32.mul (local.get $s) (local.get $outStep))) (i32.mul (local.get $p) (local.get $outPix))))
            (local.set $end (i32.add (local.get $pa) (i32.shl (local.get $c) (i32.const 1))))
            (block $doneC
              (loop $nextC
                (br_if $doneC (i32.ge_u (local.get $pa) (local.get $end)))
                (i32.store16 (local.get $dst) (i32.load8_u (i32.add (local.get $table)
                  (i32.or (i32.shl (i32.load16_u (local.get $pa)) (i32.const 8)) (i32.load16_u (local.get $pb))))))
                (local.set $pa (i32.add (local.get $pa) (i32.const 2)))
                (local.set $pb (i32.add (local.get $pb) (i32.const 2)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 2)))
                (br $nextC)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $nextP)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $nextS))))

  ;; A global average pool as the float op computes it: each channel's values through a table of 256
  ;; float64 (the dequantised float32 values) summed in pixel order, divided by hw, rounded to float32,
  ;; quantised as QuantizeLinear (sat(nearest(y / scale) + zp), the division in float32), for samples [s0, s1).
  (func (export "int8Mean")
    (param $table i32) (param $x i32) (param $xStep i32) (param $xPix i32) (param $hw i32) (param $c i32)
    (param $scale f32) (param $zp i32) (param $out i32) (param $outStep i32) (param $s0 i32) (param $s1 i32)
    (local $s i32) (local $ch i32) (local $src i32) (local $end i32) (local $sum f64) (local $r i32)
    (local.set $s (local.get $s0))
    (block $doneS
      (loop $nextS
        (br_if $doneS (i32.ge_s (local.get $s) (local.get $s1)))
        (local.set $ch (i32.const 0))
        (block $doneC
          (loop $nextC
            (br_if $doneC (i32.ge_s (local.get $ch) (local.get $c)))
            (local.set $src (i32.add (i32.add (local.get $x) (i32.mul (local.get $s) (local.get $xStep))) (i32.shl (local.get $ch) (i32.const 1))))
            (local.set $end (i32.add (local.get $src) (i32.mul (local.get $hw) (local.get $xPix))))
            (local.set $sum (f64.const 0))
            (block $doneP
              (loop $nextP
                (br_if $doneP (i32.ge_u (local.get $src) (local.get $end)))
                (local.set $sum (f64.add (local.get $sum) (f64.load (i32.add (local.get $table) (i32.shl (i32.load16_u (local.get $src)) (i32.const 3))))))
                (local.set $src (i32.add (local.get $src) (local.get $xPix)))
                (br $nextP)))
            ;; Clamped before the zero point is added (a saturated i32 would wrap).
            (local.set $r (i32.trunc_sat_f32_s (f32.nearest (f32.div (f32.demote_f64 (f64.div (local.get $sum) (f64.convert_i32_s (local.get $hw)))) (local.get $scale)))))
            (if (i32.lt_s (local.get $r) (i32.sub (i32.const 0) (local.get $zp))) (then (local.set $r (i32.sub (i32.const 0) (local.get $zp)))))
            (if (i32.gt_s (local.get $r) (i32.sub (i32.const 255) (local.get $zp))) (then (local.set $r (i32.sub (i32.const 255) (local.get $zp)))))
            (i32.store16 (i32.add (i32.add (local.get $out) (i32.mul (local.get $s) (local.get $outStep))) (i32.shl (local.get $ch) (i32.const 1))) (i32.add (local.get $r) (local.get $zp)))
            (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
            (br $nextC)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $nextS))))

  ;; A first layer with few input channels unfolded (im2col) for samples [s0, s1): output pixel p's
  ;; row of kpBytes (a multiple of 4) holds its taps in (ky, kx, c) order, a padded tap the zero
  ;; point, then zeros.
  (func (export "int8Im2col")
    (param $x i32) (param $xStep i32) (param $cs i32) (param $c i32) (param $h i32) (param $w i32)
    (param $oh i32) (param $ow i32) (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32)
    (param $ph i32) (param $pw i32) (param $dh i32) (param $dw i32) (param $zp i32)
    (param $cols i32) (param $kpBytes i32) (param $s0 i32) (param $s1 i32)
    (local $s i32) (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32) (local $ci i32)
    (local $iy i32) (local $ix i32) (local $row i32) (local $at i32) (local $src i32) (local $j i32) (local $inside i32) (local $fast i32) (local $wide i32) (local $zpv v128)
    ;; The one-channel fast path needs rows of 3·kh + 1 values (kh odd), one channel a pixel, no dilation across.
    (local.set $fast (i32.and (i32.and (i32.and (i32.eq (local.get $c) (i32.const 1)) (i32.eq (local.get $cs) (i32.const 1)))
      (i32.and (i32.eq (local.get $kw) (i32.const 3)) (i32.eq (local.get $dw) (i32.const 1))))
      (i32.eq (local.get $kpBytes) (i32.add (i32.mul (local.get $kh) (i32.const 6)) (i32.const 2)))))
    ;; A wide block (eight or more values a pixel) of fewer than eight channels: each tap one vector
    ;; copy, its lanes past c overwritten by the next tap's, the last one's inside the row's (kk − 1)·c + 8
    ;; values (their weights zero); an RGB U-Net's first layer, rows of 27 values in 32.
    (local.set $wide (i32.and (i32.ge_s (local.get $cs) (i32.const 8)) (i32.lt_s (local.get $c) (i32.const 8))))
    (local.set $zpv (i16x8.splat (local.get $zp)))
    (local.set $s (local.get $s0))
    (block $doneS
      (loop $nextS
        (br_if $doneS (i32.ge_s (local.get $s) (local.get $s1)))
        (local.set $src (i32.add (local.get $x) (i32.mul (local.get $s) (local.get $xStep))))
        (local.set $row (i32.add (local.get $cols) (i32.mul (i32.mul (local.get $s) (i32.mul (local.get $oh) (local.get $ow))) (local.get $kpBytes))))
        (local.set $oy (i32.const 0))
        (block $doneY
          (loop $nextY
            (br_if $doneY (i32.ge_s (local.get $oy) (local.get $oh)))
            (local.set $ox (i32.const 0))
            (block $doneX
              (loop $nextX
                (br_if $doneX (i32.ge_s (local.get $ox) (local.get $ow)))
                ;; One channel, 3 taps wide, every tap on the image: each kernel row's three values are one
                ;; 8-byte copy (its fourth value lands where the next row's first goes, or in the pad slot).
                (local.set $iy (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $ph)))
                (local.set $ix (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $pw)))
                (if (i32.and (local.get $fast)
                      (i32.and
                        (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (i32.add (local.get $iy) (i32.mul (i32.sub (local.get $kh) (i32.const 1)) (local.get $dh))) (local.get $h)))
                        (i32.and (i32.ge_s (local.get $ix) (i32.const 0)) (i32.lt_s (i32.add (local.get $ix) (i32.const 2)) (local.get $w)))))
                  (then
                    (local.set $ky (i32.const 0))
                    (block $doneF
                      (loop $nextF
                        (br_if $doneF (i32.ge_s (local.get $ky) (local.get $kh)))
                        (i64.store (i32.add (local.get $row) (i32.mul (local.get $ky) (i32.const 6)))
                          (i64.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (i32.add (local.get $iy) (i32.mul (local.get $ky) (local.get $dh))) (local.get $w)) (local.get $ix)) (i32.const 1)))))
                        (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
                        (br $nextF)))
                    (i32.store16 (i32.add (local.get $row) (i32.mul (local.get $kh) (i32.const 6))) (i32.const 0)))
                  (else (if (local.get $wide)
                  (then
                    ;; Every tap one vector copy, c values apart (the row holds (kk − 1)·c + 8 values or more);
                    ;; a pixel whose taps are all on the image reads them by a pointer stepped along.
                    (local.set $at (local.get $row))
                    (local.set $iy (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $ph)))
                    (local.set $ix (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $pw)))
                    (if (i32.and
                          (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (i32.add (local.get $iy) (i32.mul (i32.sub (local.get $kh) (i32.const 1)) (local.get $dh))) (local.get $h)))
                          (i32.and (i32.ge_s (local.get $ix) (i32.const 0)) (i32.lt_s (i32.add (local.get $ix) (i32.mul (i32.sub (local.get $kw) (i32.const 1)) (local.get $dw))) (local.get $w))))
                      (then
                        (local.set $ky (i32.const 0))
                        (block $doneIy
                          (loop $nextIy
                            (br_if $doneIy (i32.ge_s (local.get $ky) (local.get $kh)))
                            (local.set $j (i32.add (local.get $src) (i32.shl (i32.mul (i32.add (i32.mul (i32.add (local.get $iy) (i32.mul (local.get $ky) (local.get $dh))) (local.get $w)) (local.get $ix)) (local.get $cs)) (i32.const 1))))
                            (local.set $kx (i32.const 0))
                            (block $doneIx
                              (loop $nextIx
                                (br_if $doneIx (i32.ge_s (local.get $kx) (local.get $kw)))
                                (v128.store (local.get $at) (v128.load (local.get $j)))
                                (local.set $at (i32.add (local.get $at) (i32.shl (local.get $c) (i32.const 1))))
                                (local.set $j (i32.add (local.get $j) (i32.shl (i32.mul (local.get $dw) (local.get $cs)) (i32.const 1))))
                                (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                                (br $nextIx)))
                            (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
                            (br $nextIy)))
                        (local.set $ky (local.get $kh)))
                      (else (local.set $ky (i32.const 0))))
                    (block $doneWy
                      (loop $nextWy
                        (br_if $doneWy (i32.ge_s (local.get $ky) (local.get $kh)))
                        (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $ph)) (i32.mul (local.get $ky) (local.get $dh))))
                        (local.set $kx (i32.const 0))
                        (block $doneWx
                          (loop $nextWx
                            (br_if $doneWx (i32.ge_s (local.get $kx) (local.get $kw)))
                            (local.set $ix (i32.add (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $pw)) (i32.mul (local.get $kx) (local.get $dw))))
                            (v128.store (local.get $at)
                              (if (result v128) (i32.and (i32.lt_u (local.get $iy) (local.get $h)) (i32.lt_u (local.get $ix) (local.get $w)))
                                (then (v128.load (i32.add (local.get $src) (i32.shl (i32.mul (i32.add (i32.mul (local.get $iy) (local.get $w)) (local.get $ix)) (local.get $cs)) (i32.const 1)))))
                                (else (local.get $zpv))))
                            (local.set $at (i32.add (local.get $at) (i32.shl (local.get $c) (i32.const 1))))
                            (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                            (br $nextWx)))
                        (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
                        (br $nextWy))))
                  (else
                    (local.set $j (i32.const 0))
                    (block $doneZ
                      (loop $nextZ
                        (br_if $doneZ (i32.ge_s (local.get $j) (local.get $kpBytes)))
                        (i32.store (i32.add (local.get $row) (local.get $j)) (i32.const 0))
                        (local.set $j (i32.add (local.get $j) (i32.const 4)))
                        (br $nextZ)))
                    (local.set $at (local.get $row))
                    (local.set $ky (i32.const 0))
                    (block $doneKy
                      (loop $nextKy
                        (br_if $doneKy (i32.ge_s (local.get $ky) (local.get $kh)))
                        (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $ph)) (i32.mul (local.get $ky) (local.get $dh))))
                        (local.set $kx (i32.const 0))
                        (block $doneKx
                          (loop $nextKx
                            (br_if $doneKx (i32.ge_s (local.get $kx) (local.get $kw)))
                            (local.set $ix (i32.add (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $pw)) (i32.mul (local.get $kx) (local.get $dw))))
                            (local.set $inside (i32.and (i32.lt_u (local.get $iy) (local.get $h)) (i32.lt_u (local.get $ix) (local.get $w))))
                            (local.set $ci (i32.const 0))
                            (block $doneC
                              (loop $nextC
                                (br_if $doneC (i32.ge_s (local.get $ci) (local.get $c)))
                                (i32.store16 (local.get $at)
                                  (if (result i32) (local.get $inside)
                                    (then (i32.load16_s (i32.add (local.get $src)
                                      (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $iy) (local.get $w)) (local.get $ix)) (local.get $cs)) (local.get $ci)) (i32.const 1)))))
                                    (else (local.get $zp))))
                                (local.set $at (i32.add (local.get $at) (i32.const 2)))
                                (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
                                (br $nextC)))
                            (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                            (br $nextKx)))
                        (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
                        (br $nextKy)))
                  ))))
                (local.set $row (i32.add (local.get $row) (local.get $kpBytes)))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $nextX)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $nextY)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $nextS))))

  ;; A max pool for samples [s0, s1), eight channels a step (csBytes: a multiple of 16), windows
  ;; clipped to the image (padding never wins, as the reference's −∞).
  (func (export "int8MaxPool")
    (param $x i32) (param $xStep i32) (param $out i32) (param $outStep i32) (param $csBytes i32)
    (param $h i32) (param $w i32) (param $oh i32) (param $ow i32) (param $kh i32) (param $kw i32)
    (param $sh i32) (param $sw i32) (param $ph i32) (param $pw i32) (param $s0 i32) (param $s1 i32)
    (local $s i32) (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32) (local $iy i32) (local $ix i32)
    (local $c i32) (local $src i32) (local $dst i32) (local $m v128) (local $fast i32)
    (local.set $fast (i32.and
      (i32.and (i32.and (i32.eq (local.get $kh) (i32.const 2)) (i32.eq (local.get $kw) (i32.const 2)))
        (i32.and (i32.eq (local.get $sh) (i32.const 2)) (i32.eq (local.get $sw) (i32.const 2))))
      (i32.and (i32.and (i32.eqz (local.get $ph)) (i32.eqz (local.get $pw)))
        (i32.and (i32.le_s (i32.shl (local.get $oh) (i32.const 1)) (local.get $h)) (i32.le_s (i32.shl (local.get $ow) (i32.const 1)) (local.get $w))))))
    (local.set $s (local.get $s0))
    (block $doneS
      (loop $nextS
        (br_if $doneS (i32.ge_s (local.get $s) (local.get $s1)))
        (local.set $src (i32.add (local.get $x) (i32.mul (local.get $s) (local.get $xStep))))
        (local.set $dst (i32.add (local.get $out) (i32.mul (local.get $s) (local.get $outStep))))
        ;; 2×2 windows, stride 2, no padding (a U-Net's): four loads a vector, the rows by pointers
        ;; stepped along (the U-Net's two pools 8.7 → 4.1 µs); else the general loops below.
        (if (local.get $fast)
          (then
            (local.set $oy (i32.const 0))
            (block $doneY2
              (loop $nextY2
                (br_if $doneY2 (i32.ge_s (local.get $oy) (local.get $oh)))
                ;; $iy: the window's top row in the input, $ix: the output row's first vector.
                (local.set $iy (i32.add (local.get $src) (i32.mul (i32.mul (i32.shl (local.get $oy) (i32.const 1)) (local.get $w)) (local.get $csBytes))))
                (local.set $ix (i32.add (local.get $dst) (i32.mul (i32.mul (local.get $oy) (local.get $ow)) (local.get $csBytes))))
                (local.set $kx (i32.add (local.get $ix) (i32.mul (local.get $ow) (local.get $csBytes))))
                (local.set $ky (i32.mul (local.get $w) (local.get $csBytes)))
                (block $doneX2
                  (loop $nextX2
                    (br_if $doneX2 (i32.ge_u (local.get $ix) (local.get $kx)))
                    (local.set $c (i32.const 0))
                    (block $doneC2
                      (loop $nextC2
                        (br_if $doneC2 (i32.ge_s (local.get $c) (local.get $csBytes)))
                        (v128.store (i32.add (local.get $ix) (local.get $c))
                          (i16x8.max_s
                            (i16x8.max_s (v128.load (i32.add (local.get $iy) (local.get $c))) (v128.load (i32.add (i32.add (local.get $iy) (local.get $csBytes)) (local.get $c))))
                            (i16x8.max_s (v128.load (i32.add (i32.add (local.get $iy) (local.get $ky)) (local.get $c)))
                              (v128.load (i32.add (i32.add (i32.add (local.get $iy) (local.get $ky)) (local.get $csBytes)) (local.get $c))))))
                        (local.set $c (i32.add (local.get $c) (i32.const 16)))
                        (br $nextC2)))
                    (local.set $iy (i32.add (local.get $iy) (i32.shl (local.get $csBytes) (i32.const 1))))
                    (local.set $ix (i32.add (local.get $ix) (local.get $csBytes)))
                    (br $nextX2)))
                (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
                (br $nextY2)))
            ))
        (local.set $oy (select (local.get $oh) (i32.const 0) (local.get $fast)))
        (block $doneY
          (loop $nextY
            (br_if $doneY (i32.ge_s (local.get $oy) (local.get $oh)))
            (local.set $ox (i32.const 0))
            (block $doneX
              (loop $nextX
                (br_if $doneX (i32.ge_s (local.get $ox) (local.get $ow)))
                (local.set $c (i32.const 0))
                (block $doneC
                  (loop $nextC
                    (br_if $doneC (i32.ge_s (local.get $c) (local.get $csBytes)))
                    (local.set $m (i16x8.splat (i32.const -32768)))
                    (local.set $ky (i32.const 0))
                    (block $doneKy
                      (loop $nextKy
                        (br_if $doneKy (i32.ge_s (local.get $ky) (local.get $kh)))
                        (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $ph)) (local.get $ky)))
                        (if (i32.lt_u (local.get $iy) (local.get $h))
                          (then
                            (local.set $kx (i32.const 0))
                            (block $doneKx
                              (loop $nextKx
                                (br_if $doneKx (i32.ge_s (local.get $kx) (local.get $kw)))
                                (local.set $ix (i32.add (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $pw)) (local.get $kx)))
                                (if (i32.lt_u (local.get $ix) (local.get $w))
                                  (then
                                    (local.set $m (i16x8.max_s (local.get $m)
                                      (v128.load (i32.add (i32.add (local.get $src) (local.get $c))
                                        (i32.mul (i32.add (i32.mul (local.get $iy) (local.get $w)) (local.get $ix)) (local.get $csBytes))))))))
                                (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                                (br $nextKx)))))
                        (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
                        (br $nextKy)))
                    (v128.store (i32.add (i32.add (local.get $dst) (local.get $c))
                      (i32.mul (i32.add (i32.mul (local.get $oy) (local.get $ow)) (local.get $ox)) (local.get $csBytes)))
                      (local.get $m))
                    (local.set $c (i32.add (local.get $c) (i32.const 16)))
                    (br $nextC)))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $nextX)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $nextY)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $nextS))))

  ;; A lone ReLU on uint8 values: max(x, zp) over `bytes` (a multiple of 16) from `x`, in place.
  (func (export "int8Relu") (param $x i32) (param $bytes i32) (param $zp i32)
    (local $end i32) (local $z v128)
    (local.set $z (i16x8.splat (local.get $zp)))
    (local.set $end (i32.add (local.get $x) (local.get $bytes)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (v128.store (local.get $x) (i16x8.max_s (v128.load (local.get $x)) (local.get $z)))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $next))))
;; The network's input for samples [s0, s1): n raw float32 features each (`x`, samples n·4 bytes
  ;; apart) normalised and quantised as the reference (int8.ts quantizeSample): y = (x − mean) / std
  ;; in float32 (mean and std per feature, or one of each when `perFeature` is 0), then
  ;; sat(nearest(y / scale) + zp) into [0, 255], stored as i16 at `out + s·outStep`: feature j (channel
  ;; j / plane, pixel j mod plane) at element (j mod plane)·cs + j / plane, channels last (cs = 1,
  ;; plane = n: features in order, four at a time; channels last: four pixels of a channel at a
  ;; time, the plane's last four again where plane is not a multiple of four, stored cs apart).
  ;; NOTE: a NaN feature becomes the zero point here; the reference carries it on as NaN.
  (func (export "int8Quantize")
    (param $x i32) (param $n i32) (param $mean i32) (param $std i32) (param $perFeature i32)
    (param $scale f32) (param $zp i32) (param $out i32) (param $outStep i32) (param $plane i32) (param $cs i32) (param $s0 i32) (param $s1 i32)
    (local $s i32) (local $j i32) (local $src i32) (local $dst i32) (local $m v128) (local $d v128) (local $v v128) (local $r v128)
    (local $mf f32) (local $df f32) (local $ri i32) (local $c i32) (local $p i32) (local $e i32) (local $cs2 i32)
    (local.set $cs2 (i32.shl (local.get $cs) (i32.const 1)))
    (local.set $s (local.get $s0))
    (block $doneS
      (loop $nextS
        (br_if $doneS (i32.ge_s (local.get $s) (local.get $s1)))
        (local.set $src (i32.add (local.get $x) (i32.shl (i32.mul (local.get $s) (local.get $n)) (i32.const 2))))
        (local.set $dst (i32.add (local.get $out) (i32.mul (local.get $s) (local.get $outStep))))
        (local.set $m (v128.load32_splat (local.get $mean)))
        (local.set $d (v128.load32_splat (local.get $std)))
        (local.set $j (i32.const 0))
        (if (i32.eq (local.get $cs) (i32.const 1))
          (then
            (block $doneJ
              (loop $nextJ
                (br_if $doneJ (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
                (if (local.get $perFeature)
                  (then
                    (local.set $m (v128.load (i32.add (local.get $mean) (i32.shl (local.get $j) (i32.const 2)))))
                    (local.set $d (v128.load (i32.add (local.get $std) (i32.shl (local.get $j) (i32.const 2)))))))
                (local.set $v (f32x4.div (f32x4.sub (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))) (local.get $m)) (local.get $d)))
                (local.set $r (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.div (local.get $v) (f32x4.splat (local.get $scale))))))
                (local.set $r (i32x4.add (i32x4.min_s (i32x4.max_s (local.get $r) (i32x4.splat (i32.sub (i32.const 0) (local.get $zp))))
                  (i32x4.splat (i32.sub (i32.const 255) (local.get $zp)))) (i32x4.splat (local.get $zp))))
                (v128.store64_lane 0 (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 1))) (i16x8.narrow_i32x4_s (local.get $r) (local.get $r)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $nextJ))))
          (else
            (if (i32.ge_s (local.get $plane) (i32.const 4))
              (then
                (local.set $c (i32.const 0))
                (block $doneC
                  (loop $nextC
                    (br_if $doneC (i32.ge_s (i32.mul (local.get $c) (local.get $plane)) (local.get $n)))
                    (local.set $p (i32.const 0))
                    (block $doneP
                      (loop $nextP
                        (br_if $doneP (i32.ge_s (local.get $p) (local.get $plane)))
                        (if (i32.gt_s (i32.add (local.get $p) (i32.const 4)) (local.get $plane))
                          (then (local.set $p (i32.sub (local.get $plane) (i32.const 4)))))
                        (local.set $j (i32.add (i32.mul (local.get $c) (local.get $plane)) (local.get $p)))
                        (if (local.get $perFeature)
                          (then
                            (local.set $m (v128.load (i32.add (local.get $mean) (i32.shl (local.get $j) (i32.const 2)))))
                            (local.set $d (v128.load (i32.add (local.get $std) (i32.shl (local.get $j) (i32.const 2)))))))
                        (local.set $v (f32x4.div (f32x4.sub (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))) (local.get $m)) (local.get $d)))
                        (local.set $r (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.div (local.get $v) (f32x4.splat (local.get $scale))))))
                        (local.set $r (i32x4.add (i32x4.min_s (i32x4.max_s (local.get $r) (i32x4.splat (i32.sub (i32.const 0) (local.get $zp))))
                          (i32x4.splat (i32.sub (i32.const 255) (local.get $zp)))) (i32x4.splat (local.get $zp))))
                        (local.set $r (i16x8.narrow_i32x4_s (local.get $r) (local.get $r)))
                        (local.set $e (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $p) (local.get $cs)) (local.get $c)) (i32.const 1))))
                        (v128.store16_lane 0 (local.get $e) (local.get $r))
                        (v128.store16_lane 1 (i32.add (local.get $e) (local.get $cs2)) (local.get $r))
                        (v128.store16_lane 2 (i32.add (local.get $e) (i32.shl (local.get $cs2) (i32.const 1))) (local.get $r))
                        (v128.store16_lane 3 (i32.add (local.get $e) (i32.mul (local.get $cs2) (i32.const 3))) (local.get $r))
                        (local.set $p (i32.add (local.get $p) (i32.const 4)))
                        (br $nextP)))
                    (local.set $c (i32.add (local.get $c) (i32.const 1)))
                    (br $nextC)))
                (local.set $j (local.get $n))))))
        (block $doneT
          (loop $nextT
            (br_if $doneT (i32.ge_s (local.get $j) (local.get $n)))
            (local.set $mf (f32.load (i32.add (local.get $mean) (i32.mul (local.get $perFeature) (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $df (f32.load (i32.add (local.get $std) (i32.mul (local.get $perFeature) (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $ri (i32.trunc_sat_f32_s (f32.nearest (f32.div
              (f32.div (f32.sub (f32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))) (local.get $mf)) (local.get $df))
              (local.get $scale)))))
            (if (i32.lt_s (local.get $ri) (i32.sub (i32.const 0) (local.get $zp))) (then (local.set $ri (i32.sub (i32.const 0) (local.get $zp)))))
            (if (i32.gt_s (local.get $ri) (i32.sub (i32.const 255) (local.get $zp))) (then (local.set $ri (i32.sub (i32.const 255) (local.get $zp)))))
            (i32.store16 (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (i32.rem_u (local.get $j) (local.get $plane)) (local.get $cs)) (i32.div_u (local.get $j) (local.get $plane))) (i32.const 1)))
              (i32.add (local.get $ri) (local.get $zp)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $nextT)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $nextS))))
;; The network's output for samples [s0, s1): element at[j] (i16 units) of each sample's block (`x`,
  ;; xStep bytes apart) as uint8 at `q + s·n + j` and dequantised through `table` (256 float32:
  ;; (v − zp)·scale) at `vals + 4·(s·n + j)`; the block's channels-last order read back in the
  ;; model's (core/quantize/int8.ts int8Outputs: 4,096 outputs of the U-Net 31 → 4 µs).
  (func (export "int8Dequantize")
    (param $x i32) (param $xStep i32) (param $at i32) (param $n i32) (param $table i32) (param $q i32) (param $vals i32) (param $s0 i32) (param $s1 i32)
    (local $s i32) (local $j i32) (local $src i32) (local $k i32) (local $v i32)
    (local.set $s (local.get $s0))
    (block $doneS
      (loop $nextS
        (br_if $doneS (i32.ge_s (local.get $s) (local.get $s1)))
        (local.set $src (i32.add (local.get $x) (i32.mul (local.get $s) (local.get $xStep))))
        (local.set $k (i32.mul (local.get $s) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $doneJ
          (loop $nextJ
            (br_if $doneJ (i32.ge_s (local.get $j) (local.get $n)))
            (local.set $v (i32.load16_u (i32.add (local.get $src) (i32.shl (i32.load (i32.add (local.get $at) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 1)))))
            (i32.store8 (i32.add (local.get $q) (local.get $k)) (local.get $v))
            (f32.store (i32.add (local.get $vals) (i32.shl (local.get $k) (i32.const 2))) (f32.load (i32.add (local.get $table) (i32.shl (local.get $v) (i32.const 2)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $nextJ)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $nextS))))
)
