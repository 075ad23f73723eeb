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

/** How a logistic regression's fit ended: how many L-BFGS iterations, the gradient left, whether it met the tolerance. */
export interface LogisticFit extends LinearModel {
  iterations: number;
  /** The largest |∂f/∂θ| at the end, f = Σ cross-entropy + ½‖W‖² (scikit-learn's lbfgs objective with C = 1, its `gtol`). */
  gradient: number;
  /** Whether `gradient ≤ tolerance`; false when the iteration cap was hit or no step decreased f (rounding). */
  converged: boolean;
}

export interface LogisticOptions {
  /** Stop when every |∂f/∂θ| of the summed objective is at most this (scikit-learn's `tol`, 1e-4 by default there). */
  tolerance?: number;
  /** At most this many L-BFGS iterations; `converged: false` says when it stopped here. */
  maxIterations?: number;
}

/** scikit-learn's lbfgs keeps 10 pairs (scipy's `maxcor`). */
const LBFGS_MEMORY = 10;

/**
 * The standardised rows `z = (x − mean) / std` kept sparse: each column is shifted by its mean when
 * it is mostly non-zero (a measurement) and by 0 otherwise (a word's count), `u = (x − shift) / std`
 * is stored by its non-zeros, and `z = u − c` with `c = (mean − shift) / std` per column, so a pass
 * over a bag of words costs its non-zeros, not rows × vocabulary.
 */
interface SparseRows {
  start: Int32Array;
  column: Int32Array;
  value: Float64Array;
  c: Float64Array;
}

function sparseStandardised(x: ArrayLike<number>, n: number, d: number, s: Scaling): SparseRows {
  const zeros = new Int32Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) if (x[i * d + j] === 0) zeros[j]++;
  const shift = Float64Array.from(s.mean, (m, j) => (2 * zeros[j] > n ? 0 : m));
  const c = Float64Array.from(s.mean, (m, j) => (m - shift[j]) / s.std[j]);
  const start = new Int32Array(n + 1);
  const column: number[] = [];
  const value: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const u = (x[i * d + j] - shift[j]) / s.std[j];
      if (u !== 0) {
        column.push(j);
        value.push(u);
      }
    }
    start[i + 1] = column.length;
  }
  return { start, column: Int32Array.from(column), value: Float64Array.from(value), c };
}

/**
 * L2-penalised multinomial logistic regression, as scikit-learn's `LogisticRegression(C=1,
 * solver='lbfgs')` on `StandardScaler`ed features: minimise f = Σᵢ cross-entropyᵢ + ½‖W‖² (the
 * intercept unpenalised) by L-BFGS (10 pairs, a backtracking Armijo line search; the objective is
 * strictly convex in W, so every pair has sᵀy > 0) until every |∂f/∂θ| ≤ `tolerance`, or
 * `maxIterations`. `labels` are class indices in [0, classes). A class absent from the labels gets
 * probability 0 (scikit-learn fits only the classes it sees).
 *
 * NOTE: with two classes scikit-learn fits one weight vector w (a sigmoid, penalty ½‖w‖²); the
 * two-column softmax's optimum is W = (−w/2, w/2) with ‖W‖² = ½‖w‖², so its penalty is doubled
 * (λ = 2) to reach the same probabilities.
 */
