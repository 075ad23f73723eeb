import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { poolPlan } from '../../../core/ops/max-pool2d';
import { maxPool2dKernel } from '../../../core/ops/kernels/max-pool2d';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';

/**
 * MaxPool2d with planes split across threads; same window rule as the op file (padding = −∞,
 * first maximum wins ties, NaN propagates) and the same argmax workspace.
 */
export function maxPool2dOverride(cpu: CpuContext): OpKernelOverride {
  const forward = cpu.kernel('maxPoolForward', { range: ['pl0', 'pl1'] });
  const backward = cpu.kernel('maxPoolBackward', { range: ['pl0', 'pl1'] });
  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const x = ctx.inputs[0];
      const q = poolPlan(x.shape, ctx.attrs);
      // A ceil-mode 2×2 pool of an odd size has a partial last window, which the kernel's 2×2 path
      // does not clip: the op file's loop runs it (rare: SqueezeNet's pools are 3×3).
      if (q.ceil && (2 * q.outH > q.h || 2 * q.outW > q.w)) return maxPool2dKernel.forward(ctx);
      const planes = q.n * q.c;
      const outLen = planes * q.outH * q.outW;
      try {
        const xa = cpu.addressOf(x.data, planes * q.h * q.w, 'MaxPool2d input', true, false);
        const ya = cpu.addressOf(ctx.output.data, outLen, 'MaxPool2d output', false, true);
        const arg = cpu.addressOf(ctx.workspace.argmax.data, outLen, 'MaxPool2d argmax', false, true);
        const parts = partsFor(planes * q.h * q.w, cpu.threads, planes);
        forward.run(
          { x: xa, y: ya, arg, pl0: 0, pl1: planes, H: q.h, W: q.w, kH: q.k[0], kW: q.k[1], sH: q.s[0], sW: q.s[1], pH: q.p[0], pW: q.p[1], oH: q.outH, oW: q.outW },
          parts,
        );
      } finally {
        cpu.unstage();
      }
    },
    backward(ctx) {
      const dxT = ctx.dInputs[0];
      if (!dxT) return;
      const x = ctx.inputs[0];
      const q = poolPlan(x.shape, ctx.attrs);
      const planes = q.n * q.c;
      const per = q.outH * q.outW;
      try {
        const dy = cpu.addressOf(ctx.dOutput.data, planes * per, 'MaxPool2d dOutput', true, false);
        const arg = cpu.addressOf(ctx.workspace.argmax.data, planes * per, 'MaxPool2d argmax', true, false);
        const pair2 = q.k[0] === 2 && q.k[1] === 2 && q.s[0] === 2 && q.s[1] === 2 && q.p[0] === 0 && q.p[1] === 0 && q.outW >= 4 ? 1 : 0;
        // A fresh dInput is assigned where the 2×2 windows tile the whole image (every input
        // stored once); otherwise it is zeroed here and the scatter adds.
        const fresh = ctx.dInputsFresh?.[0] === true;
        const assign = fresh && pair2 === 1 && q.h === 2 * q.outH && q.w === 2 * q.outW ? 1 : 0;
        if (fresh && !assign) (ctx.backend.zero ?? ((a: Float32Array) => a.fill(0)))(dxT.data);
        const dx = cpu.addressOf(dxT.data, planes * q.h * q.w, 'MaxPool2d dInput', !assign, true);
        const parts = partsFor(planes * q.h * q.w, cpu.threads, planes);
        backward.run({ dy, arg, dx, pl0: 0, pl1: planes, hw: q.h * q.w, per, pair2, H: q.h, W: q.w, oH: q.outH, oW: q.outW, assign }, parts);
      } finally {
        cpu.unstage();
      }
    },
  };
}
