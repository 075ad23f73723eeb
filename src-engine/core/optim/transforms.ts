/**
 * The transformations optimizers share, in optax's manner: each one step of an update (update.ts),
 * its statements and the scalars they read, chained into an optimizer's update (`chain(l2Decay,
 * adamMoments, adamStep)`). Weight decay is one of them rather than a flag of each optimizer.
 *
 * NOTE: gradient clipping stays its own path (clip.ts, before the step): clipping by global norm
 * needs the norm over every parameter, a reduction across the whole model, not a per-element
 * statement of one parameter's update; clipping by value could be one, but runs before any
 * optimizer (and on the GPU in its own pass), so it stays beside the norm.
 */
import { add, div, gt, mul, select, sqrt, sub, v } from '../elementwise/expr';
import { scalar, store, temp, type Stmt, type UpdateStep } from '../elementwise/update';

/** L2 decay as PyTorch's `weight_decay` (SGD, Adam, RMSprop, Adagrad, NAdam): `g ← g + wd·w`, wd 0 on a parameter without decay. */
export const l2Decay: UpdateStep<{ weightDecay: number }> = {
  scalars: [scalar('wd', (s, at) => (at.decay ? s.weightDecay : 0))],
  body: [temp('g', add(v('g'), mul(v('wd'), v('w'))))],
};

/** Decoupled decay as AdamW's: `w ← w·(1 − lr·wd)` before the step. */
export const decoupledDecay: UpdateStep<{ weightDecay: number }> = {
  scalars: [scalar('shrink', (s, at) => 1 - at.lr * (at.decay ? s.weightDecay : 0))],
  body: [temp('w', mul(v('w'), v('shrink')))],
};

/** `slot ← β·slot + (1 − β)·g` (`mul_(β).add_(g, alpha=1 − β)`), β and 1 − β computed on the host. */
export const runningMean = (slot: string, beta: string, keep: string, x = v('g')): Stmt[] => [store(slot, add(mul(v(beta), v(slot)), mul(v(keep), x)))];

/** Adam's two moments: `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g·g` (`addcmul_`), stored in float32. */
export const adamMoments: UpdateStep<{ beta1: number; beta2: number }> = {
  scalars: [scalar('b1', (s) => s.beta1), scalar('c1', (s) => 1 - s.beta1), scalar('b2', (s) => s.beta2), scalar('c2', (s) => 1 - s.beta2)],
  body: [...runningMean('expAvg', 'b1', 'c1'), store('expAvgSq', add(mul(v('b2'), v('expAvgSq')), mul(mul(v('c2'), v('g')), v('g'))))],
};

/** AMSGrad: the largest second moment so far (`if (v > max) max = v`: a NaN v leaves it). */
export const amsgradMax: UpdateStep<object> = {
  scalars: [],
  body: [store('maxExpAvgSq', select(gt(v('expAvgSq'), v('maxExpAvgSq')), v('expAvgSq'), v('maxExpAvgSq')))],
};

/**
 * Adam's step from the moments, as PyTorch 1.13's `_single_tensor_adam`:
 * `w ← w − (lr/(1−β1ᵗ))·m / (√v̂/√(1−β2ᵗ) + ε)`, v̂ the slot `second` (`expAvgSq`, or AMSGrad's maximum).
 *
 * NOTE: ε is added after the bias correction of √v (as PyTorch does), not to √v itself, so
 * early steps with tiny gradients match PyTorch rather than the paper's pseudo-code.
 */
export const adamStep = (second: 'expAvgSq' | 'maxExpAvgSq'): UpdateStep<{ beta1: number; beta2: number; eps: number }> => ({
  scalars: [
    scalar('stepSize', (s, at) => at.lr / (1 - Math.pow(s.beta1, at.t))),
    scalar('bc2Sqrt', (s, at) => Math.sqrt(1 - Math.pow(s.beta2, at.t))),
    scalar('eps', (s) => s.eps),
  ],
  body: [store('w', sub(v('w'), div(mul(v('stepSize'), v('expAvg')), add(div(sqrt(v(second)), v('bc2Sqrt')), v('eps')))))],
});

/** The step's learning rate, as a scalar named `lr`. */
export const rate = scalar<unknown>('lr', (_s, at) => at.lr);
