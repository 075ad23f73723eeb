/**
 * Scalar special functions shared by the activation and loss ops. Not an op; nothing here is
 * registered. Everything is computed in float64 (JS numbers) and rounded once when stored.
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * The error function erf(x).
 *
 * NOTE: accuracy. For |x| < 0.5 a Maclaurin series summed to convergence (relative error
 * ≈ 1e-16, so tiny arguments keep full relative precision, unlike 1 − erfc). Otherwise
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
    // erf(x) = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 30; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
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
 * NOTE: evaluated so that `exp` only ever sees a non-positive argument: for x ≥ 0 as
 * 1/(1+e^(−x)), for x < 0 as e^x/(1+e^x). Neither form overflows, and σ(x) for very negative x
 * keeps its relative precision (≈ e^x) instead of flushing to 0 via 1 − σ(−x).
 */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
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
