import { add, div, mul, sqrt, v } from '../elementwise/expr';
import { chain, scalar, store, temp } from '../elementwise/update';
import { ADAM_BETAS, checkAdam } from './adam';
import { checkHyper } from './base';
import { defineOptimizer, type OptimizerResolved } from './optimizer-def';
import { adamMoments, l2Decay } from './transforms';
import { float } from '../../catalog/settings';
import { declareOptimizer } from '../../catalog/optimizers/types';

/** Its settings, as the Train dock and the IR read them (catalog/optimizers/generated.ts lists every optimizer's). */
const declared = declareOptimizer({
  kind: 'nadam',
  label: 'NAdam',
  doc: 'Adam with Nesterov momentum: each step looks ahead along the running mean of gradients.',
  params: {
    ...ADAM_BETAS,
    weightDecay: float(0, 'L2 penalty added to the gradient (weights only).', 0),
    momentumDecay: float(4e-3, 'How fast the momentum schedule μₜ = β1·(1 − ½·0.96^(t·decay)) rises to β1.', 0),
  },
  knownGoodLr: 2e-3,
  state: [{ name: 'expAvg' }, { name: 'expAvgSq' }],
});

type S = OptimizerResolved<typeof declared.kind>;

/** μₜ = β1·(1 − ½·0.96^(t·ψ)), the momentum schedule. */
const mu = (s: S, t: number): number => s.beta1 * (1 - 0.5 * Math.pow(0.96, t * s.momentumDecay));

/** The last product computed per settings (a run asks it once per parameter per step, steps in order). */
const products = new WeakMap<S, { t: number; value: number }>();

/**
 * ∏ₖ≤ₜ μₖ as PyTorch 1.13 keeps it: a float32 tensor (`mu_product`, one per parameter, all equal)
 * multiplied by each step's μ in float32. A function of the step here (one product per optimizer,
 * carried from step to step, recomputed from step 1 after a jump such as a resume).
 */
function muProduct(s: S, t: number): number {
  let p = products.get(s);
  if (!p || p.t > t) p = { t: 0, value: 1 };
  for (let k = p.t + 1; k <= t; k++) p = { t: k, value: Math.fround(p.value * Math.fround(mu(s, k))) };
  products.set(s, p);
  return p.value;
}

/**
 * NAdam as PyTorch 1.13's `_single_tensor_nadam`: L2 decay, Adam's moments, then two `addcdiv_`
 * steps along the gradient and the first moment over `denom = √(v/(1−β2ᵗ)) + ε`:
 * `w ← w − lr·(1−μₜ)/(1−Πₜ) · g/denom − lr·μₜ₊₁/(1−Πₜ₊₁) · m/denom`.
 *
 * NOTE: PyTorch 1.13 computes Πₜ₊₁ as `mu_product * mu * mu_next` after `mu_product *= mu`, so μₜ
 * counts twice in it (later releases multiply by μₜ₊₁ alone); this follows 1.13, in float32 as its
 * tensors do.
 */
export const nadam = defineOptimizer({
  ...declared,
  update: {
    forms: {
      plain: {
        state: ['expAvg', 'expAvgSq'],
        ...chain<S>(l2Decay, adamMoments, {
          scalars: [
            scalar('bc2', (s, at) => 1 - Math.pow(s.beta2, at.t)),
            scalar('eps', (s) => s.eps),
            scalar('gStep', (s, at) => (-at.lr * (1 - mu(s, at.t))) / (1 - muProduct(s, at.t))),
            scalar('mStep', (s, at) => (-at.lr * mu(s, at.t + 1)) / (1 - Math.fround(Math.fround(muProduct(s, at.t) * Math.fround(mu(s, at.t))) * Math.fround(mu(s, at.t + 1))))),
          ],
          body: [
            temp('denom', add(sqrt(div(v('expAvgSq'), v('bc2'))), v('eps'))),
            temp('w', add(v('w'), div(mul(v('gStep'), v('g')), v('denom')))),
            store('w', add(v('w'), div(mul(v('mStep'), v('expAvg')), v('denom')))),
          ],
        }),
      },
    },
    pick: () => 'plain',
  },
  check(s) {
    checkAdam(s);
    checkHyper('momentumDecay', s.momentumDecay, s.momentumDecay >= 0);
  },
  testDomain: { forms: { plain: { settings: { lr: 2e-3, beta1: 0.8, weightDecay: 0.01 } } } },
  pytorch: "torch.optim.NAdam(groups, lr=lr, betas=(o.get('beta1', 0.9), o.get('beta2', 0.999)), eps=o.get('eps', 1e-8), momentum_decay=o.get('momentumDecay', 4e-3))",
});
