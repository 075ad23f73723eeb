import { add, mul, sign, sub, v } from '../elementwise/expr';
import { chain, scalar, store, temp } from '../elementwise/update';
import { checkHyper } from './base';
import { defineOptimizer, type OptimizerResolved } from './optimizer-def';
import { decoupledDecay, rate, runningMean } from './transforms';
import { float } from '../../catalog/settings';
import { declareOptimizer } from '../../catalog/optimizers/types';

/** Its settings, as the Train dock and the IR read them (catalog/optimizers/generated.ts lists every optimizer's). */
const declared = declareOptimizer({
  kind: 'lion',
  label: 'Lion',
  doc: 'Steps of the same size for every weight, in the sign of a momentum; less memory than Adam. Use a learning rate 3–10× smaller than AdamW’s.',
  params: {
    beta1: float(0.9, 'How much of the momentum goes into the step’s sign (the rest is the gradient).', 0, 1),
    beta2: float(0.99, 'Decay of the momentum kept between steps.', 0, 1),
    weightDecay: float(0, 'Decoupled weight decay (weights only), as AdamW’s.', 0),
  },
  knownGoodLr: 1e-4,
  state: [{ name: 'expAvg' }],
});

type S = OptimizerResolved<typeof declared.kind>;

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), as lion-pytorch steps it:
 * `w ← w·(1 − lr·wd)`, `w ← w − lr·sign(β1·m + (1 − β1)·g)`, then `m ← β2·m + (1 − β2)·g`.
 * torch.optim has no Lion: train.py defines the class below (`pytorchClass`).
 */
export const lion = defineOptimizer({
  ...declared,
  update: {
    forms: {
      plain: {
        state: ['expAvg'],
        ...chain<S>(
          decoupledDecay,
          {
            scalars: [rate, scalar('b1', (s) => s.beta1), scalar('c1', (s) => 1 - s.beta1)],
            body: [temp('c', add(mul(v('b1'), v('expAvg')), mul(v('c1'), v('g')))), store('w', sub(v('w'), mul(v('lr'), sign(v('c')))))],
          },
          { scalars: [scalar('b2', (s) => s.beta2), scalar('c2', (s) => 1 - s.beta2)], body: runningMean('expAvg', 'b2', 'c2') },
        ),
      },
    },
    pick: () => 'plain',
  },
  check(s) {
    checkHyper('beta1', s.beta1, s.beta1 >= 0 && s.beta1 < 1, 'must be in [0, 1)');
    checkHyper('beta2', s.beta2, s.beta2 >= 0 && s.beta2 < 1, 'must be in [0, 1)');
    checkHyper('weightDecay', s.weightDecay, s.weightDecay >= 0);
  },
  testDomain: { forms: { plain: { settings: { lr: 1e-3, beta1: 0.8, weightDecay: 0.1 } } } },
  pytorch: "Lion(groups, lr=lr, betas=(o.get('beta1', 0.9), o.get('beta2', 0.99)))",
  pytorchClass: `class Lion(torch.optim.Optimizer):
    """Lion (Chen et al. 2023), as Netwright steps it (torch.optim has none): w <- w*(1 - lr*wd);
    w <- w - lr*sign(beta1*m + (1 - beta1)*g); m <- beta2*m + (1 - beta2)*g."""

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group['betas']
            for p in group['params']:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state['exp_avg'] = torch.zeros_like(p)
                m = state['exp_avg']
                p.mul_(1 - group['lr'] * group['weight_decay'])
                p.add_(m.mul(beta1).add(p.grad, alpha=1 - beta1).sign_(), alpha=-group['lr'])
                m.mul_(beta2).add_(p.grad, alpha=1 - beta2)
        return loss`,
});
