import type { AttrValue, OptimizerConfig, ScheduleConfig } from '../../base/ir/types';
import type { AttrSpec } from '../ops/types';

/**
 * A training setting's kind as the app offers it: its name, a line for the user, and its
 * parameters as attribute specs (the Train dock builds its fields from them, as the Inspector
 * does from an op's attributes). Defaults are PyTorch's.
 */
export interface SettingSpec<K extends string = string> {
  kind: K;
  label: string;
  doc: string;
  params: Readonly<Record<string, AttrSpec>>;
}

const float = (def: number, doc: string, min?: number, max?: number): AttrSpec => ({ kind: 'float', default: def, doc, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
const int = (def: number, doc: string, min?: number): AttrSpec => ({ kind: 'int', default: def, doc, ...(min !== undefined ? { min } : {}) });
const bool = (def: boolean, doc: string): AttrSpec => ({ kind: 'bool', default: def, doc });

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

/** The learning-rate schedules, in the order the app lists them. `createSchedule` builds each. */
export const SCHEDULES: readonly SettingSpec<ScheduleConfig['kind']>[] = [
  { kind: 'constant', label: 'constant', doc: 'The same learning rate throughout.', params: {} },
  {
    kind: 'step',
    label: 'step decay',
    doc: 'Multiply the rate by gamma every stepSize epochs (StepLR).',
    params: { stepSize: int(1, 'Epochs (or steps) between decays.', 1), gamma: float(0.5, 'Factor applied at each decay.', 0) },
  },
  { kind: 'exponential', label: 'exponential', doc: 'Multiply the rate by gamma every epoch (ExponentialLR).', params: { gamma: float(0.9, 'Factor per epoch (or step).', 0) } },
  {
    kind: 'cosine',
    label: 'cosine',
    doc: 'Half a cosine from the rate down to etaMin over tMax epochs (CosineAnnealingLR).',
    params: { tMax: int(10, 'Epochs (or steps) of the half cosine; the run\u2019s epochs by default.', 1), etaMin: float(0, 'The lowest rate.', 0) },
  },
  {
    kind: 'warmup-cosine',
    label: 'warm-up + cosine',
    doc: 'Linear warm-up from 0, then a cosine down to etaMin; steps per batch.',
    params: { warmupSteps: int(100, 'Batches of linear warm-up.', 0), totalSteps: int(1000, 'Batches until the rate reaches etaMin.', 1), etaMin: float(0, 'The lowest rate.', 0) },
  },
  {
    kind: 'onecycle',
    label: 'one-cycle',
    doc: 'Up to maxLr and back down far below it in one cycle (OneCycleLR); steps per batch.',
    params: {
      maxLr: float(0.01, 'The peak rate.', 0),
      totalSteps: int(1000, 'Batches in the cycle.', 2),
      pctStart: float(0.3, 'Fraction of the cycle spent rising.', 0, 1),
      divFactor: float(25, 'The start rate is maxLr / divFactor.', 0),
      finalDivFactor: float(1e4, 'The final rate is the start rate / finalDivFactor.', 0),
    },
  },
  {
    kind: 'plateau',
    label: 'reduce on plateau',
    doc: 'Multiply the rate by factor when the validation loss stops improving (ReduceLROnPlateau).',
    params: {
      factor: float(0.1, 'Factor applied when the loss plateaus.', 0, 1),
      patience: int(10, 'Epochs without improvement before reducing.', 0),
      threshold: float(1e-4, 'Relative improvement that counts.', 0),
      minLr: float(0, 'The rate never goes below this.', 0),
      cooldown: int(0, 'Epochs to wait after a reduction.', 0),
      mode: { kind: 'enum', default: 'min', values: ['min', 'max'], doc: 'Whether the watched value should go down or up.' },
    },
  },
];

/**
 * A setting of `kind` with every parameter at its default, adjusted to the run where a fixed
 * default would not fit (a cosine spans the run's epochs; one-cycle peaks at 10× the rate).
 */
export function defaultSetting<K extends string>(specs: readonly SettingSpec<K>[], kind: K, context: { epochs?: number; lr?: number } = {}): { kind: K } & Record<string, AttrValue> {
  const spec = specs.find((s) => s.kind === kind);
  if (!spec) throw Object.assign(new Error(`Unknown setting "${kind}".`), { code: 'SETTING_UNKNOWN' });
  const out: { kind: K } & Record<string, AttrValue> = { kind, ...Object.fromEntries(Object.entries(spec.params).map(([k, p]) => [k, p.default])) } as { kind: K } & Record<string, AttrValue>;
  if (kind === 'cosine' && context.epochs) out.tMax = Math.max(1, context.epochs);
  if (kind === 'onecycle' && context.lr) out.maxLr = 10 * context.lr;
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
