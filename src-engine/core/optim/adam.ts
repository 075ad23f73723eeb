import { chain } from '../elementwise/update';
import { checkHyper } from './base';
import { defineOptimizer, type OptimizerResolved } from './optimizer-def';
import { adamMoments, adamStep, amsgradMax, l2Decay } from './transforms';
import { bool, float } from '../../catalog/settings';
import { declareOptimizer } from '../../catalog/optimizers/types';

/** β1, β2 and ε, as Adam, AdamW and NAdam offer them. */
export const ADAM_BETAS = {
  beta1: float(0.9, 'Decay of the running mean of gradients (momentum).', 0, 1),
  beta2: float(0.999, 'Decay of the running mean of squared gradients.', 0, 1),
  eps: float(1e-8, 'Added to the denominator for stability.', 0),
};

/** Its settings, as the Train dock and the IR read them (catalog/optimizers/generated.ts lists every optimizer's). */
const declared = declareOptimizer({
  kind: 'adam',
  label: 'Adam',
  doc: 'Adaptive per-weight steps from running means of the gradient and its square; a robust default.',
  params: { ...ADAM_BETAS, weightDecay: float(0, 'L2 penalty added to the gradient (weights only).', 0), amsgrad: bool(false, 'Use the maximum of past squared-gradient means (AMSGrad).') },
  knownGoodLr: 1e-3,
  state: [{ name: 'expAvg' }, { name: 'expAvgSq' }, { name: 'maxExpAvgSq', when: 'amsgrad' }],
});

type S = OptimizerResolved<typeof declared.kind>;

/** The checks Adam, AdamW and NAdam share: β in [0, 1), ε and the weight decay ≥ 0. */
export function checkAdam(s: { beta1: number; beta2: number; eps: number; weightDecay: number }): void {
  checkHyper('beta1', s.beta1, s.beta1 >= 0 && s.beta1 < 1, 'must be in [0, 1)');
  checkHyper('beta2', s.beta2, s.beta2 >= 0 && s.beta2 < 1, 'must be in [0, 1)');
  checkHyper('eps', s.eps, s.eps >= 0);
  checkHyper('weightDecay', s.weightDecay, s.weightDecay >= 0);
}

/**
 * Adam as `torch.optim.Adam` (PyTorch 1.13's `_single_tensor_adam`, its float32 operation order):
 * L2 decay added to the gradient, the two moments, the bias-corrected step; AMSGrad steps with the
 * largest second moment so far.
 */
export const adam = defineOptimizer({
  ...declared,
  update: {
    forms: {
      plain: { state: ['expAvg', 'expAvgSq'], ...chain<S>(l2Decay, adamMoments, adamStep('expAvgSq')) },
      amsgrad: { state: ['expAvg', 'expAvgSq', 'maxExpAvgSq'], ...chain<S>(l2Decay, adamMoments, amsgradMax, adamStep('maxExpAvgSq')) },
    },
    pick: (s) => (s.amsgrad ? 'amsgrad' : 'plain'),
  },
  check: checkAdam,
  testDomain: {
    forms: {
      plain: { settings: { lr: 1e-3 } },
      amsgrad: { settings: { lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.01, amsgrad: true } },
    },
  },
  pytorch: "torch.optim.Adam(groups, lr=lr, betas=(o.get('beta1', 0.9), o.get('beta2', 0.999)), eps=o.get('eps', 1e-8), amsgrad=o.get('amsgrad', False))",
});
