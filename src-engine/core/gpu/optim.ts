/// <reference types="@webgpu/types" />
/**
 * The optimizers' updates on the GPU: SGD (momentum, Nesterov, L2 decay), Adam/AdamW (AMSGrad)
 * and RMSprop (centered, momentum, L2 decay), with the update rules of `core/optim/sgd.ts`,
 * `core/optim/adam.ts` and `core/optim/rmsprop.ts` (PyTorch's),
 * one elementwise dispatch per parameter. The hyperparameters that change per step (learning
 * rate, bias corrections) are computed on the CPU in float64, as the CPU optimizers do, and
 * written to each dispatch's uniforms before the step is submitted; the elementwise math runs in
 * float32.
 *
 * The state's layout and names are the CPU optimizers' (`momentumBuffer`; `expAvg`,
 * `expAvgSq`, `maxExpAvgSq`; `squareAvg`, `gradAvg`, keyed by `paramKey`), so a snapshot read back from the GPU loads
 * into a CPU optimizer: a run can go on on the CPU after the device is lost.
 */
import type { OptimizerConfig } from '../../base/ir/types';
import { checkHyper } from '../optim/base';
import { paramKey, type OptimizerState } from '../optim/types';
import { GpuError, type GpuContext, type GpuTensor } from './context';
import type { GpuDispatch } from './gemm';
import { WORKGROUP, bindUpdatableDispatch, grid1d, words, type UpdatableDispatch } from './kernels/dispatch';

/** One trainable tensor on the device (the GPU executor's `params` fit this shape). */
export interface GpuOptimParam {
  nodeId: string;
  name: string;
  value: GpuTensor;
  grad: GpuTensor;
  decay: boolean;
}

