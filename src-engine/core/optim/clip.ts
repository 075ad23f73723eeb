import type { OptimParam } from './types';

/**
 * Scale all gradients together so their global L2 norm is at most `maxNorm`, as PyTorch's
 * `clip_grad_norm_`: `coef = maxNorm / (total + 1e-6)`, applied only when `coef < 1`.
 *
 * @returns The total norm before clipping (NaN or Infinity if a gradient is not finite, in which
 * case the gradients are left as they are so the caller can report the divergence).
 */
export function clipGradNorm(params: readonly Pick<OptimParam, 'grad'>[], maxNorm: number): number {
  let sumSq = 0;
  for (const p of params) {
    const g = p.grad.data;
    for (let i = 0; i < g.length; i++) sumSq += g[i] * g[i];
  }
  const total = Math.sqrt(sumSq);
  if (!Number.isFinite(total)) return total;
  // NOTE: the 1e-6 keeps the coefficient finite for all-zero gradients and makes the clipped norm
  // land just under maxNorm, exactly as PyTorch computes it.
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const p of params) {
      const g = p.grad.data;
      for (let i = 0; i < g.length; i++) g[i] *= coef;
    }
  }
  return total;
}

/** Clamp every gradient element into `[-clipValue, clipValue]`, as PyTorch's `clip_grad_value_`. */
export function clipGradValue(params: readonly Pick<OptimParam, 'grad'>[], clipValue: number): void {
  const lo = -clipValue;
  for (const p of params) {
    const g = p.grad.data;
    for (let i = 0; i < g.length; i++) {
      if (g[i] > clipValue) g[i] = clipValue;
      else if (g[i] < lo) g[i] = lo;
    }
  }
}
