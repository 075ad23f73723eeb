import type { AdamUpdateHyper, AdamUpdateItem, Backend } from '../backend/types';
import { WORKGROUP, words } from '../gpu/kernels/dispatch';
import { OptimizerBase, checkHyper } from './base';
import { defineOptimizer, type GpuUpdate } from './optimizer-def';
import type { OptimParam } from './types';
import { bool, float } from '../../catalog/settings';
import { declareOptimizer } from '../../catalog/optimizers/types';

/** β1, β2 and ε, as Adam and AdamW offer them. */
export const ADAM_BETAS = {
  beta1: float(0.9, 'Decay of the running mean of gradients (momentum).', 0, 1),
  beta2: float(0.999, 'Decay of the running mean of squared gradients.', 0, 1),
  eps: float(1e-8, 'Added to the denominator for stability.', 0),
};

/** Its settings, as the Train dock and the IR read them (catalog/optimizers/generated.ts lists every optimizer's). */
const declared = declareOptimizer({
  kind: 'adam',
  label: 'Adam',
  doc: 'Adaptive per-weight steps from running means of the gradient and its square; a robust default.',
  params: { ...ADAM_BETAS, weightDecay: float(0, 'L2 penalty added to the gradient (weights only).', 0), amsgrad: bool(false, 'Use the maximum of past squared-gradient means (AMSGrad).') },
  knownGoodLr: 1e-3,
  state: [{ name: 'expAvg' }, { name: 'expAvgSq' }, { name: 'maxExpAvgSq', when: 'amsgrad' }],
});

/** Adam/AdamW hyperparameters, resolved: the ones a backend's fused update takes. */
export type AdamHyper = AdamUpdateHyper;

/**
 * One Adam/AdamW update of one parameter at step `t` (1-based), in place — the whole update rule,
 * in one function so a faster backend can replace exactly this. `maxExpAvgSq` is null without
 * AMSGrad.
 *
 * Follows PyTorch 1.13's `_single_tensor_adam(w)`:
 * `m = β1·m + (1−β1)·g`, `v = β2·v + (1−β2)·g²`, `w -= (lr/(1−β1ᵗ)) · m / (√v/√(1−β2ᵗ) + ε)`.
 *
 * NOTE: ε is added after the bias correction of √v (as PyTorch does), not to √v itself, so
 * early steps with tiny gradients match PyTorch rather than the paper's pseudo-code.
 */
export function adamUpdate(
  w: Float32Array,
  g: Float32Array,
  expAvg: Float32Array,
  expAvgSq: Float32Array,
  maxExpAvgSq: Float32Array | null,
  h: AdamHyper,
  t: number,
): void {
  const { lr, beta1: b1, beta2: b2, eps, weightDecay: wd } = h;
  const stepSize = lr / (1 - Math.pow(b1, t));
  const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, t));
  const shrink = h.decoupled ? 1 - lr * wd : 1;
  const l2 = h.decoupled ? 0 : wd;
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const wi = w[i] * shrink;
    const gi = g[i] + l2 * wi;
    expAvg[i] = b1 * expAvg[i] + (1 - b1) * gi;
    expAvgSq[i] = b2 * expAvgSq[i] + (1 - b2) * gi * gi;
    let v = expAvgSq[i];
    if (maxExpAvgSq !== null) {
      if (v > maxExpAvgSq[i]) maxExpAvgSq[i] = v;
      v = maxExpAvgSq[i];
    }
    w[i] = wi - (stepSize * expAvg[i]) / (Math.sqrt(v) / bc2Sqrt + eps);
  }
}

/**
 * Adam (`decoupled: false`, L2 decay added to the gradient, as `torch.optim.Adam`) or AdamW
 * (`decoupled: true`, as `torch.optim.AdamW`, default weight decay 0.01).
 */
export class Adam extends OptimizerBase {
  readonly kind: string;
  private readonly hyper: AdamHyper;
  /** The same settings with weight decay 0, for parameters with `decay: false`. */
  private readonly hyperNoDecay: AdamHyper;
  /** `adamUpdate`, or the backend's fused version (Backend.adamUpdate). */
  private readonly kernel: typeof adamUpdate;
  /** The backend's update of every parameter in one call (Backend.adamUpdateMany), when it has one. */
  private readonly many?: (items: readonly AdamUpdateItem[], t: number) => void;
  /** Its arguments, one per parameter, refreshed in place each step (no per-step allocation). */
  private readonly items: AdamUpdateItem[] = [];

