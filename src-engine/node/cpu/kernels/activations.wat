;; Activation and softmax-family kernels for WebAssembly SIMD: Tanh, GELU (erf and tanh forms),
;; SiLU, LeakyReLU and ELU forward/backward over element ranges, selected by a kind code; Softmax
;; over rows (last axis) and CrossEntropyLoss's per-row softmax, statistics and gradient. All
;; pointers are byte addresses into the shared heap. Kind codes (overrides/unary.ts, KIND_CODE):
;;   0 Tanh · 1 GELU (erf) · 2 GELU (tanh approximation) · 3 SiLU · 4 LeakyReLU ($alpha = slope)
;;   5 ELU ($alpha = α)
;;
;; NOTE (accuracy): e^x is Cephes' expf (degree-6 polynomial after a two-constant ln 2 reduction,
;; as elementwise.wat's $sigmoid4), ~2 ulp. Every formula below is arranged so that a small result
;; keeps its relative precision: tanh and ELU go through expm1 (no 1 − e^x cancellation near 0),
;; SiLU and GELU's logistic forms take e^(−|t|) so the negative side is w/(1 + w), and tanh' is
;; (1 − y)(1 + y), exact where 1 − y² would cancel.
(module
  (import "env" "memory" (memory 1 32768 shared))

  ;; e^(a + b) for four lanes, where a is any value and |b| ≲ 2 (a second, exactly known part of
  ;; the argument: GELU passes −x²/2 split into an exact head and a small tail). a is clamped to
  ;; [−104, 89], beyond which e^x is 0 or +inf in float32 anyway. n = ⌊(a + b)·log2 e + ½⌋,
  ;; r = ((a − n·ln2_hi) + b) − n·ln2_lo, so |r| ≤ ln2/2 (+ rounding), e^r = 1 + r + r²·P(r), and
  ;; 2ⁿ is applied as two factors 2^⌊n/2⌋·2^(n−⌊n/2⌋) (n ∈ [−152, 130]), so the result overflows to
  ;; +inf and underflows gradually through the subnormals like a correctly rounded expf.
  ;; NaN propagates (f32x4.min/max do). $m1 = 1: return e^(a+b) − 1 instead, as 2ⁿ·(r + r²P) + (2ⁿ − 1),
  ;; which is r + r²P exactly when n = 0 (no cancellation for small arguments).
  (func $exp4 (param $a v128) (param $b v128) (param $m1 i32) (result v128)
    (local $n v128) (local $r v128) (local $p v128) (local $ni v128) (local $h v128) (local $s1 v128) (local $s2 v128)
    (local.set $a (f32x4.min (f32x4.max (local.get $a) (v128.const f32x4 -104 -104 -104 -104)) (v128.const f32x4 89 89 89 89)))
    (local.set $n (f32x4.floor (f32x4.add (f32x4.mul (f32x4.add (local.get $a) (local.get $b)) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341)) (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (local.set $r (f32x4.sub (f32x4.add (f32x4.sub (local.get $a) (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))) (local.get $b))
      (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    ;; q = e^r − 1 = r + r²·P(r)
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r)))
    (local.set $ni (i32x4.trunc_sat_f32x4_s (local.get $n)))
    (local.set $h (i32x4.shr_s (local.get $ni) (i32.const 1)))
    (local.set $s1 (i32x4.shl (i32x4.add (local.get $h) (v128.const i32x4 127 127 127 127)) (i32.const 23)))
    (local.set $s2 (i32x4.shl (i32x4.add (i32x4.sub (local.get $ni) (local.get $h)) (v128.const i32x4 127 127 127 127)) (i32.const 23)))
    ;; expm1(±0) = ±0 (r = −0 + 0 would make it +0)
    (if (result v128) (local.get $m1)
      (then (v128.bitselect (local.get $a)
        (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $s1)) (local.get $s2))
          (f32x4.sub (f32x4.mul (local.get $s1) (local.get $s2)) (v128.const f32x4 1 1 1 1)))
        (f32x4.eq (local.get $a) (v128.const f32x4 0 0 0 0))))
      (else (f32x4.mul (f32x4.mul (f32x4.add (local.get $p) (v128.const f32x4 1 1 1 1)) (local.get $s1)) (local.get $s2))))
  )

  ;; tanh(x) = sign(x)·(−m)/(2 + m) with m = expm1(−2|x|) ∈ (−1, 0]: relative-accurate near 0
  ;; (m ≈ −2|x|), exactly ±1 once e^(−2|x|) < 2⁻²⁵, ±0 kept, NaN passes.
  (func $tanh4 (param $x v128) (result v128)
    (local $m v128)
    (local.set $m (call $exp4 (f32x4.mul (f32x4.abs (local.get $x)) (v128.const f32x4 -2 -2 -2 -2)) (v128.const f32x4 0 0 0 0) (i32.const 1)))
    (v128.or (f32x4.abs (f32x4.div (local.get $m) (f32x4.add (local.get $m) (v128.const f32x4 2 2 2 2))))
      (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)))
  )

  ;; Φ(x) (the standard normal CDF) via the op file's erfc (Numerical Recipes erfcc, fractional error
  ;; < 1.2e-7): erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2), z = |x|/√2; Φ = erfc/2 for x < 0,
  ;; 1 − erfc/2 otherwise. NOTE: −z² = −x²/2 is split into an exact head −xh²/2 (xh = x with its
  ;; low 12 mantissa bits cleared, so xh² is exact) and a small tail, which $exp4 adds after its
  ;; reduction: rounding −x²/2 as one float32 would cost up to |x²/2|·2⁻²⁴ relative in the tail.
  ;; Beyond |x| ≥ 14, erfc < 1e-44: it is set to 0 exactly, so Φ(−∞)·(−∞) is NaN as in the op file.
  ;; $phi = 1: return φ(x) = e^(−x²/2)/√(2π) instead (the density, for the backward).
  (func $gaussian4 (param $x v128) (param $phi i32) (result v128)
    (local $ax v128) (local $xh v128) (local $xl v128) (local $head v128) (local $tail v128)
    (local $t v128) (local $p v128) (local $e v128) (local $far v128)
    (local.set $ax (f32x4.min (f32x4.abs (local.get $x)) (v128.const f32x4 14 14 14 14)))
    (local.set $far (f32x4.ge (f32x4.abs (local.get $x)) (v128.const f32x4 14 14 14 14)))
    (local.set $xh (v128.and (local.get $ax) (v128.const i32x4 0xfffff000 0xfffff000 0xfffff000 0xfffff000)))
    (local.set $xl (f32x4.sub (local.get $ax) (local.get $xh)))
    (local.set $head (f32x4.mul (f32x4.mul (local.get $xh) (local.get $xh)) (v128.const f32x4 -0.5 -0.5 -0.5 -0.5)))
    ;; −x²/2 − head = −xl·(ax + xh)/2
    (local.set $tail (f32x4.mul (f32x4.mul (local.get $xl) (f32x4.add (local.get $ax) (local.get $xh))) (v128.const f32x4 -0.5 -0.5 -0.5 -0.5)))
    (if (local.get $phi) (then
      (return (v128.andnot (f32x4.mul (call $exp4 (local.get $head) (local.get $tail) (i32.const 0)) (v128.const f32x4 0.3989422804014327 0.3989422804014327 0.3989422804014327 0.3989422804014327))
        (local.get $far)))))
    (local.set $t (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $ax) (v128.const f32x4 0.35355339059327373 0.35355339059327373 0.35355339059327373 0.35355339059327373)))))
    (local.set $p (v128.const f32x4 0.17087277 0.17087277 0.17087277 0.17087277))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 -0.82215223 -0.82215223 -0.82215223 -0.82215223)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 1.48851587 1.48851587 1.48851587 1.48851587)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 -1.13520398 -1.13520398 -1.13520398 -1.13520398)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 0.27886807 0.27886807 0.27886807 0.27886807)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 -0.18628806 -0.18628806 -0.18628806 -0.18628806)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 0.09678418 0.09678418 0.09678418 0.09678418)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 0.37409196 0.37409196 0.37409196 0.37409196)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 1.00002368 1.00002368 1.00002368 1.00002368)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (v128.const f32x4 -1.26551223 -1.26551223 -1.26551223 -1.26551223)))
    ;; erfc/2
    (local.set $e (v128.andnot
      (f32x4.mul (f32x4.mul (local.get $t) (call $exp4 (local.get $head) (f32x4.add (local.get $tail) (local.get $p)) (i32.const 0))) (v128.const f32x4 0.5 0.5 0.5 0.5))
      (local.get $far)))
    (v128.bitselect (local.get $e) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $e)) (f32x4.lt (local.get $x) (v128.const f32x4 0 0 0 0)))
  )

  ;; e^(x − m) with x − m formed exactly: TwoSum splits it into the rounded difference and its
  ;; rounding error, which $exp4 adds after its reduction. NOTE: rounding x − m to float32 alone
  ;; would cost up to |x − m|·2⁻²⁴ relative (1e-6 for a probability of 1e-10). Where the error term
  ;; is NaN (x or m infinite) it is dropped, so e^(−inf − m) is 0 and NaN still comes from the
  ;; difference itself (inf − inf, NaN inputs).
  (func $expDiff4 (param $x v128) (param $m v128) (result v128)
    (local $s v128) (local $bb v128) (local $err v128)
    (local.set $s (f32x4.sub (local.get $x) (local.get $m)))
    (local.set $bb (f32x4.sub (local.get $s) (local.get $x)))
    (local.set $err (f32x4.sub (f32x4.sub (local.get $x) (f32x4.sub (local.get $s) (local.get $bb)))
      (f32x4.add (local.get $m) (local.get $bb))))
    (call $exp4 (local.get $s) (v128.and (local.get $err) (f32x4.eq (local.get $err) (local.get $err))) (i32.const 0))
  )

  ;; GELU's tanh-form argument 2u = 2·√(2/π)·(x + 0.044715·x³).
  (func $geluTanhArg (param $x v128) (result v128)
    (f32x4.mul (f32x4.add (local.get $x) (f32x4.mul (f32x4.mul (f32x4.mul (local.get $x) (local.get $x)) (local.get $x)) (v128.const f32x4 0.044715 0.044715 0.044715 0.044715)))
      (v128.const f32x4 1.5957691216057308 1.5957691216057308 1.5957691216057308 1.5957691216057308))
  )

  ;; σ(v) with w = e^(−|v|) ∈ [0, 1]: d = 1/(1 + w); σ(v) = d for v ≥ 0, w·d otherwise, and
  ;; 1 − σ(v) the other one. Both keep their relative precision (no 1 − σ cancellation).
  ;; $rest = 1: return 1 − σ(v).
  (func $logistic4 (param $v v128) (param $rest i32) (result v128)
    (local $w v128) (local $d v128) (local $pos v128)
    (local.set $w (call $exp4 (f32x4.neg (f32x4.abs (local.get $v))) (v128.const f32x4 0 0 0 0) (i32.const 0)))
    (local.set $d (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $w))))
    (local.set $pos (f32x4.ge (local.get $v) (v128.const f32x4 0 0 0 0)))
    (if (result v128) (local.get $rest)
      (then (v128.bitselect (f32x4.mul (local.get $w) (local.get $d)) (local.get $d) (local.get $pos)))
      (else (v128.bitselect (local.get $d) (f32x4.mul (local.get $w) (local.get $d)) (local.get $pos))))
  )

  ;; y = f(x) for four lanes; see the kind codes at the top.
  (func $forward4 (param $kind i32) (param $x v128) (param $alpha v128) (result v128)
    (block $elu (block $leaky (block $silu (block $geluTanh (block $geluErf (block $tanh
      (br_table $tanh $geluErf $geluTanh $silu $leaky $elu (local.get $kind)))
      (return (call $tanh4 (local.get $x))))
      ;; x·Φ(x)
      (return (f32x4.mul (local.get $x) (call $gaussian4 (local.get $x) (i32.const 0)))))
      ;; ½x(1 + tanh u) = x·σ(2u)
      (return (f32x4.mul (local.get $x) (call $logistic4 (call $geluTanhArg (local.get $x)) (i32.const 0)))))
      (return (f32x4.mul (local.get $x) (call $logistic4 (local.get $x) (i32.const 0)))))
      ;; x > 0 ? x : slope·x (NaN and −0 take the slope side, as the op file: NaN·slope is NaN)
      (return (v128.bitselect (local.get $x) (f32x4.mul (local.get $x) (local.get $alpha)) (f32x4.gt (local.get $x) (v128.const f32x4 0 0 0 0)))))
    ;; x > 0 ? x : α·expm1(x)
    (v128.bitselect (local.get $x)
      (f32x4.mul (local.get $alpha) (call $exp4 (local.get $x) (v128.const f32x4 0 0 0 0) (i32.const 1)))
      (f32x4.gt (local.get $x) (v128.const f32x4 0 0 0 0)))
  )

  ;; f'(x)·dy for four lanes, from the input x and (Tanh) the saved output y.
  (func $backward4 (param $kind i32) (param $x v128) (param $y v128) (param $dy v128) (param $alpha v128) (result v128)
    (local $s v128) (local $r v128) (local $t v128)
    (block $elu (block $leaky (block $silu (block $geluTanh (block $geluErf (block $tanh
      (br_table $tanh $geluErf $geluTanh $silu $leaky $elu (local.get $kind)))
      ;; tanh' = 1 − y² = (1 − y)(1 + y): one factor is exact (Sterbenz) wherever 1 − y² is small.
      (return (f32x4.mul (local.get $dy) (f32x4.mul (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $y)) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $y))))))
      ;; Φ(x) + x·φ(x)
      (return (f32x4.mul (local.get $dy) (f32x4.add (call $gaussian4 (local.get $x) (i32.const 0))
        (f32x4.mul (local.get $x) (call $gaussian4 (local.get $x) (i32.const 1)))))))
      ;; ½(1 + tanh u) + ½x(1 − tanh²u)·u' = s + 2x·s(1 − s)·u', s = σ(2u), u' = √(2/π)(1 + 3·0.044715x²).
      ;; NOTE: where s(1 − s) is 0 and x is finite the term is 0, as in the op file's float64, even
      ;; when x²·u' overflows float32 (|x| > 1e19); at x = ±inf it is NaN, as in the op file.
      (local.set $t (call $geluTanhArg (local.get $x)))
      (local.set $s (call $logistic4 (local.get $t) (i32.const 0)))
      (local.set $r (f32x4.mul (local.get $s) (call $logistic4 (local.get $t) (i32.const 1))))
      (local.set $t (f32x4.mul (f32x4.mul (f32x4.mul (local.get $x) (v128.const f32x4 2 2 2 2)) (local.get $r))
        (f32x4.mul (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (f32x4.mul (local.get $x) (local.get $x)) (v128.const f32x4 0.134145 0.134145 0.134145 0.134145))) (v128.const f32x4 0.7978845608028654 0.7978845608028654 0.7978845608028654 0.7978845608028654))))
      (local.set $t (v128.andnot (local.get $t)
        (v128.and (f32x4.eq (local.get $r) (v128.const f32x4 0 0 0 0)) (f32x4.lt (f32x4.abs (local.get $x)) (v128.const f32x4 inf inf inf inf)))))
      (return (f32x4.mul (local.get $dy) (f32x4.add (local.get $s) (local.get $t)))))
      ;; σ(x)·(1 + x·(1 − σ(x)))
      (return (f32x4.mul (f32x4.mul (local.get $dy) (call $logistic4 (local.get $x) (i32.const 0)))
        (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $x) (call $logistic4 (local.get $x) (i32.const 1)))))))
      ;; x > 0 ? dy : slope·dy (slope at 0, as PyTorch's leaky_relu_backward)
      (return (v128.bitselect (local.get $dy) (f32x4.mul (local.get $dy) (local.get $alpha)) (f32x4.gt (local.get $x) (v128.const f32x4 0 0 0 0)))))
    ;; x > 0 ? dy : dy·α·e^x
    (v128.bitselect (local.get $dy)
      (f32x4.mul (f32x4.mul (local.get $dy) (local.get $alpha)) (call $exp4 (local.get $x) (v128.const f32x4 0 0 0 0) (i32.const 0)))
      (f32x4.gt (local.get $x) (v128.const f32x4 0 0 0 0)))
  )

  ;; y[i] = f(x[i]) for i in [i0, i1).
  (func (export "unaryForward") (param $x i32) (param $y i32) (param $i0 i32) (param $i1 i32) (param $kind i32) (param $alpha f32)
    (local $p i32) (local $end i32) (local $end4 i32) (local $a v128)
    (local.set $a (f32x4.splat (local.get $alpha)))
    (local.set $p (i32.shl (local.get $i0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $i1) (i32.const 2)))
    (local.set $end4 (i32.add (local.get $p) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const -16))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $p) (local.get $end4)))
      (v128.store (i32.add (local.get $y) (local.get $p))
        (call $forward4 (local.get $kind) (v128.load (i32.add (local.get $x) (local.get $p))) (local.get $a)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $p) (local.get $end)))
      (f32.store (i32.add (local.get $y) (local.get $p)) (f32x4.extract_lane 0
        (call $forward4 (local.get $kind) (f32x4.splat (f32.load (i32.add (local.get $x) (local.get $p)))) (local.get $a))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $sl)))
  )

  ;; dx[i] += f'(x[i])·dy[i] for i in [i0, i1); $assign = 1: dx[i] = the same (dx is not read).
  ;; $y (the saved output) is read only by Tanh.
  (func (export "unaryBackward") (param $x i32) (param $y i32) (param $dy i32) (param $dx i32) (param $i0 i32) (param $i1 i32)
    (param $kind i32) (param $alpha f32) (param $assign i32)
    (local $p i32) (local $end i32) (local $end4 i32) (local $a v128) (local $q i32) (local $g v128)
    (local.set $a (f32x4.splat (local.get $alpha)))
    (local.set $p (i32.shl (local.get $i0) (i32.const 2)))
    (local.set $end (i32.shl (local.get $i1) (i32.const 2)))
    (local.set $end4 (i32.add (local.get $p) (i32.and (i32.sub (local.get $end) (local.get $p)) (i32.const -16))))
    (block $vd (loop $vl
      (br_if $vd (i32.ge_u (local.get $p) (local.get $end4)))
      (local.set $q (i32.add (local.get $dx) (local.get $p)))
      (local.set $g (call $backward4 (local.get $kind) (v128.load (i32.add (local.get $x) (local.get $p)))
        (v128.load (i32.add (local.get $y) (local.get $p))) (v128.load (i32.add (local.get $dy) (local.get $p))) (local.get $a)))
      (if (i32.eqz (local.get $assign)) (then (local.set $g (f32x4.add (v128.load (local.get $q)) (local.get $g)))))
      (v128.store (local.get $q) (local.get $g))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $q (i32.add (local.get $dx) (local.get $p)))
      (local.set $g (call $backward4 (local.get $kind) (f32x4.splat (f32.load (i32.add (local.get $x) (local.get $p))))
        (f32x4.splat (f32.load (i32.add (local.get $y) (local.get $p)))) (f32x4.splat (f32.load (i32.add (local.get $dy) (local.get $p)))) (local.get $a)))
      (if (i32.eqz (local.get $assign)) (then (local.set $g (f32x4.add (f32x4.splat (f32.load (local.get $q))) (local.get $g)))))
      (f32.store (local.get $q) (f32x4.extract_lane 0 (local.get $g)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $sl)))
  )

  ;; Softmax of rows [r0, r1) of length $len: y = e^(x − max)/Σ e^(x − max), the sum in float64 as
  ;; the op file. A NaN anywhere in a row makes its max NaN and the whole row NaN; a +inf max gives
  ;; NaN (inf − inf) as in the op file. $stats ≠ 0 (CrossEntropyLoss): also store, per row, three
  ;; float64 values at $stats + 24·row: the max, Σ e^(x − max), and Σ x (for label smoothing).
  (func (export "softmaxRows") (param $x i32) (param $y i32) (param $r0 i32) (param $r1 i32) (param $len i32) (param $stats i32)
    (local $row i32) (local $xp i32) (local $yp i32) (local $p i32) (local $end i32) (local $end4 i32)
    (local $m v128) (local $mf f32) (local $v v128) (local $e v128) (local $s v128) (local $sx v128) (local $sum f64) (local $sumx f64)
    (local $inv v128) (local $f f32)
    (local.set $row (local.get $r0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $row) (local.get $r1)))
      (local.set $xp (i32.add (local.get $x) (i32.shl (i32.mul (local.get $row) (local.get $len)) (i32.const 2))))
      (local.set $yp (i32.add (local.get $y) (i32.shl (i32.mul (local.get $row) (local.get $len)) (i32.const 2))))
      (local.set $end (i32.shl (local.get $len) (i32.const 2)))
      (local.set $end4 (i32.and (local.get $end) (i32.const -16)))
      ;; max (f32x4.max and f32.max propagate NaN)
      (local.set $m (v128.const f32x4 -inf -inf -inf -inf))
      (local.set $p (i32.const 0))
      (block $md (loop $ml
        (br_if $md (i32.ge_u (local.get $p) (local.get $end4)))
        (local.set $m (f32x4.max (local.get $m) (v128.load (i32.add (local.get $xp) (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $ml)))
      (local.set $mf (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
        (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
      (block $mtd (loop $mtl
        (br_if $mtd (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $mf (f32.max (local.get $mf) (f32.load (i32.add (local.get $xp) (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $mtl)))
      (local.set $m (f32x4.splat (local.get $mf)))
      ;; e = e^(x − max) into y; Σ e (and Σ x) in float64
      (local.set $s (v128.const i64x2 0 0))
      (local.set $sx (v128.const i64x2 0 0))
      (local.set $p (i32.const 0))
      (block $ed (loop $el
        (br_if $ed (i32.ge_u (local.get $p) (local.get $end4)))
        (local.set $v (v128.load (i32.add (local.get $xp) (local.get $p))))
        (local.set $e (call $expDiff4 (local.get $v) (local.get $m)))
        (v128.store (i32.add (local.get $yp) (local.get $p)) (local.get $e))
        (local.set $s (f64x2.add (local.get $s) (f64x2.add (f64x2.promote_low_f32x4 (local.get $e))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $e) (local.get $e))))))
        (if (local.get $stats) (then
          (local.set $sx (f64x2.add (local.get $sx) (f64x2.add (f64x2.promote_low_f32x4 (local.get $v))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $el)))
      (local.set $sum (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))
      (local.set $sumx (f64.add (f64x2.extract_lane 0 (local.get $sx)) (f64x2.extract_lane 1 (local.get $sx))))
      (block $etd (loop $etl
        (br_if $etd (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $f (f32.load (i32.add (local.get $xp) (local.get $p))))
        (local.set $e (call $expDiff4 (f32x4.splat (local.get $f)) (local.get $m)))
        (f32.store (i32.add (local.get $yp) (local.get $p)) (f32x4.extract_lane 0 (local.get $e)))
        (local.set $sum (f64.add (local.get $sum) (f64.promote_f32 (f32x4.extract_lane 0 (local.get $e)))))
        (local.set $sumx (f64.add (local.get $sumx) (f64.promote_f32 (local.get $f))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $etl)))
      ;; y *= 1/Σ
      (local.set $inv (f32x4.splat (f32.demote_f64 (f64.div (f64.const 1) (local.get $sum)))))
      (local.set $p (i32.const 0))
      (block $nd (loop $nl
        (br_if $nd (i32.ge_u (local.get $p) (local.get $end4)))
        (v128.store (i32.add (local.get $yp) (local.get $p)) (f32x4.mul (v128.load (i32.add (local.get $yp) (local.get $p))) (local.get $inv)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $nl)))
      (block $ntd (loop $ntl
        (br_if $ntd (i32.ge_u (local.get $p) (local.get $end)))
        (f32.store (i32.add (local.get $yp) (local.get $p))
          (f32.mul (f32.load (i32.add (local.get $yp) (local.get $p))) (f32x4.extract_lane 0 (local.get $inv))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $ntl)))
      (if (local.get $stats) (then
        (local.set $p (i32.add (local.get $stats) (i32.mul (local.get $row) (i32.const 24))))
        (f64.store (local.get $p) (f64.promote_f32 (local.get $mf)))
        (f64.store offset=8 (local.get $p) (local.get $sum))
        (f64.store offset=16 (local.get $p) (local.get $sumx))))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rl)))
  )

  ;; Softmax backward over rows [r0, r1): dx (+)= y·(dy − Σ dy·y), the dot product in float64 (each
  ;; float32 product is exact there), as the op file.
  (func (export "softmaxBackwardRows") (param $y i32) (param $dy i32) (param $dx i32) (param $r0 i32) (param $r1 i32) (param $len i32) (param $assign i32)
    (local $row i32) (local $off i32) (local $p i32) (local $end i32) (local $end4 i32) (local $a v128) (local $b v128) (local $s v128)
    (local $dot f64) (local $d v128) (local $g v128) (local $q i32)
    (local.set $row (local.get $r0))
    (local.set $end (i32.shl (local.get $len) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $end) (i32.const -16)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $row) (local.get $r1)))
      (local.set $off (i32.shl (i32.mul (local.get $row) (local.get $len)) (i32.const 2)))
      (local.set $s (v128.const i64x2 0 0))
      (local.set $p (i32.const 0))
      (block $dd (loop $dl
        (br_if $dd (i32.ge_u (local.get $p) (local.get $end4)))
        (local.set $a (v128.load (i32.add (local.get $y) (i32.add (local.get $off) (local.get $p)))))
        (local.set $b (v128.load (i32.add (local.get $dy) (i32.add (local.get $off) (local.get $p)))))
        (local.set $s (f64x2.add (local.get $s) (f64x2.add
          (f64x2.mul (f64x2.promote_low_f32x4 (local.get $a)) (f64x2.promote_low_f32x4 (local.get $b)))
          (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $dl)))
      (local.set $dot (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))
      (block $dtd (loop $dtl
        (br_if $dtd (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $dot (f64.add (local.get $dot) (f64.mul
          (f64.promote_f32 (f32.load (i32.add (local.get $y) (i32.add (local.get $off) (local.get $p)))))
          (f64.promote_f32 (f32.load (i32.add (local.get $dy) (i32.add (local.get $off) (local.get $p))))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $dtl)))
      (local.set $d (f32x4.splat (f32.demote_f64 (local.get $dot))))
      (local.set $p (i32.const 0))
      (block $gd (loop $gl
        (br_if $gd (i32.ge_u (local.get $p) (local.get $end4)))
        (local.set $q (i32.add (local.get $dx) (i32.add (local.get $off) (local.get $p))))
        (local.set $g (f32x4.mul (v128.load (i32.add (local.get $y) (i32.add (local.get $off) (local.get $p))))
          (f32x4.sub (v128.load (i32.add (local.get $dy) (i32.add (local.get $off) (local.get $p)))) (local.get $d))))
        (if (i32.eqz (local.get $assign)) (then (local.set $g (f32x4.add (v128.load (local.get $q)) (local.get $g)))))
        (v128.store (local.get $q) (local.get $g))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $gl)))
      (block $gtd (loop $gtl
        (br_if $gtd (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $q (i32.add (local.get $dx) (i32.add (local.get $off) (local.get $p))))
        (local.set $g (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $y) (i32.add (local.get $off) (local.get $p)))))
          (f32x4.sub (f32x4.splat (f32.load (i32.add (local.get $dy) (i32.add (local.get $off) (local.get $p))))) (local.get $d))))
        (if (i32.eqz (local.get $assign)) (then (local.set $g (f32x4.add (f32x4.splat (f32.load (local.get $q))) (local.get $g)))))
        (f32.store (local.get $q) (f32x4.extract_lane 0 (local.get $g)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $gtl)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rl)))
  )

  ;; CrossEntropyLoss's gradient over rows [r0, r1) of $len classes, from the saved probabilities
  ;; p and the labels t (floats, already checked to be class indices):
  ;; dx (+)= g·(total·p − a), a = $aMiss off the label and $aHit on it (label smoothing folded in).
  (func (export "crossEntropyBackwardRows") (param $pr i32) (param $t i32) (param $dx i32) (param $r0 i32) (param $r1 i32) (param $len i32)
    (param $g f32) (param $total f32) (param $aHit f32) (param $aMiss f32) (param $assign i32)
    (local $row i32) (local $off i32) (local $p i32) (local $end i32) (local $end4 i32) (local $q i32) (local $lq i32)
    (local $vg v128) (local $vt v128) (local $va v128) (local $v v128) (local $old f32)
    (local.set $vg (f32x4.splat (local.get $g)))
    (local.set $vt (f32x4.splat (local.get $total)))
    (local.set $va (f32x4.splat (local.get $aMiss)))
    (local.set $row (local.get $r0))
    (local.set $end (i32.shl (local.get $len) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $end) (i32.const -16)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $row) (local.get $r1)))
      (local.set $off (i32.shl (i32.mul (local.get $row) (local.get $len)) (i32.const 2)))
      ;; the label's element, computed last (its old value kept for the accumulate case)
      (local.set $lq (i32.add (local.get $dx) (i32.add (local.get $off)
        (i32.shl (i32.trunc_f32_s (f32.load (i32.add (local.get $t) (i32.shl (local.get $row) (i32.const 2))))) (i32.const 2)))))
      (local.set $old (f32.load (local.get $lq)))
      (local.set $p (i32.const 0))
      (block $gd (loop $gl
        (br_if $gd (i32.ge_u (local.get $p) (local.get $end4)))
        (local.set $q (i32.add (local.get $dx) (i32.add (local.get $off) (local.get $p))))
        (local.set $v (f32x4.mul (local.get $vg) (f32x4.sub (f32x4.mul (local.get $vt)
          (v128.load (i32.add (local.get $pr) (i32.add (local.get $off) (local.get $p))))) (local.get $va))))
        (if (i32.eqz (local.get $assign)) (then (local.set $v (f32x4.add (v128.load (local.get $q)) (local.get $v)))))
        (v128.store (local.get $q) (local.get $v))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $gl)))
      (block $gtd (loop $gtl
        (br_if $gtd (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $q (i32.add (local.get $dx) (i32.add (local.get $off) (local.get $p))))
        (local.set $v (f32x4.mul (local.get $vg) (f32x4.sub (f32x4.mul (local.get $vt)
          (f32x4.splat (f32.load (i32.add (local.get $pr) (i32.add (local.get $off) (local.get $p)))))) (local.get $va))))
        (if (i32.eqz (local.get $assign)) (then (local.set $v (f32x4.add (f32x4.splat (f32.load (local.get $q))) (local.get $v)))))
        (f32.store (local.get $q) (f32x4.extract_lane 0 (local.get $v)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $gtl)))
      (local.set $v (f32x4.splat (f32.mul (local.get $g) (f32.sub (f32.mul (local.get $total)
        (f32.load (i32.add (local.get $pr) (i32.sub (local.get $lq) (local.get $dx))))) (local.get $aHit)))))
      (f32.store (local.get $lq) (select (f32x4.extract_lane 0 (local.get $v)) (f32.add (local.get $old) (f32x4.extract_lane 0 (local.get $v))) (local.get $assign)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rl)))
  )
)
