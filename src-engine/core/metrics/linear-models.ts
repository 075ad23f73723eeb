/**
 * The linear models the baselines fit (#83): ridge regression in closed form and L2-penalised
 * multinomial logistic regression, both on standardised features, in float64. Small and exact
 * enough to say whether a network beats a straight line; not a general solver.
 */

/** Per-column mean and std (population; a constant column keeps std 1, as scikit-learn's StandardScaler). */
export interface Scaling {
  mean: Float64Array;
  std: Float64Array;
}

/** The mean and std of each of the `d` columns of the `n × d` rows `x`. */
export function fitScaling(x: ArrayLike<number>, n: number, d: number): Scaling {
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j] - mean[j];
      std[j] += v * v;
    }
  }
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(std[j] / n);
    std[j] = s > 1e-12 ? s : 1;
  }
  return { mean, std };
}

/** `x` standardised by `s`, as float64 rows. */
export function standardise(x: ArrayLike<number>, n: number, s: Scaling): Float64Array {
  const d = s.mean.length;
  const z = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) z[i * d + j] = (x[i * d + j] - s.mean[j]) / s.std[j];
  return z;
}

/**
 * Solve `A X = B` for a symmetric positive definite `A` (`d × d`) by Cholesky, `B` being `d × k`
 * (column-major per right-hand side is not needed: rows of `k`). Returns X as `d × k` rows.
 *
 * @throws Error when `A` is not positive definite (a pivot ≤ 0).
 */
export function choleskySolve(a: Float64Array, b: Float64Array, d: number, k: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let p = 0; p < j; p++) s -= l[i * d + p] * l[j * d + p];
      if (i === j) {
        if (!(s > 0)) throw new Error(`choleskySolve: the matrix is not positive definite (pivot ${s} at ${i}).`);
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / l[j * d + j];
    }
  }
  // L Y = B, then Lᵀ X = Y.
  const y = new Float64Array(d * k);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < d; i++) {
      let s = b[i * k + c];
      for (let p = 0; p < i; p++) s -= l[i * d + p] * y[p * k + c];
      y[i * k + c] = s / l[i * d + i];
    }
    for (let i = d - 1; i >= 0; i--) {
      let s = y[i * k + c];
      for (let p = i + 1; p < d; p++) s -= l[p * d + i] * y[p * k + c];
      y[i * k + c] = s / l[i * d + i];
    }
  }
  return y;
}

/** A linear model on standardised features: `ŷ = ((x − mean) / std) · W + b`, W `d × k`. */
export interface LinearModel {
  scaling: Scaling;
  weights: Float64Array;
  bias: Float64Array;
}

/** `n` rows of `x` through `m`: `n × k` outputs. */
export function linearOutputs(m: LinearModel, x: ArrayLike<number>, n: number): Float64Array {
  const d = m.scaling.mean.length;
  const k = m.bias.length;
  const out = new Float64Array(n * k);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) z[j] = (x[i * d + j] - m.scaling.mean[j]) / m.scaling.std[j];
    for (let c = 0; c < k; c++) {
      let s = m.bias[c];
      for (let j = 0; j < d; j++) s += z[j] * m.weights[j * k + c];
      out[i * k + c] = s;
    }
  }
  return out;
}

/**
 * Ridge regression, as scikit-learn's `Ridge(alpha)` on `StandardScaler`ed features: minimise
 * ‖Zw + b − y‖² + α‖w‖² with the intercept unpenalised, by the normal equations
 * (ZcᵀZc + αI) W = Zcᵀ Yc on centred columns (a Cholesky solve), for each of `k` targets.
 */
export function fitRidge(x: ArrayLike<number>, y: ArrayLike<number>, n: number, d: number, k: number, alpha = 1): LinearModel {
  const scaling = fitScaling(x, n, d);
  const z = standardise(x, n, scaling); // columns already centred (mean 0)
  const yMean = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) yMean[c] += y[i * k + c];
  for (let c = 0; c < k; c++) yMean[c] /= n;
  const a = new Float64Array(d * d);
  const b = new Float64Array(d * k);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let p = 0; p < d; p++) {
      const zp = z[row + p];
      if (zp === 0) continue;
      for (let q = 0; q <= p; q++) a[p * d + q] += zp * z[row + q];
      for (let c = 0; c < k; c++) b[p * k + c] += zp * (y[i * k + c] - yMean[c]);
    }
  }
  for (let p = 0; p < d; p++) {
    for (let q = 0; q < p; q++) a[q * d + p] = a[p * d + q];
    a[p * d + p] += alpha;
  }
  return { scaling, weights: choleskySolve(a, b, d, k), bias: yMean };
}

