import { gradientScale, lossParams, reduced } from '../../../core/elementwise/loss';
import { lossKindOf } from '../../../core/elementwise/loss-simd';
import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { getOp, type OpName } from '../../../core/ops/registry';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';

/**
 * A pointwise loss in WebAssembly: its kernels generated from the op file's declaration (losses.wat
 * `lossSum` / `lossBackward`, the kind from `lossKindOf`). The forward sums the terms in float64 on
 * one thread (a loss reads `[N, C]` values); the backward is split by element ranges.
 *
 * NOTE: the reference forms each gradient element in float64 and rounds once; here the scale dLoss/N
 * is rounded to float32 first, then the f32x4 gradient — within an ulp or two (MSELoss's bits are
 * those of the hand kernel this replaced).
 */
export function pointwiseLossOverride(cpu: CpuContext, op: OpName): OpKernelOverride {
  const decl = getOp(op)!.pointwiseLoss!;
  const { kind } = lossKindOf(op);
  const sum = cpu.kernel('lossSum');
  const backward = cpu.kernel('lossBackward', { range: ['i0', 'i1'], align: 4 });
  const params = (attrs: Parameters<typeof lossParams>[1]) => {
    const { p, q } = lossParams(decl, attrs);
    return { pa: p[0], qa: q };
  };
  return {
    forward(ctx) {
      const n = ctx.inputs[0].data.length;
      try {
        const p = cpu.addressOf(ctx.inputs[0].data, n, `${op} prediction`, true, false);
        const t = cpu.addressOf(ctx.inputs[1].data, n, `${op} target`, true, false);
        ctx.output.data[0] = reduced(decl.reduction, sum.call({ p, t, n, kind, ...params(ctx.attrs) }), n, ctx.inputs[0].shape[0]);
      } finally {
        cpu.unstage();
      }
    },
    backward(ctx) {
      const n = ctx.inputs[0].data.length;
      const [dpT, dtT] = ctx.dInputs;
      if (!dpT && !dtT) return;
      const g = gradientScale(decl.reduction, ctx.dOutput.data[0], n, ctx.inputs[0].shape[0]);
      try {
        const p = cpu.addressOf(ctx.inputs[0].data, n, `${op} prediction`, true, false);
        const t = cpu.addressOf(ctx.inputs[1].data, n, `${op} target`, true, false);
        const dp = dpT ? cpu.addressOf(dpT.data, n, `${op} dPrediction`, true, true) : 0;
        const dt = dtT ? cpu.addressOf(dtT.data, n, `${op} dTarget`, true, true) : 0;
        backward.run({ p, t, dp, dt, i0: 0, i1: n, kind, g, ...params(ctx.attrs) }, partsFor(n, cpu.threads));
      } finally {
        cpu.unstage();
      }
    },
  };
}
