import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { floatAttr } from '../../../core/ops/shape-util';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';

/**
 * LayerNorm with rows split across threads: row statistics in float64 (one pass of shifted sums,
 * as BatchNorm's override; the op file takes two), x̂ and y in f32x4; the backward's input gradient per row (float64 row sums), and dγ/dβ as
 * column sums over the rows in order (split by columns, so each sum runs in the op file's order).
 *
 * NOTE: x̂, y and dx are computed in float32 from the float32-rounded mean, 1/σ and row means (the
 * op file keeps them in float64 until the store), a difference of a few ulps, as BatchNorm's override.
 */
export function layerNormOverride(cpu: CpuContext): OpKernelOverride {
  const forward = cpu.kernel('layerNormForward', { range: ['r0', 'r1'] });
  // One task on the calling thread, as Linear's bias sums (linear.ts: linearRows).
  const colSums = cpu.kernel('colSums');
  const backward = cpu.kernel('layerNormBackward', { range: ['r0', 'r1'] });
  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const x = ctx.inputs[0].data;
      const rows = ctx.workspace.invStd.data.length;
      const d = x.length / rows;
      const gamma = ctx.params.weight?.data;
      const beta = ctx.params.bias?.data;
      try {
        const xa = cpu.addressOf(x, rows * d, 'LayerNorm input', true, false);
        const ya = cpu.addressOf(ctx.output.data, rows * d, 'LayerNorm output', false, true);
        const xh = cpu.addressOf(ctx.workspace.xhat.data, rows * d, 'LayerNorm xhat', false, true);
        const inv = cpu.addressOf(ctx.workspace.invStd.data, rows, 'LayerNorm invStd', false, true);
        const g = gamma && beta ? cpu.addressOf(gamma, d, 'LayerNorm weight', true, false) : 0;
        const b = gamma && beta ? cpu.addressOf(beta, d, 'LayerNorm bias', true, false) : 0;
        const eps = floatAttr(ctx.attrs, 'eps');
        forward.run({ x: xa, y: ya, xhat: xh, invStd: inv, gamma: g, beta: b, d, r0: 0, r1: rows, eps }, partsFor(rows * d, cpu.threads, rows, 2));
      } finally {
        cpu.unstage();
      }
    },
    backward(ctx) {
      const dy = ctx.dOutput.data;
      const rows = ctx.workspace.invStd.data.length;
      const d = dy.length / rows;
      const dxT = ctx.dInputs[0];
      const dGamma = ctx.dParams.weight?.data;
      const dBeta = ctx.dParams.bias?.data;
      if (!dxT && !(dGamma && dBeta)) return;
      try {
        const dya = cpu.addressOf(dy, rows * d, 'LayerNorm dOutput', true, false);
        const xh = cpu.addressOf(ctx.workspace.xhat.data, rows * d, 'LayerNorm xhat', true, false);
        // dγ and dβ: each column's rows summed in order, by the caller beside dx's round (both read
        // dy and x̂ only; see WorkerPool.run), or alone.
        let sums: (() => void) | undefined;
        if (dGamma && dBeta) {
          const dg = cpu.addressOf(dGamma, d, 'LayerNorm dWeight', true, true);
          const db = cpu.addressOf(dBeta, d, 'LayerNorm dBias', true, true);
          sums = () => colSums.call({ dy: dya, xh, rows, cols: d, db, ddot: dg, j0: 0, j1: d });
        }
        if (dxT) {
          const assign = ctx.dInputsFresh?.[0] ? 1 : 0;
          const inv = cpu.addressOf(ctx.workspace.invStd.data, rows, 'LayerNorm invStd', true, false);
          const g = ctx.params.weight ? cpu.addressOf(ctx.params.weight.data, d, 'LayerNorm weight', true, false) : 0;
          const dx = cpu.addressOf(dxT.data, rows * d, 'LayerNorm dInput', !assign, true);
          backward.run({ dy: dya, xhat: xh, invStd: inv, gamma: g, dx, d, r0: 0, r1: rows, assign }, partsFor(rows * d, cpu.threads, rows, 2), undefined, sums);
        } else sums?.();
      } finally {
        cpu.unstage();
      }
    },
  };
}
