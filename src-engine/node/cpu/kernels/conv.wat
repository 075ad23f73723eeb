;; Convolution data movement for WebAssembly SIMD: im2col (unfold one [C, H, W] image into
;; [C*kH*kW, outH*outW] columns, zero padding) and its adjoint col2im (fold columns back, adding
;; into the image). The GEMM does the arithmetic; these only move data, so the stride-1 case (every
;; MNIST-style conv) uses bulk memory.copy/fill and f32x4 adds over the valid span of each row.
;;
;; All pointers are byte addresses into the shared heap; sizes are element counts.
(module
  (import "env" "memory" (memory 1 32768 shared))

  ;; For output row positions ow in [0, oW) reading input column iw = ow*sW + iw0 (stride 1 only):
  ;; the valid span is ow in [lo, hi) with 0 <= ow + iw0 < W.
  (func $spanLo (param $iw0 i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $iw0) (i32.const 0))
      (then (i32.sub (i32.const 0) (local.get $iw0))) (else (i32.const 0))))
  (func $spanHi (param $iw0 i32) (param $W i32) (param $oW i32) (param $lo i32) (result i32)
    (local $hi i32)
    (local.set $hi (i32.sub (local.get $W) (local.get $iw0)))
    (if (i32.gt_s (local.get $hi) (local.get $oW)) (then (local.set $hi (local.get $oW))))
    (if (i32.lt_s (local.get $hi) (local.get $lo)) (then (local.set $hi (local.get $lo))))
    (local.get $hi))

  (func (export "im2col")
    (param $img i32) (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32) (param $cols i32)
    (local $c i32) (local $ki i32) (local $kj i32) (local $oh i32) (local $ow i32)
    (local $ih i32) (local $iw i32) (local $iw0 i32) (local $src i32) (local $plane i32)
    (local $lo i32) (local $hi i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $oW) (i32.const 2)))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_s (local.get $c) (local.get $C)))
      (local.set $plane (i32.add (local.get $img) (i32.shl (i32.mul (i32.mul (local.get $c) (local.get $H)) (local.get $W)) (i32.const 2))))
      (local.set $ki (i32.const 0))
      (block $kid (loop $kil
        (br_if $kid (i32.ge_s (local.get $ki) (local.get $kH)))
        (local.set $kj (i32.const 0))
        (block $kjd (loop $kjl
          (br_if $kjd (i32.ge_s (local.get $kj) (local.get $kW)))
          (local.set $iw0 (i32.sub (i32.mul (local.get $kj) (local.get $dW)) (local.get $pW)))
          (local.set $lo (call $spanLo (local.get $iw0)))
          (local.set $hi (call $spanHi (local.get $iw0) (local.get $W) (local.get $oW) (local.get $lo)))
          (local.set $oh (i32.const 0))
          (block $ohd (loop $ohl
            (br_if $ohd (i32.ge_s (local.get $oh) (local.get $oH)))
            (local.set $ih (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $sH)) (local.get $pH)) (i32.mul (local.get $ki) (local.get $dH))))
            (if (i32.lt_u (local.get $ih) (local.get $H))
              (then
                (local.set $src (i32.add (local.get $plane) (i32.shl (i32.mul (local.get $ih) (local.get $W)) (i32.const 2))))
                (if (i32.eq (local.get $sW) (i32.const 1))
                  (then
                    (memory.fill (local.get $cols) (i32.const 0) (i32.shl (local.get $lo) (i32.const 2)))
                    (memory.copy
                      (i32.add (local.get $cols) (i32.shl (local.get $lo) (i32.const 2)))
                      (i32.add (local.get $src) (i32.shl (i32.add (local.get $lo) (local.get $iw0)) (i32.const 2)))
                      (i32.shl (i32.sub (local.get $hi) (local.get $lo)) (i32.const 2)))
                    (memory.fill
                      (i32.add (local.get $cols) (i32.shl (local.get $hi) (i32.const 2)))
                      (i32.const 0)
                      (i32.shl (i32.sub (local.get $oW) (local.get $hi)) (i32.const 2))))
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
                      (br $owl))))))
              (else (memory.fill (local.get $cols) (i32.const 0) (local.get $rowBytes))))
            (local.set $cols (i32.add (local.get $cols) (local.get $rowBytes)))
            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
            (br $ohl)))
          (local.set $kj (i32.add (local.get $kj) (i32.const 1)))
          (br $kjl)))
        (local.set $ki (i32.add (local.get $ki) (i32.const 1)))
        (br $kil)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cl)))
  )

  ;; dst[0..n) += src[0..n), f32x4 body and scalar tail.
  (func $addInto (param $dst i32) (param $src i32) (param $n i32)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $dst) (local.get $end4)))
      (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (v128.load (local.get $src))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (br $sl)))
  )

  ;; image += col2im(cols): the adjoint of im2col (same loop nest, loads and stores swapped).
  (func (export "col2im")
    (param $cols i32) (param $C i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (param $oH i32) (param $oW i32) (param $img i32)
    (local $c i32) (local $ki i32) (local $kj i32) (local $oh i32) (local $ow i32)
    (local $ih i32) (local $iw i32) (local $iw0 i32) (local $dst i32) (local $plane i32)
    (local $lo i32) (local $hi i32) (local $rowBytes i32) (local $p i32)
    (local.set $rowBytes (i32.shl (local.get $oW) (i32.const 2)))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_s (local.get $c) (local.get $C)))
      (local.set $plane (i32.add (local.get $img) (i32.shl (i32.mul (i32.mul (local.get $c) (local.get $H)) (local.get $W)) (i32.const 2))))
      (local.set $ki (i32.const 0))
      (block $kid (loop $kil
        (br_if $kid (i32.ge_s (local.get $ki) (local.get $kH)))
        (local.set $kj (i32.const 0))
        (block $kjd (loop $kjl
          (br_if $kjd (i32.ge_s (local.get $kj) (local.get $kW)))
          (local.set $iw0 (i32.sub (i32.mul (local.get $kj) (local.get $dW)) (local.get $pW)))
          (local.set $lo (call $spanLo (local.get $iw0)))
          (local.set $hi (call $spanHi (local.get $iw0) (local.get $W) (local.get $oW) (local.get $lo)))
          (local.set $oh (i32.const 0))
          (block $ohd (loop $ohl
            (br_if $ohd (i32.ge_s (local.get $oh) (local.get $oH)))
            (local.set $ih (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $sH)) (local.get $pH)) (i32.mul (local.get $ki) (local.get $dH))))
            (if (i32.lt_u (local.get $ih) (local.get $H))
              (then
                (local.set $dst (i32.add (local.get $plane) (i32.shl (i32.mul (local.get $ih) (local.get $W)) (i32.const 2))))
                (if (i32.eq (local.get $sW) (i32.const 1))
                  (then
                    (call $addInto
                      (i32.add (local.get $dst) (i32.shl (i32.add (local.get $lo) (local.get $iw0)) (i32.const 2)))
                      (i32.add (local.get $cols) (i32.shl (local.get $lo) (i32.const 2)))
                      (i32.sub (local.get $hi) (local.get $lo))))
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
                      (br $owl)))))))
            (local.set $cols (i32.add (local.get $cols) (local.get $rowBytes)))
            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
            (br $ohl)))
          (local.set $kj (i32.add (local.get $kj) (i32.const 1)))
          (br $kjl)))
        (local.set $ki (i32.add (local.get $ki) (i32.const 1)))
        (br $kil)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cl)))
  )
)
