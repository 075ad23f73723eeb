import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';

/**
 * MSELoss (mean reduction): the sum of squares in float64 SIMD, as the op file sums; the gradient
 * 2·dL·(p − t)/n in f32x4.
 *
 * NOTE: the op file forms each gradient element in float64 and rounds once; here the factor is
 * rounded to float32 first — within an ulp or two.
 */
export function mseLossOverride(cpu: CpuContext): OpKernelOverride {
  const sumSquaredDiff = cpu.kernel('sumSquaredDiff');
  const backward = cpu.kernel('scaledDiffBackward', { range: ['i0', 'i1'], align: 4 });
  return {
    forward(ctx) {
      const n = ctx.inputs[0].data.length;
      try {
        const p = cpu.addressOf(ctx.inputs[0].data, n, 'MSELoss prediction', true, false);
        const t = cpu.addressOf(ctx.inputs[1].data, n, 'MSELoss target', true, false);
        ctx.output.data[0] = sumSquaredDiff.call({ p, t, n }) / n;
      } finally {
        cpu.unstage();
      }
    },
    backward(ctx) {
      const n = ctx.inputs[0].data.length;
      const dpT = ctx.dInputs[0];
      const dtT = ctx.dInputs[1];
      if (!dpT && !dtT) return;
      const g = (2 * ctx.dOutput.data[0]) / n;
      try {
        const p = cpu.addressOf(ctx.inputs[0].data, n, 'MSELoss prediction', true, false);
        const t = cpu.addressOf(ctx.inputs[1].data, n, 'MSELoss target', true, false);
        const dp = dpT ? cpu.addressOf(dpT.data, n, 'MSELoss dPrediction', true, true) : 0;
        const dt = dtT ? cpu.addressOf(dtT.data, n, 'MSELoss dTarget', true, true) : 0;
        backward.run({ p, t, dp, dt, i0: 0, i1: n, g }, partsFor(n, cpu.threads));
      } finally {
        cpu.unstage();
      }
    },
  };
}
