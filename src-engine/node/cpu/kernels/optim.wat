;; Optimizer updates for WebAssembly SIMD.
;;
;; NOTE: Adam runs in float32 with PyTorch 1.13's operation order (`_single_tensor_adam`:
;; mul_/add_, addcmul_, sqrt/div/add_, addcdiv_), as PyTorch itself computes it on the CPU. The
;; TypeScript reference (optim/adam.ts) computes each element in float64 and rounds at the stores,
;; so the two differ by float32 rounding (≈1e-7 relative per step), which the tests bound.
(module
  (import "env" "memory" (memory 1 {{HEAP.MAX_PAGES}} shared))

  ;; One Adam/AdamW step over elements [i0, i1) of a parameter:
  ;;   wi = w·shrink; gi = g + l2·wi; m = m·β1 + gi·(1−β1); v = v·β2 + (1−β2)·gi·gi;
  ;;   v̂ = amsgrad ? (vmax = max(vmax, v)) : v; w = wi − stepSize·m / (√v̂ / bc2Sqrt + eps).
  ;; vmax = 0: no AMSGrad.
  (func (export "adamUpdate")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $vmax i32) (param $i0 i32) (param $i1 i32)
    (param $stepSize f64) (param $bc2Sqrt f64) (param $shrink f64) (param $l2 f64) (param $b1 f64) (param $b2 f64) (param $eps f64)
    (local $p i32) (local $end i32) (local $end4 i32) (local $q i32)
    (local $vb1 v128) (local $vc1 v128) (local $vb2 v128) (local $vc2 v128) (local $vss v128) (local $vbc v128)
    (local $vsh v128) (local $vl2 v128) (local $veps v128)
    (local $wi v128) (local $gi v128) (local $mi v128) (local $vi v128)
    (local.set $vb1 (f32x4.splat (f32.demote_f64 (local.get $b1))))
    (local.set $vc1 (f32x4.splat (f32.demote_f64 (f64.sub (f64.const 1) (local.get $b1)))))
    (local.set $vb2 (f32x4.splat (f32.demote_f64 (local.get $b2))))
    (local.set $vc2 (f32x4.splat (f32.demote_f64 (f64.sub (f64.const 1) (local.get $b2)))))
    (local.set $vss (f32x4.splat (f32.demote_f64 (local.get $stepSize))))
    (local.set $vbc (f32x4.splat (f32.demote_f64 (local.get $bc2Sqrt))))
    (local.set $vsh (f32x4.splat (f32.demote_f64 (local.get $shrink))))
    (local.set $vl2 (f32x4.splat (f32.demote_f64 (local.get $l2))))
    (local.set $veps (f32x4.splat (f32.demote_f64 (local.get $eps))))
    (local.set $p (i32.shl (local.get $i0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $i1) (i32.const 2)))
    (local.set $end4 (i32.add (local.get $p) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const -16))))
    (block $vd (loop $vl
      (if (i32.ge_u (local.get $p) (local.get $end4)) (then
        ;; the tail: one lane at a time through the same vector code (lanes 1–3 unused)
        (br_if $vd (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $q (i32.const 1)))
      (else (local.set $q (i32.const 0))))
      (if (local.get $q)
        (then
          (local.set $wi (f32x4.splat (f32.load (i32.add (local.get $w) (local.get $p)))))
          (local.set $gi (f32x4.splat (f32.load (i32.add (local.get $g) (local.get $p)))))
          (local.set $mi (f32x4.splat (f32.load (i32.add (local.get $m) (local.get $p)))))
          (local.set $vi (f32x4.splat (f32.load (i32.add (local.get $v) (local.get $p))))))
        (else
          (local.set $wi (v128.load (i32.add (local.get $w) (local.get $p))))
          (local.set $gi (v128.load (i32.add (local.get $g) (local.get $p))))
          (local.set $mi (v128.load (i32.add (local.get $m) (local.get $p))))
          (local.set $vi (v128.load (i32.add (local.get $v) (local.get $p))))))
      (local.set $wi (f32x4.mul (local.get $wi) (local.get $vsh)))
      (local.set $gi (f32x4.add (local.get $gi) (f32x4.mul (local.get $vl2) (local.get $wi))))
      (local.set $mi (f32x4.add (f32x4.mul (local.get $mi) (local.get $vb1)) (f32x4.mul (local.get $gi) (local.get $vc1))))
      (local.set $vi (f32x4.add (f32x4.mul (local.get $vi) (local.get $vb2)) (f32x4.mul (f32x4.mul (local.get $vc2) (local.get $gi)) (local.get $gi))))
      (if (local.get $q)
        (then
          (f32.store (i32.add (local.get $m) (local.get $p)) (f32x4.extract_lane 0 (local.get $mi)))
          (f32.store (i32.add (local.get $v) (local.get $p)) (f32x4.extract_lane 0 (local.get $vi))))
        (else
          (v128.store (i32.add (local.get $m) (local.get $p)) (local.get $mi))
          (v128.store (i32.add (local.get $v) (local.get $p)) (local.get $vi))))
      (if (local.get $vmax) (then
        ;; pmax(vmax, v) = vmax < v ? v : vmax: a NaN v leaves vmax, as `if (v > max) max = v`.
        (if (local.get $q)
          (then
            (local.set $vi (f32x4.pmax (f32x4.splat (f32.load (i32.add (local.get $vmax) (local.get $p)))) (local.get $vi)))
            (f32.store (i32.add (local.get $vmax) (local.get $p)) (f32x4.extract_lane 0 (local.get $vi))))
          (else
            (local.set $vi (f32x4.pmax (v128.load (i32.add (local.get $vmax) (local.get $p))) (local.get $vi)))
            (v128.store (i32.add (local.get $vmax) (local.get $p)) (local.get $vi))))))
      (local.set $wi (f32x4.sub (local.get $wi)
        (f32x4.div (f32x4.mul (local.get $vss) (local.get $mi))
          (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vi)) (local.get $vbc)) (local.get $veps)))))
      (if (local.get $q)
        (then
          (f32.store (i32.add (local.get $w) (local.get $p)) (f32x4.extract_lane 0 (local.get $wi)))
          (local.set $p (i32.add (local.get $p) (i32.const 4))))
        (else
          (v128.store (i32.add (local.get $w) (local.get $p)) (local.get $wi))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))))
      (br $vl)))
  )
)