  constructor(
    params: readonly OptimParam[],
    cfg: { kind: string; lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number; amsgrad?: boolean },
    decoupled: boolean,
    backend?: Backend,
  ) {
    const amsgrad = cfg.amsgrad ?? false;
    super(params, cfg.lr, amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'], backend?.adamUpdate ? backend.alloc : undefined);
    this.kernel = backend?.adamUpdate ?? adamUpdate;
    this.kind = cfg.kind;
    this.hyper = {
      lr: cfg.lr,
      beta1: cfg.beta1 ?? 0.9,
      beta2: cfg.beta2 ?? 0.999,
      eps: cfg.eps ?? 1e-8,
      weightDecay: cfg.weightDecay ?? (decoupled ? 0.01 : 0),
      decoupled,
      amsgrad,
    };
    this.hyperNoDecay = { ...this.hyper, weightDecay: 0 };
    if (backend?.adamUpdateMany) {
      this.many = backend.adamUpdateMany.bind(backend);
      for (const [i, p] of params.entries()) {
        const s = this.slots[i];
        this.items.push({ w: p.value.data, g: p.grad.data, expAvg: s.expAvg, expAvgSq: s.expAvgSq, maxExpAvgSq: s.maxExpAvgSq ?? null, h: p.decay ? this.hyper : this.hyperNoDecay });
      }
    }
    const h = this.hyper;
    checkHyper('beta1', h.beta1, h.beta1 >= 0 && h.beta1 < 1, 'must be in [0, 1)');
    checkHyper('beta2', h.beta2, h.beta2 >= 0 && h.beta2 < 1, 'must be in [0, 1)');
    checkHyper('eps', h.eps, h.eps >= 0);
    checkHyper('weightDecay', h.weightDecay, h.weightDecay >= 0);
  }

  override step(lr?: number): void {
    if (!this.many) return super.step(lr);
    if (lr !== undefined) this.lr = lr;
    this.steps++;
    this.hyper.lr = this.hyperNoDecay.lr = this.lr;
    for (let i = 0; i < this.params.length; i++) {
      // The tensors' arrays, read afresh each step in case an owner swapped them.
      this.items[i].w = this.params[i].value.data;
      this.items[i].g = this.params[i].grad.data;
    }
    this.many(this.items, this.steps);
  }

  protected update(_i: number, p: OptimParam, slots: Record<string, Float32Array>): void {
    const h = p.decay ? this.hyper : this.hyperNoDecay;
    h.lr = this.lr;
    this.kernel(p.value.data, p.grad.data, slots.expAvg, slots.expAvgSq, slots.maxExpAvgSq ?? null, h, this.steps);
  }
}

function adamShader(amsgrad: boolean): string {
  return `struct Params { n: u32, wOff: u32, gOff: u32, mOff: u32, vOff: u32, xOff: u32, rowStride: u32, _a: u32,
  stepSize: f32, bc2Sqrt: f32, shrink: f32, l2: f32, b1: f32, b2: f32, eps: f32, _b: u32, }
@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> M: array<f32>;
@group(0) @binding(3) var<storage, read_write> V: array<f32>;
${amsgrad ? '@group(0) @binding(4) var<storage, read_write> X: array<f32>;' : ''}
@group(0) @binding(${amsgrad ? 5 : 4}) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  let wi = W[P.wOff + i] * P.shrink;
  let gi = G[P.gOff + i] + P.l2 * wi;
  let m = P.b1 * M[P.mOff + i] + (1.0 - P.b1) * gi;
  var v = P.b2 * V[P.vOff + i] + (1.0 - P.b2) * gi * gi;
  M[P.mOff + i] = m;
  V[P.vOff + i] = v;
  ${amsgrad ? 'v = max(v, X[P.xOff + i]); X[P.xOff + i] = v;' : ''}
  W[P.wOff + i] = wi - (P.stepSize * m) / (sqrt(v) / P.bc2Sqrt + P.eps);
}
`;
}

/** `adamUpdate` on the GPU (Adam, or AdamW when `decoupled`): the bias corrections go in the uniforms. */
export function adamGpu(s: { beta1?: number; beta2?: number; eps?: number; weightDecay?: number; amsgrad?: boolean }, decoupled: boolean): GpuUpdate {
  const amsgrad = s.amsgrad === true;
  const b1 = s.beta1 ?? 0.9;
  const b2 = s.beta2 ?? 0.999;
  const eps = s.eps ?? 1e-8;
  const wd = s.weightDecay ?? (decoupled ? 0.01 : 0);
  return {
    key: `adam:${amsgrad ? 'ams' : 'plain'}`,
    wgsl: () => adamShader(amsgrad),
    uniforms: (a) => {
      const t = Math.max(1, a.step);
      const d = a.decay ? wd : 0;
      const o = a.slotOff;
      return words([a.n, a.wOff, a.gOff, o.expAvg, o.expAvgSq, o.maxExpAvgSq ?? 0, a.rowStride], {
        8: a.lr / (1 - Math.pow(b1, t)),
        9: Math.sqrt(1 - Math.pow(b2, t)),
        10: decoupled ? 1 - a.lr * d : 1,
        11: decoupled ? 0 : d,
        12: b1,
        13: b2,
        14: eps,
      });
    },
  };
}

/** The declaration the registry lists (`optimizer-kinds.ts`). */
export const adam = defineOptimizer({
  ...declared,
  create: (params, s, backend) => new Adam(params, s, false, backend),
  gpu: (s) => adamGpu(s, false),
  pytorch: "torch.optim.Adam(groups, lr=lr, betas=(o.get('beta1', 0.9), o.get('beta2', 0.999)), eps=o.get('eps', 1e-8), amsgrad=o.get('amsgrad', False))",
});
