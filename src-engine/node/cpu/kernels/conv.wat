;; Convolution data movement for WebAssembly SIMD: im2col (unfold one [C, H, W] image into
;; [C*kH*kW, outH*outW] columns, zero padding) and its adjoint col2im (fold columns back, adding
;; into the image). The GEMM does the arithmetic; these only move data, so the stride-1 case (every
;; MNIST-style conv) copies and adds the valid span of each row with f32x4. NOTE: not memory.copy /
;; memory.fill: V8 calls out of line for those, which costs more than the ~14-float rows here.
;;
;; conv2dForward/conv2dBackward run a whole range of samples of a groups=1 Conv2d in one call
;; (unfold + GEMM per sample), so a thread pool can split a batch by samples with one fork/join
;; per layer instead of one per sample and GEMM.
;;
;; All pointers are byte addresses into the shared heap; sizes are element counts.
(module
  (import "env" "memory" (memory 1 {{HEAP.MAX_PAGES}} shared))
  (import "gemm" "gemmNoBias" (func $gemm (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "elementwise" "bnNormalize" (func $normalize (param i32 i32 i32 i32 f32 f32 f32 f32 i32 i32)))

  ;; For output row positions ow in [0, oW) reading input column iw = ow*sW + iw0 (stride 1 only):
  ;; the valid span is ow in [lo, hi) with 0 <= ow + iw0 < W, and 0 <= lo <= hi <= oW. NOTE: lo is
  ;; at most oW even when the left padding reaches past the whole row (-iw0 > oW, e.g. a 1×1 output
  ;; of a dilated kernel): the columns [0, lo) are zeroed, and more would overrun into the next row.
  (func $spanLo (param $iw0 i32) (param $oW i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $iw0) (i32.const 0))
      (then (select (i32.sub (i32.const 0) (local.get $iw0)) (local.get $oW) (i32.lt_s (i32.sub (i32.const 0) (local.get $iw0)) (local.get $oW))))
      (else (i32.const 0))))
  (func $spanHi (param $iw0 i32) (param $W i32) (param $oW i32) (param $lo i32) (result i32)
    (local $hi i32)
    (local.set $hi (i32.sub (local.get $W) (local.get $iw0)))
    (if (i32.gt_s (local.get $hi) (local.get $oW)) (then (local.set $hi (local.get $oW))))
    (if (i32.lt_s (local.get $hi) (local.get $lo)) (then (local.set $hi (local.get $lo))))
    (local.get $hi))

;; The valid span of a strided row: ow in [lo, hi) with 0 <= ow*s + iw0 < W, 0 <= lo <= hi <= oW.
  (func $spanLoS (param $iw0 i32) (param $s i32) (param $oW i32) (result i32)
    (local $lo i32)
    (if (i32.lt_s (local.get $iw0) (i32.const 0))
      (then (local.set $lo (i32.div_s (i32.sub (i32.sub (local.get $s) (i32.const 1)) (local.get $iw0)) (local.get $s)))))
    (select (local.get $oW) (local.get $lo) (i32.gt_s (local.get $lo) (local.get $oW))))
  (func $spanHiS (param $iw0 i32) (param $W i32) (param $s i32) (param $oW i32) (param $lo i32) (result i32)
    (local $hi i32)
    (if (i32.gt_s (i32.sub (local.get $W) (local.get $iw0)) (i32.const 0))
      (then (local.set $hi (i32.div_s (i32.add (i32.sub (local.get $W) (local.get $iw0)) (i32.sub (local.get $s) (i32.const 1))) (local.get $s)))))
    (if (i32.gt_s (local.get $hi) (local.get $oW)) (then (local.set $hi (local.get $oW))))
    (select (local.get $lo) (local.get $hi) (i32.lt_s (local.get $hi) (local.get $lo))))

;; n floats at dst = 0 (the few padding columns of a row, or a whole padding row).
  (func $zero (param $dst i32) (param $n i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $dst) (local.get $end4)))
      (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.const 0))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (br $sl)))
  )

  (func $im2col (export "im2col")
    (param $img i32) (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32) (param $cols i32)
    (call $im2colLd (local.get $img) (local.get $C) (local.get $H) (local.get $W) (local.get $kH) (local.get $kW)
      (local.get $sH) (local.get $sW) (local.get $pH) (local.get $pW) (local.get $dH) (local.get $dW)
      (local.get $oH) (local.get $oW) (local.get $cols) (i32.mul (local.get $oH) (local.get $oW)) (i32.const -1)))

  ;; Whether $im2colS2/$col2imS2 run a plane: stride-2 rows of at least 4 outputs, a buffer given
  ;; (`buf`: the caller's GEMM scratch, free around its GEMM; -1: none, the exported im2col and
  ;; col2im; NOTE: not 0 for none: the first thread's GEMM scratch can sit at address 0) and the
  ;; padded plane (H rows of 2·oW + (kW−1)·dW floats) within that scratch.
  (func $useS2 (param $sW i32) (param $H i32) (param $kW i32) (param $dW i32) (param $oW i32) (param $buf i32) (result i32)
    (i32.and (i32.and (i32.eq (local.get $sW) (i32.const 2)) (i32.ge_s (local.get $oW) (i32.const 4)))
      (i32.and (i32.ne (local.get $buf) (i32.const -1))
        (i32.le_s (i32.shl (i32.mul (local.get $H) (i32.add (i32.shl (local.get $oW) (i32.const 1)) (i32.mul (i32.sub (local.get $kW) (i32.const 1)) (local.get $dW)))) (i32.const 2))
          (i32.const {{GEMM.SCRATCH_BYTES}})))))

  ;; buf[ih][j] = plane[ih][j − pW] for ih < H, j < Wp, 0 outside the row (rows Wp floats apart):
  ;; $im2colS2's and $col2imS2's padded plane.
  (func $padPlane (param $plane i32) (param $H i32) (param $W i32) (param $pW i32) (param $Wp i32) (param $buf i32)
    (local $ih i32) (local $j i32) (local $iw i32) (local $src i32) (local $dst i32)
    (local.set $dst (local.get $buf))
    (block $hd (loop $hl
      (br_if $hd (i32.ge_s (local.get $ih) (local.get $H)))
      (local.set $src (i32.add (local.get $plane) (i32.shl (i32.mul (local.get $ih) (local.get $W)) (i32.const 2))))
      ;; [0, pW) zero, then the row (f32x4 while 4 fit, then one by one), then zero to Wp
      (local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_s (local.get $j) (select (local.get $pW) (local.get $Wp) (i32.lt_s (local.get $pW) (local.get $Wp)))))
        (f32.store (local.get $dst) (f32.const 0))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (local.set $iw (i32.const 0))
      (block $vd (loop $vl
        (br_if $vd (i32.gt_s (i32.add (local.get $iw) (i32.const 4)) (local.get $W)))
        (br_if $vd (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $Wp)))
        (v128.store (local.get $dst) (v128.load (i32.add (local.get $src) (i32.shl (local.get $iw) (i32.const 2)))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $iw (i32.add (local.get $iw) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $vl)))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_s (local.get $iw) (local.get $W)))
        (br_if $sd (i32.ge_s (local.get $j) (local.get $Wp)))
        (f32.store (local.get $dst) (f32.load (i32.add (local.get $src) (i32.shl (local.get $iw) (i32.const 2)))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $iw (i32.add (local.get $iw) (i32.const 1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $sl)))
      (block $zd (loop $zl
        (br_if $zd (i32.ge_s (local.get $j) (local.get $Wp)))
        (f32.store (local.get $dst) (f32.const 0))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $zl)))
      (local.set $ih (i32.add (local.get $ih) (i32.const 1)))
      (br $hl)))
  )

  ;; plane[ih][iw] = buf[ih][iw + pW]: $padPlane's inverse on the image's own floats.
  (func $unpadPlane (param $buf i32) (param $H i32) (param $W i32) (param $pW i32) (param $Wp i32) (param $plane i32)
    (local $ih i32) (local $iw i32) (local $src i32) (local $dst i32)
    (local.set $dst (local.get $plane))
    (block $hd (loop $hl
      (br_if $hd (i32.ge_s (local.get $ih) (local.get $H)))
      (local.set $src (i32.add (local.get $buf) (i32.shl (i32.add (i32.mul (local.get $ih) (local.get $Wp)) (local.get $pW)) (i32.const 2))))
      (local.set $iw (i32.const 0))
      (block $vd (loop $vl
        (br_if $vd (i32.gt_s (i32.add (local.get $iw) (i32.const 4)) (local.get $W)))
        (v128.store (local.get $dst) (v128.load (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $iw (i32.add (local.get $iw) (i32.const 4)))
        (br $vl)))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_s (local.get $iw) (local.get $W)))
        (f32.store (local.get $dst) (f32.load (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $iw (i32.add (local.get $iw) (i32.const 1)))
        (br $sl)))
      (local.set $ih (i32.add (local.get $ih) (i32.const 1)))
      (br $hl)))
  )

  ;; Stride-2 col2im of one channel: plane += the fold of its columns at `cols` (as $col2imLd),
  ;; returning the columns' end. The additions go to the padded copy in `buf` ($padPlane, then
  ;; $unpadPlane back), so the rows need no bounds test: four outputs at a time, each image float
  ;; gets the same additions in the same order as row by row (the same bits). oW >= 4.
  ;; Measured (batch 128, 1 thread, CPU time, backward ms): 32→64 on 14×14 41.0 → 37.1; a
  ;; ConvTranspose2d 64→32 from 7×7, forward (a col2im alone) 11.5 → 10.3. The rows each kernel
  ;; row ki reaches are found once, as in $im2colS2.
  (func $col2imS2
    (param $cols i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32) (param $plane i32) (param $skip i32) (param $buf i32) (result i32)
    (local $Wp i32) (local $ih0 i32) (local $ki i32) (local $kj i32) (local $ow i32) (local $r i32) (local $row i32)
    (local $ohLo i32) (local $ohHi i32) (local $rowBytes i32) (local $step i32) (local $c i32) (local $end i32)
    (local $va v128) (local $vb v128) (local $vc v128)
    (local.set $Wp (i32.add (i32.shl (local.get $oW) (i32.const 1)) (i32.mul (i32.sub (local.get $kW) (i32.const 1)) (local.get $dW))))
    (call $padPlane (local.get $plane) (local.get $H) (local.get $W) (local.get $pW) (local.get $Wp) (local.get $buf))
    (local.set $rowBytes (i32.shl (local.get $oW) (i32.const 2)))
    (local.set $step (i32.shl (i32.mul (local.get $sH) (local.get $Wp)) (i32.const 2)))
    (block $kid (loop $kil
      (br_if $kid (i32.ge_s (local.get $ki) (local.get $kH)))
      ;; the rows oh in [ohLo, ohHi) add into image rows ih = oh·sH + ih0 in [0, H); the others into none
      (local.set $ih0 (i32.sub (i32.mul (local.get $ki) (local.get $dH)) (local.get $pH)))
      (local.set $ohLo (call $spanLoS (local.get $ih0) (local.get $sH) (local.get $oH)))
      (local.set $ohHi (call $spanHiS (local.get $ih0) (local.get $H) (local.get $sH) (local.get $oH) (local.get $ohLo)))
      (local.set $kj (i32.const 0))
      (block $kjd (loop $kjl
        (br_if $kjd (i32.ge_s (local.get $kj) (local.get $kW)))
        (local.set $row (i32.add (local.get $buf) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $ohLo) (local.get $sH)) (local.get $ih0)) (local.get $Wp))
          (i32.mul (local.get $kj) (local.get $dW))) (i32.const 2))))
        (local.set $c (i32.add (local.get $cols) (i32.mul (local.get $ohLo) (local.get $rowBytes))))
        (local.set $end (i32.add (local.get $cols) (i32.mul (local.get $ohHi) (local.get $rowBytes))))
        (block $rd (loop $rl
          (br_if $rd (i32.ge_u (local.get $c) (local.get $end)))
          (local.set $r (local.get $row))
          (local.set $ow (i32.const 0))
          (block $vd (loop $vl
            (br_if $vd (i32.gt_s (i32.add (local.get $ow) (i32.const 4)) (local.get $oW)))
            (local.set $vc (v128.load (i32.add (local.get $c) (i32.shl (local.get $ow) (i32.const 2)))))
            (local.set $va (v128.load (local.get $r)))
            (local.set $vb (v128.load offset=16 (local.get $r)))
            (v128.store (local.get $r) (i8x16.shuffle 0 1 2 3 20 21 22 23 8 9 10 11 28 29 30 31
              (f32x4.add (local.get $va) (i8x16.shuffle 0 1 2 3 0 1 2 3 4 5 6 7 4 5 6 7 (local.get $vc) (local.get $vc))) (local.get $va)))
            (v128.store offset=16 (local.get $r) (i8x16.shuffle 0 1 2 3 20 21 22 23 8 9 10 11 28 29 30 31
              (f32x4.add (local.get $vb) (i8x16.shuffle 8 9 10 11 8 9 10 11 12 13 14 15 12 13 14 15 (local.get $vc) (local.get $vc))) (local.get $vb)))
            (local.set $r (i32.add (local.get $r) (i32.const 32)))
            (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
            (br $vl)))
          (block $sd (loop $sl
            (br_if $sd (i32.ge_s (local.get $ow) (local.get $oW)))
            (f32.store (local.get $r) (f32.add (f32.load (local.get $r)) (f32.load (i32.add (local.get $c) (i32.shl (local.get $ow) (i32.const 2))))))
            (local.set $r (i32.add (local.get $r) (i32.const 8)))
            (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
            (br $sl)))
          (local.set $row (i32.add (local.get $row) (local.get $step)))
          (local.set $c (i32.add (local.get $c) (local.get $rowBytes)))
          (br $rl)))
        (local.set $cols (i32.add (i32.add (local.get $cols) (i32.mul (local.get $oH) (local.get $rowBytes))) (local.get $skip)))
        (local.set $kj (i32.add (local.get $kj) (i32.const 1)))
        (br $kjl)))
      (local.set $ki (i32.add (local.get $ki) (i32.const 1)))
      (br $kil)))
    (call $unpadPlane (local.get $buf) (local.get $H) (local.get $W) (local.get $pW) (local.get $Wp) (local.get $plane))
    (local.get $cols)
  )

  ;; Stride-2 im2col of one channel `plane` (rows `skip` bytes apart after each oH·oW block, as
  ;; $im2colLd), returning the columns' end. The plane first goes to `buf` with its rows padded
  ;; (Wp = 2·oW + (kW−1)·dW floats: buf[ih][j] = plane[ih][j − pW], 0 outside the row), so that
  ;; every output row is the even lanes of 8 padded floats at a time, with no bounds test: a row of
  ;; 7 (a DCGAN's 14×14 → 7×7) is two f32x4 stores, the second overlapping the first. oW >= 4.
  ;; Measured (batch 128, 1 thread, CPU time, forward / backward ms; the row-by-row even-lane path
  ;; before it): 32→64 on 14×14 21.2 / 42.9 → 18.8 / 39.1; 11→32 on 28×28 14.4 / 28.5 → 13.8 / 27.3.
  ;; The rows each kernel row ki reaches (ohLo…ohHi) are found once, not tested row by row, and a row
  ;; of at most 8 is its two stores with no loop: `BATCH=32 CLOCK=cpu npx tsx bench/profile.ts
  ;; mnist-cdcgan 1`, the 32→64 forward 9.6 → 8.6 ms a step, the whole step −5 % (with $col2imS2's).
  (func $im2colS2
    (param $plane i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32) (param $cols i32) (param $skip i32) (param $buf i32) (result i32)
    (local $Wp i32) (local $ih0 i32) (local $ki i32) (local $kj i32) (local $oh i32) (local $ow i32) (local $r i32)
    (local $ohLo i32) (local $ohHi i32) (local $rowBytes i32) (local $step i32) (local $tail i32) (local $end i32)
    (local.set $Wp (i32.add (i32.shl (local.get $oW) (i32.const 1)) (i32.mul (i32.sub (local.get $kW) (i32.const 1)) (local.get $dW))))
    (call $padPlane (local.get $plane) (local.get $H) (local.get $W) (local.get $pW) (local.get $Wp) (local.get $buf))
    (local.set $rowBytes (i32.shl (local.get $oW) (i32.const 2)))
    (local.set $step (i32.shl (i32.mul (local.get $sH) (local.get $Wp)) (i32.const 2)))
    ;; the last f32x4 of a row: outputs [oW − 4, oW), reading padded floats from 2·(oW − 4)
    (local.set $tail (i32.shl (i32.sub (local.get $oW) (i32.const 4)) (i32.const 2)))
    (block $kid (loop $kil
      (br_if $kid (i32.ge_s (local.get $ki) (local.get $kH)))
      ;; the rows oh in [ohLo, ohHi) read image rows ih = oh·sH + ih0 in [0, H); the others are 0
      (local.set $ih0 (i32.sub (i32.mul (local.get $ki) (local.get $dH)) (local.get $pH)))
      (local.set $ohLo (call $spanLoS (local.get $ih0) (local.get $sH) (local.get $oH)))
      (local.set $ohHi (call $spanHiS (local.get $ih0) (local.get $H) (local.get $sH) (local.get $oH) (local.get $ohLo)))
      (local.set $kj (i32.const 0))
      (block $kjd (loop $kjl
        (br_if $kjd (i32.ge_s (local.get $kj) (local.get $kW)))
        (call $zero (local.get $cols) (i32.mul (local.get $ohLo) (local.get $oW)))
        (local.set $r (i32.add (local.get $buf) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $ohLo) (local.get $sH)) (local.get $ih0)) (local.get $Wp))
          (i32.mul (local.get $kj) (local.get $dW))) (i32.const 2))))
        (local.set $oh (i32.add (local.get $cols) (i32.mul (local.get $ohLo) (local.get $rowBytes))))
        (local.set $end (i32.add (local.get $cols) (i32.mul (local.get $ohHi) (local.get $rowBytes))))
        (if (i32.le_s (local.get $oW) (i32.const 8))
          (then
            ;; a row of 4 to 8 outputs: its first and last f32x4 (overlapping below 8)
            (block $rd (loop $rl
              (br_if $rd (i32.ge_u (local.get $oh) (local.get $end)))
              (v128.store (local.get $oh)
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                  (v128.load (local.get $r)) (v128.load offset=16 (local.get $r))))
              (v128.store (i32.add (local.get $oh) (local.get $tail))
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                  (v128.load (i32.add (local.get $r) (i32.shl (local.get $tail) (i32.const 1))))
                  (v128.load offset=16 (i32.add (local.get $r) (i32.shl (local.get $tail) (i32.const 1))))))
              (local.set $r (i32.add (local.get $r) (local.get $step)))
              (local.set $oh (i32.add (local.get $oh) (local.get $rowBytes)))
              (br $rl))))
          (else
            (block $rd2 (loop $rl2
              (br_if $rd2 (i32.ge_u (local.get $oh) (local.get $end)))
              (local.set $ow (i32.const 0))
              (block $vd (loop $vl
                (if (i32.gt_s (local.get $ow) (local.get $tail))
                  (then
                    (br_if $vd (i32.ge_s (local.get $ow) (local.get $rowBytes)))
                    (local.set $ow (local.get $tail))))
                (v128.store (i32.add (local.get $oh) (local.get $ow))
                  (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                    (v128.load (i32.add (local.get $r) (i32.shl (local.get $ow) (i32.const 1))))
                    (v128.load offset=16 (i32.add (local.get $r) (i32.shl (local.get $ow) (i32.const 1))))))
                (local.set $ow (i32.add (local.get $ow) (i32.const 16)))
                (br $vl)))
              (local.set $r (i32.add (local.get $r) (local.get $step)))
              (local.set $oh (i32.add (local.get $oh) (local.get $rowBytes)))
              (br $rl2)))))
        (call $zero (local.get $end) (i32.mul (i32.sub (local.get $oH) (local.get $ohHi)) (local.get $oW)))
        (local.set $cols (i32.add (i32.add (local.get $cols) (i32.mul (local.get $oH) (local.get $rowBytes))) (local.get $skip)))
        (local.set $kj (i32.add (local.get $kj) (i32.const 1)))
        (br $kjl)))
      (local.set $ki (i32.add (local.get $ki) (i32.const 1)))
      (br $kil)))
    (local.get $cols)
  )

  ;; im2col into rows `ld` floats apart (ld >= oH*oW): one sample's block of several samples'
  ;; columns side by side (conv2dForward/conv2dBackward's sample groups).
  (func $im2colLd
    (param $img i32) (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32) (param $cols i32) (param $ld i32) (param $buf i32)
    (local $skip i32)
    (local $c i32) (local $ki i32) (local $kj i32) (local $oh i32) (local $ow i32)
    (local $ih i32) (local $iw i32) (local $iw0 i32) (local $src i32) (local $plane i32)
    (local $lo i32) (local $hi i32) (local $rowBytes i32) (local $ih0 i32) (local $ohLo i32) (local $ohHi i32) (local $row i32)
    (local $lo2 i32) (local $hi2 i32) (local $q i32) (local $s2 i32)
    (local.set $rowBytes (i32.shl (local.get $oW) (i32.const 2)))
    (local.set $skip (i32.shl (i32.sub (local.get $ld) (i32.mul (local.get $oH) (local.get $oW))) (i32.const 2)))
    (local.set $s2 (call $useS2 (local.get $sW) (local.get $H) (local.get $kW) (local.get $dW) (local.get $oW) (local.get $buf)))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_s (local.get $c) (local.get $C)))
      (local.set $plane (i32.add (local.get $img) (i32.shl (i32.mul (i32.mul (local.get $c) (local.get $H)) (local.get $W)) (i32.const 2))))
      (if (local.get $s2) (then
        (local.set $cols (call $im2colS2 (local.get $plane) (local.get $H) (local.get $W) (local.get $kH) (local.get $kW)
          (local.get $sH) (local.get $pH) (local.get $pW) (local.get $dH) (local.get $dW) (local.get $oH) (local.get $oW)
          (local.get $cols) (local.get $skip) (local.get $buf)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cl)))
      (local.set $ki (i32.const 0))
      (block $kid (loop $kil
        (br_if $kid (i32.ge_s (local.get $ki) (local.get $kH)))
        (local.set $kj (i32.const 0))
        (block $kjd (loop $kjl
          (br_if $kjd (i32.ge_s (local.get $kj) (local.get $kW)))
          (local.set $iw0 (i32.sub (i32.mul (local.get $kj) (local.get $dW)) (local.get $pW)))
          (local.set $lo (call $spanLo (local.get $iw0) (local.get $oW)))
          (local.set $hi (call $spanHi (local.get $iw0) (local.get $W) (local.get $oW) (local.get $lo)))
          (local.set $lo2 (call $spanLoS (local.get $iw0) (local.get $sW) (local.get $oW)))
          (local.set $hi2 (call $spanHiS (local.get $iw0) (local.get $W) (local.get $sW) (local.get $oW) (local.get $lo2)))
          (if (i32.and (i32.and (i32.eq (local.get $sW) (i32.const 1)) (i32.eq (local.get $sH) (i32.const 1))) (i32.eq (local.get $oW) (local.get $W)))
            (then
              ;; "Same"-width stride-1 rows: cols[oh][ow] = image[oh + ih0][ow + iw0] is ONE contiguous
              ;; copy for all valid rows; the columns that read past a row's edge are zeroed after.
              (local.set $ih0 (i32.sub (i32.mul (local.get $ki) (local.get $dH)) (local.get $pH)))
              (local.set $ohLo (select (i32.sub (i32.const 0) (local.get $ih0)) (i32.const 0) (i32.lt_s (local.get $ih0) (i32.const 0))))
              (local.set $ohHi (i32.sub (local.get $H) (local.get $ih0)))
              (if (i32.gt_s (local.get $ohHi) (local.get $oH)) (then (local.set $ohHi (local.get $oH))))
              (if (i32.gt_s (local.get $ohLo) (local.get $oH)) (then (local.set $ohLo (local.get $oH))))
              (if (i32.lt_s (local.get $ohHi) (local.get $ohLo)) (then (local.set $ohHi (local.get $ohLo))))
              (call $zero (local.get $cols) (i32.mul (local.get $ohLo) (local.get $oW)))
              (call $zero (i32.add (local.get $cols) (i32.shl (i32.mul (local.get $ohHi) (local.get $oW)) (i32.const 2)))
                (i32.mul (i32.sub (local.get $oH) (local.get $ohHi)) (local.get $oW)))
              (if (i32.and (i32.gt_s (local.get $ohHi) (local.get $ohLo)) (i32.gt_s (local.get $hi) (local.get $lo)))
                (then
                  (memory.copy
                    (i32.add (local.get $cols) (i32.shl (i32.add (i32.mul (local.get $ohLo) (local.get $oW)) (local.get $lo)) (i32.const 2)))
                    (i32.add (local.get $plane) (i32.shl (i32.add (i32.mul (i32.add (local.get $ohLo) (local.get $ih0)) (local.get $W))
                      (i32.add (local.get $lo) (local.get $iw0))) (i32.const 2)))
                    (i32.shl (i32.sub (i32.add (i32.mul (i32.sub (i32.sub (local.get $ohHi) (i32.const 1)) (local.get $ohLo)) (local.get $W)) (local.get $hi)) (local.get $lo)) (i32.const 2)))
                  (local.set $oh (local.get $ohLo))
                  (block $fd (loop $fl
                    (br_if $fd (i32.ge_s (local.get $oh) (local.get $ohHi)))
                    ;; (inline: a call per row costs more than the one or two stores it does)
                    (local.set $row (i32.add (local.get $cols) (i32.shl (i32.mul (local.get $oh) (local.get $oW)) (i32.const 2))))
                    (local.set $ow (i32.const 0))
                    (block $zd1 (loop $zl1
                      (br_if $zd1 (i32.ge_s (local.get $ow) (local.get $lo)))
                      (f32.store (i32.add (local.get $row) (i32.shl (local.get $ow) (i32.const 2))) (f32.const 0))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                      (br $zl1)))
                    (local.set $ow (local.get $hi))
                    (block $zd2 (loop $zl2
                      (br_if $zd2 (i32.ge_s (local.get $ow) (local.get $oW)))
                      (f32.store (i32.add (local.get $row) (i32.shl (local.get $ow) (i32.const 2))) (f32.const 0))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                      (br $zl2)))
                    (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
                    (br $fl))))
                (else
                  (call $zero (i32.add (local.get $cols) (i32.shl (i32.mul (local.get $ohLo) (local.get $oW)) (i32.const 2)))
                    (i32.mul (i32.sub (local.get $ohHi) (local.get $ohLo)) (local.get $oW)))))
              (local.set $cols (i32.add (local.get $cols) (i32.mul (local.get $oH) (local.get $rowBytes)))))
            (else
          (local.set $oh (i32.const 0))
          (block $ohd (loop $ohl
            (br_if $ohd (i32.ge_s (local.get $oh) (local.get $oH)))
            (local.set $ih (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $sH)) (local.get $pH)) (i32.mul (local.get $ki) (local.get $dH))))
            (if (i32.lt_u (local.get $ih) (local.get $H))
              (then
                (local.set $src (i32.add (local.get $plane) (i32.shl (i32.mul (local.get $ih) (local.get $W)) (i32.const 2))))
                (if (i32.eq (local.get $sW) (i32.const 1))
                  (then
                    ;; inline loops: a wasm call costs more than a short row of work
                    (local.set $ow (i32.const 0))
                    (block $z1d (loop $z1l
                      (br_if $z1d (i32.ge_s (local.get $ow) (local.get $lo)))
                      (f32.store (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2))) (f32.const 0))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                      (br $z1l)))
                    (local.set $src (i32.add (local.get $src) (i32.shl (local.get $iw0) (i32.const 2))))
                    (block $c4d (loop $c4l
                      (br_if $c4d (i32.gt_s (i32.add (local.get $ow) (i32.const 4)) (local.get $hi)))
                      (v128.store (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2)))
                        (v128.load (i32.add (local.get $src) (i32.shl (local.get $ow) (i32.const 2)))))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
                      (br $c4l)))
                    (block $c1d (loop $c1l
                      (br_if $c1d (i32.ge_s (local.get $ow) (local.get $hi)))
                      (f32.store (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2)))
                        (f32.load (i32.add (local.get $src) (i32.shl (local.get $ow) (i32.const 2)))))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                      (br $c1l)))
                    (block $z2d (loop $z2l
                      (br_if $z2d (i32.ge_s (local.get $ow) (local.get $oW)))
                      (f32.store (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2))) (f32.const 0))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                      (br $z2l))))
                  (else (if (i32.eq (local.get $sW) (i32.const 2))
                  (then
                    ;; Stride 2 (a DCGAN's 4×4 layers): zeros outside the valid span [lo2, hi2); inside
                    ;; it the even lanes of 8 floats, f32x4 while they lie within the row, then one by one.
                    (local.set $ow (i32.const 0))
                    (block $s0d (loop $s0l
                      (br_if $s0d (i32.ge_s (local.get $ow) (local.get $lo2)))
                      (f32.store (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2))) (f32.const 0))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                      (br $s0l)))
                    (local.set $q (i32.add (local.get $src) (i32.shl (i32.add (i32.shl (local.get $ow) (i32.const 1)) (local.get $iw0)) (i32.const 2))))
                    (block $s4d (loop $s4l
                      (br_if $s4d (i32.gt_s (i32.add (local.get $ow) (i32.const 4)) (local.get $hi2)))
                      (br_if $s4d (i32.gt_s (i32.add (i32.add (i32.shl (local.get $ow) (i32.const 1)) (local.get $iw0)) (i32.const 8)) (local.get $W)))
                      (v128.store (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2)))
                        (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $q)) (v128.load offset=16 (local.get $q))))
                      (local.set $q (i32.add (local.get $q) (i32.const 32)))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
                      (br $s4l)))
                    (block $s1d (loop $s1l
                      (br_if $s1d (i32.ge_s (local.get $ow) (local.get $hi2)))
                      (f32.store (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2))) (f32.load (local.get $q)))
                      (local.set $q (i32.add (local.get $q) (i32.const 8)))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                      (br $s1l)))
                    (block $s2d (loop $s2l
                      (br_if $s2d (i32.ge_s (local.get $ow) (local.get $oW)))
                      (f32.store (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2))) (f32.const 0))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                      (br $s2l))))
                  (else
                    (local.set $ow (i32.const 0))
                    (block $owd (loop $owl
                      (br_if $owd (i32.ge_s (local.get $ow) (local.get $oW)))
                      (local.set $iw (i32.add (i32.mul (local.get $ow) (local.get $sW)) (local.get $iw0)))
                      (f32.store
                        (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2)))
                        (if (result f32) (i32.lt_u (local.get $iw) (local.get $W))
                          (then (f32.load (i32.add (local.get $src) (i32.shl (local.get $iw) (i32.const 2)))))
                          (else (f32.const 0))))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                      (br $owl))))))))
              (else (call $zero (local.get $cols) (local.get $oW))))
            (local.set $cols (i32.add (local.get $cols) (local.get $rowBytes)))
            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
            (br $ohl)))))
          (local.set $cols (i32.add (local.get $cols) (local.get $skip)))
          (local.set $kj (i32.add (local.get $kj) (i32.const 1)))
          (br $kjl)))
        (local.set $ki (i32.add (local.get $ki) (i32.const 1)))
        (br $kil)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cl)))
  )

  ;; image += col2im(cols): the adjoint of im2col (same loop nest, loads and stores swapped).
  (func $col2im (export "col2im")
    (param $cols i32) (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32) (param $img i32)
    (call $col2imLd (local.get $cols) (local.get $C) (local.get $H) (local.get $W) (local.get $kH) (local.get $kW)
      (local.get $sH) (local.get $sW) (local.get $pH) (local.get $pW) (local.get $dH) (local.get $dW)
      (local.get $oH) (local.get $oW) (local.get $img) (i32.mul (local.get $oH) (local.get $oW)) (i32.const -1)))

  ;; col2im from rows `ld` floats apart (the adjoint of $im2colLd).
  (func $col2imLd
    (param $cols i32) (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32) (param $img i32) (param $ld i32) (param $buf i32)
    (local $skip i32)
    (local $c i32) (local $ki i32) (local $kj i32) (local $oh i32) (local $ow i32)
    (local $ih i32) (local $iw i32) (local $iw0 i32) (local $dst i32) (local $plane i32)
    (local $lo i32) (local $hi i32) (local $rowBytes i32) (local $p i32)
    (local $lo2 i32) (local $hi2 i32) (local $q i32) (local $va v128) (local $vb v128) (local $vc v128) (local $s2 i32)
    (local.set $rowBytes (i32.shl (local.get $oW) (i32.const 2)))
    (local.set $skip (i32.shl (i32.sub (local.get $ld) (i32.mul (local.get $oH) (local.get $oW))) (i32.const 2)))
    (local.set $s2 (call $useS2 (local.get $sW) (local.get $H) (local.get $kW) (local.get $dW) (local.get $oW) (local.get $buf)))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_s (local.get $c) (local.get $C)))
      (local.set $plane (i32.add (local.get $img) (i32.shl (i32.mul (i32.mul (local.get $c) (local.get $H)) (local.get $W)) (i32.const 2))))
      (if (local.get $s2) (then
        (local.set $cols (call $col2imS2 (local.get $cols) (local.get $H) (local.get $W) (local.get $kH) (local.get $kW)
          (local.get $sH) (local.get $pH) (local.get $pW) (local.get $dH) (local.get $dW) (local.get $oH) (local.get $oW)
          (local.get $plane) (local.get $skip) (local.get $buf)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cl)))
      (local.set $ki (i32.const 0))
      (block $kid (loop $kil
        (br_if $kid (i32.ge_s (local.get $ki) (local.get $kH)))
        (local.set $kj (i32.const 0))
        (block $kjd (loop $kjl
          (br_if $kjd (i32.ge_s (local.get $kj) (local.get $kW)))
          (local.set $iw0 (i32.sub (i32.mul (local.get $kj) (local.get $dW)) (local.get $pW)))
          (local.set $lo (call $spanLo (local.get $iw0) (local.get $oW)))
          (local.set $hi (call $spanHi (local.get $iw0) (local.get $W) (local.get $oW) (local.get $lo)))
          (local.set $lo2 (call $spanLoS (local.get $iw0) (local.get $sW) (local.get $oW)))
          (local.set $hi2 (call $spanHiS (local.get $iw0) (local.get $W) (local.get $sW) (local.get $oW) (local.get $lo2)))
          (local.set $oh (i32.const 0))
          (block $ohd (loop $ohl
            (br_if $ohd (i32.ge_s (local.get $oh) (local.get $oH)))
            (local.set $ih (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $sH)) (local.get $pH)) (i32.mul (local.get $ki) (local.get $dH))))
            (if (i32.lt_u (local.get $ih) (local.get $H))
              (then
                (local.set $dst (i32.add (local.get $plane) (i32.shl (i32.mul (local.get $ih) (local.get $W)) (i32.const 2))))
                (if (i32.eq (local.get $sW) (i32.const 1))
                  (then
                    ;; image[ih][ow + iw0] += cols[oh][ow] over the valid span, inline (see im2col)
                    (local.set $p (i32.add (local.get $dst) (i32.shl (local.get $iw0) (i32.const 2))))
                    (local.set $ow (local.get $lo))
                    (block $a4d (loop $a4l
                      (br_if $a4d (i32.gt_s (i32.add (local.get $ow) (i32.const 4)) (local.get $hi)))
                      (v128.store (i32.add (local.get $p) (i32.shl (local.get $ow) (i32.const 2)))
                        (f32x4.add (v128.load (i32.add (local.get $p) (i32.shl (local.get $ow) (i32.const 2))))
                          (v128.load (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2))))))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
                      (br $a4l)))
                    (block $a1d (loop $a1l
                      (br_if $a1d (i32.ge_s (local.get $ow) (local.get $hi)))
                      (f32.store (i32.add (local.get $p) (i32.shl (local.get $ow) (i32.const 2)))
                        (f32.add (f32.load (i32.add (local.get $p) (i32.shl (local.get $ow) (i32.const 2))))
                          (f32.load (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2))))))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                      (br $a1l))))
                  (else (if (i32.eq (local.get $sW) (i32.const 2))
                  (then
                    ;; Stride 2: image[2ow + iw0] += cols[ow] over the valid span, f32x4 on 8 image
                    ;; floats while they lie within the row (the odd lanes stored back unchanged), then one by one.
                    (local.set $ow (local.get $lo2))
                    (local.set $q (i32.add (local.get $dst) (i32.shl (i32.add (i32.shl (local.get $ow) (i32.const 1)) (local.get $iw0)) (i32.const 2))))
                    (block $s4d (loop $s4l
                      (br_if $s4d (i32.gt_s (i32.add (local.get $ow) (i32.const 4)) (local.get $hi2)))
                      (br_if $s4d (i32.gt_s (i32.add (i32.add (i32.shl (local.get $ow) (i32.const 1)) (local.get $iw0)) (i32.const 8)) (local.get $W)))
                      (local.set $vc (v128.load (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2)))))
                      (local.set $va (v128.load (local.get $q)))
                      (local.set $vb (v128.load offset=16 (local.get $q)))
                      (v128.store (local.get $q) (i8x16.shuffle 0 1 2 3 20 21 22 23 8 9 10 11 28 29 30 31
                        (f32x4.add (local.get $va) (i8x16.shuffle 0 1 2 3 0 1 2 3 4 5 6 7 4 5 6 7 (local.get $vc) (local.get $vc))) (local.get $va)))
                      (v128.store offset=16 (local.get $q) (i8x16.shuffle 0 1 2 3 20 21 22 23 8 9 10 11 28 29 30 31
                        (f32x4.add (local.get $vb) (i8x16.shuffle 8 9 10 11 8 9 10 11 12 13 14 15 12 13 14 15 (local.get $vc) (local.get $vc))) (local.get $vb)))
                      (local.set $q (i32.add (local.get $q) (i32.const 32)))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
                      (br $s4l)))
                    (block $s1d (loop $s1l
                      (br_if $s1d (i32.ge_s (local.get $ow) (local.get $hi2)))
                      (f32.store (local.get $q) (f32.add (f32.load (local.get $q)) (f32.load (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2))))))
                      (local.set $q (i32.add (local.get $q) (i32.const 8)))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                      (br $s1l))))
                  (else
                    (local.set $ow (i32.const 0))
                    (block $owd (loop $owl
                      (br_if $owd (i32.ge_s (local.get $ow) (local.get $oW)))
                      (local.set $iw (i32.add (i32.mul (local.get $ow) (local.get $sW)) (local.get $iw0)))
                      (if (i32.lt_u (local.get $iw) (local.get $W))
                        (then
                          (local.set $p (i32.add (local.get $dst) (i32.shl (local.get $iw) (i32.const 2))))
                          (f32.store (local.get $p)
                            (f32.add (f32.load (local.get $p))
                              (f32.load (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2))))))))
                      (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                      (br $owl)))))))))
            (local.set $cols (i32.add (local.get $cols) (local.get $rowBytes)))
            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
            (br $ohl)))
          (local.set $cols (i32.add (local.get $cols) (local.get $skip)))
          (local.set $kj (i32.add (local.get $kj) (i32.const 1)))
          (br $kjl)))
        (local.set $ki (i32.add (local.get $ki) (i32.const 1)))
        (br $kil)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cl)))
  )
