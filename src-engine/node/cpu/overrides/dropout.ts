import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { dropoutKernel, dropoutKey, dropoutMaskParams } from '../../../core/ops/kernels/dropout';
import { floatAttr } from '../../../core/ops/shape-util';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';
import { accumulator } from './shape-ops';

/**
 * Dropout with the mask drawn in WebAssembly from the op file's counter-based hash (the same key,
 * element by element, four lanes at a time), so masks are the reference backend's bit for bit and
 * the forward splits across threads; the backward is the f32x4 `dx += dy·mask`. Eval mode and
 * p = 0 forward as the op file (a copy).
 */
export function dropoutOverride(cpu: CpuContext): OpKernelOverride {
  const forward = cpu.kernel('dropoutForward', { range: ['i0', 'i1'], align: 4 });
  const accumulateInto = accumulator(cpu);
  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const p = floatAttr(ctx.attrs, 'p');
      if (!ctx.training || p === 0) return dropoutKernel.forward(ctx);
      const n = ctx.inputs[0].data.length;
      const { threshold, scale } = dropoutMaskParams(p);
      const [k0, k1, k2, k3] = dropoutKey(ctx.rng);
      try {
        const x = cpu.addressOf(ctx.inputs[0].data, n, 'Dropout input', true, false);
        const y = cpu.addressOf(ctx.output.data, n, 'Dropout output', false, true);
        const mask = cpu.addressOf(ctx.workspace.mask.data, n, 'Dropout mask', false, true);
        // NOTE: the kernel compares unsigned; `threshold | 0` is the same 32 bits as an i32 argument.
        forward.run({ x, y, mask, i0: 0, i1: n, k0, k1, k2, k3, threshold: threshold | 0, scale }, partsFor(n, cpu.threads));
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