/**
 * L2-penalised multinomial logistic regression, as scikit-learn's `LogisticRegression(C=1)` on
 * `StandardScaler`ed features (its objective Σ CE + ½‖W‖², here divided by n: mean CE +
 * ‖W‖²/(2n); the intercept unpenalised): `steps` of Nesterov-accelerated gradient descent with the
 * step 1/L, L = ½·(λmax(ZᵀZ/n) + 1) + 1/n bounding the curvature (softmax's Hessian is at most ½I;
 * λmax by power iteration, +1 for the intercept). `labels` are class indices in [0, classes).
 */
export function fitLogistic(x: ArrayLike<number>, labels: ArrayLike<number>, n: number, d: number, classes: number, steps = 300): LinearModel {
  const scaling = fitScaling(x, n, d);
  const z = standardise(x, n, scaling);
  const k = classes;
  const l2 = 1 / n;
  const lipschitz = 0.5 * (largestEigenvalue(z, n, d) + 1) + l2;
  const lr = 1 / lipschitz;
  // Parameters θ = [W (d × k), b (k)] and the look-ahead point φ.
  const size = d * k + k;
  let theta = new Float64Array(size);
  let prev = new Float64Array(size);
  const phi = new Float64Array(size);
  const grad = new Float64Array(size);
  const logits = new Float64Array(k);
  for (let t = 1; t <= steps; t++) {
    const mom = (t - 1) / (t + 2);
    for (let i = 0; i < size; i++) phi[i] = theta[i] + mom * (theta[i] - prev[i]);
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * d;
      // Logits row by row of W (contiguous), then the gradient added the same way.
      for (let c = 0; c < k; c++) logits[c] = phi[d * k + c];
      for (let j = 0; j < d; j++) {
        const zj = z[row + j];
        if (zj === 0) continue;
        for (let c = 0, at = j * k; c < k; c++) logits[c] += zj * phi[at + c];
      }
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (logits[c] > max) max = logits[c];
      let sum = 0;
      for (let c = 0; c < k; c++) sum += logits[c] = Math.exp(logits[c] - max);
      const label = labels[i];
      for (let c = 0; c < k; c++) {
        logits[c] = logits[c] / sum - (c === label ? 1 : 0);
        grad[d * k + c] += logits[c];
      }
      for (let j = 0; j < d; j++) {
        const zj = z[row + j];
        if (zj === 0) continue;
        for (let c = 0, at = j * k; c < k; c++) grad[at + c] += logits[c] * zj;
      }
    }
    const next = prev;
    for (let i = 0; i < size; i++) {
      const penalty = i < d * k ? l2 * phi[i] : 0;
      next[i] = phi[i] - lr * (grad[i] / n + penalty);
    }
    prev = theta;
    theta = next;
  }
  return { scaling, weights: theta.slice(0, d * k), bias: theta.slice(d * k) };
}

/** The largest eigenvalue of ZᵀZ/n (power iteration, 30 steps from a fixed start): the curvature bound's scale. */
function largestEigenvalue(z: Float64Array, n: number, d: number): number {
  let v = new Float64Array(d).fill(1 / Math.sqrt(d));
  let lambda = 0;
  const zv = new Float64Array(n);
  for (let it = 0; it < 30; it++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += z[i * d + j] * v[j];
      zv[i] = s;
    }
    const w = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) w[j] += z[i * d + j] * zv[i];
    let norm = 0;
    for (let j = 0; j < d; j++) norm += (w[j] /= n) ** 2;
    norm = Math.sqrt(norm);
    if (!(norm > 0)) return 0;
    lambda = norm;
    for (let j = 0; j < d; j++) w[j] /= norm;
    v = w;
  }
  // NOTE: power iteration approaches λmax from below; 10 % more keeps the step inside 1/L.
  return 1.1 * lambda;
}
