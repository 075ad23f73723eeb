import { float } from '../settings';
import { declareOptimizer } from './types';

export const adagrad = declareOptimizer({
  kind: 'adagrad',
  label: 'Adagrad',
  doc: 'Steps scaled by the root of every squared gradient so far: rarely-updated weights keep larger steps.',
  params: {
    lrDecay: float(0, 'The rate at step t is lr / (1 + (t − 1)·lrDecay).', 0),
    eps: float(1e-10, 'Added to the denominator for stability.', 0),
    weightDecay: float(0, 'L2 penalty added to the gradient (weights only).', 0),
  },
  knownGoodLr: 1e-2,
});
