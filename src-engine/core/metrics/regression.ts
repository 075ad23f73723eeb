/** Regression and reconstruction metrics over flat arrays of predictions and targets. */

export function meanSquaredError(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < target.length; i++) {
    const d = pred[i] - target[i];
    s += d * d;
  }
  return s / target.length;
}

export function meanAbsoluteError(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < target.length; i++) s += Math.abs(pred[i] - target[i]);
  return s / target.length;
}

/**
 * Coefficient of determination `1 − SS_res / SS_tot`, computed per output column of a
 * `[n, outputs]` array and averaged (sklearn's `r2_score` default, `uniform_average`).
 *
 * NOTE: a constant target column has SS_tot = 0; it scores 1 when predicted exactly and 0
 * otherwise, as sklearn does.
 */
export function r2Score(pred: ArrayLike<number>, target: ArrayLike<number>, outputs = 1): number {
  const n = target.length / outputs;
  let total = 0;
  for (let c = 0; c < outputs; c++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += target[i * outputs + c];
    mean /= n;
    let ssRes = 0;
    let ssTot = 0;
    for (let i = 0; i < n; i++) {
      const t = target[i * outputs + c];
      ssRes += (pred[i * outputs + c] - t) ** 2;
      ssTot += (t - mean) ** 2;
    }
    total += ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0;
  }
  return total / outputs;
}

/**
 * Peak signal-to-noise ratio in dB for data in [0, 1]: `10·log10(1 / MSE)` (∞ for a perfect match).
 *
 * NOTE: over a dataset this is the PSNR of the pooled MSE, not the mean of per-image PSNRs.
 */
export function psnrFromMse(mse: number, peak = 1): number {
  return 10 * Math.log10((peak * peak) / mse);
}