export function fitLogistic(x: ArrayLike<number>, labels: ArrayLike<number>, n: number, d: number, classes: number, opts: LogisticOptions = {}): LogisticFit {
  const tolerance = opts.tolerance ?? 1e-4;
  const maxIterations = opts.maxIterations ?? 1000;
  const scaling = fitScaling(x, n, d);
  const seen = new Uint8Array(classes);
  for (let i = 0; i < n; i++) seen[labels[i]] = 1;
  const present = [...seen.keys()].filter((c) => seen[c]);
  const k = present.length;
  const weights = new Float64Array(d * classes);
  const bias = new Float64Array(classes).fill(-Infinity);
  if (k < 2) {
    for (const c of present) bias[c] = 0;
    return { scaling, weights, bias, iterations: 0, gradient: 0, converged: true };
  }
  const label = Int32Array.from({ length: n }, (_, i) => present.indexOf(labels[i]));
  const rows = sparseStandardised(x, n, d, scaling);
  const lambda = k === 2 ? 2 : 1;
  const size = d * k + k;
  const logits = new Float64Array(k);
  const residualSum = new Float64Array(k);

  /** f at θ = [W (d × k rows), b (k)], and its gradient into `g`. */
  const evaluate = (theta: Float64Array, g: Float64Array): number => {
    g.fill(0);
    residualSum.fill(0);
    let f = 0;
    // The logits' constant part: b − cᵀW.
    const offset = theta.slice(d * k);
    for (let j = 0; j < d; j++) if (rows.c[j] !== 0) for (let c = 0; c < k; c++) offset[c] -= rows.c[j] * theta[j * k + c];
    for (let i = 0; i < n; i++) {
      logits.set(offset);
      for (let p = rows.start[i]; p < rows.start[i + 1]; p++) {
        const u = rows.value[p];
        for (let c = 0, at = rows.column[p] * k; c < k; c++) logits[c] += u * theta[at + c];
      }
      let max = -Infinity;
      for (let c = 0; c < k; c++) if (logits[c] > max) max = logits[c];
      const own = logits[label[i]];
      let sum = 0;
      for (let c = 0; c < k; c++) sum += logits[c] = Math.exp(logits[c] - max);
      f += max + Math.log(sum) - own;
      // The residual p − y, in place of the logits.
      for (let c = 0; c < k; c++) {
        const r = logits[c] / sum - (c === label[i] ? 1 : 0);
        logits[c] = r;
        residualSum[c] += r;
      }
      for (let p = rows.start[i]; p < rows.start[i + 1]; p++) {
        const u = rows.value[p];
        for (let c = 0, at = rows.column[p] * k; c < k; c++) g[at + c] += u * logits[c];
      }
    }
    for (let j = 0; j < d; j++) {
      for (let c = 0; c < k; c++) {
        const w = theta[j * k + c];
        g[j * k + c] += lambda * w - rows.c[j] * residualSum[c];
        f += 0.5 * lambda * w * w;
      }
    }
    for (let c = 0; c < k; c++) g[d * k + c] = residualSum[c];
    return f;
  };

  const maxAbs = (v: Float64Array) => v.reduce((m, a) => Math.max(m, Math.abs(a)), 0);
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  };
  const theta = new Float64Array(size);
  let g = new Float64Array(size);
  let f = evaluate(theta, g);
  const trial = new Float64Array(size);
  let gTrial = new Float64Array(size);
  const dir = new Float64Array(size);
  const sPairs: Float64Array[] = [];
  const yPairs: Float64Array[] = [];
  const rhos: number[] = [];
  const alphas = new Float64Array(LBFGS_MEMORY);
  let iterations = 0;
  while (maxAbs(g) > tolerance && iterations < maxIterations) {
    // The two-loop recursion: dir = −H g, H the inverse Hessian the pairs describe (scaled by sᵀy / yᵀy).
    for (let i = 0; i < size; i++) dir[i] = -g[i];
    for (let m = sPairs.length - 1; m >= 0; m--) {
      alphas[m] = rhos[m] * dot(sPairs[m], dir);
      for (let i = 0; i < size; i++) dir[i] -= alphas[m] * yPairs[m][i];
    }
    const last = sPairs.length - 1;
    const gamma = last >= 0 ? 1 / (rhos[last] * dot(yPairs[last], yPairs[last])) : 1 / Math.sqrt(dot(g, g));
    for (let i = 0; i < size; i++) dir[i] *= gamma;
    for (let m = 0; m <= last; m++) {
      const beta = rhos[m] * dot(yPairs[m], dir);
      for (let i = 0; i < size; i++) dir[i] += (alphas[m] - beta) * sPairs[m][i];
    }
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      // Not a descent direction (rounding in the pairs): start again from the gradient.
      sPairs.length = yPairs.length = rhos.length = 0;
      const scale = 1 / Math.sqrt(dot(g, g));
      for (let i = 0; i < size; i++) dir[i] = -g[i] * scale;
      slope = dot(g, dir);
    }
    // Backtracking (Armijo, c₁ = 1e-4), the next step by the quadratic through f, f′ and the failed trial.
    let step = 1;
    let fTrial = NaN;
    let accepted = false;
    for (let tries = 0; tries < 50; tries++) {
      for (let i = 0; i < size; i++) trial[i] = theta[i] + step * dir[i];
      fTrial = evaluate(trial, gTrial);
      // NOTE: near the optimum f's decrease (≈ ‖g‖²/2μ) falls under its rounding (|f|·1e-16) before
      // the gradient meets a tight tolerance; a step that leaves f within rounding and lowers the
      // gradient is taken then.
      const flat = Math.abs(fTrial - f) <= 1e-15 * Math.abs(f) && maxAbs(gTrial) < maxAbs(g);
      if (fTrial <= f + 1e-4 * step * slope || flat) {
        accepted = true;
        break;
      }
      const q = (-slope * step * step) / (2 * (fTrial - f - slope * step));
      step = Number.isFinite(q) ? Math.min(0.5 * step, Math.max(0.1 * step, q)) : 0.5 * step;
    }
    // No step decreases f (rounding near the optimum): stop, and `converged` says whether the tolerance was met.
    if (!accepted) break;
    const s = new Float64Array(size);
    const y = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      s[i] = trial[i] - theta[i];
      y[i] = gTrial[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 0) {
      if (sPairs.length === LBFGS_MEMORY) {
        sPairs.shift();
        yPairs.shift();
        rhos.shift();
      }
      sPairs.push(s);
      yPairs.push(y);
      rhos.push(1 / sy);
    }
    theta.set(trial);
    [g, gTrial] = [gTrial, g];
    f = fTrial;
    iterations++;
  }
  const gradient = maxAbs(g);
  for (let j = 0; j < d; j++) present.forEach((c, at) => (weights[j * classes + c] = theta[j * k + at]));
  present.forEach((c, at) => (bias[c] = theta[d * k + at]));
  return { scaling, weights, bias, iterations, gradient, converged: gradient <= tolerance };
}
