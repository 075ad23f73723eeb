;; Optimizer updates for WebAssembly SIMD.
;;
;; NOTE: Adam runs in float64 (f64x2), rounding to float32 exactly where optim/adam.ts stores
;; (exp_avg, exp_avg_sq, w) and re-reading the rounded values as it does, with the same operation
;; order, so the result is bit-identical to the TypeScript update (IEEE-754 +, ×, ÷ and √ are
;; correctly rounded in both).
(module
  (import "env" "memory" (memory 1 32768 shared))

  ;; One Adam/AdamW step over elements [i0, i1) of a parameter (PyTorch 1.13 semantics):
  ;;   wi = w·shrink; gi = g + l2·wi; m = β1·m + (1−β1)·gi; v = β2·v + (1−β2)·gi·gi;
  ;;   v̂ = amsgrad ? (vmax = max(vmax, v)) : v; w = wi − (stepSize·m) / (√v̂ / bc2Sqrt + eps).
  ;; vmax = 0: no AMSGrad.
  (func (export "adamUpdate")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $vmax i32) (param $i0 i32) (param $i1 i32)
    (param $stepSize f64) (param $bc2Sqrt f64) (param $shrink f64) (param $l2 f64) (param $b1 f64) (param $b2 f64) (param $eps f64)
    (local $p i32) (local $end i32) (local $end2 i32)
    (local $vb1 v128) (local $vc1 v128) (local $vb2 v128) (local $vc2 v128) (local $vss v128) (local $vbc v128)
    (local $vsh v128) (local $vl2 v128) (local $veps v128)
    (local $wi v128) (local $gi v128) (local $mi v128) (local $vi v128)
    (local $sw f64) (local $sg f64) (local $sm f64) (local $sv f64)
    (local.set $vb1 (f64x2.splat (local.get $b1)))
    (local.set $vc1 (f64x2.splat (f64.sub (f64.const 1) (local.get $b1))))
    (local.set $vb2 (f64x2.splat (local.get $b2)))
    (local.set $vc2 (f64x2.splat (f64.sub (f64.const 1) (local.get $b2))))
    (local.set $vss (f64x2.splat (local.get $stepSize)))
    (local.set $vbc (f64x2.splat (local.get $bc2Sqrt)))
    (local.set $vsh (f64x2.splat (local.get $shrink)))
    (local.set $vl2 (f64x2.splat (local.get $l2)))
    (local.set $veps (f64x2.splat (local.get $eps)))
    (local.set $p (i32.shl (local.get $i0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $i1) (i32.const 2)))
    (local.set $end2 (i32.add (local.get $p) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const -8))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $p) (local.get $end2)))
      (local.set $wi (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $w) (local.get $p)))) (local.get $vsh)))
      (local.set $gi (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $g) (local.get $p))))
        (f64x2.mul (local.get $vl2) (local.get $wi))))
      ;; m and v are rounded to float32 on store, and the rounded values are used below.
      (local.set $mi (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
        (f64x2.add (f64x2.mul (local.get $vb1) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $m) (local.get $p)))))
                   (f64x2.mul (local.get $vc1) (local.get $gi))))))
      (v128.store64_lane 0 (i32.add (local.get $m) (local.get $p)) (f32x4.demote_f64x2_zero (local.get $mi)))
      (local.set $vi (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero
        (f64x2.add (f64x2.mul (local.get $vb2) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $v) (local.get $p)))))
                   (f64x2.mul (f64x2.mul (local.get $vc2) (local.get $gi)) (local.get $gi))))))
      (v128.store64_lane 0 (i32.add (local.get $v) (local.get $p)) (f32x4.demote_f64x2_zero (local.get $vi)))
      (if (local.get $vmax) (then
        ;; pmax(vmax, v) = vmax < v ? v : vmax: a NaN v leaves vmax, as `if (v > max) max = v`.
        (local.set $vi (f64x2.pmax (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $vmax) (local.get $p)))) (local.get $vi)))
        (v128.store64_lane 0 (i32.add (local.get $vmax) (local.get $p)) (f32x4.demote_f64x2_zero (local.get $vi)))))
      (v128.store64_lane 0 (i32.add (local.get $w) (local.get $p)) (f32x4.demote_f64x2_zero
        (f64x2.sub (local.get $wi)
          (f64x2.div (f64x2.mul (local.get $vss) (local.get $mi))
            (f64x2.add (f64x2.div (f64x2.sqrt (local.get $vi)) (local.get $vbc)) (local.get $veps))))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $sw (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $w) (local.get $p)))) (local.get $shrink)))
      (local.set $sg (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $g) (local.get $p)))) (f64.mul (local.get $l2) (local.get $sw))))
      (f32.store (i32.add (local.get $m) (local.get $p)) (f32.demote_f64
        (f64.add (f64.mul (local.get $b1) (f64.promote_f32 (f32.load (i32.add (local.get $m) (local.get $p)))))
                 (f64.mul (f64.sub (f64.const 1) (local.get $b1)) (local.get $sg)))))
      (local.set $sm (f64.promote_f32 (f32.load (i32.add (local.get $m) (local.get $p)))))
      (f32.store (i32.add (local.get $v) (local.get $p)) (f32.demote_f64
        (f64.add (f64.mul (local.get $b2) (f64.promote_f32 (f32.load (i32.add (local.get $v) (local.get $p)))))
                 (f64.mul (f64.mul (f64.sub (f64.const 1) (local.get $b2)) (local.get $sg)) (local.get $sg)))))
      (local.set $sv (f64.promote_f32 (f32.load (i32.add (local.get $v) (local.get $p)))))
      (if (local.get $vmax) (then
        (if (f64.gt (local.get $sv) (f64.promote_f32 (f32.load (i32.add (local.get $vmax) (local.get $p)))))
          (then (f32.store (i32.add (local.get $vmax) (local.get $p)) (f32.demote_f64 (local.get $sv)))))
        (local.set $sv (f64.promote_f32 (f32.load (i32.add (local.get $vmax) (local.get $p)))))))
      (f32.store (i32.add (local.get $w) (local.get $p)) (f32.demote_f64
        (f64.sub (local.get $sw)
          (f64.div (f64.mul (local.get $stepSize) (local.get $sm))
            (f64.add (f64.div (f64.sqrt (local.get $sv)) (local.get $bc2Sqrt)) (local.get $eps))))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $sl)))
  )
)
