import { float } from '../settings';
import { ADAM_BETAS } from './adam';
import { declareOptimizer } from './types';

export const adamw = declareOptimizer({
  kind: 'adamw',
  label: 'AdamW',
  doc: 'Adam with decoupled weight decay, as most transformers are trained.',
  params: { ...ADAM_BETAS, weightDecay: float(0.01, 'Decoupled weight decay (weights only).', 0) },
  knownGoodLr: 1e-3,
});