;; row[0..n) += v
  (func $addScalar (param $row i32) (param $v f32) (param $n i32)
    (local $end i32) (local $end4 i32) (local $vv v128)
    (local.set $vv (f32x4.splat (local.get $v)))
    (local.set $end (i32.add (local.get $row) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $row) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $row) (local.get $end4)))
      (v128.store (local.get $row) (f32x4.add (v128.load (local.get $row)) (local.get $vv)))
      (local.set $row (i32.add (local.get $row) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $row) (local.get $end)))
      (f32.store (local.get $row) (f32.add (f32.load (local.get $row)) (local.get $v)))
      (local.set $row (i32.add (local.get $row) (i32.const 4)))
      (br $sl)))
  )

  ;; Σ row[0..n): four f32x4 lanes, then the tail.
  (func $sum (param $row i32) (param $n i32) (result f32)
    (local $end i32) (local $end4 i32) (local $acc v128) (local $s f32)
    (local.set $end (i32.add (local.get $row) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $row) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $row) (local.get $end4)))
      (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $row))))
      (local.set $row (i32.add (local.get $row) (i32.const 16)))
      (br $vl)))
    (local.set $s (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $row) (local.get $end)))
      (local.set $s (f32.add (local.get $s) (f32.load (local.get $row))))
      (local.set $row (i32.add (local.get $row) (i32.const 4)))
      (br $sl)))
    (local.get $s)
  )

