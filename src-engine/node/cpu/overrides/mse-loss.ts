import type { OpKernelOverride } from '../../../core/backend/types';
import type { CpuContext } from '../context';
import { FN, partsFor, ranges } from '../functions';

/**
 * MSELoss (mean reduction): the sum of squares in float64 SIMD, as the op file sums; the gradient
 * 2·dL·(p − t)/n in f32x4.
 *
 * NOTE: the op file forms each gradient element in float64 and rounds once; here the factor is
 * rounded to float32 first — within an ulp or two.
 */
export function mseLossOverride(cpu: CpuContext): OpKernelOverride {
  return {
    forward(ctx) {
      const n = ctx.inputs[0].data.length;
      try {
        const p = cpu.addressOf(ctx.inputs[0].data, n, 'MSELoss prediction', true, false);
        const t = cpu.addressOf(ctx.inputs[1].data, n, 'MSELoss target', true, false);
        ctx.output.data[0] = cpu.call(FN.sumSquaredDiff, [p, t, n]) / n;
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
        cpu.run(FN.scaledDiffBackward, ranges(n, partsFor(n, cpu.threads), 4).map(([i0, i1]) => [p, t, dp, dt, i0, i1, g]));
      } finally {
        cpu.unstage();
      }
    },
  };
}
