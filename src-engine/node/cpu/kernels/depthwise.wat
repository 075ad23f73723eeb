;; Depthwise Conv2d (groups = C = Cout: one kH×kW filter per channel, MobileNet's and EfficientNet's
;; blocks) over planes of [N·C, H, W]: any stride, padding (zeros) and dilation. The op file runs
;; such a layer as one im2col and one 1-row GEMM per sample and channel, each a parallel round of
;; its own (16 × 576 of them for one of mobilenet_v3_small's layers at batch 16); these run a range
;; of planes (forward, input gradient) or of channels (weight gradient) per task, one round a layer.
;;
;; Tap by tap over whole rows, f32x4 along a stride-1 row (a 3×3 filter is 9 products an output:
;; no GEMM to feed). Sums, in order:
;;   forward       y = Σ_{ky, kx} w·x over the taps inside the image (+ bias after), row-major taps;
;;   input grad    dx += w·dy, tap by tap (ky, kx), each over the outputs in row-major order (the
;;                 op file's GEMM of depth 1 writes each w·dy, its col2im adds them tap by tap);
;;   weight grad   dW[c, tap] += Σ_n Σ_out dy·x in float32, a row at a time (four lanes along a
;;                 stride-1 row), added to dW once per channel and tap,
;;                 and db[c] = f32(db[c] + Σ_out dy) per sample with the sum in float64 (the op
;;                 file's bias gradient).
;; The outputs differ from the op file's by float32 reassociation only (its GEMM sums the taps in
;; its own order; test/unit/cpu-backend/overrides.test.ts holds them to 1e-5).
;;
;; All pointers are byte addresses into the shared heap; sizes are element counts.
(module
  (import "env" "memory" (memory 1 {{HEAP.MAX_PAGES}} shared))

  ;; Outputs [lo, hi) of a row of `o` whose input position o·s − p + t (t: the tap's offset) lies in
  ;; [0, size): lo = ceil((p − t) / s) clipped to [0, o], hi likewise from size.
  (func $validLo (param $s i32) (param $off i32) (param $o i32) (result i32)
    (local $lo i32)
    ;; off = t − p; need q·s + off >= 0, i.e. q >= ceil(−off / s).
    (if (i32.ge_s (local.get $off) (i32.const 0)) (then (return (i32.const 0))))
    (local.set $lo (i32.div_s (i32.add (i32.sub (i32.const 0) (local.get $off)) (i32.sub (local.get $s) (i32.const 1))) (local.get $s)))
    (select (local.get $lo) (local.get $o) (i32.lt_s (local.get $lo) (local.get $o))))
  (func $validHi (param $s i32) (param $off i32) (param $size i32) (param $o i32) (param $lo i32) (result i32)
    (local $hi i32)
    ;; need q·s + off < size, i.e. q < ceil((size − off) / s) (size − off > 0), else none.
    (if (i32.le_s (i32.sub (local.get $size) (local.get $off)) (i32.const 0)) (then (return (local.get $lo))))
    (local.set $hi (i32.div_s (i32.add (i32.sub (local.get $size) (local.get $off)) (i32.sub (local.get $s) (i32.const 1))) (local.get $s)))
    (if (i32.gt_s (local.get $hi) (local.get $o)) (then (local.set $hi (local.get $o))))
    (select (local.get $hi) (local.get $lo) (i32.gt_s (local.get $hi) (local.get $lo))))

  ;; dst[i] += wv·src[i·step] for i in [0, n) (step in bytes): f32x4 where step is 4 (a stride-1
  ;; row), one float at a time otherwise. A mul then an add, each rounded, in the vector body and the
  ;; tail alike (not the `acc + x·y` pattern the relaxed build fuses), so an element's bits do not
  ;; depend on where in the row it falls.
  (func $axpyRow (param $dst i32) (param $src i32) (param $n i32) (param $step i32) (param $wv f32)
    (local $end i32) (local $end4 i32) (local $w4 v128)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (if (i32.eq (local.get $step) (i32.const 4)) (then
      (local.set $w4 (f32x4.splat (local.get $wv)))
      (local.set $end4 (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
      (block $vd (loop $vl
        (br_if $vd (i32.ge_u (local.get $dst) (local.get $end4)))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (f32x4.mul (v128.load (local.get $src)) (local.get $w4))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $vl)))))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.mul (local.get $wv) (f32.load (local.get $src)))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $src (i32.add (local.get $src) (local.get $step)))
      (br $sl)))
  )

;; Σ a[i]·b[i·step] for i in [0, n) (step in bytes): four lanes summed then added in order, and
  ;; the tail, where step is 4; one float at a time otherwise.
  (func $dotRow (param $a i32) (param $b i32) (param $n i32) (param $step i32) (result f32)
    (local $end i32) (local $end4 i32) (local $s4 v128) (local $s f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (if (i32.eq (local.get $step) (i32.const 4)) (then
      (local.set $end4 (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
      (block $vd (loop $vl
        (br_if $vd (i32.ge_u (local.get $a) (local.get $end4)))
        (local.set $s4 (f32x4.add (local.get $s4) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $vl)))
      (local.set $s (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s4)) (f32x4.extract_lane 1 (local.get $s4)))
                             (f32.add (f32x4.extract_lane 2 (local.get $s4)) (f32x4.extract_lane 3 (local.get $s4)))))))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (local.get $step)))
      (br $sl)))
    (local.get $s)
  )

  ;; y[p] = Σ taps w[c]·x[p] (+ bias[c]; bias = 0: none) for planes p in [p0, p1), c = p mod C: the
  ;; plane zeroed, then each tap's products added over the outputs whose input lies inside the image
  ;; (so each output sums its taps in row-major order), then the bias.
  (func (export "depthwiseForward")
    (param $x i32) (param $w i32) (param $bias i32) (param $y i32) (param $p0 i32) (param $p1 i32)
    (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32)
    (local $p i32) (local $c i32) (local $xb i32) (local $yb i32) (local $wv f32) (local $b4 v128)
    (local $ky i32) (local $kx i32) (local $oy i32) (local $iy i32)
    (local $yLo i32) (local $yHi i32) (local $xLo i32) (local $xHi i32) (local $xOff i32)
    (local $at i32) (local $end i32) (local $end4 i32) (local $sStep i32)
    (local.set $sStep (i32.shl (local.get $sW) (i32.const 2)))
    (local.set $p (local.get $p0))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_s (local.get $p) (local.get $p1)))
      (local.set $c (i32.rem_u (local.get $p) (local.get $C)))
      (local.set $xb (i32.add (local.get $x) (i32.shl (i32.mul (local.get $p) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
      (local.set $yb (i32.add (local.get $y) (i32.shl (i32.mul (local.get $p) (i32.mul (local.get $oH) (local.get $oW))) (i32.const 2))))
      (local.set $end (i32.add (local.get $yb) (i32.shl (i32.mul (local.get $oH) (local.get $oW)) (i32.const 2))))
      (local.set $end4 (i32.add (local.get $yb) (i32.shl (i32.and (i32.mul (local.get $oH) (local.get $oW)) (i32.const -4)) (i32.const 2))))
      (local.set $at (local.get $yb))
      (block $zd (loop $zl
        (br_if $zd (i32.ge_u (local.get $at) (local.get $end4)))
        (v128.store (local.get $at) (v128.const i32x4 0 0 0 0))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $zl)))
      (block $zd1 (loop $zl1
        (br_if $zd1 (i32.ge_u (local.get $at) (local.get $end)))
        (f32.store (local.get $at) (f32.const 0))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (br $zl1)))
      (local.set $ky (i32.const 0))
      (block $kyd (loop $kyl
        (br_if $kyd (i32.ge_s (local.get $ky) (local.get $kH)))
        (local.set $yLo (call $validLo (local.get $sH) (i32.sub (i32.mul (local.get $ky) (local.get $dH)) (local.get $pH)) (local.get $oH)))
        (local.set $yHi (call $validHi (local.get $sH) (i32.sub (i32.mul (local.get $ky) (local.get $dH)) (local.get $pH)) (local.get $H) (local.get $oH) (local.get $yLo)))
        (local.set $kx (i32.const 0))
        (block $kxd (loop $kxl
          (br_if $kxd (i32.ge_s (local.get $kx) (local.get $kW)))
          (local.set $wv (f32.load (i32.add (local.get $w) (i32.shl
            (i32.add (i32.mul (i32.add (i32.mul (local.get $c) (local.get $kH)) (local.get $ky)) (local.get $kW)) (local.get $kx)) (i32.const 2)))))
          (local.set $xOff (i32.sub (i32.mul (local.get $kx) (local.get $dW)) (local.get $pW)))
          (local.set $xLo (call $validLo (local.get $sW) (local.get $xOff) (local.get $oW)))
          (local.set $xHi (call $validHi (local.get $sW) (local.get $xOff) (local.get $W) (local.get $oW) (local.get $xLo)))
          (local.set $oy (local.get $yLo))
          (block $oyd (loop $oyl
            (br_if $oyd (i32.ge_s (local.get $oy) (local.get $yHi)))
            (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $sH)) (local.get $pH)) (i32.mul (local.get $ky) (local.get $dH))))
            (call $axpyRow
              (i32.add (local.get $yb) (i32.shl (i32.add (i32.mul (local.get $oy) (local.get $oW)) (local.get $xLo)) (i32.const 2)))
              (i32.add (local.get $xb) (i32.shl (i32.add (i32.mul (local.get $iy) (local.get $W)) (i32.add (i32.mul (local.get $xLo) (local.get $sW)) (local.get $xOff))) (i32.const 2)))
              (i32.sub (local.get $xHi) (local.get $xLo)) (local.get $sStep) (local.get $wv))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $oyl)))
          (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
          (br $kxl)))
        (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
        (br $kyl)))
      (if (local.get $bias) (then
        (local.set $b4 (f32x4.splat (f32.load (i32.add (local.get $bias) (i32.shl (local.get $c) (i32.const 2))))))
        (local.set $at (local.get $yb))
        (block $bd (loop $bl
          (br_if $bd (i32.ge_u (local.get $at) (local.get $end4)))
          (v128.store (local.get $at) (f32x4.add (v128.load (local.get $at)) (local.get $b4)))
          (local.set $at (i32.add (local.get $at) (i32.const 16)))
          (br $bl)))
        (block $bd1 (loop $bl1
          (br_if $bd1 (i32.ge_u (local.get $at) (local.get $end)))
          (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (f32x4.extract_lane 0 (local.get $b4))))
          (local.set $at (i32.add (local.get $at) (i32.const 4)))
          (br $bl1)))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $pl)))
  )

  ;; dx[p] += Σ taps w[c]·dy[p] (the adjoint of depthwiseForward) for planes p in [p0, p1): tap by
  ;; tap, each over the outputs whose input lies inside the image, in row-major order.
  (func (export "depthwiseInputGrad")
    (param $dy i32) (param $w i32) (param $dx i32) (param $p0 i32) (param $p1 i32)
    (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32)
    (local $p i32) (local $c i32) (local $dxb i32) (local $dyb i32) (local $wv f32)
    (local $ky i32) (local $kx i32) (local $oy i32) (local $ox i32) (local $iy i32)
    (local $yLo i32) (local $yHi i32) (local $xLo i32) (local $xHi i32) (local $xOff i32)
    (local $src i32) (local $dst i32) (local $sStep i32)
    (local.set $sStep (i32.shl (local.get $sW) (i32.const 2)))
    (local.set $p (local.get $p0))
    (block $pd (loop $pl
      (br_if $pd (i32.ge_s (local.get $p) (local.get $p1)))
      (local.set $c (i32.rem_u (local.get $p) (local.get $C)))
      (local.set $dxb (i32.add (local.get $dx) (i32.shl (i32.mul (local.get $p) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
      (local.set $dyb (i32.add (local.get $dy) (i32.shl (i32.mul (local.get $p) (i32.mul (local.get $oH) (local.get $oW))) (i32.const 2))))
      (local.set $ky (i32.const 0))
      (block $kyd (loop $kyl
        (br_if $kyd (i32.ge_s (local.get $ky) (local.get $kH)))
        (local.set $yLo (call $validLo (local.get $sH) (i32.sub (i32.mul (local.get $ky) (local.get $dH)) (local.get $pH)) (local.get $oH)))
        (local.set $yHi (call $validHi (local.get $sH) (i32.sub (i32.mul (local.get $ky) (local.get $dH)) (local.get $pH)) (local.get $H) (local.get $oH) (local.get $yLo)))
        (local.set $kx (i32.const 0))
        (block $kxd (loop $kxl
          (br_if $kxd (i32.ge_s (local.get $kx) (local.get $kW)))
          (local.set $wv (f32.load (i32.add (local.get $w) (i32.shl
            (i32.add (i32.mul (i32.add (i32.mul (local.get $c) (local.get $kH)) (local.get $ky)) (local.get $kW)) (local.get $kx)) (i32.const 2)))))
          (local.set $xOff (i32.sub (i32.mul (local.get $kx) (local.get $dW)) (local.get $pW)))
          (local.set $xLo (call $validLo (local.get $sW) (local.get $xOff) (local.get $oW)))
          (local.set $xHi (call $validHi (local.get $sW) (local.get $xOff) (local.get $W) (local.get $oW) (local.get $xLo)))
          (local.set $oy (local.get $yLo))
          (block $oyd (loop $oyl
            (br_if $oyd (i32.ge_s (local.get $oy) (local.get $yHi)))
            (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $sH)) (local.get $pH)) (i32.mul (local.get $ky) (local.get $dH))))
            (if (i32.eq (local.get $sW) (i32.const 1))
              (then (call $axpyRow
                (i32.add (local.get $dxb) (i32.shl (i32.add (i32.mul (local.get $iy) (local.get $W)) (i32.add (local.get $xLo) (local.get $xOff))) (i32.const 2)))
                (i32.add (local.get $dyb) (i32.shl (i32.add (i32.mul (local.get $oy) (local.get $oW)) (local.get $xLo)) (i32.const 2)))
                (i32.sub (local.get $xHi) (local.get $xLo)) (i32.const 4) (local.get $wv)))
              (else
                (local.set $src (i32.add (local.get $dyb) (i32.shl (i32.add (i32.mul (local.get $oy) (local.get $oW)) (local.get $xLo)) (i32.const 2))))
                (local.set $dst (i32.add (local.get $dxb) (i32.shl
                  (i32.add (i32.mul (local.get $iy) (local.get $W)) (i32.add (i32.mul (local.get $xLo) (local.get $sW)) (local.get $xOff))) (i32.const 2))))
                (local.set $ox (local.get $xLo))
                (block $oxd (loop $oxl
                  (br_if $oxd (i32.ge_s (local.get $ox) (local.get $xHi)))
                  (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.mul (local.get $wv) (f32.load (local.get $src)))))
                  (local.set $src (i32.add (local.get $src) (i32.const 4)))
                  (local.set $dst (i32.add (local.get $dst) (local.get $sStep)))
                  (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                  (br $oxl)))))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $oyl)))
          (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
          (br $kxl)))
        (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
        (br $kyl)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $pl)))
  )

  ;; For channels c in [c0, c1) over all N samples: dW[c, tap] += Σ_n Σ_out dy·x (dW = 0: skipped),
  ;; and per sample db[c] = f32(db[c] + Σ_out dy) with the sum in float64 (db = 0: no bias).
  (func (export "depthwiseWeightGrad")
    (param $x i32) (param $dy i32) (param $dWt i32) (param $db i32) (param $c0 i32) (param $c1 i32) (param $N i32)
    (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32)
    (local $c i32) (local $n i32) (local $ky i32) (local $kx i32) (local $oy i32) (local $iy i32)
    (local $yLo i32) (local $yHi i32) (local $xLo i32) (local $xHi i32) (local $xOff i32)
    (local $xb i32) (local $dyb i32) (local $src i32) (local $at i32) (local $sStep i32) (local $end i32)
    (local $acc f32) (local $s f64) (local $wAt i32)
    (local.set $sStep (i32.shl (local.get $sW) (i32.const 2)))
    (local.set $c (local.get $c0))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_s (local.get $c) (local.get $c1)))
      (if (local.get $dWt) (then
        (local.set $ky (i32.const 0))
        (block $kyd (loop $kyl
          (br_if $kyd (i32.ge_s (local.get $ky) (local.get $kH)))
          (local.set $yLo (call $validLo (local.get $sH) (i32.sub (i32.mul (local.get $ky) (local.get $dH)) (local.get $pH)) (local.get $oH)))
          (local.set $yHi (call $validHi (local.get $sH) (i32.sub (i32.mul (local.get $ky) (local.get $dH)) (local.get $pH)) (local.get $H) (local.get $oH) (local.get $yLo)))
          (local.set $kx (i32.const 0))
          (block $kxd (loop $kxl
            (br_if $kxd (i32.ge_s (local.get $kx) (local.get $kW)))
            (local.set $xOff (i32.sub (i32.mul (local.get $kx) (local.get $dW)) (local.get $pW)))
            (local.set $xLo (call $validLo (local.get $sW) (local.get $xOff) (local.get $oW)))
            (local.set $xHi (call $validHi (local.get $sW) (local.get $xOff) (local.get $W) (local.get $oW) (local.get $xLo)))
            (local.set $acc (f32.const 0))
            (local.set $n (i32.const 0))
            (block $nd (loop $nl
              (br_if $nd (i32.ge_s (local.get $n) (local.get $N)))
              (local.set $xb (i32.add (local.get $x) (i32.shl (i32.mul (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $c)) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
              (local.set $dyb (i32.add (local.get $dy) (i32.shl (i32.mul (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $c)) (i32.mul (local.get $oH) (local.get $oW))) (i32.const 2))))
              (local.set $oy (local.get $yLo))
              (block $oyd (loop $oyl
                (br_if $oyd (i32.ge_s (local.get $oy) (local.get $yHi)))
                (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $sH)) (local.get $pH)) (i32.mul (local.get $ky) (local.get $dH))))
                (local.set $at (i32.add (local.get $dyb) (i32.shl (i32.add (i32.mul (local.get $oy) (local.get $oW)) (local.get $xLo)) (i32.const 2))))
                (local.set $src (i32.add (local.get $xb) (i32.shl
                  (i32.add (i32.mul (local.get $iy) (local.get $W)) (i32.add (i32.mul (local.get $xLo) (local.get $sW)) (local.get $xOff))) (i32.const 2))))
                (local.set $acc (f32.add (local.get $acc) (call $dotRow (local.get $at) (local.get $src) (i32.sub (local.get $xHi) (local.get $xLo)) (local.get $sStep))))
                (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
                (br $oyl)))
              (local.set $n (i32.add (local.get $n) (i32.const 1)))
              (br $nl)))
            (local.set $wAt (i32.add (local.get $dWt) (i32.shl
              (i32.add (i32.mul (i32.add (i32.mul (local.get $c) (local.get $kH)) (local.get $ky)) (local.get $kW)) (local.get $kx)) (i32.const 2))))
            (f32.store (local.get $wAt) (f32.add (f32.load (local.get $wAt)) (local.get $acc)))
            (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
            (br $kxl)))
          (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
          (br $kyl)))))
      (if (local.get $db) (then
        (local.set $wAt (i32.add (local.get $db) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $n (i32.const 0))
        (block $bd (loop $bl
          (br_if $bd (i32.ge_s (local.get $n) (local.get $N)))
          (local.set $at (i32.add (local.get $dy) (i32.shl (i32.mul (i32.add (i32.mul (local.get $n) (local.get $C)) (local.get $c)) (i32.mul (local.get $oH) (local.get $oW))) (i32.const 2))))
          (local.set $end (i32.add (local.get $at) (i32.shl (i32.mul (local.get $oH) (local.get $oW)) (i32.const 2))))
          (local.set $s (f64.const 0))
          (block $sd (loop $sl
            (br_if $sd (i32.ge_u (local.get $at) (local.get $end)))
            (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.load (local.get $at)))))
            (local.set $at (i32.add (local.get $at) (i32.const 4)))
            (br $sl)))
          (f32.store (local.get $wAt) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $wAt))) (local.get $s))))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br $bl)))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cl)))
  )
)