;; Whether row[0..n) is all zeros (either sign; a NaN is not zero): stops at the first that is not.
  (func $allZero (param $row i32) (param $n i32) (result i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $row) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $row) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $row) (local.get $end4)))
      (if (v128.any_true (f32x4.ne (v128.load (local.get $row)) (v128.const f32x4 0 0 0 0))) (then (return (i32.const 0))))
      (local.set $row (i32.add (local.get $row) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $row) (local.get $end)))
      (if (f32.ne (f32.load (local.get $row)) (f32.const 0)) (then (return (i32.const 0))))
      (local.set $row (i32.add (local.get $row) (i32.const 4)))
      (br $sl)))
    (i32.const 1)
  )

;; dst[0..n) = src[0..n), or += with `add`: f32x4, then the tail.
  (func $moveRow (param $dst i32) (param $src i32) (param $n i32) (param $add i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (if (local.get $add)
      (then
        (block $vd (loop $vl
          (br_if $vd (i32.ge_u (local.get $dst) (local.get $end4)))
          (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
          (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
          (local.set $src (i32.add (local.get $src) (i32.const 16)))
          (br $vl))))
      (else
        (block $cd (loop $cl
          (br_if $cd (i32.ge_u (local.get $dst) (local.get $end4)))
          (v128.store (local.get $dst) (v128.load (local.get $src)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
          (local.set $src (i32.add (local.get $src) (i32.const 16)))
          (br $cl)))))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst)
        (select (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))) (f32.load (local.get $src)) (local.get $add)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (br $sl)))
  )

  ;; The C rows of L floats at src to (or, `add`, onto) rows `ld` floats apart at dst, or the
  ;; reverse with `back`: a 1×1 stride-1 layer's unfold (a copy of the image: im2col's same-width
  ;; path would make one out-of-line memory.copy call per channel) and fold.
  (func $rows (param $src i32) (param $C i32) (param $L i32) (param $dst i32) (param $ld i32) (param $back i32)
    (local $c i32) (local $a i32) (local $b i32)
    (block $cd (loop $cl
      (br_if $cd (i32.ge_s (local.get $c) (local.get $C)))
      (local.set $a (i32.add (local.get $src) (i32.shl (i32.mul (local.get $c) (local.get $L)) (i32.const 2))))
      (local.set $b (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $c) (local.get $ld)) (i32.const 2))))
      (if (local.get $back)
        (then (call $moveRow (local.get $a) (local.get $b) (local.get $L) (i32.const 1)))
        (else (call $moveRow (local.get $b) (local.get $a) (local.get $L) (i32.const 0))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cl)))
  )

  ;; Sample s of a group: im2col of image `img` into the group's columns at `cols` (rows `ld` floats
  ;; apart), by $rows for a direct layer.
  (func $unfoldInto
    (param $img i32) (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32) (param $cols i32) (param $ld i32) (param $direct i32) (param $buf i32)
    (if (local.get $direct)
      (then (call $rows (local.get $img) (local.get $C) (i32.mul (local.get $oH) (local.get $oW)) (local.get $cols) (local.get $ld) (i32.const 0)))
      (else (call $im2colLd (local.get $img) (local.get $C) (local.get $H) (local.get $W) (local.get $kH) (local.get $kW)
        (local.get $sH) (local.get $sW) (local.get $pH) (local.get $pW) (local.get $dH) (local.get $dW)
        (local.get $oH) (local.get $oW) (local.get $cols) (local.get $ld) (local.get $buf))))
  )

  ;; The adjoint: image `img` += fold of the group's columns at `cols` (col2im, or $rows back).
  (func $foldFrom
    (param $cols i32) (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32) (param $img i32) (param $ld i32) (param $direct i32) (param $buf i32)
    (if (local.get $direct)
      (then (call $rows (local.get $img) (local.get $C) (i32.mul (local.get $oH) (local.get $oW)) (local.get $cols) (local.get $ld) (i32.const 1)))
      (else (call $col2imLd (local.get $cols) (local.get $C) (local.get $H) (local.get $W) (local.get $kH) (local.get $kW)
        (local.get $sH) (local.get $sW) (local.get $pH) (local.get $pW) (local.get $dH) (local.get $dW)
        (local.get $oH) (local.get $oW) (local.get $img) (local.get $ld) (local.get $buf))))
  )

  ;; y[o, :] += bias[o] for the Cout rows of L floats at y (bias = 0: nothing).
  (func $addBias (param $y i32) (param $bias i32) (param $Cout i32) (param $L i32)
    (local $o i32)
    (if (local.get $bias) (then
      (block $od (loop $ol
        (br_if $od (i32.ge_s (local.get $o) (local.get $Cout)))
        (call $addScalar
          (i32.add (local.get $y) (i32.shl (i32.mul (local.get $o) (local.get $L)) (i32.const 2)))
          (f32.load (i32.add (local.get $bias) (i32.shl (local.get $o) (i32.const 2))))
          (local.get $L))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $ol)))))
  )

  ;; y[n, c, :] += bias[c] for samples [n0, n1) of [N, C, plane] ($addBias per sample; ConvTranspose2d's
  ;; bias, after its fold): one float32 addition an element, as the op file's loop does (the same bits).
  (func (export "addChannelBias") (param $y i32) (param $bias i32) (param $C i32) (param $plane i32) (param $n0 i32) (param $n1 i32)
    (local $n i32) (local $sample i32)
    (local.set $sample (i32.shl (i32.mul (local.get $C) (local.get $plane)) (i32.const 2)))
    (local.set $n (local.get $n0))
    (block $nd (loop $nl
      (br_if $nd (i32.ge_s (local.get $n) (local.get $n1)))
      (call $addBias (i32.add (local.get $y) (i32.mul (local.get $n) (local.get $sample))) (local.get $bias) (local.get $C) (local.get $plane))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $nl)))
  )

  ;; db[c] += Σ_n Σ_i dy[n, c, i] for channels [c0, c1) of [N, C, plane], summed in float64 in that
  ;; order and added to db[c] once (ConvTranspose2d's bias gradient, as the op file sums it: the same bits).
  (func (export "channelSums64") (param $dy i32) (param $C i32) (param $plane i32) (param $N i32) (param $db i32) (param $c0 i32) (param $c1 i32)
    (local $c i32) (local $n i32) (local $p i32) (local $end i32) (local $s f64) (local $at i32)
    (local.set $c (local.get $c0))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_s (local.get $c) (local.get $c1)))
      (local.set $s (f64.const 0))
      (local.set $n (i32.const 0))
      (block $nd (loop $nl
        (br_if $nd (i32.ge_s (local.get $n) (local.get $N)))
        (local.set $p (i32.add (local.get $dy) (i32.shl (i32.mul (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $c)) (local.get $plane)) (i32.const 2))))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $plane) (i32.const 2))))
        (block $id (loop $il
          (br_if $id (i32.ge_u (local.get $p) (local.get $end)))
          (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.load (local.get $p)))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br $il)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $nl)))
      (local.set $at (i32.add (local.get $db) (i32.shl (local.get $c) (i32.const 2))))
      (f32.store (local.get $at) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $at))) (local.get $s))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cl)))
  )

  ;; An eval-mode BatchNorm and activation $act (0 none, 1 ReLU, 3 HardSwish: bnForward's modes)
  ;; applied in place to one sample's Cout planes of L floats at $y, plane o with the mean, 1/σ, γ
  ;; and β at $ep + 16·o, by elementwise.wat's $normalize (bnForward's instructions); $ep = 0: none.
  (func $epiloguePlanes (param $y i32) (param $Cout i32) (param $L i32) (param $ep i32) (param $act i32)
    (local $o i32) (local $e i32) (local $p i32)
    (if (i32.eqz (local.get $ep)) (then (return)))
    (local.set $p (local.get $y))
    (local.set $e (local.get $ep))
    (block $od (loop $ol
      (br_if $od (i32.ge_s (local.get $o) (local.get $Cout)))
      (call $normalize (local.get $p) (i32.const 0) (local.get $p) (local.get $L)
        (f32.load offset=0 (local.get $e)) (f32.load offset=4 (local.get $e)) (f32.load offset=8 (local.get $e)) (f32.load offset=12 (local.get $e))
        (local.get $act) (i32.const 0))
      (local.set $p (i32.add (local.get $p) (i32.shl (local.get $L) (i32.const 2))))
      (local.set $e (i32.add (local.get $e) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $ol)))
  )

  ;; Conv2d forward (groups = 1) for samples [n0, n1): y_n = W · unfold(x_n) (+ bias per channel),
  ;; or y_n += that with `accumulate` (ConvTranspose2d's input gradient, added into a shared one).
  ;; `direct` (1×1, stride 1, no padding) multiplies the image itself. bias = 0: no bias.
  ;; `group` > 1 (a layer with few output positions L): that many samples' columns side by side,
  ;; rows group·L floats long, multiplied in one GEMM into the tail of `cols` (which then holds
  ;; K·group·L + Cout·group·L floats) and copied (or added) to each sample's output: a GEMM of
  ;; L = 49 columns runs at ~2/3 of one of 392. A last group of one goes sample by sample; a group
  ;; of a `direct` layer unfolds too (a copy of each image's rows: $rows). $ep ≠ 0: each sample's
  ;; output then goes through $epiloguePlanes (an eval-mode BatchNorm and $act) while in cache.
  (func (export "conv2dForward")
    (param $x i32) (param $n0 i32) (param $n1 i32)
    (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32)
    (param $w i32) (param $Cout i32) (param $bias i32) (param $y i32) (param $accumulate i32)
    (param $cols i32) (param $scratch i32) (param $direct i32) (param $group i32) (param $ep i32) (param $act i32)
    (local $K i32) (local $L i32) (local $inBytes i32) (local $outBytes i32) (local $n i32)
    (local $xi i32) (local $yi i32) (local $b i32) (local $o i32)
    (local $cnt i32) (local $ld i32) (local $tmp i32) (local $s i32)
    (local.set $K (i32.mul (i32.mul (local.get $C) (local.get $kH)) (local.get $kW)))
    (local.set $L (i32.mul (local.get $oH) (local.get $oW)))
    (local.set $inBytes (i32.shl (i32.mul (i32.mul (local.get $C) (local.get $H)) (local.get $W)) (i32.const 2)))
    (local.set $outBytes (i32.shl (i32.mul (local.get $Cout) (local.get $L)) (i32.const 2)))
    (local.set $tmp (i32.add (local.get $cols) (i32.shl (i32.mul (i32.mul (local.get $K) (local.get $group)) (local.get $L)) (i32.const 2))))
    (local.set $n (local.get $n0))
    (block $nd (loop $nl
      (br_if $nd (i32.ge_s (local.get $n) (local.get $n1)))
      (local.set $cnt (i32.sub (local.get $n1) (local.get $n)))
      (if (i32.gt_s (local.get $cnt) (local.get $group)) (then (local.set $cnt (local.get $group))))
      (if (i32.le_s (local.get $cnt) (i32.const 1))
        (then
          (local.set $xi (i32.add (local.get $x) (i32.mul (local.get $n) (local.get $inBytes))))
          (local.set $yi (i32.add (local.get $y) (i32.mul (local.get $n) (local.get $outBytes))))
          (local.set $b (local.get $xi))
          (if (i32.eqz (local.get $direct)) (then
            (call $im2colLd (local.get $xi) (local.get $C) (local.get $H) (local.get $W) (local.get $kH) (local.get $kW)
              (local.get $sH) (local.get $sW) (local.get $pH) (local.get $pW) (local.get $dH) (local.get $dW)
              (local.get $oH) (local.get $oW) (local.get $cols) (local.get $L) (local.get $scratch))
            (local.set $b (local.get $cols))))
          (call $gemm (i32.const 0) (i32.const 0) (local.get $Cout) (local.get $L) (local.get $K)
            (local.get $w) (local.get $K) (local.get $b) (local.get $L) (local.get $yi) (local.get $L) (local.get $accumulate) (local.get $scratch))
          (call $addBias (local.get $yi) (local.get $bias) (local.get $Cout) (local.get $L))
          (call $epiloguePlanes (local.get $yi) (local.get $Cout) (local.get $L) (local.get $ep) (local.get $act))
          (local.set $n (i32.add (local.get $n) (i32.const 1))))
        (else
          (local.set $ld (i32.mul (local.get $cnt) (local.get $L)))
          (local.set $s (i32.const 0))
          (block $ud (loop $ul
            (br_if $ud (i32.ge_s (local.get $s) (local.get $cnt)))
            (call $unfoldInto (i32.add (local.get $x) (i32.mul (i32.add (local.get $n) (local.get $s)) (local.get $inBytes)))
              (local.get $C) (local.get $H) (local.get $W) (local.get $kH) (local.get $kW)
              (local.get $sH) (local.get $sW) (local.get $pH) (local.get $pW) (local.get $dH) (local.get $dW)
              (local.get $oH) (local.get $oW) (i32.add (local.get $cols) (i32.shl (i32.mul (local.get $s) (local.get $L)) (i32.const 2))) (local.get $ld) (local.get $direct) (local.get $scratch))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $ul)))
          (call $gemm (i32.const 0) (i32.const 0) (local.get $Cout) (local.get $ld) (local.get $K)
            (local.get $w) (local.get $K) (local.get $cols) (local.get $ld) (local.get $tmp) (local.get $ld) (i32.const 0) (local.get $scratch))
          (local.set $s (i32.const 0))
          (block $sd (loop $sl
            (br_if $sd (i32.ge_s (local.get $s) (local.get $cnt)))
            (local.set $yi (i32.add (local.get $y) (i32.mul (i32.add (local.get $n) (local.get $s)) (local.get $outBytes))))
            (local.set $o (i32.const 0))
            (block $od (loop $ol
              (br_if $od (i32.ge_s (local.get $o) (local.get $Cout)))
              (call $moveRow
                (i32.add (local.get $yi) (i32.shl (i32.mul (local.get $o) (local.get $L)) (i32.const 2)))
                (i32.add (local.get $tmp) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $ld)) (i32.mul (local.get $s) (local.get $L))) (i32.const 2)))
                (local.get $L) (local.get $accumulate))
              (local.set $o (i32.add (local.get $o) (i32.const 1)))
              (br $ol)))
            (call $addBias (local.get $yi) (local.get $bias) (local.get $Cout) (local.get $L))
            (call $epiloguePlanes (local.get $yi) (local.get $Cout) (local.get $L) (local.get $ep) (local.get $act))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $sl)))
          (local.set $n (i32.add (local.get $n) (local.get $cnt)))))
      (br $nl)))
  )

  ;; Conv2d backward (groups = 1) for samples [n0, n1):
  ;;   dWt += dy_n · unfold(x_n)ᵀ,  dbt[o] += Σ dy_n[o, :],  dx_n += fold(Wᵀ · dy_n).
  ;; dWt/dbt are this thread's partial sums (the caller adds them up); dWt = 0, dbt = 0 or dx = 0:
  ;; skipped (dWt = 0: x is not read; ConvTranspose2d's forward is this dx alone).
  ;; `group` > 1: that many samples at a time (conv2dForward's NOTE, `direct` ones too): their dy side by side in the
  ;; tail of `dcols` (which then holds K·group·L + Cout·group·L floats; `cols` K·group·L), one
  ;; weight-gradient GEMM over group·L terms and one Wᵀ·dy GEMM of group·L columns.
  ;; `skipZero` (dx alone: dWt = dbt = 0, and dx zeroed by the caller): a group whose dy is all
  ;; zeros is skipped, its dx left at the zeros the fold of Wᵀ·0 would add (+0 + ±0 = +0): the
  ;; same bits while W is finite (an infinite or NaN weight makes Wᵀ·0 NaN: a diverged run, which
  ;; the samples with a gradient still carry to the divergence guard). A GAN's generator step sends
  ;; zeros back through the discriminator's real half.
  ;; `dx0`, `dxC`: dx's channels [dx0, dx0 + dxC) only (all: 0, C), its others left as they are
  ;; (the caller's zeros; a Concat's inputs that need no gradient): the rows of Wᵀ·dy and the fold
  ;; of those channels, each the same bits as with all of them.
  (func (export "conv2dBackward")
    (param $x i32) (param $n0 i32) (param $n1 i32)
    (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32)
    (param $w i32) (param $Cout i32) (param $dy i32) (param $dx i32) (param $dWt i32) (param $dbt i32)
    (param $cols i32) (param $dcols i32) (param $scratch i32) (param $direct i32) (param $group i32) (param $skipZero i32)
    (param $dx0 i32) (param $dxC i32)
    (local $K i32) (local $L i32) (local $inBytes i32) (local $outBytes i32) (local $n i32) (local $dxK i32) (local $dxw i32)
    (local $xi i32) (local $dyi i32) (local $dxi i32) (local $b i32) (local $o i32) (local $p i32)
    (local $cnt i32) (local $ld i32) (local $dyg i32) (local $s i32) (local $one i32)
    (if (i32.or (local.get $dWt) (local.get $dbt)) (then (local.set $skipZero (i32.const 0))))
    (local.set $K (i32.mul (i32.mul (local.get $C) (local.get $kH)) (local.get $kW)))
    ;; dx's channels [dx0, dx0 + dxC): Wᵀ's rows from dx0·kH·kW (W's columns), dx from plane dx0.
    (local.set $dxK (i32.mul (i32.mul (local.get $dxC) (local.get $kH)) (local.get $kW)))
    (local.set $dxw (i32.add (local.get $w) (i32.shl (i32.mul (i32.mul (local.get $dx0) (local.get $kH)) (local.get $kW)) (i32.const 2))))
    (if (local.get $dx) (then
      (local.set $dx (i32.add (local.get $dx) (i32.shl (i32.mul (i32.mul (local.get $dx0) (local.get $H)) (local.get $W)) (i32.const 2))))))
    (local.set $L (i32.mul (local.get $oH) (local.get $oW)))
    (local.set $inBytes (i32.shl (i32.mul (i32.mul (local.get $C) (local.get $H)) (local.get $W)) (i32.const 2)))
    (local.set $outBytes (i32.shl (i32.mul (local.get $Cout) (local.get $L)) (i32.const 2)))
    (local.set $dyg (i32.add (local.get $dcols) (i32.shl (i32.mul (i32.mul (local.get $K) (local.get $group)) (local.get $L)) (i32.const 2))))
    (local.set $n (local.get $n0))
    (block $nd (loop $nl
      (br_if $nd (i32.ge_s (local.get $n) (local.get $n1)))
      (local.set $cnt (i32.sub (local.get $n1) (local.get $n)))
      (if (i32.gt_s (local.get $cnt) (local.get $group)) (then (local.set $cnt (local.get $group))))
      (if (i32.le_s (local.get $cnt) (i32.const 1)) (then (local.set $cnt (i32.const 1))))
      (if (i32.and (local.get $skipZero)
            (call $allZero (i32.add (local.get $dy) (i32.mul (local.get $n) (local.get $outBytes))) (i32.mul (local.get $cnt) (i32.mul (local.get $Cout) (local.get $L)))))
        (then
          (local.set $n (i32.add (local.get $n) (local.get $cnt)))
          (br $nl)))
      ;; $one: a direct layer's single sample multiplies its image and dx in place (a group unfolds them).
      (local.set $one (i32.and (local.get $direct) (i32.le_s (local.get $cnt) (i32.const 1))))
      (if (i32.le_s (local.get $cnt) (i32.const 1))
        (then
          ;; One sample: its dy and columns as they are.
          (local.set $cnt (i32.const 1))
          (local.set $ld (local.get $L))
          (local.set $b (i32.add (local.get $dy) (i32.mul (local.get $n) (local.get $outBytes)))))
        (else
          ;; dyg[o, s·L + j] = dy_{n+s}[o, j]
          (local.set $ld (i32.mul (local.get $cnt) (local.get $L)))
          (local.set $s (i32.const 0))
          (block $gd (loop $gl
            (br_if $gd (i32.ge_s (local.get $s) (local.get $cnt)))
            (local.set $dyi (i32.add (local.get $dy) (i32.mul (i32.add (local.get $n) (local.get $s)) (local.get $outBytes))))
            (local.set $o (i32.const 0))
            (block $od (loop $ol
              (br_if $od (i32.ge_s (local.get $o) (local.get $Cout)))
              (call $moveRow
                (i32.add (local.get $dyg) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $ld)) (i32.mul (local.get $s) (local.get $L))) (i32.const 2)))
                (i32.add (local.get $dyi) (i32.shl (i32.mul (local.get $o) (local.get $L)) (i32.const 2)))
                (local.get $L) (i32.const 0))
              (local.set $o (i32.add (local.get $o) (i32.const 1)))
              (br $ol)))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $gl)))
          (local.set $b (local.get $dyg))))
      ;; $b: the group's dy, [Cout, ld]; its samples' columns go side by side into cols/dcols.
      (if (local.get $dWt) (then
        (if (local.get $one)
          (then
            (call $gemm (i32.const 0) (i32.const 1) (local.get $Cout) (local.get $K) (local.get $L)
              (local.get $b) (local.get $L) (i32.add (local.get $x) (i32.mul (local.get $n) (local.get $inBytes))) (local.get $L)
              (local.get $dWt) (local.get $K) (i32.const 1) (local.get $scratch)))
          (else
            (local.set $s (i32.const 0))
            (block $ud (loop $ul
              (br_if $ud (i32.ge_s (local.get $s) (local.get $cnt)))
              (call $unfoldInto (i32.add (local.get $x) (i32.mul (i32.add (local.get $n) (local.get $s)) (local.get $inBytes)))
                (local.get $C) (local.get $H) (local.get $W) (local.get $kH) (local.get $kW)
                (local.get $sH) (local.get $sW) (local.get $pH) (local.get $pW) (local.get $dH) (local.get $dW)
                (local.get $oH) (local.get $oW) (i32.add (local.get $cols) (i32.shl (i32.mul (local.get $s) (local.get $L)) (i32.const 2))) (local.get $ld) (local.get $direct) (local.get $scratch))
              (local.set $s (i32.add (local.get $s) (i32.const 1)))
              (br $ul)))
            (call $gemm (i32.const 0) (i32.const 1) (local.get $Cout) (local.get $K) (local.get $ld)
              (local.get $b) (local.get $ld) (local.get $cols) (local.get $ld) (local.get $dWt) (local.get $K) (i32.const 1) (local.get $scratch))))))
      (if (local.get $dbt) (then
        (local.set $o (i32.const 0))
        (block $bd (loop $bl
          (br_if $bd (i32.ge_s (local.get $o) (local.get $Cout)))
          (local.set $p (i32.add (local.get $dbt) (i32.shl (local.get $o) (i32.const 2))))
          (f32.store (local.get $p) (f32.add (f32.load (local.get $p))
            (call $sum (i32.add (local.get $b) (i32.shl (i32.mul (local.get $o) (local.get $ld)) (i32.const 2))) (local.get $ld))))
          (local.set $o (i32.add (local.get $o) (i32.const 1)))
          (br $bl)))))
      (if (local.get $dx) (then
        (if (local.get $one)
          (then
            (call $gemm (i32.const 1) (i32.const 0) (local.get $dxK) (local.get $L) (local.get $Cout)
              (local.get $dxw) (local.get $K) (local.get $b) (local.get $L)
              (i32.add (local.get $dx) (i32.mul (local.get $n) (local.get $inBytes))) (local.get $L) (i32.const 1) (local.get $scratch)))
          (else
            (call $gemm (i32.const 1) (i32.const 0) (local.get $dxK) (local.get $ld) (local.get $Cout)
              (local.get $dxw) (local.get $K) (local.get $b) (local.get $ld) (local.get $dcols) (local.get $ld) (i32.const 0) (local.get $scratch))
            (local.set $s (i32.const 0))
            (block $fd (loop $fl
              (br_if $fd (i32.ge_s (local.get $s) (local.get $cnt)))
              (call $foldFrom (i32.add (local.get $dcols) (i32.shl (i32.mul (local.get $s) (local.get $L)) (i32.const 2)))
                (local.get $dxC) (local.get $H) (local.get $W) (local.get $kH) (local.get $kW)
                (local.get $sH) (local.get $sW) (local.get $pH) (local.get $pW) (local.get $dH) (local.get $dW)
                (local.get $oH) (local.get $oW) (i32.add (local.get $dx) (i32.mul (i32.add (local.get $n) (local.get $s)) (local.get $inBytes))) (local.get $ld) (local.get $direct) (local.get $scratch))
              (local.set $s (i32.add (local.get $s) (i32.const 1)))
              (br $fl)))))))
      (local.set $n (i32.add (local.get $n) (local.get $cnt)))
      (br $nl)))
  )

  ;; A convolution of shallow depth (K = C·kH·kW ≤ GEMM.KC: one depth block) computed from the image
  ;; itself, without im2col's columns and the GEMM's packing: conv2dShallow. Its scratch, from
  ;; `scratch`: the taps' offsets (K i32), the weights packed four output channels at a time
  ;; ([⌈Cout/4⌉][K][4] floats, zeros past Cout), then a band of padded input rows split by column
  ;; phase ($shallowRows): C blocks of R rows, each row sW phase rows of Wq floats.
  ;; $shallowWq: a phase row's floats (oW + ⌊(kW − 1) / sW⌋, what a row's taps read, in whole vectors).
  ;; $shallowBand: output rows per band, so that the band's rows stay in L2 (SHALLOW.BAND_BYTES).
  (func $shallowWq (param $kW i32) (param $sW i32) (param $oW i32) (result i32)
    (i32.and (i32.add (i32.add (local.get $oW) (i32.div_u (i32.sub (local.get $kW) (i32.const 1)) (local.get $sW))) (i32.const 3)) (i32.const -4)))
  (func $shallowBand (param $C i32) (param $kH i32) (param $sH i32) (param $sW i32) (param $oH i32) (param $Wq i32) (result i32)
    (local $rows i32) (local $b i32)
    (local.set $rows (i32.div_u (i32.const {{SHALLOW.BAND_BYTES}}) (i32.shl (i32.mul (i32.mul (local.get $C) (local.get $sW)) (local.get $Wq)) (i32.const 2))))
    (local.set $b (i32.add (i32.div_s (i32.sub (local.get $rows) (local.get $kH)) (local.get $sH)) (i32.const 1)))
    (if (i32.gt_s (local.get $b) (local.get $oH)) (then (local.set $b (local.get $oH))))
    (select (local.get $b) (i32.const 1) (i32.gt_s (local.get $b) (i32.const 1))))
  (func $shallowTabBytes (param $K i32) (result i32)
    (i32.and (i32.add (i32.shl (local.get $K) (i32.const 2)) (i32.const 15)) (i32.const -16)))

  ;; Bytes of conv2dShallow's per-thread scratch at this geometry.
  (func (export "shallowScratchBytes") (param $C i32) (param $Cout i32) (param $kH i32) (param $kW i32) (param $sH i32) (param $sW i32)
    (param $oH i32) (param $oW i32) (result i32)
    (local $K i32) (local $Wq i32) (local $R i32)
    (local.set $K (i32.mul (i32.mul (local.get $C) (local.get $kH)) (local.get $kW)))
    (local.set $Wq (call $shallowWq (local.get $kW) (local.get $sW) (local.get $oW)))
    (local.set $R (i32.add (i32.mul (i32.sub (call $shallowBand (local.get $C) (local.get $kH) (local.get $sH) (local.get $sW) (local.get $oH) (local.get $Wq)) (i32.const 1))
      (local.get $sH)) (local.get $kH)))
    (i32.add (i32.add (call $shallowTabBytes (local.get $K))
      (i32.shl (i32.mul (i32.and (i32.add (local.get $Cout) (i32.const 3)) (i32.const -4)) (local.get $K)) (i32.const 2)))
      (i32.shl (i32.mul (i32.mul (i32.mul (local.get $C) (local.get $R)) (local.get $sW)) (local.get $Wq)) (i32.const 2)))
  )

  ;; Padded rows [r0, r1) of one image's C planes into `buf`, split by column phase: for channel c,
  ;; padded row r and phase q < sW, buf + 4·(((c·R + r − r0)·sW + q)·Wq + j) holds
  ;; plane c [r − pH][j·sW + q − pW] (0 outside the image), so that a stride-sW row's outputs at tap
  ;; kj are Wq-float row (kj mod sW)'s floats from column ow + ⌊kj / sW⌋, contiguous. Stride 1 and 2
  ;; move the columns [j0, j1) that lie inside the image four at a time (stride 2: the even and odd
  ;; lanes of eight floats; the same span on every row), the others one by one.
  (func $shallowRows (param $img i32) (param $C i32) (param $H i32) (param $W i32) (param $sW i32) (param $pH i32) (param $pW i32)
    (param $r0 i32) (param $r1 i32) (param $R i32) (param $Wq i32) (param $buf i32)
    (local $c i32) (local $r i32) (local $ih i32) (local $j i32) (local $q i32) (local $iw i32) (local $src i32) (local $dst i32)
    (local $phase i32) (local $j0 i32) (local $j1 i32) (local $s i32) (local $d i32) (local $end i32) (local $va v128) (local $vb v128)
    (local.set $phase (i32.shl (local.get $Wq) (i32.const 2)))
    ;; [j0, j1): whole groups of four columns whose sW·4 floats from j·sW − pW lie in the row (none for sW > 2)
    (local.set $j0 (i32.div_u (i32.add (local.get $pW) (i32.sub (local.get $sW) (i32.const 1))) (local.get $sW)))
    (local.set $j1 (local.get $j0))
    (if (i32.le_u (local.get $sW) (i32.const 2)) (then
      (block $vd (loop $vl
        (br_if $vd (i32.gt_s (i32.add (local.get $j1) (i32.const 4)) (local.get $Wq)))
        (br_if $vd (i32.gt_s (i32.add (i32.sub (i32.mul (local.get $j1) (local.get $sW)) (local.get $pW)) (i32.shl (local.get $sW) (i32.const 2))) (local.get $W)))
        (local.set $j1 (i32.add (local.get $j1) (i32.const 4)))
        (br $vl)))))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_s (local.get $c) (local.get $C)))
      (local.set $r (local.get $r0))
      (block $rd (loop $rl
        (br_if $rd (i32.ge_s (local.get $r) (local.get $r1)))
        (local.set $dst (i32.add (local.get $buf) (i32.mul (i32.mul (i32.add (i32.mul (local.get $c) (local.get $R)) (i32.sub (local.get $r) (local.get $r0)))
          (local.get $sW)) (local.get $phase))))
        (local.set $ih (i32.sub (local.get $r) (local.get $pH)))
        (if (i32.ge_u (local.get $ih) (local.get $H))
          (then (call $zero (local.get $dst) (i32.mul (local.get $sW) (local.get $Wq))))
          (else
            (local.set $src (i32.add (local.get $img) (i32.shl (i32.mul (i32.add (i32.mul (local.get $c) (local.get $H)) (local.get $ih)) (local.get $W)) (i32.const 2))))
            (local.set $s (i32.add (local.get $src) (i32.shl (i32.sub (i32.mul (local.get $j0) (local.get $sW)) (local.get $pW)) (i32.const 2))))
            (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $j0) (i32.const 2))))
            (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $j1) (i32.const 2))))
            (if (i32.eq (local.get $sW) (i32.const 1))
              (then
                (block $od (loop $ol
                  (br_if $od (i32.ge_u (local.get $d) (local.get $end)))
                  (v128.store (local.get $d) (v128.load (local.get $s)))
                  (local.set $s (i32.add (local.get $s) (i32.const 16)))
                  (local.set $d (i32.add (local.get $d) (i32.const 16)))
                  (br $ol))))
              (else
                (block $td (loop $tl
                  (br_if $td (i32.ge_u (local.get $d) (local.get $end)))
                  (local.set $va (v128.load (local.get $s)))
                  (local.set $vb (v128.load offset=16 (local.get $s)))
                  (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $va) (local.get $vb)))
                  (v128.store (i32.add (local.get $d) (local.get $phase)) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $va) (local.get $vb)))
                  (local.set $s (i32.add (local.get $s) (i32.const 32)))
                  (local.set $d (i32.add (local.get $d) (i32.const 16)))
                  (br $tl)))))
            ;; the columns outside [j0, j1), one by one
            (local.set $j (i32.const 0))
            (block $jd (loop $jl
              (br_if $jd (i32.ge_s (local.get $j) (local.get $Wq)))
              (if (i32.eq (local.get $j) (local.get $j0)) (then (local.set $j (local.get $j1))))
              (br_if $jd (i32.ge_s (local.get $j) (local.get $Wq)))
              (local.set $iw (i32.sub (i32.mul (local.get $j) (local.get $sW)) (local.get $pW)))
              (local.set $q (i32.const 0))
              (block $qd (loop $ql
                (br_if $qd (i32.ge_s (local.get $q) (local.get $sW)))
                (f32.store (i32.add (i32.add (local.get $dst) (i32.mul (local.get $q) (local.get $phase))) (i32.shl (local.get $j) (i32.const 2)))
                  (if (result f32) (i32.lt_u (i32.add (local.get $iw) (local.get $q)) (local.get $W))
                    (then (f32.load (i32.add (local.get $src) (i32.shl (i32.add (local.get $iw) (local.get $q)) (i32.const 2)))))
                    (else (f32.const 0))))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br $ql)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $jl)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cl)))
  )

  ;; One output row `oh` of four output channels (rows at `yo`, L floats apart; `cnt` of them stored)
  ;; from the band's rows at `base` (the row's first padded row): eight outputs at a time, the last
  ;; eight ending at oW (overlapping the previous ones, which get the same values again; oW ≥ 8). Each
  ;; output is Σ_p w[p]·x[p] over the taps in order from 0, as the GEMM's micro-kernel sums a column
  ;; over one depth block, then + bias (bias = 0: none): the same bits as im2col + GEMM + $addBias.
  (func $shallowRow (param $base i32) (param $tab i32) (param $K i32) (param $wg i32) (param $oW i32)
    (param $bias i32) (param $yo i32) (param $L i32) (param $cnt i32)
    (local $ow i32) (local $t i32) (local $end i32) (local $wp i32) (local $p i32) (local $q i32) (local $row i32) (local $last i32)
    (local $x0 v128) (local $x1 v128) (local $a v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $end (i32.add (local.get $tab) (i32.shl (local.get $K) (i32.const 2))))
    (local.set $row (i32.shl (local.get $L) (i32.const 2)))
    (block $od (loop $ol
      (if (i32.gt_s (i32.add (local.get $ow) (i32.const 8)) (local.get $oW))
        (then
          (br_if $od (local.get $last))
          (local.set $ow (i32.sub (local.get $oW) (i32.const 8)))))
      (local.set $last (i32.ge_s (i32.add (local.get $ow) (i32.const 8)) (local.get $oW)))
      (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
      (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
      (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
      (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.add (local.get $base) (i32.shl (local.get $ow) (i32.const 2))))
      (local.set $t (local.get $tab))
      (local.set $wp (local.get $wg))
      ;; NOTE: one tap a round. With three unrolled, V8 loaded all three taps' vectors first and spilled
      ;; accumulators to the stack (--print-wasm-code): mobilenet_v3_small's stem 8.2 ms, 5.4 without.
      (block $rd (loop $rl
        (br_if $rd (i32.ge_u (local.get $t) (local.get $end)))
        (local.set $q (i32.add (local.get $p) (i32.load offset=0 (local.get $t))))
        (local.set $x0 (v128.load (local.get $q)))
        (local.set $x1 (v128.load offset=16 (local.get $q)))
        (local.set $a (v128.load32_splat offset=0 (local.get $wp)))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $x0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $x1))))
        (local.set $a (v128.load32_splat offset=4 (local.get $wp)))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $x0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $x1))))
        (local.set $a (v128.load32_splat offset=8 (local.get $wp)))
        (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $x0))))
        (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $x1))))
        (local.set $a (v128.load32_splat offset=12 (local.get $wp)))
        (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $x0))))
        (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $x1))))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
        (br $rl)))
      (if (local.get $bias) (then
        (local.set $c00 (f32x4.add (local.get $c00) (v128.load32_splat offset=0 (local.get $bias))))
        (local.set $c01 (f32x4.add (local.get $c01) (v128.load32_splat offset=0 (local.get $bias))))
        (if (i32.gt_s (local.get $cnt) (i32.const 1)) (then
          (local.set $c10 (f32x4.add (local.get $c10) (v128.load32_splat offset=4 (local.get $bias))))
          (local.set $c11 (f32x4.add (local.get $c11) (v128.load32_splat offset=4 (local.get $bias))))))
        (if (i32.gt_s (local.get $cnt) (i32.const 2)) (then
          (local.set $c20 (f32x4.add (local.get $c20) (v128.load32_splat offset=8 (local.get $bias))))
          (local.set $c21 (f32x4.add (local.get $c21) (v128.load32_splat offset=8 (local.get $bias))))))
        (if (i32.gt_s (local.get $cnt) (i32.const 3)) (then
          (local.set $c30 (f32x4.add (local.get $c30) (v128.load32_splat offset=12 (local.get $bias))))
          (local.set $c31 (f32x4.add (local.get $c31) (v128.load32_splat offset=12 (local.get $bias))))))))
      (local.set $p (i32.add (local.get $yo) (i32.shl (local.get $ow) (i32.const 2))))
      (v128.store (local.get $p) (local.get $c00))
      (v128.store offset=16 (local.get $p) (local.get $c01))
      (if (i32.gt_s (local.get $cnt) (i32.const 1)) (then
        (local.set $p (i32.add (local.get $p) (local.get $row)))
        (v128.store (local.get $p) (local.get $c10))
        (v128.store offset=16 (local.get $p) (local.get $c11))))
      (if (i32.gt_s (local.get $cnt) (i32.const 2)) (then
        (local.set $p (i32.add (local.get $p) (local.get $row)))
        (v128.store (local.get $p) (local.get $c20))
        (v128.store offset=16 (local.get $p) (local.get $c21))))
      (if (i32.gt_s (local.get $cnt) (i32.const 3)) (then
        (local.set $p (i32.add (local.get $p) (local.get $row)))
        (v128.store (local.get $p) (local.get $c30))
        (v128.store offset=16 (local.get $p) (local.get $c31))))
      (local.set $ow (i32.add (local.get $ow) (i32.const 8)))
      (br $ol)))
  )

  ;; Conv2d forward (groups = 1, dilation 1) for samples [n0, n1) of a layer of shallow depth,
  ;; K = C·kH·kW ≤ GEMM.KC, and rows of at least 8 outputs (oW ≥ 8): y_n = W ⋆ x_n (+ bias), then
  ;; $ep's eval-mode BatchNorm and $act on each finished output row, as conv2dForward's single-sample
  ;; path (im2col, one GEMM depth block, $addBias, $epiloguePlanes) computes it, bit for bit: each
  ;; output's products are summed in im2col's row order (c, ki, kj) from 0, padding's zeros included.
  ;; No columns: the image's rows go band by band, split by column phase ($shallowRows), into the
  ;; scratch, and each output row is multiplied four channels × eight positions at a time
  ;; ($shallowRow): every input vector loaded once per four channels, the weights once per eight
  ;; outputs. mobilenet_v3_small's stem (3→16, 3×3 stride 2 on 224×224: K = 27) is the case.
  (func (export "conv2dShallow")
    (param $x i32) (param $n0 i32) (param $n1 i32)
    (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $oH i32) (param $oW i32)
    (param $w i32) (param $Cout i32) (param $bias i32) (param $y i32) (param $ep i32) (param $act i32) (param $scratch i32)
    (local $K i32) (local $L i32) (local $Wq i32) (local $B i32) (local $R i32) (local $tab i32) (local $wpk i32) (local $buf i32)
    (local $n i32) (local $c i32) (local $ki i32) (local $kj i32) (local $o i32) (local $p i32) (local $g i32)
    (local $oh i32) (local $oh0 i32) (local $oh1 i32) (local $yn i32) (local $yr i32) (local $base i32) (local $e i32)
    (local.set $K (i32.mul (i32.mul (local.get $C) (local.get $kH)) (local.get $kW)))
    (local.set $L (i32.mul (local.get $oH) (local.get $oW)))
    (local.set $Wq (call $shallowWq (local.get $kW) (local.get $sW) (local.get $oW)))
    (local.set $B (call $shallowBand (local.get $C) (local.get $kH) (local.get $sH) (local.get $sW) (local.get $oH) (local.get $Wq)))
    (local.set $R (i32.add (i32.mul (i32.sub (local.get $B) (i32.const 1)) (local.get $sH)) (local.get $kH)))
    (local.set $tab (local.get $scratch))
    (local.set $wpk (i32.add (local.get $tab) (call $shallowTabBytes (local.get $K))))
    (local.set $buf (i32.add (local.get $wpk) (i32.shl (i32.mul (i32.and (i32.add (local.get $Cout) (i32.const 3)) (i32.const -4)) (local.get $K)) (i32.const 2))))
    ;; tap p = (c, ki, kj): its bytes from an output's first padded row and column in the band
    (block $cd (loop $cl
      (br_if $cd (i32.ge_s (local.get $c) (local.get $C)))
      (local.set $ki (i32.const 0))
      (block $kid (loop $kil
        (br_if $kid (i32.ge_s (local.get $ki) (local.get $kH)))
        (local.set $kj (i32.const 0))
        (block $kjd (loop $kjl
          (br_if $kjd (i32.ge_s (local.get $kj) (local.get $kW)))
          (i32.store (i32.add (local.get $tab) (i32.shl (local.get $p) (i32.const 2)))
            (i32.shl (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $c) (local.get $R)) (local.get $ki)) (local.get $sW))
              (i32.rem_u (local.get $kj) (local.get $sW))) (local.get $Wq)) (i32.div_u (local.get $kj) (local.get $sW))) (i32.const 2)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (local.set $kj (i32.add (local.get $kj) (i32.const 1)))
          (br $kjl)))
        (local.set $ki (i32.add (local.get $ki) (i32.const 1)))
        (br $kil)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cl)))
    ;; the weights, [⌈Cout/4⌉][K][4]: wpk[g][p][i] = w[4g + i][p], 0 past Cout
    (local.set $o (i32.const 0))
    (block $wd (loop $wl
      (br_if $wd (i32.ge_s (local.get $o) (i32.and (i32.add (local.get $Cout) (i32.const 3)) (i32.const -4))))
      (local.set $p (i32.const 0))
      (block $pd (loop $pl
        (br_if $pd (i32.ge_s (local.get $p) (local.get $K)))
        (f32.store (i32.add (local.get $wpk) (i32.shl (i32.add (i32.shl (i32.add (i32.mul (i32.shr_u (local.get $o) (i32.const 2)) (local.get $K)) (local.get $p)) (i32.const 2))
            (i32.and (local.get $o) (i32.const 3))) (i32.const 2)))
          (if (result f32) (i32.lt_s (local.get $o) (local.get $Cout))
            (then (f32.load (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $K)) (local.get $p)) (i32.const 2)))))
            (else (f32.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $pl)))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (br $wl)))
    (local.set $n (local.get $n0))
    (block $nd (loop $nl
      (br_if $nd (i32.ge_s (local.get $n) (local.get $n1)))
      (local.set $yn (i32.add (local.get $y) (i32.shl (i32.mul (i32.mul (local.get $n) (local.get $Cout)) (local.get $L)) (i32.const 2))))
      (local.set $oh0 (i32.const 0))
      (block $bd (loop $bl
        (br_if $bd (i32.ge_s (local.get $oh0) (local.get $oH)))
        (local.set $oh1 (i32.add (local.get $oh0) (local.get $B)))
        (if (i32.gt_s (local.get $oh1) (local.get $oH)) (then (local.set $oh1 (local.get $oH))))
        (call $shallowRows (i32.add (local.get $x) (i32.shl (i32.mul (i32.mul (i32.mul (local.get $n) (local.get $C)) (local.get $H)) (local.get $W)) (i32.const 2)))
          (local.get $C) (local.get $H) (local.get $W) (local.get $sW) (local.get $pH) (local.get $pW)
          (i32.mul (local.get $oh0) (local.get $sH)) (i32.add (i32.mul (i32.sub (local.get $oh1) (i32.const 1)) (local.get $sH)) (local.get $kH))
          (local.get $R) (local.get $Wq) (local.get $buf))
        (local.set $oh (local.get $oh0))
        (block $hd (loop $hl
          (br_if $hd (i32.ge_s (local.get $oh) (local.get $oh1)))
          (local.set $base (i32.add (local.get $buf) (i32.shl (i32.mul (i32.mul (i32.mul (i32.sub (local.get $oh) (local.get $oh0)) (local.get $sH)) (local.get $sW)) (local.get $Wq)) (i32.const 2))))
          (local.set $yr (i32.add (local.get $yn) (i32.shl (i32.mul (local.get $oh) (local.get $oW)) (i32.const 2))))
          (local.set $g (i32.const 0))
          (block $gd (loop $gl
            (br_if $gd (i32.ge_s (local.get $g) (local.get $Cout)))
            (call $shallowRow (local.get $base) (local.get $tab) (local.get $K)
              (i32.add (local.get $wpk) (i32.shl (i32.mul (local.get $g) (local.get $K)) (i32.const 2)))
              (local.get $oW) (select (i32.add (local.get $bias) (i32.shl (local.get $g) (i32.const 2))) (i32.const 0) (local.get $bias))
              (i32.add (local.get $yr) (i32.shl (i32.mul (local.get $g) (local.get $L)) (i32.const 2))) (local.get $L)
              (i32.sub (local.get $Cout) (local.get $g)))
            (local.set $g (i32.add (local.get $g) (i32.const 4)))
            (br $gl)))
          ;; the finished row of every channel through the epilogue while in cache
          (if (local.get $ep) (then
            (local.set $o (i32.const 0))
            (local.set $e (local.get $ep))
            (block $ed (loop $el
              (br_if $ed (i32.ge_s (local.get $o) (local.get $Cout)))
              (call $normalize (local.get $yr) (i32.const 0) (local.get $yr) (local.get $oW)
                (f32.load offset=0 (local.get $e)) (f32.load offset=4 (local.get $e)) (f32.load offset=8 (local.get $e)) (f32.load offset=12 (local.get $e))
                (local.get $act) (i32.const 0))
              (local.set $yr (i32.add (local.get $yr) (i32.shl (local.get $L) (i32.const 2))))
              (local.set $e (i32.add (local.get $e) (i32.const 16)))
              (local.set $o (i32.add (local.get $o) (i32.const 1)))
              (br $el)))))
          (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
          (br $hl)))
        (local.set $oh0 (local.get $oh1))
        (br $bl)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $nl)))
  )
)
