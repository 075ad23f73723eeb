import { bool, float } from '../settings';
import { declareOptimizer } from './types';

export const rmsprop = declareOptimizer({
  kind: 'rmsprop',
  label: 'RMSprop',
  doc: 'Steps scaled by a running mean of squared gradients.',
  params: {
    alpha: float(0.99, 'Decay of the running mean of squared gradients.', 0, 1),
    eps: float(1e-8, 'Added to the denominator for stability.', 0),
    momentum: float(0, 'Momentum factor.', 0, 1),
    centered: bool(false, 'Normalise by the gradient variance instead of its second moment.'),
    weightDecay: float(0, 'L2 penalty added to the gradient (weights only).', 0),
  },
  knownGoodLr: 1e-2,
});
