import type { OpKernelOverride } from '../../../backend/types';
import type { CpuContext } from '../context';
import { FN, partsFor, ranges } from '../functions';

/**
 * Sigmoid forward in f32x4 with a polynomial e^x (elementwise.wat `$sigmoid4`); the backward,
 * σ' = y(1 − y) from the saved output, stays the op file's (cheap, exact).
 *
 * NOTE: Math.exp costs ~10 ns per element in V8; the kernel is within ~2 ulp of the float64
 * reference, far inside the 1e-5 the op suite asserts against it.
 */
export function sigmoidOverride(cpu: CpuContext): OpKernelOverride {
  return {
    forward(ctx) {
      const n = ctx.inputs[0].data.length;
      try {
        const x = cpu.addressOf(ctx.inputs[0].data, n, 'Sigmoid input', true, false);
        const y = cpu.addressOf(ctx.output.data, n, 'Sigmoid output', false, true);
        cpu.run(FN.sigmoidForward, ranges(n, partsFor(n, cpu.threads), 4).map(([i0, i1]) => [x, y, i0, i1]));
      } finally {
        cpu.unstage();
      }
    },
  };
}
