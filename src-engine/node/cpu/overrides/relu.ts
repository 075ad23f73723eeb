import type { OpKernelOverride } from '../../../core/backend/types';
import type { CpuContext } from '../context';
import { FN, partsFor, ranges } from '../functions';

/** ReLU in f32x4 (`pmax(x, 0)` = `x < 0 ? 0 : x`, so NaN and −0 pass through as in the op file). */
export function reluOverride(cpu: CpuContext): OpKernelOverride {
  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const n = ctx.inputs[0].data.length;
      try {
        const x = cpu.addressOf(ctx.inputs[0].data, n, 'ReLU input', true, false);
        const y = cpu.addressOf(ctx.output.data, n, 'ReLU output', false, true);
        cpu.run(FN.reluForward, ranges(n, partsFor(n, cpu.threads), 4).map(([i0, i1]) => [x, y, i0, i1]));
      } finally {
        cpu.unstage();
      }
    },
    backward(ctx) {
      const dxT = ctx.dInputs[0];
      if (!dxT) return;
      const n = ctx.inputs[0].data.length;
      try {
        const x = cpu.addressOf(ctx.inputs[0].data, n, 'ReLU input', true, false);
        const dy = cpu.addressOf(ctx.dOutput.data, n, 'ReLU dOutput', true, false);
        const dx = cpu.addressOf(dxT.data, n, 'ReLU dInput', !ctx.dInputsFresh?.[0], true);
        const assign = ctx.dInputsFresh?.[0] ? 1 : 0;
        cpu.run(FN.reluBackward, ranges(n, partsFor(n, cpu.threads), 4).map(([i0, i1]) => [x, dy, dx, i0, i1, assign]));
      } finally {
        cpu.unstage();
      }
    },
  };
}
