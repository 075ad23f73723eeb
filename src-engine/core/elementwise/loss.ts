/**
 * Pointwise losses in the expression language: a loss `L = reduce_i term(prediction_i, target_i; p, q)`
 * is its term, written once in its op file (`...pointwiseLoss({ term: … })`, loss-js.ts); the
 * reference kernels (JS, float64), the GPU's WGSL (core/gpu/kernels/pointwise-losses.ts) and the
 * CPU backend's WebAssembly (node/cpu/kernels/losses-gen.ts) are printed from it, and its two
 * gradients are derived here ({@link lossGradients}: ∂term/∂prediction, ∂term/∂target) unless the
 * op file declares them.
 *
 * Leaves: {@link prediction} and {@link target} (the expression language's `x` and `x2`: each loss
 * reads both at the same index, no broadcasting), the op's float parameters `p` and `q`, and in a
 * gradient `dy`, which here is the reduction's scale of the incoming gradient ({@link gradientScale}:
 * dLoss/N for a mean). The gradients are printed as `d·prediction += dy·∂term/∂prediction` and
 * `d·target += dy·∂term/∂target` ({@link gradient}'s placement of dy).
 *
 * @example MSELoss: `term: mul(sub(prediction, target), sub(prediction, target))`; its gradients
 * come out as 2(p − t) and −2(p − t), written `(p − t) + (p − t)`.
 */
import type { Attrs } from '../../base/ir/types';
import { derivative, x, x2, type Expr } from './expr';

/** A loss's first input, the prediction (the language's `x`). */
export const prediction: Expr = x;
/** A loss's second input, the target (the language's `x2`), read at the prediction's index. */
export const target: Expr = x2;

/**
 * How the terms become the loss. `mean`: Σ term / N, so each term's gradient is scaled by dLoss/N;
 * `sum`: Σ term, scaled by dLoss; `batchmean`: Σ term / B, B the batch (the prediction's dim 0), as
 * PyTorch's `reduction='batchmean'` (KLDivLoss: the mean over samples of each sample's divergence).
 *
 * NOTE (order): each backend sums in the order its hand kernel summed before this file, so the
 * losses keep their bits — the reference in float64, in index order; the CPU in float64, two lanes
 * (lane 0 the even indices, lane 1 the odd ones, over the multiple-of-4 head), the lanes added, then
 * the tail in index order (the f64x2 pairs of elementwise.wat's former `sumSquaredDiff`); the GPU in
 * float32, invocation k of one workgroup of 256 summing k, k + W, k + 2W, …, then a
 * tree over the workgroup (losses.ts's `REDUCE`). See {@link SUM_ORDER}.
 */
export type Reduction = 'mean' | 'sum' | 'batchmean';

/** The order and precision each backend sums a loss's terms in (the table {@link Reduction}'s note describes). */
export const SUM_ORDER = {
  reference: 'float64, index order',
  cpu: 'float64 f64x2: even indices in lane 0, odd in lane 1 (the multiple-of-4 head), lane 0 + lane 1, then the tail in index order',
  gpu: 'float32: invocation k of one workgroup sums k, k + W, …; then a tree over the workgroup (W = 256)',
} as const;

/** The float32 arrangement of a loss's maths, where the float64 one would round differently from the hand kernels it replaced. */
export interface LossF32 {
  readonly term?: Expr;
  readonly gradient?: Expr;
  readonly gradient2?: Expr;
}

/** What a pointwise loss's op file declares. */
export interface PointwiseLossDecl {
  /** The per-element term in {@link prediction}, {@link target}, `p`, `q`. */
  readonly term: Expr;
  /** ∂term/∂prediction where the derived one would change today's bits (or a NaN's fate); absent: derived. */
  readonly gradient?: Expr;
  /** ∂term/∂target likewise. */
  readonly gradient2?: Expr;
  /** The float32 forms (the GPU's WGSL and the CPU's f32x4 backward); absent: the main ones. */
  readonly f32?: LossF32;
  readonly reduction: Reduction;
  /** p and q from the op's attributes (absent: 0). */
  readonly params?: readonly [(attrs: Attrs) => number, ((attrs: Attrs) => number)?];
  /**
   * p as one value per class (the last dim), element i reading `values[i % values.length]`
   * (BCEWithLogitsLoss's posWeight); replaces `params[0]`. Never empty.
   */
  readonly perClass?: (attrs: Attrs) => readonly number[];
}

/**
 * The two gradients of a loss's term, in float64 (`f32`: the float32 forms): each its declared one,
 * else derived from the term.
 */
export function lossGradients(decl: PointwiseLossDecl, f32 = false): { prediction: Expr; target: Expr } {
  const term = lossTerm(decl, f32);
  return {
    prediction: (f32 && decl.f32?.gradient) || decl.gradient || derivative(term, 'x'),
    target: (f32 && decl.f32?.gradient2) || decl.gradient2 || derivative(term, 'x2'),
  };
}

/** The term in float32 (`f32`) or float64. */
export function lossTerm(decl: PointwiseLossDecl, f32 = false): Expr {
  return (f32 && decl.f32?.term) || decl.term;
}

/** What the sum of the N terms of a batch of `batch` samples is divided by: N for a mean, the batch for a batchmean, 1 for a sum. */
export function divisor(reduction: Reduction, n: number, batch: number): number {
  return reduction === 'mean' ? n : reduction === 'batchmean' ? batch : 1;
}

/** The factor each term's gradient is scaled by: dLoss/N for a mean, dLoss/B for a batchmean, dLoss for a sum. */
export function gradientScale(reduction: Reduction, dLoss: number, n: number, batch = n): number {
  return reduction === 'sum' ? dLoss : dLoss / divisor(reduction, n, batch);
}

/** The loss from the sum of its N terms (over `batch` samples). */
export function reduced(reduction: Reduction, sum: number, n: number, batch = n): number {
  return reduction === 'sum' ? sum : sum / divisor(reduction, n, batch);
}

/** p per element: the per-class values, or p (and q) as scalars. */
export function lossParams(decl: PointwiseLossDecl, attrs: Attrs): { p: readonly number[]; q: number } {
  return { p: decl.perClass?.(attrs) ?? [decl.params?.[0](attrs) ?? 0], q: decl.params?.[1]?.(attrs) ?? 0 };
}
