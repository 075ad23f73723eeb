import { kernel1d, words } from '../gpu/kernels/dispatch';
import { OptimizerBase, checkHyper } from './base';
import { defineOptimizer, type GpuUpdate, type OptimizerSettings } from './optimizer-def';
import type { OptimParam } from './types';
import { float } from '../../catalog/settings';
import { declareOptimizer } from '../../catalog/optimizers/types';

/** Its settings, as the Train dock and the IR read them (catalog/optimizers/generated.ts lists every optimizer's). */
const declared = declareOptimizer({
  kind: 'adagrad',
  label: 'Adagrad',
  doc: 'Steps scaled by the root of every squared gradient so far: rarely-updated weights keep larger steps.',
  params: {
    lrDecay: float(0, 'The rate at step t is lr / (1 + (t − 1)·lrDecay).', 0),
    eps: float(1e-10, 'Added to the denominator for stability.', 0),
    weightDecay: float(0, 'L2 penalty added to the gradient (weights only).', 0),
  },
  knownGoodLr: 1e-2,
  state: [{ name: 'sum' }],
});

/** Adagrad hyperparameters, resolved (PyTorch `torch.optim.Adagrad` defaults). */
interface AdagradHyper {
  lr: number;
  lrDecay: number;
  eps: number;
  weightDecay: number;
}

/**
 * Adagrad as PyTorch 1.13's `_single_tensor_adagrad`: `g += wd·w`, `sum += g²`,
 * `w -= lr/(1 + (t−1)·lrDecay) · g / (√sum + ε)` at step `t` (1-based).
 */
class Adagrad extends OptimizerBase {
  readonly kind = declared.kind;
  private readonly hyper: AdagradHyper;

  constructor(params: readonly OptimParam[], cfg: { lr: number; lrDecay?: number; eps?: number; weightDecay?: number }) {
    super(params, cfg.lr, ['sum']);
    this.hyper = { lr: cfg.lr, lrDecay: cfg.lrDecay ?? 0, eps: cfg.eps ?? 1e-10, weightDecay: cfg.weightDecay ?? 0 };
    checkHyper('lrDecay', this.hyper.lrDecay, this.hyper.lrDecay >= 0);
    checkHyper('eps', this.hyper.eps, this.hyper.eps >= 0);
    checkHyper('weightDecay', this.hyper.weightDecay, this.hyper.weightDecay >= 0);
  }

  protected update(_i: number, p: OptimParam, slots: Record<string, Float32Array>): void {
    const { lrDecay, eps } = this.hyper;
    const wd = p.decay ? this.hyper.weightDecay : 0;
    const clr = this.lr / (1 + (this.steps - 1) * lrDecay);
    const w = p.value.data;
    const g = p.grad.data;
    const sum = slots.sum;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i] + wd * w[i];
      // NOTE: the sum is float32 storage, as PyTorch's; the step uses the stored value.
      const s = Math.fround(sum[i] + gi * gi);
      sum[i] = s;
      w[i] -= (clr * gi) / (Math.sqrt(s) + eps);
    }
  }
}

/**
 * The same update on the GPU: the step's rate `lr/(1 + (t−1)·lrDecay)` is computed in float64 and
 * sent in the uniforms; `w − clr·(g / (√sum + ε))` as PyTorch's `addcdiv_`.
 */
function adagradGpu(s: OptimizerSettings<typeof declared.kind>): GpuUpdate {
  const lrDecay = s.lrDecay ?? 0;
  const eps = s.eps ?? 1e-10;
  const wd = s.weightDecay ?? 0;
  return {
    key: declared.kind,
    wgsl: () =>
      kernel1d(
        'struct Params { n: u32, wOff: u32, gOff: u32, sOff: u32, rowStride: u32, clr: f32, eps: f32, wd: f32, }',
        [['W', 'read_write'], ['G', 'read'], ['S', 'read_write']],
        `  let w = W[P.wOff + i];
  let g = G[P.gOff + i] + P.wd * w;
  let s = S[P.sOff + i] + g * g;
  S[P.sOff + i] = s;
  W[P.wOff + i] = w - P.clr * (g / (sqrt(s) + P.eps));
`,
        { bound: 'P.n' },
      ),
    uniforms: (a) => words([a.n, a.wOff, a.gOff, a.slotOff.sum, a.rowStride], { 5: a.lr / (1 + (Math.max(1, a.step) - 1) * lrDecay), 6: eps, 7: a.decay ? wd : 0 }),
  };
}

/** The declaration the registry lists (`optimizer-kinds.ts`). */
export const adagrad = defineOptimizer({
  ...declared,
  create: (params, s) => new Adagrad(params, s),
  gpu: adagradGpu,
  pytorch: "torch.optim.Adagrad(groups, lr=lr, lr_decay=o.get('lrDecay', 0), eps=o.get('eps', 1e-10))",
});