/** An optimizer whose update runs on the device, inside the step's command buffer. */
export interface GpuOptimizer {
  readonly kind: OptimizerConfig['kind'];
  lr: number;
  readonly stepCount: number;
  /**
   * Count one step, write its hyperparameters (`lr` replaces `this.lr` when given) and return its
   * dispatches, to encode after the backward pass of the same step.
   */
  prepareStep(lr?: number): readonly GpuDispatch[];
  /** The state as the CPU optimizers save it (reads the slots back). */
  state(): Promise<OptimizerState>;
  /**
   * Take a state the CPU optimizers saved (a checkpoint): queues the slots' upload.
   *
   * @throws GpuError `E_GPU_BAD_ARGS` when it is another optimizer's or a buffer is missing.
   */
  loadState(state: OptimizerState): void;
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

/** The state slots of `cfg`'s optimizer, by the CPU optimizers' names. */
function slotNamesOf(cfg: OptimizerConfig): string[] {
  switch (cfg.kind) {
    case 'sgd':
      return (cfg.momentum ?? 0) !== 0 ? ['momentumBuffer'] : [];
    case 'adam':
      return cfg.amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'];
    case 'adamw':
      return ['expAvg', 'expAvgSq'];
    case 'rmsprop':
      return ['squareAvg', ...(cfg.centered ? ['gradAvg'] : []), ...((cfg.momentum ?? 0) > 0 ? ['momentumBuffer'] : [])];
    default:
      throw new GpuError('E_GPU_NO_KERNEL', `The ${(cfg as { kind: string }).kind} optimizer has no GPU update.`);
  }
}

/** Why `cfg`'s optimizer cannot run on the GPU (it has no GPU update), or undefined when it can. */
export function gpuOptimizerGap(cfg: OptimizerConfig): string | undefined {
  try {
    slotNamesOf(cfg);
    return undefined;
  } catch {
    return `the ${cfg.kind} optimizer (no GPU update)`;
  }
}

/** A GPU optimizer for `cfg` over `params`, its slots allocated (zeroed) now. */
export function createGpuOptimizer(ctx: GpuContext, cfg: OptimizerConfig, params: readonly GpuOptimParam[]): GpuOptimizer {
  checkHyper('lr', cfg.lr, cfg.lr >= 0);
  const slotNames = slotNamesOf(cfg);
  const slots = params.map((p) => Object.fromEntries(slotNames.map((n) => [n, ctx.createTensor(p.value.length, `${p.nodeId}.${p.name}.${n}`)])));
  let steps = 0;
  const opt = { kind: cfg.kind, lr: cfg.lr } as { kind: OptimizerConfig['kind']; lr: number };

  let dispatches: { d: UpdatableDispatch; p: GpuOptimParam; n: number; rowStride: number }[];
  let hyperWords: (p: GpuOptimParam, n: number, rowStride: number, i: number) => Uint32Array;
  if (cfg.kind === 'sgd') {
    const momentum = cfg.momentum ?? 0;
    const dampening = cfg.dampening ?? 0;
    const wd = cfg.weightDecay ?? 0;
    checkHyper('momentum', momentum, momentum >= 0);
    checkHyper('weightDecay', wd, wd >= 0);
    if (cfg.nesterov && (momentum <= 0 || dampening !== 0)) throw new GpuError('E_GPU_BAD_ARGS', 'Nesterov momentum needs momentum > 0 and dampening = 0.');
    const variant = momentum === 0 ? 'plain' : cfg.nesterov ? 'nesterov' : 'momentum';
    hyperWords = (p, n, rowStride, i) => {
      const first = steps === 1;
      const m = slots[i].momentumBuffer;
      return words([n, p.value.offset, p.grad.offset, m?.offset ?? 0, rowStride], { 5: opt.lr, 6: p.decay ? wd : 0, 7: first ? 0 : momentum, 8: first ? 1 : 1 - dampening, 9: momentum });
    };
    dispatches = params.map((p, i) => {
      const { workgroups, rowStride } = grid1d(ctx, p.value.length);
      const bufs = [p.value.buffer, p.grad.buffer, ...(variant === 'plain' ? [] : [slots[i].momentumBuffer.buffer])];
      return { d: bindUpdatableDispatch(ctx, `sgd:${variant}`, () => sgdShader(variant), bufs, hyperWords(p, p.value.length, rowStride, i), workgroups), p, n: p.value.length, rowStride };
    });
  } else if (cfg.kind === 'adam' || cfg.kind === 'adamw') {
    const decoupled = cfg.kind === 'adamw';
    const amsgrad = cfg.kind === 'adam' && cfg.amsgrad === true;
    const b1 = cfg.beta1 ?? 0.9;
    const b2 = cfg.beta2 ?? 0.999;
    const eps = cfg.eps ?? 1e-8;
    const wd = cfg.weightDecay ?? (decoupled ? 0.01 : 0);
    checkHyper('beta1', b1, b1 >= 0 && b1 < 1, 'must be in [0, 1)');
    checkHyper('beta2', b2, b2 >= 0 && b2 < 1, 'must be in [0, 1)');
    checkHyper('eps', eps, eps >= 0);
    checkHyper('weightDecay', wd, wd >= 0);
    hyperWords = (p, n, rowStride, i) => {
      const t = Math.max(1, steps);
      const d = p.decay ? wd : 0;
      const s = slots[i];
      return words([n, p.value.offset, p.grad.offset, s.expAvg.offset, s.expAvgSq.offset, s.maxExpAvgSq?.offset ?? 0, rowStride], {
        8: opt.lr / (1 - Math.pow(b1, t)),
        9: Math.sqrt(1 - Math.pow(b2, t)),
        10: decoupled ? 1 - opt.lr * d : 1,
        11: decoupled ? 0 : d,
        12: b1,
        13: b2,
        14: eps,
      });
    };
    dispatches = params.map((p, i) => {
      const { workgroups, rowStride } = grid1d(ctx, p.value.length);
      const s = slots[i];
      const bufs = [p.value.buffer, p.grad.buffer, s.expAvg.buffer, s.expAvgSq.buffer, ...(amsgrad ? [s.maxExpAvgSq.buffer] : [])];
      return { d: bindUpdatableDispatch(ctx, `adam:${amsgrad ? 'ams' : 'plain'}`, () => adamShader(amsgrad), bufs, hyperWords(p, p.value.length, rowStride, i), workgroups), p, n: p.value.length, rowStride };
    });
  } else if (cfg.kind === 'rmsprop') {
    const alpha = cfg.alpha ?? 0.99;
    const eps = cfg.eps ?? 1e-8;
    const momentum = cfg.momentum ?? 0;
    const wd = cfg.weightDecay ?? 0;
    const centered = cfg.centered === true;
    checkHyper('alpha', alpha, alpha >= 0);
    checkHyper('eps', eps, eps >= 0);
    checkHyper('momentum', momentum, momentum >= 0);
    checkHyper('weightDecay', wd, wd >= 0);
    hyperWords = (p, n, rowStride, i) => {
      const s = slots[i];
      return words([n, p.value.offset, p.grad.offset, s.squareAvg.offset, s.gradAvg?.offset ?? 0, s.momentumBuffer?.offset ?? 0, rowStride], {
        8: opt.lr,
        9: alpha,
        10: eps,
        11: momentum,
        12: p.decay ? wd : 0,
      });
    };
    dispatches = params.map((p, i) => {
      const { workgroups, rowStride } = grid1d(ctx, p.value.length);
      const s = slots[i];
      const bufs = [p.value.buffer, p.grad.buffer, s.squareAvg.buffer, ...(centered ? [s.gradAvg.buffer] : []), ...(momentum > 0 ? [s.momentumBuffer.buffer] : [])];
      const key = `rmsprop:${centered ? 'c' : ''}${momentum > 0 ? 'm' : ''}`;
      return { d: bindUpdatableDispatch(ctx, key, () => rmspropShader(centered, momentum > 0), bufs, hyperWords(p, p.value.length, rowStride, i), workgroups), p, n: p.value.length, rowStride };
    });
  } else {
    throw new GpuError('E_GPU_NO_KERNEL', `The ${(cfg as { kind: string }).kind} optimizer has no GPU update.`);
  }

  return {
    get kind() {
      return opt.kind;
    },
    get lr() {
      return opt.lr;
    },
    set lr(v: number) {
      opt.lr = v;
    },
    get stepCount() {
      return steps;
    },
    prepareStep(lr) {
      if (lr !== undefined) opt.lr = lr;
      steps++;
      dispatches.forEach(({ d, p, n, rowStride }, i) => d.update(hyperWords(p, n, rowStride, i)));
      return dispatches.map((x) => x.d.dispatch);
    },
    async state() {
      const out: OptimizerState['slots'] = {};
      for (const [i, p] of params.entries()) {
        const entry: Record<string, Float32Array> = {};
        for (const n of slotNames) entry[n] = await ctx.read(slots[i][n]);
        out[paramKey(p, i)] = entry;
      }
      return { kind: opt.kind, lr: opt.lr, step: steps, slots: out };
    },
    loadState(state) {
      if (state.kind !== opt.kind) throw new GpuError('E_GPU_BAD_ARGS', `Saved optimizer state is for ${state.kind}, this run uses ${opt.kind}.`);
      const arrays = params.map((p, i) => {
        const saved = state.slots[paramKey(p, i)] ?? {};
        return slotNames.map((n) => {
          const a = saved[n];
          if (!a || a.length !== p.value.length) throw new GpuError('E_GPU_BAD_ARGS', `Saved optimizer buffer ${paramKey(p, i)}/${n} is missing or of another size.`);
          return a instanceof Float32Array ? a : Float32Array.from(a);
        });
      });
      arrays.forEach((list, i) => list.forEach((a, j) => ctx.write(slots[i][slotNames[j]], a)));
      opt.lr = state.lr;
      steps = state.step;
    },
  };
}
