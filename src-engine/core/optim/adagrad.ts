import { add, div, mul, sqrt, sub, v } from '../elementwise/expr';
import { chain, scalar, store } from '../elementwise/update';
import { checkHyper } from './base';
import { defineOptimizer, type OptimizerResolved } from './optimizer-def';
import { l2Decay } from './transforms';
import { float } from '../../catalog/settings';
import { declareOptimizer } from '../../catalog/optimizers/types';

/** Its settings, as the Train dock and the IR read them (catalog/optimizers/generated.ts lists every optimizer's). */
const declared = declareOptimizer({
  kind: 'adagrad',
  label: 'Adagrad',
  doc: 'Steps scaled by the root of every squared gradient so far: rarely-updated weights keep larger steps.',
  params: {
    lrDecay: float(0, 'The rate at step t is lr / (1 + (t − 1)·lrDecay).', 0),
    eps: float(1e-10, 'Added to the denominator for stability.', 0),
    weightDecay: float(0, 'L2 penalty added to the gradient (weights only).', 0),
  },
  knownGoodLr: 1e-2,
  state: [{ name: 'sum' }],
});

/**
 * Adagrad as PyTorch 1.13's `_single_tensor_adagrad`: `g ← g + wd·w`, `sum ← sum + g²`,
 * `w ← w − clr·g / (√sum + ε)` (`addcdiv_`: (value·g)/std), the step's rate
 * `clr = lr/(1 + (t−1)·lrDecay)` computed on the host.
 */
export const adagrad = defineOptimizer({
  ...declared,
  update: {
    forms: {
      plain: {
        state: ['sum'],
        ...chain<OptimizerResolved<typeof declared.kind>>(l2Decay, {
          scalars: [scalar('clr', (s, at) => at.lr / (1 + (at.t - 1) * s.lrDecay)), scalar('eps', (s) => s.eps)],
          body: [store('sum', add(v('sum'), mul(v('g'), v('g')))), store('w', sub(v('w'), div(mul(v('clr'), v('g')), add(sqrt(v('sum')), v('eps')))))],
        }),
      },
    },
    pick: () => 'plain',
  },
  check(s) {
    checkHyper('lrDecay', s.lrDecay, s.lrDecay >= 0);
    checkHyper('eps', s.eps, s.eps >= 0);
    checkHyper('weightDecay', s.weightDecay, s.weightDecay >= 0);
  },
  testDomain: { forms: { plain: { settings: { lr: 0.05, lrDecay: 0.1, eps: 1e-6, weightDecay: 0.05 } } } },
  pytorch: "torch.optim.Adagrad(groups, lr=lr, lr_decay=o.get('lrDecay', 0), eps=o.get('eps', 1e-10))",
});
