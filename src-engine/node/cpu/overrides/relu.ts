import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';

/** ReLU in f32x4 (`pmax(x, 0)` = `x < 0 ? 0 : x`, so NaN and −0 pass through as in the op file). */
export function reluOverride(cpu: CpuContext): OpKernelOverride {
  const forward = cpu.kernel('reluForward', { range: ['i0', 'i1'], align: 4 });
  const backward = cpu.kernel('reluBackward', { range: ['i0', 'i1'], align: 4 });
  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const n = ctx.inputs[0].data.length;
      try {
        const x = cpu.addressOf(ctx.inputs[0].data, n, 'ReLU input', true, false);
        const y = cpu.addressOf(ctx.output.data, n, 'ReLU output', false, true);
        forward.run({ x, y, i0: 0, i1: n }, partsFor(n, cpu.threads));
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
        backward.run({ x, dy, dx, i0: 0, i1: n, assign }, partsFor(n, cpu.threads));
      } finally {
        cpu.unstage();
      }
    },
  };
}
