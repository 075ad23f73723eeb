import { bool, float } from '../settings';
import { declareOptimizer } from './types';

export const sgd = declareOptimizer({
  kind: 'sgd',
  label: 'SGD',
  doc: 'Plain gradient descent, optionally with (Nesterov) momentum.',
  params: {
    momentum: float(0, 'Momentum factor (0.9 is common).', 0, 1),
    nesterov: bool(false, 'Nesterov momentum (needs momentum > 0).'),
    dampening: float(0, 'Dampening of the momentum.', 0, 1),
    weightDecay: float(0, 'L2 penalty added to the gradient (weights only).', 0),
  },
  knownGoodLr: 0.1,
});
