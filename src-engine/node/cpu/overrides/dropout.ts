import type { OpKernelOverride } from '../../../core/backend/types';
import { dropout, dropoutStreamState } from '../../../core/ops/dropout';
import { floatAttr } from '../../../core/ops/shape-util';
import type { CpuContext } from '../context';
import { accumulator } from './shape-ops';

/**
 * Dropout with the mask drawn in WebAssembly from the op file's stream (the same xoshiro128**
 * state, element by element), so masks are the reference backend's bit for bit; the backward is
 * the f32x4 `dx += dy·mask`. Eval mode and p = 0 forward as the op file (a copy).
 *
 * NOTE: the mask stream is sequential, so the forward runs on the calling thread only.
 */
export function dropoutOverride(cpu: CpuContext): OpKernelOverride {
  const forward = cpu.kernel('dropoutForward');
  const accumulateInto = accumulator(cpu);
  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const p = floatAttr(ctx.attrs, 'p');
      if (!ctx.training || p === 0) return dropout.forward(ctx);
      const n = ctx.inputs[0].data.length;
      const [s0, s1, s2, s3] = dropoutStreamState(ctx.rng);
      // NOTE: p = 1 zeroes everything (as the op file and PyTorch) rather than dividing by zero.
      const scale = p >= 1 ? 0 : 1 / (1 - p);
      try {
        const x = cpu.addressOf(ctx.inputs[0].data, n, 'Dropout input', true, false);
        const y = cpu.addressOf(ctx.output.data, n, 'Dropout output', false, true);
        const mask = cpu.addressOf(ctx.workspace.mask.data, n, 'Dropout mask', false, true);
        forward.call({ x, y, mask, n, s0, s1, s2, s3, threshold: p * 4294967296, scale });
      } finally {
        cpu.unstage();
      }
    },
    backward(ctx) {
      const dx = ctx.dInputs[0];
      if (!dx) return;
      const masked = ctx.training && floatAttr(ctx.attrs, 'p') !== 0;
      accumulateInto(ctx.dOutput.data, masked ? ctx.workspace.mask.data : null, dx.data, 'Dropout', ctx.dInputsFresh?.[0]);
    },
  };
}
