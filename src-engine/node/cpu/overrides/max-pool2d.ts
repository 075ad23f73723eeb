import type { OpKernelOverride } from '../../../core/backend/types';
import { poolPlan } from '../../../core/ops/max-pool2d';
import type { CpuContext } from '../context';
import { FN, partsFor, ranges } from '../functions';

/**
 * MaxPool2d with planes split across threads; same window rule as the op file (padding = −∞,
 * first maximum wins ties, NaN propagates) and the same argmax workspace.
 */
export function maxPool2dOverride(cpu: CpuContext): OpKernelOverride {
  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const x = ctx.inputs[0];
      const q = poolPlan(x.shape, ctx.attrs);
      const planes = q.n * q.c;
      const outLen = planes * q.outH * q.outW;
      try {
        const xa = cpu.addressOf(x.data, planes * q.h * q.w, 'MaxPool2d input', true, false);
        const ya = cpu.addressOf(ctx.output.data, outLen, 'MaxPool2d output', false, true);
        const arg = cpu.addressOf(ctx.workspace.argmax.data, outLen, 'MaxPool2d argmax', false, true);
        const parts = partsFor(planes * q.h * q.w, cpu.threads, planes);
        cpu.run(
          FN.maxPoolForward,
          ranges(planes, parts).map(([p0, p1]) => [xa, ya, arg, p0, p1, q.h, q.w, q.k[0], q.k[1], q.s[0], q.s[1], q.p[0], q.p[1], q.outH, q.outW]),
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
        cpu.run(
          FN.maxPoolBackward,
          ranges(planes, parts).map(([p0, p1]) => [dy, arg, dx, p0, p1, q.h * q.w, per, pair2, q.h, q.w, q.outH, q.outW, assign]),
        );
      } finally {
        cpu.unstage();
      }
    },
  };
}
