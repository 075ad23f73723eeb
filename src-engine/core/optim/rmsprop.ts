import { OptimizerBase, checkHyper } from './base';
import { defineOptimizer } from './optimizer-def';
import { bool, float } from './setting-spec';
import type { OptimParam } from './types';

/** RMSprop hyperparameters, resolved (PyTorch `torch.optim.RMSprop` defaults). */
export interface RmspropHyper {
  lr: number;
  alpha: number;
  eps: number;
  momentum: number;
  weightDecay: number;
  centered: boolean;
}

/**
 * One RMSprop update of one parameter, in place — the whole update rule, in one function so a
 * faster backend can replace exactly this. `gradAvg` is null unless centered, `momentumBuf` null
 * when momentum is 0.
 *
 * PyTorch semantics: `g += wd·w`; `s = α·s + (1−α)·g²`; centered: `ḡ = α·ḡ + (1−α)·g`,
 * `avg = √(s − ḡ²) + ε`, else `avg = √s + ε`; momentum: `b = μ·b + g/avg`, `w -= lr·b`,
 * else `w -= lr·g/avg`.
 *
 * NOTE: ε is added outside the square root (PyTorch; TensorFlow adds it inside).
 */
export function rmspropUpdate(
  w: Float32Array,
  g: Float32Array,
  squareAvg: Float32Array,
  gradAvg: Float32Array | null,
  momentumBuf: Float32Array | null,
  h: RmspropHyper,
): void {
  const { lr, alpha, eps, momentum, weightDecay: wd } = h;
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i] + wd * w[i];
    squareAvg[i] = alpha * squareAvg[i] + (1 - alpha) * gi * gi;
    let s = squareAvg[i];
    if (gradAvg !== null) {
      gradAvg[i] = alpha * gradAvg[i] + (1 - alpha) * gi;
      s -= gradAvg[i] * gradAvg[i];
    }
    const avg = Math.sqrt(s) + eps;
    if (momentumBuf !== null) {
      momentumBuf[i] = momentum * momentumBuf[i] + gi / avg;
      w[i] -= lr * momentumBuf[i];
    } else {
      w[i] -= (lr * gi) / avg;
    }
  }
}

/** RMSprop with optional momentum, centering and L2 weight decay. */
export class Rmsprop extends OptimizerBase {
  readonly kind = 'rmsprop';
  private readonly hyper: RmspropHyper;
  /** The same settings with weight decay 0, for parameters with `decay: false`. */
  private readonly hyperNoDecay: RmspropHyper;

  constructor(
    params: readonly OptimParam[],
    cfg: { lr: number; alpha?: number; eps?: number; momentum?: number; weightDecay?: number; centered?: boolean },
  ) {
    const momentum = cfg.momentum ?? 0;
    const centered = cfg.centered ?? false;
    super(params, cfg.lr, [
      'squareAvg',
      ...(centered ? ['gradAvg'] : []),
      ...(momentum > 0 ? ['momentumBuffer'] : []),
    ]);
    this.hyper = {
      lr: cfg.lr,
      alpha: cfg.alpha ?? 0.99,
      eps: cfg.eps ?? 1e-8,
      momentum,
      weightDecay: cfg.weightDecay ?? 0,
      centered,
    };
    this.hyperNoDecay = { ...this.hyper, weightDecay: 0 };
    const h = this.hyper;
    checkHyper('alpha', h.alpha, h.alpha >= 0);
    checkHyper('eps', h.eps, h.eps >= 0);
    checkHyper('momentum', h.momentum, h.momentum >= 0);
    checkHyper('weightDecay', h.weightDecay, h.weightDecay >= 0);
  }

  protected update(_i: number, p: OptimParam, slots: Record<string, Float32Array>): void {
    const h = p.decay ? this.hyper : this.hyperNoDecay;
    h.lr = this.lr;
    rmspropUpdate(p.value.data, p.grad.data, slots.squareAvg, slots.gradAvg ?? null, slots.momentumBuffer ?? null, h);
  }
}

/** The declaration the registry lists (`optimizer-kinds.ts`). */
export const rmsprop = defineOptimizer({
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
  slots: (s) => ['squareAvg', ...(s.centered ? ['gradAvg'] : []), ...((s.momentum ?? 0) > 0 ? ['momentumBuffer'] : [])],
  create: (params, s) => new Rmsprop(params, s),
  pytorch: "torch.optim.RMSprop(groups, lr=lr, alpha=o.get('alpha', 0.99), eps=o.get('eps', 1e-8), momentum=o.get('momentum', 0), centered=o.get('centered', False))",
});
