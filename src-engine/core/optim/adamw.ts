import { defineOptimizer } from './optimizer-def';
import { float } from '../../catalog/settings';
import { ADAM_BETAS, Adam, adamGpu } from './adam';
import { declareOptimizer } from '../../catalog/optimizers/types';

/** Its settings, as the Train dock and the IR read them (catalog/optimizers/generated.ts lists every optimizer's). */
const declared = declareOptimizer({
  kind: 'adamw',
  label: 'AdamW',
  doc: 'Adam with decoupled weight decay, as most transformers are trained.',
  params: { ...ADAM_BETAS, weightDecay: float(0.01, 'Decoupled weight decay (weights only).', 0) },
  knownGoodLr: 1e-3,
  state: [{ name: 'expAvg' }, { name: 'expAvgSq' }],
});

/** The declaration the registry lists (`optimizer-kinds.ts`). */
export const adamw = defineOptimizer({
  ...declared,
  create: (params, s, backend) => new Adam(params, s, true, backend),
  gpu: (s) => adamGpu(s, true),
  pytorch: "torch.optim.AdamW(groups, lr=lr, betas=(o.get('beta1', 0.9), o.get('beta2', 0.999)), eps=o.get('eps', 1e-8))",
});
