import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { softmaxKernel } from '../../../core/ops/kernels/softmax';
import { intAttr } from '../../../core/ops/shape-util';
import type { OpBackwardContext } from '../../../core/ops/types';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';

/** Row length when Softmax normalises the contiguous last axis (the common case), else null. */
function rowLength(shape: readonly number[], axisAttr: number): number | null {
  const axis = axisAttr < 0 ? axisAttr + shape.length : axisAttr;
  return axis === shape.length - 1 ? shape[axis] : null;
}

/** The op file's backward into a fresh (stale) gradient: zero it first, since the op file adds. */
export function fallbackBackward(backward: (ctx: OpBackwardContext) => void, ctx: OpBackwardContext): void {
  const zero = ctx.backend.zero ?? ((a: Float32Array) => a.fill(0));
  ctx.dInputs.forEach((d, i) => {
    if (d && ctx.dInputsFresh?.[i]) zero(d.data);
  });
  backward(ctx);
}

/**
 * Softmax over the last axis in f32x4 (activations.wat `softmaxRows` / `softmaxBackwardRows`),
 * rows split across threads: the max subtracted, e^x by the polynomial, the row sum and the
 * backward's Σ dy·y in float64 as the op file. Another axis (strided rows) runs the op file.
 *
 * NOTE: within ~4 ulp of the op file (e^x ~2 ulp, 1/Σ and the product rounded in float32).
 */
export function softmaxOverride(cpu: CpuContext): OpKernelOverride {
  const forward = cpu.kernel('softmaxRows', { range: ['r0', 'r1'] });
  const backward = cpu.kernel('softmaxBackwardRows', { range: ['r0', 'r1'] });
  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const len = rowLength(ctx.inputs[0].shape, intAttr(ctx.attrs, 'axis'));
      if (len === null) return softmaxKernel.forward(ctx);
      const n = ctx.inputs[0].data.length;
      const rows = n / len;
      try {
        const x = cpu.addressOf(ctx.inputs[0].data, n, 'Softmax input', true, false);
        const y = cpu.addressOf(ctx.output.data, n, 'Softmax output', false, true);
        forward.run({ x, y, r0: 0, r1: rows, len, stats: 0, causal: 0 }, partsFor(n, cpu.threads, rows, 8));
      } finally {
        cpu.unstage();
      }
    },
    backward(ctx) {
      const dxT = ctx.dInputs[0];
      if (!dxT) return;
      const len = rowLength(ctx.inputs[0].shape, intAttr(ctx.attrs, 'axis'));
      if (len === null) return fallbackBackward(softmaxKernel.backward!, ctx);
      const n = ctx.output.data.length;
      const rows = n / len;
      const assign = ctx.dInputsFresh?.[0] ? 1 : 0;
      try {
        const y = cpu.addressOf(ctx.output.data, n, 'Softmax output', true, false);
        const dy = cpu.addressOf(ctx.dOutput.data, n, 'Softmax dOutput', true, false);
        const dx = cpu.addressOf(dxT.data, n, 'Softmax dInput', !assign, true);
        backward.run({ y, dy, dx, r0: 0, r1: rows, len, assign, sc: 1, causal: 0 }, partsFor(n, cpu.threads, rows, 2));
      } finally {
        cpu.unstage();
      }
    },
  };
}
