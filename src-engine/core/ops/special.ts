/**
 * Scalar special functions shared by the activation and loss ops. Not an op; nothing here is
 * registered. Everything is computed in float64 (JS numbers) and rounded once when stored.
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/** (−1)ⁿ / (n!·(2n+1)) for n = 0…10: the Maclaurin coefficients of erf(x)·√π/(2x) in x². */
const ERF_SERIES: readonly number[] = Array.from({ length: 11 }, (_, n) => {
  let factorial = 1;
  for (let k = 2; k <= n; k++) factorial *= k;
  return (n % 2 === 0 ? 1 : -1) / (factorial * (2 * n + 1));
});

/**
 * The error function erf(x).
 *
 * NOTE: accuracy. For |x| < 0.5 the Maclaurin series to degree 21 (truncation error
 * < 1.3e-14 relative, so tiny arguments keep full relative precision, unlike 1 − erfc). Otherwise
 * 1 − erfc(|x|) with the Chebyshev-fitted erfc of Numerical Recipes (§6.2, `erfcc`), whose
 * fractional error is below 1.2e-7 everywhere; since erfc(0.5) ≈ 0.48 and erf(0.5) ≈ 0.52 the
 * relative error of erf stays below ≈ 1.2e-7 over the whole real line (measured: 5.7e-8 at
 * worst on a 0.01 grid over [−6, 6] plus tiny arguments) — about float32's own rounding, far
 * inside the 1e-4 parity the golden tests demand. test/unit/engine/activations.test.ts checks it
 * against Python's `math.erf` (table in test/golden/special/erf.json).
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  if (z < 0.5) {
    // erf(x) = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n!·(2n+1)), n = 0…10 in Horner form; for x² < 0.25 the
    // first omitted term is below 1.3e-14 relative, so tiny arguments keep full relative precision.
    const u = x * x;
    let p = ERF_SERIES[ERF_SERIES.length - 1];
    for (let k = ERF_SERIES.length - 2; k >= 0; k--) p = p * u + ERF_SERIES[k];
    return TWO_OVER_SQRT_PI * x * p;
  }
  const r = 1 - erfcPositive(z);
  return x < 0 ? -r : r;
}

/** erfc(z) for z ≥ 0, fractional error < 1.2e-7 (Numerical Recipes `erfcc`). */
function erfcPositive(z: number): number {
  const t = 1 / (1 + 0.5 * z);
  return (
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    )
  );
}

/**
 * The logistic sigmoid 1/(1+e^(−x)).
 *
 * NOTE: in float64 this one expression is already stable: for x ≪ 0, e^(−x) overflows to +∞ and
 * 1/(1+∞) is exactly 0, the correct limit, never NaN; for x ≫ 0 it is 1/(1+0) = 1; and there is no
 * subtraction, so no cancellation — for x = −80 the result is e^(−80)·(1 ± 1e-16). (The two-branch
 * form e^x/(1+e^x) for x < 0 matters in float32 arithmetic, and costs a mispredicted branch here.)
 * What is unstable is 1 − σ(x) or log σ(x) for large |x|: use `softplus` for those (log σ(x) =
 * −softplus(−x)).
 */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * softplus(x) = log(1 + e^x), stably.
 *
 * NOTE: written as max(x, 0) + log1p(e^(−|x|)), so e^x never overflows for large x and the
 * result keeps its precision (≈ e^x) for very negative x.
 */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}
