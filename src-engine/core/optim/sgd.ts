import { OptimizerBase, checkHyper } from './base';
import { defineOptimizer } from './optimizer-def';
import { bool, float } from './setting-spec';
import type { OptimParam } from './types';
import { optimError } from './types';

/** SGD hyperparameters, resolved (PyTorch `torch.optim.SGD` defaults). */
export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  /** L2 penalty added to the gradient (`g + wd·w`), as PyTorch's SGD does. */
  weightDecay: number;
}

/**
 * One SGD update of one parameter, in place — the whole update rule, kept in one function so a
 * faster backend can replace exactly this. `momentumBuf` is null when momentum is 0.
 *
 * PyTorch semantics: `d = g + wd·w`; on the first step `buf = d`, then
 * `buf = μ·buf + (1−dampening)·d`; `d = nesterov ? d + μ·buf : buf`; `w -= lr·d`.
 */
export function sgdUpdate(
  w: Float32Array,
  g: Float32Array,
  momentumBuf: Float32Array | null,
  h: SgdHyper,
  firstStep: boolean,
): void {
  const { lr, momentum, weightDecay: wd } = h;
  const n = w.length;
  if (momentumBuf === null) {
    for (let i = 0; i < n; i++) w[i] -= lr * (g[i] + wd * w[i]);
    return;
  }
  // On the first step buf = d, written as μ'·buf + k·d with μ' = 0, k = 1 (buf starts at 0), so
  // one branch-free loop per variant serves every step.
  const mu = firstStep ? 0 : momentum;
  const keep = firstStep ? 1 : 1 - h.dampening;
  if (h.nesterov) {
    for (let i = 0; i < n; i++) {
      const d = g[i] + wd * w[i];
      // Math.fround: the buffer is float32 storage, as PyTorch's; use the stored value below.
      const b = Math.fround(mu * momentumBuf[i] + keep * d);
      momentumBuf[i] = b;
      w[i] -= lr * (d + momentum * b);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const b = Math.fround(mu * momentumBuf[i] + keep * (g[i] + wd * w[i]));
      momentumBuf[i] = b;
      w[i] -= lr * b;
    }
  }
}

/** Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay. */
export class Sgd extends OptimizerBase {
  readonly kind = 'sgd';
  private readonly hyper: SgdHyper;
  /** The same settings with weight decay 0, for parameters with `decay: false`. */
  private readonly hyperNoDecay: SgdHyper;

  constructor(
    params: readonly OptimParam[],
    cfg: { lr: number; momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number },
  ) {
    const momentum = cfg.momentum ?? 0;
    super(params, cfg.lr, momentum !== 0 ? ['momentumBuffer'] : []);
    this.hyper = {
      lr: cfg.lr,
      momentum,
      dampening: cfg.dampening ?? 0,
      nesterov: cfg.nesterov ?? false,
      weightDecay: cfg.weightDecay ?? 0,
    };
    this.hyperNoDecay = { ...this.hyper, weightDecay: 0 };
    checkHyper('momentum', momentum, momentum >= 0);
    checkHyper('dampening', this.hyper.dampening, true, 'must be a number');
    checkHyper('weightDecay', this.hyper.weightDecay, this.hyper.weightDecay >= 0);
    if (this.hyper.nesterov && (momentum <= 0 || this.hyper.dampening !== 0)) {
      throw optimError('OPTIM_BAD_HYPERPARAM', 'Nesterov momentum needs momentum > 0 and dampening = 0.');
    }
  }

  protected update(_i: number, p: OptimParam, slots: Record<string, Float32Array>): void {
    const h = p.decay ? this.hyper : this.hyperNoDecay;
    h.lr = this.lr;
    sgdUpdate(p.value.data, p.grad.data, slots.momentumBuffer ?? null, h, this.steps === 1);
  }
}

/** The declaration the registry lists (`optimizer-kinds.ts`). */
export const sgd = defineOptimizer({
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
  slots: (s) => ((s.momentum ?? 0) !== 0 ? ['momentumBuffer'] : []),
  create: (params, s) => new Sgd(params, s),
  pytorch: "torch.optim.SGD(groups, lr=lr, momentum=o.get('momentum', 0), dampening=o.get('dampening', 0), nesterov=o.get('nesterov', False))",
});
