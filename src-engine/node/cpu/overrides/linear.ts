import type { GemmArgs } from '../../../core/backend/types';
import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';

/**
 * Linear with its bias folded into the GEMM: the output rows are filled with the bias and the
 * GEMM accumulates x·Wᵀ onto them; the bias gradient sums dOutput's rows in WebAssembly (in the
 * op file's row order, so identically). The weight and input gradients are the op file's GEMMs,
 * run in one parallel round.
 *
 * NOTE: y = b + x·Wᵀ adds the bias first, the op file last: float32 reassociation only.
 */
export function linearOverride(cpu: CpuContext): OpKernelOverride {
  const fillRows = cpu.kernel('fillRows');
  const colSums = cpu.kernel('colSums', { range: ['j0', 'j1'], align: 4 });
  return {
    assignsFreshGradients: true,
    forward(ctx) {
      const x = ctx.inputs[0];
      const inF = x.shape[x.shape.length - 1];
      const outF = ctx.output.shape[ctx.output.shape.length - 1];
      const rows = x.data.length / inF;
      const b = ctx.params.bias?.data;
      if (b) {
        try {
          const ya = cpu.addressOf(ctx.output.data, rows * outF, 'Linear output', false, true);
          const ba = cpu.addressOf(b, outF, 'Linear bias', true, false);
          fillRows.call({ y: ya, b: ba, r0: 0, r1: rows, cols: outF });
        } finally {
          cpu.unstage();
        }
      }
      ctx.backend.gemm({ transA: false, transB: true, m: rows, n: outF, k: inF, a: x.data, b: ctx.params.weight.data, c: ctx.output.data, accumulate: b !== undefined });
    },
    backward(ctx) {
      const x = ctx.inputs[0];
      const inF = x.shape[x.shape.length - 1];
      const outF = ctx.dOutput.shape[ctx.dOutput.shape.length - 1];
      const rows = x.data.length / inF;
      const dy = ctx.dOutput.data;
      const dx = ctx.dInputs[0];
      const dW: GemmArgs = { transA: true, transB: false, m: outF, n: inF, k: rows, a: dy, b: x.data, c: ctx.dParams.weight.data, accumulate: true };
      // The input and weight gradients share one parallel round (two worker wake-ups → one).
      if (dx) cpu.gemmMany([{ transA: false, transB: false, m: rows, n: inF, k: outF, a: dy, b: ctx.params.weight.data, c: dx.data, accumulate: !ctx.dInputsFresh?.[0] }, dW]);
      else ctx.backend.gemm(dW);
      const db = ctx.dParams.bias?.data;
      if (db) {
        try {
          const dya = cpu.addressOf(dy, rows * outF, 'Linear dOutput', true, false);
          const dba = cpu.addressOf(db, outF, 'Linear dBias', true, true);
          // Columns split across threads (aligned to 4); each column's rows are summed in order.
          colSums.run({ dy: dya, xh: 0, rows, cols: outF, db: dba, ddot: 0, j0: 0, j1: outF }, partsFor(rows * outF, cpu.threads, Math.ceil(outF / 4)));
        } finally {
          cpu.unstage();
        }
      }
    },
  };
}
