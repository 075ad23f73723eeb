import { WORKGROUP, words } from '../gpu/kernels/dispatch';
import { OptimizerBase, checkHyper } from './base';
import { defineOptimizer, type GpuUpdate, type OptimizerSettings } from './optimizer-def';
import type { OptimParam } from './types';
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
  readonly kind = declared.kind;
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

function rmspropShader(centered: boolean, momentum: boolean): string {
  return `struct Params { n: u32, wOff: u32, gOff: u32, sOff: u32, aOff: u32, bOff: u32, rowStride: u32, _a: u32,
  lr: f32, alpha: f32, eps: f32, mu: f32, wd: f32, _b: u32, _c: u32, _d: u32, }
@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> S: array<f32>;
${centered ? '@group(0) @binding(3) var<storage, read_write> A: array<f32>;' : ''}
${momentum ? `@group(0) @binding(${centered ? 4 : 3}) var<storage, read_write> B: array<f32>;` : ''}
@group(0) @binding(${2 + Number(centered) + Number(momentum) + 1}) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  let w = W[P.wOff + i];
  let g = G[P.gOff + i] + P.wd * w;
  let sq = P.alpha * S[P.sOff + i] + (1.0 - P.alpha) * g * g;
  S[P.sOff + i] = sq;
  var s = sq;
  ${centered ? 'let ga = P.alpha * A[P.aOff + i] + (1.0 - P.alpha) * g; A[P.aOff + i] = ga; s = s - ga * ga;' : ''}
  let avg = sqrt(s) + P.eps;
  ${momentum ? 'let b = P.mu * B[P.bOff + i] + g / avg; B[P.bOff + i] = b; W[P.wOff + i] = w - P.lr * b;' : 'W[P.wOff + i] = w - (P.lr * g) / avg;'}
}
`;
}

/** `rmspropUpdate` on the GPU. */
function rmspropGpu(s: OptimizerSettings<typeof declared.kind>): GpuUpdate {
  const alpha = s.alpha ?? 0.99;
  const eps = s.eps ?? 1e-8;
  const momentum = s.momentum ?? 0;
  const wd = s.weightDecay ?? 0;
  const centered = s.centered === true;
  return {
    key: `rmsprop:${centered ? 'c' : ''}${momentum > 0 ? 'm' : ''}`,
    wgsl: () => rmspropShader(centered, momentum > 0),
    uniforms: (a) => {
      const o = a.slotOff;
      return words([a.n, a.wOff, a.gOff, o.squareAvg, o.gradAvg ?? 0, o.momentumBuffer ?? 0, a.rowStride], { 8: a.lr, 9: alpha, 10: eps, 11: momentum, 12: a.decay ? wd : 0 });
    },
  };
}

/** The declaration the registry lists (`optimizer-kinds.ts`). */
export const rmsprop = defineOptimizer({
  ...declared,
  create: (params, s) => new Rmsprop(params, s),
  gpu: rmspropGpu,
  pytorch: "torch.optim.RMSprop(groups, lr=lr, alpha=o.get('alpha', 0.99), eps=o.get('eps', 1e-8), momentum=o.get('momentum', 0), centered=o.get('centered', False))",
});
