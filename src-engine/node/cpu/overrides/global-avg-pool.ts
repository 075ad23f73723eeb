import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';

/**
 * GlobalAvgPool over planes ([N, C, …] as N·C rows of the spatial size) in WebAssembly
 * (broadcast.wat `meanRows` / `meanRowsBackward`): each plane's float64 sum in order and its
 * gradient dy/len added in float64, as the op file's kernels, so the same bits; split by planes.
 */
export function globalAvgPoolOverride(cpu: CpuContext): OpKernelOverride {
  const forward = cpu.kernel('meanRows', { range: ['r0', 'r1'], align: 8 });
  const backward = cpu.kernel('meanRowsBackward', { range: ['r0', 'r1'], align: 8 });
  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const x = ctx.inputs[0].data;
      const planes = ctx.output.data.length;
      const len = x.length / Math.max(1, planes);
      try {
        const xa = cpu.addressOf(x, x.length, 'GlobalAvgPool input', true, false);
        const ya = cpu.addressOf(ctx.output.data, planes, 'GlobalAvgPool output', false, true);
        forward.run({ x: xa, y: ya, r0: 0, r1: planes, len }, partsFor(x.length, cpu.threads, planes));
      } finally {
        cpu.unstage();
      }
    },
    backward(ctx) {
      const dxT = ctx.dInputs[0];
      if (!dxT) return;
      const planes = ctx.dOutput.data.length;
      const n = dxT.data.length;
      const assign = ctx.dInputsFresh?.[0] ? 1 : 0;
      try {
        const dy = cpu.addressOf(ctx.dOutput.data, planes, 'GlobalAvgPool dOutput', true, false);
        const dx = cpu.addressOf(dxT.data, n, 'GlobalAvgPool dInput', !assign, true);
        backward.run({ dy, dx, r0: 0, r1: planes, len: n / Math.max(1, planes), assign }, partsFor(n, cpu.threads, planes));
      } finally {
        cpu.unstage();
      }
    },
  };
}
