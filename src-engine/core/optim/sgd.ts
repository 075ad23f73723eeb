import { WORKGROUP, words } from '../gpu/kernels/dispatch';
import { OptimizerBase, checkHyper } from './base';
import { defineOptimizer, type GpuUpdate, type OptimizerSettings } from './optimizer-def';
import type { OptimParam } from './types';
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
  readonly kind = declared.kind;
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

function sgdShader(variant: 'plain' | 'momentum' | 'nesterov'): string {
  const update =
    variant === 'plain'
      ? 'W[P.wOff + i] = w - P.lr * (g + P.wd * w);'
      : `let d = g + P.wd * w;
  let b = P.mu * M[P.mOff + i] + P.keep * d;
  M[P.mOff + i] = b;
  ${variant === 'nesterov' ? 'W[P.wOff + i] = w - P.lr * (d + P.momentum * b);' : 'W[P.wOff + i] = w - P.lr * b;'}`;
  return `struct Params { n: u32, wOff: u32, gOff: u32, mOff: u32, rowStride: u32, lr: f32, wd: f32, mu: f32, keep: f32, momentum: f32, }
@group(0) @binding(0) var<storage, read_write> W: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
${variant === 'plain' ? '' : '@group(0) @binding(2) var<storage, read_write> M: array<f32>;'}
@group(0) @binding(${variant === 'plain' ? 2 : 3}) var<uniform> P: Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * P.rowStride + gid.x;
  if (i >= P.n) { return; }
  let w = W[P.wOff + i];
  let g = G[P.gOff + i];
  ${update}
}
`;
}

/** `sgdUpdate` on the GPU: the first step's `μ' = 0, k = 1` goes in the uniforms, as on the CPU. */
function sgdGpu(s: OptimizerSettings<typeof declared.kind>): GpuUpdate {
  const momentum = s.momentum ?? 0;
  const dampening = s.dampening ?? 0;
  const wd = s.weightDecay ?? 0;
  const variant = momentum === 0 ? 'plain' : s.nesterov ? 'nesterov' : 'momentum';
  return {
    key: `sgd:${variant}`,
    wgsl: () => sgdShader(variant),
    uniforms: (a) => {
      const first = a.step === 1;
      return words([a.n, a.wOff, a.gOff, a.slotOff.momentumBuffer ?? 0, a.rowStride], { 5: a.lr, 6: a.decay ? wd : 0, 7: first ? 0 : momentum, 8: first ? 1 : 1 - dampening, 9: momentum });
    },
  };
}

/** The declaration the registry lists (`optimizer-kinds.ts`). */
export const sgd = defineOptimizer({
  ...declared,
  create: (params, s) => new Sgd(params, s),
  gpu: sgdGpu,
  pytorch: "torch.optim.SGD(groups, lr=lr, momentum=o.get('momentum', 0), dampening=o.get('dampening', 0), nesterov=o.get('nesterov', False))",
});
