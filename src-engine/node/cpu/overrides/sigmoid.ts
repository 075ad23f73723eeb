import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';

/**
 * Sigmoid in f32x4: forward with a polynomial e^x (elementwise.wat `$sigmoid4`), backward
 * dx += dy·y·(1 − y) from the saved output, as the op file (which rounds once, from float64).
 *
 * NOTE: Math.exp costs ~10 ns per element in V8; the kernel is within ~2 ulp of the float64
 * reference, far inside the 1e-5 the op suite asserts against it.
 */
export function sigmoidOverride(cpu: CpuContext): OpKernelOverride {
  const forward = cpu.kernel('sigmoidForward', { range: ['i0', 'i1'], align: 4 });
  const backward = cpu.kernel('sigmoidBackward', { range: ['i0', 'i1'], align: 4 });
  return {
    forward(ctx) {
      const n = ctx.inputs[0].data.length;
      try {
        const x = cpu.addressOf(ctx.inputs[0].data, n, 'Sigmoid input', true, false);
        const y = cpu.addressOf(ctx.output.data, n, 'Sigmoid output', false, true);
        forward.run({ x, y, i0: 0, i1: n }, partsFor(n, cpu.threads, Infinity, 8));
      } finally {
        cpu.unstage();
      }
    },
    backward(ctx) {
      const dxT = ctx.dInputs[0];
      if (!dxT) return;
      const n = ctx.output.data.length;
      try {
        const y = cpu.addressOf(ctx.output.data, n, 'Sigmoid output', true, false);
        const dy = cpu.addressOf(ctx.dOutput.data, n, 'Sigmoid dOutput', true, false);
        const dx = cpu.addressOf(dxT.data, n, 'Sigmoid dInput', true, true);
        backward.run({ y, dy, dx, i0: 0, i1: n }, partsFor(n, cpu.threads));
      } finally {
        cpu.unstage();
      }
    },
  };
}
