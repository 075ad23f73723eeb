import { bool, float } from '../settings';
import { declareOptimizer } from './types';

/** β1, β2 and ε, as Adam and AdamW offer them. */
export const ADAM_BETAS = {
  beta1: float(0.9, 'Decay of the running mean of gradients (momentum).', 0, 1),
  beta2: float(0.999, 'Decay of the running mean of squared gradients.', 0, 1),
  eps: float(1e-8, 'Added to the denominator for stability.', 0),
};

export const adam = declareOptimizer({
  kind: 'adam',
  label: 'Adam',
  doc: 'Adaptive per-weight steps from running means of the gradient and its square; a robust default.',
  params: { ...ADAM_BETAS, weightDecay: float(0, 'L2 penalty added to the gradient (weights only).', 0), amsgrad: bool(false, 'Use the maximum of past squared-gradient means (AMSGrad).') },
  knownGoodLr: 1e-3,
});
