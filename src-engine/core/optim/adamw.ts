import { chain } from '../elementwise/update';
import { defineOptimizer, type OptimizerResolved } from './optimizer-def';
import { float } from '../../catalog/settings';
import { ADAM_BETAS, checkAdam } from './adam';
import { adamMoments, adamStep, decoupledDecay } from './transforms';
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

/** AdamW as `torch.optim.AdamW`: Adam's moments and step after the decoupled decay `w ← w·(1 − lr·wd)`. */
export const adamw = defineOptimizer({
  ...declared,
  update: {
    forms: { plain: { state: ['expAvg', 'expAvgSq'], ...chain<OptimizerResolved<typeof declared.kind>>(decoupledDecay, adamMoments, adamStep('expAvgSq')) } },
    pick: () => 'plain',
  },
  check: checkAdam,
  testDomain: { forms: { plain: { settings: { lr: 3e-3, weightDecay: 0.01 } } } },
  pytorch: "torch.optim.AdamW(groups, lr=lr, betas=(o.get('beta1', 0.9), o.get('beta2', 0.999)), eps=o.get('eps', 1e-8))",
});
