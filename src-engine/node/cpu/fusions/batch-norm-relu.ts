import type { FusedKernel, FusedStepContext, KernelFusion } from '../../../core/backend/fusion';
import type { KernelSet, OpKernelOverride } from '../../../core/ops/kernel-set';
import { poolPlan } from '../../../core/ops/max-pool2d';
import type { CpuContext } from '../context';
import { batchNormKernels, type BatchNormTail } from '../overrides/batch-norm';

/** Smallest plane (elements per sample and channel) fused: below it the per-plane calls cost more than the pass they save. */
const MIN_PLANE = 16;

/**
 * BatchNorm → ReLU → MaxPool2d (2×2, stride 2) and BatchNorm → ReLU as one pass each way
 * (kernels/elementwise.wat, bnForward/bnBackward's modes 1 and 2): the block every small CNN
 * repeats. Alone, the three ops pass over the full-size tensor 7 times forward and 9 times
 * backward (BatchNorm's output and ReLU's, written then read, and their gradients); fused, the
 * forward reads x twice and writes x̂ and the pooled output, the backward rebuilds each plane's
 * gradient in cache from the pooled dy and argmax. BatchNorm → HardSwish is fused in eval mode
 * only (`hardSwishKernel`). The results are the same bits as the ops one by one
 * (`fusions.test.ts`); the interior outputs and gradients are written on demand.
 */
export function batchNormReluFusions(cpu: CpuContext, overrides: KernelSet): KernelFusion[] {
  const bn = batchNormKernels(cpu);
  const relu = overrides.ReLU!;
  const pool = overrides.MaxPool2d!;
  const hardSwish = overrides.HardSwish!;

  function kernel(steps: readonly FusedStepContext[], tail: BatchNormTail, unfused: readonly OpKernelOverride[]): FusedKernel {
    const [norm, ...rest] = steps;
    return {
      forward: () => bn.forward(norm, tail),
      backward: () => bn.backward(norm, tail),
      materializeOutputs() {
        batchNormOutput(norm);
        // ReLU's output, read by the pool's (interior only in the three-op chain).
        for (let j = 0; j < rest.length - 1; j++) unfused[j].forward!(rest[j]);
      },
      materializeGrads() {
        for (let j = rest.length - 1; j >= 0; j--) unfused[j].backward!(rest[j]);
      },
    };
  }

  /**
   * BatchNorm → HardSwish, fused in eval mode alone (a frozen backbone's): that forward reads x and
   * writes x̂ and HardSwish's output (mode 3), not BatchNorm's. Training steps and every backward
   * run the two ops' kernels, HardSwish's gradient straight into BatchNorm's dOutput (its sole reader):
   * fused there, HardSwish's divisions and its input rebuilt from x̂ cost more than the passes
   * saved (docs/cpu-backend.md, BatchNorm at MobileNet sizes).
   */
  function hardSwishKernel(norm: FusedStepContext, act: FusedStepContext): FusedKernel {
    return {
      forward() {
        if (!norm.training) return bn.forward(norm, { mode: 3, ctx: act, H: 0, W: 0 });
        bn.forward(norm);
        hardSwish.forward!(act);
      },
      backward() {
        // after a fused forward: BatchNorm's output, HardSwish's input
        if (!norm.training) batchNormOutput(norm);
        hardSwish.backward!({ ...act, dInputsFresh: [true] });
        bn.backward(norm);
      },
      materializeOutputs() {
        batchNormOutput(norm);
      },
      // backward wrote BatchNorm's dOutput
      materializeGrads() {},
    };
  }

  return [
    {
      ops: ['BatchNorm', 'ReLU', 'MaxPool2d'],
      build(steps) {
        const x = steps[0].inputs[0];
        if (x.shape.length !== 4) return null;
        const q = poolPlan(steps[2].inputs[0].shape, steps[2].attrs);
        const pair = q.k[0] === 2 && q.k[1] === 2 && q.s[0] === 2 && q.s[1] === 2 && q.p[0] === 0 && q.p[1] === 0;
        if (!pair || q.h !== 2 * q.outH || q.w !== 2 * q.outW || q.outW < 4) return null;
        return kernel(steps, { mode: 2, ctx: steps[2], H: q.h, W: q.w }, [relu, pool]);
      },
    },
    {
      ops: ['BatchNorm', 'ReLU'],
      build(steps) {
        const shape = steps[0].inputs[0].shape;
        if (shape.length < 3 || shape.slice(2).reduce((a, b) => a * b, 1) < MIN_PLANE) return null;
        return kernel(steps, { mode: 1, ctx: steps[1], H: 0, W: 0 }, [relu]);
      },
    },
    {
      ops: ['BatchNorm', 'HardSwish'],
      build(steps) {
        const shape = steps[0].inputs[0].shape;
        if (shape.length < 3 || shape.slice(2).reduce((a, b) => a * b, 1) < MIN_PLANE) return null;
        return hardSwishKernel(steps[0], steps[1]);
      },
    },
  ];
}

/** BatchNorm's output y = x̂·γ + β from its workspace, in float32 as bnForward computes it. */
function batchNormOutput(ctx: FusedStepContext): void {
  const [n, c] = ctx.inputs[0].shape;
  const inner = ctx.output.data.length / (n * c);
  const xhat = ctx.workspace.xhat.data;
  const y = ctx.output.data;
  const gamma = ctx.params.weight?.data;
  const beta = ctx.params.bias?.data;
  for (let ch = 0; ch < c; ch++) {
    const g = gamma ? gamma[ch] : 1;
    const b = beta ? beta[ch] : 0;
    for (let s = 0; s < n; s++) {
      const o = (s * c + ch) * inner;
      for (let i = o; i < o + inner; i++) y[i] = Math.fround(xhat[i] * g) + b;
    }
  }
}
