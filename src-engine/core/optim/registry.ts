import type { AttrValue, OptimizerConfig } from '../../base/ir/types';
import type { AnyScheduleDefinition } from './schedule-def';
import { SCHEDULE_DEFS } from './schedule-kinds/registry';
import { bool, float, type SettingSpec } from './setting-spec';

export type { SettingSpec } from './setting-spec';

const BETAS = {
  beta1: float(0.9, 'Decay of the running mean of gradients (momentum).', 0, 1),
  beta2: float(0.999, 'Decay of the running mean of squared gradients.', 0, 1),
  eps: float(1e-8, 'Added to the denominator for stability.', 0),
};

/**
 * Learning rates known to train the usual small networks with each optimizer (PyTorch's defaults,
 * and 0.1 for SGD, the classic starting point): the ceiling of what a divergence hint suggests.
 */
const KNOWN_GOOD_LR: Readonly<Record<string, number>> = { adam: 1e-3, adamw: 1e-3, sgd: 0.1, rmsprop: 1e-2 };

/**
 * A learning rate to resume with after `lr` diverged: ten times lower, but no higher than the rate
 * known to train with this optimizer (Adam at 1000 gets 0.001, not 100, which diverges too).
 */
export function suggestLr(kind: string, lr: number): number {
  const good = Object.hasOwn(KNOWN_GOOD_LR, kind) ? KNOWN_GOOD_LR[kind] : 1e-3;
  return Number(Math.min(lr / 10, good).toPrecision(3));
}

/** The optimizers, in the order the app lists them. `createOptimizer` builds each. */
export const OPTIMIZERS: readonly SettingSpec<OptimizerConfig['kind']>[] = [
  {
    kind: 'adam',
    label: 'Adam',
    doc: 'Adaptive per-weight steps from running means of the gradient and its square; a robust default.',
    params: { ...BETAS, weightDecay: float(0, 'L2 penalty added to the gradient (weights only).', 0), amsgrad: bool(false, 'Use the maximum of past squared-gradient means (AMSGrad).') },
  },
  {
    kind: 'adamw',
    label: 'AdamW',
    doc: 'Adam with decoupled weight decay, as most transformers are trained.',
    params: { ...BETAS, weightDecay: float(0.01, 'Decoupled weight decay (weights only).', 0) },
  },
  {
    kind: 'sgd',
    label: 'SGD',
    doc: 'Plain gradient descent, optionally with (Nesterov) momentum.',
    params: {
      momentum: float(0, 'Momentum factor (0.9 is common).', 0, 1),
      nesterov: bool(false, 'Nesterov momentum (needs momentum > 0).'),
      dampening: float(0, 'Dampening of the momentum.', 0, 1),
      weightDecay: float(0, 'L2 penalty added to the gradient (weights only).', 0),
    },
  },
  {
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
  },
];

/** The learning-rate schedules, in the order the app lists them (`schedule-kinds/registry.ts`). */
export const SCHEDULES: readonly AnyScheduleDefinition[] = SCHEDULE_DEFS;

/**
 * A setting of `kind` with every parameter at its default, adjusted to the run where a fixed
 * default would not fit (a cosine spans the run's epochs; one-cycle peaks at 10× the rate).
 */
export function defaultSetting<K extends string>(specs: readonly SettingSpec<K>[], kind: K, context: { epochs?: number; lr?: number } = {}): { kind: K } & Record<string, AttrValue> {
  const spec = specs.find((s) => s.kind === kind);
  if (!spec) throw Object.assign(new Error(`Unknown setting "${kind}".`), { code: 'SETTING_UNKNOWN' });
  const out: { kind: K } & Record<string, AttrValue> = { kind, ...Object.fromEntries(Object.entries(spec.params).map(([k, p]) => [k, p.default])) } as { kind: K } & Record<string, AttrValue>;
  spec.fit?.(out, context);
  return out;
}

/** Buffers the optimizer of `config` keeps per parameter, each the parameter's size (memory estimates). */
export function optimizerSlots(config: OptimizerConfig): number {
  switch (config.kind) {
    case 'sgd':
      return (config.momentum ?? 0) !== 0 ? 1 : 0;
    case 'adam':
      return config.amsgrad ? 3 : 2;
    case 'adamw':
      return 2;
    case 'rmsprop':
      return 1 + (config.centered ? 1 : 0) + ((config.momentum ?? 0) > 0 ? 1 : 0);
  }
}
