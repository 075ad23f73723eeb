import { add, div, mul, sqrt, sub, v } from '../elementwise/expr';
import { chain, scalar, store, temp, type UpdateStep } from '../elementwise/update';
import { checkHyper } from './base';
import { defineOptimizer, type OptimizerResolved } from './optimizer-def';
import { l2Decay, rate, runningMean } from './transforms';
import { bool, float } from '../../catalog/settings';
import { declareOptimizer } from '../../catalog/optimizers/types';

/** Its settings, as the Train dock and the IR read them (catalog/optimizers/generated.ts lists every optimizer's). */
const declared = declareOptimizer({
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
  state: [{ name: 'squareAvg' }, { name: 'gradAvg', when: 'centered' }, { name: 'momentumBuffer', when: 'momentum' }],
});

type S = OptimizerResolved<typeof declared.kind>;

/**
 * The denominator `avg = √s + ε`: `s ← α·s + (1−α)·g·g` (`addcmul_`); centered, the running mean of
 * g too and `√(s − ḡ²)`. NOTE: ε is added outside the square root (PyTorch; TensorFlow adds it inside).
 */
const denominator = (centered: boolean): UpdateStep<S> => ({
  scalars: [scalar('alpha', (s) => s.alpha), scalar('keep', (s) => 1 - s.alpha), scalar('eps', (s) => s.eps)],
  body: [
    store('squareAvg', add(mul(v('alpha'), v('squareAvg')), mul(mul(v('keep'), v('g')), v('g')))),
    ...(centered ? [...runningMean('gradAvg', 'alpha', 'keep'), temp('s', sub(v('squareAvg'), mul(v('gradAvg'), v('gradAvg'))))] : [temp('s', v('squareAvg'))]),
    temp('avg', add(sqrt(v('s')), v('eps'))),
  ],
});

/** With momentum `b ← μ·b + g/avg`, `w ← w − lr·b`; else `w ← w − lr·g/avg`. */
const descend = (momentum: boolean): UpdateStep<S> =>
  momentum
    ? {
        scalars: [rate, scalar('mu', (s) => s.momentum)],
        body: [store('momentumBuffer', add(mul(v('mu'), v('momentumBuffer')), div(v('g'), v('avg')))), store('w', sub(v('w'), mul(v('lr'), v('momentumBuffer'))))],
      }
    : { scalars: [rate], body: [store('w', sub(v('w'), div(mul(v('lr'), v('g')), v('avg'))))] };

const form = (centered: boolean, momentum: boolean) => ({
  state: ['squareAvg', ...(centered ? ['gradAvg'] : []), ...(momentum ? ['momentumBuffer'] : [])],
  ...chain<S>(l2Decay, denominator(centered), descend(momentum)),
});

/** RMSprop as `torch.optim.RMSprop`, with optional momentum, centering and L2 weight decay. */
export const rmsprop = defineOptimizer({
  ...declared,
  update: {
    forms: { plain: form(false, false), centered: form(true, false), momentum: form(false, true), centeredMomentum: form(true, true) },
    pick: (s) => (s.centered ? (s.momentum ? 'centeredMomentum' : 'centered') : s.momentum ? 'momentum' : 'plain'),
  },
  check(s) {
    checkHyper('alpha', s.alpha, s.alpha >= 0);
    checkHyper('eps', s.eps, s.eps >= 0);
    checkHyper('momentum', s.momentum, s.momentum >= 0);
    checkHyper('weightDecay', s.weightDecay, s.weightDecay >= 0);
  },
  // NOTE (test bound): centered, the update divides by √(s − ḡ²), which cancels in float32 where the
  // gradient's mean is most of its square (a step's relative error grows by s/(s − ḡ²)): 1e-5 there.
  testDomain: {
    forms: {
      plain: { settings: { lr: 0.01, weightDecay: 0.01 } },
      centered: { settings: { lr: 0.01, centered: true }, tolerance: 1e-5 },
      momentum: { settings: { lr: 0.01, momentum: 0.8 } },
      centeredMomentum: { settings: { lr: 0.01, alpha: 0.9, eps: 1e-6, momentum: 0.8, centered: true, weightDecay: 0.05 }, tolerance: 1e-5 },
    },
  },
  pytorch: "torch.optim.RMSprop(groups, lr=lr, alpha=o.get('alpha', 0.99), eps=o.get('eps', 1e-8), momentum=o.get('momentum', 0), centered=o.get('centered', False))",
});
