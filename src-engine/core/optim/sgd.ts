import { add, mul, sub, v } from '../elementwise/expr';
import { chain, scalar, store, type UpdateStep } from '../elementwise/update';
import { checkHyper } from './base';
import { defineOptimizer, type OptimizerResolved } from './optimizer-def';
import { l2Decay, rate } from './transforms';
import { optimError } from './types';
import { bool, float } from '../../catalog/settings';
import { declareOptimizer } from '../../catalog/optimizers/types';

/** Its settings, as the Train dock and the IR read them (catalog/optimizers/generated.ts lists every optimizer's). */
const declared = declareOptimizer({
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
  state: [{ name: 'momentumBuffer', when: 'momentum' }],
});

type Momentum = { momentum: number; dampening: number };

/**
 * `buf ← μ·buf + (1 − dampening)·g`, and on the first step `buf ← g` — written as μ' = 0, k = 1
 * (the buffer starts at 0), so one statement serves every step.
 */
const momentumBuffer: UpdateStep<Momentum> = {
  scalars: [scalar('mu', (s, at) => (at.t === 1 ? 0 : s.momentum)), scalar('keep', (s, at) => (at.t === 1 ? 1 : 1 - s.dampening))],
  body: [store('momentumBuffer', add(mul(v('mu'), v('momentumBuffer')), mul(v('keep'), v('g'))))],
};

/** `w ← w − lr·d`, d read from `of` (the gradient, or the momentum buffer). */
const descend = (of: string): UpdateStep<unknown> => ({ scalars: [rate], body: [store('w', sub(v('w'), mul(v('lr'), v(of))))] });

/** Nesterov's `w ← w − lr·(g + μ·buf)`. */
const nesterovDescend: UpdateStep<Momentum> = {
  scalars: [rate, scalar('momentum', (s) => s.momentum)],
  body: [store('w', sub(v('w'), mul(v('lr'), add(v('g'), mul(v('momentum'), v('momentumBuffer'))))))],
};

type S = OptimizerResolved<typeof declared.kind>;

/**
 * SGD as `torch.optim.SGD`: `g ← g + wd·w`; with momentum `buf ← μ·buf + (1−dampening)·g` and
 * `w ← w − lr·buf`, Nesterov's `w ← w − lr·(g + μ·buf)`; without, `w ← w − lr·g`.
 */
export const sgd = defineOptimizer({
  ...declared,
  update: {
    forms: {
      plain: { state: [], ...chain<S>(l2Decay, descend('g')) },
      momentum: { state: ['momentumBuffer'], ...chain<S>(l2Decay, momentumBuffer, descend('momentumBuffer')) },
      nesterov: { state: ['momentumBuffer'], ...chain<S>(l2Decay, momentumBuffer, nesterovDescend) },
    },
    pick: (s) => (s.momentum === 0 ? 'plain' : s.nesterov ? 'nesterov' : 'momentum'),
  },
  check(s) {
    checkHyper('momentum', s.momentum, s.momentum >= 0);
    checkHyper('dampening', s.dampening, true, 'must be a number');
    checkHyper('weightDecay', s.weightDecay, s.weightDecay >= 0);
    if (s.nesterov && (s.momentum <= 0 || s.dampening !== 0)) throw optimError('OPTIM_BAD_HYPERPARAM', 'Nesterov momentum needs momentum > 0 and dampening = 0.');
  },
  testDomain: {
    forms: {
      plain: { settings: { lr: 0.1, weightDecay: 0.01 } },
      momentum: { settings: { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 } },
      nesterov: { settings: { lr: 0.05, momentum: 0.9, nesterov: true } },
    },
  },
  pytorch: "torch.optim.SGD(groups, lr=lr, momentum=o.get('momentum', 0), dampening=o.get('dampening', 0), nesterov=o.get('nesterov', False))",
});
