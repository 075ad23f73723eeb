import { adamw as declared } from '../../catalog/optimizers/adamw';
import { Adam, adamGpu } from './adam';
import { defineOptimizer } from './optimizer-def';

/** The declaration the registry lists (`optimizer-kinds.ts`). */
export const adamw = defineOptimizer({
  ...declared,
  slots: () => ['expAvg', 'expAvgSq'],
  create: (params, s, backend) => new Adam(params, s, true, backend),
  gpu: (s) => adamGpu(s, true),
  pytorch: "torch.optim.AdamW(groups, lr=lr, betas=(o.get('beta1', 0.9), o.get('beta2', 0.999)), eps=o.get('eps', 1e-8))",
});
