import type { Backend, GemmArgs } from '../../../core/backend/types';
import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import type { CpuContext } from '../context';

/**
 * A Linear layer's row operations on `cpu`, for Linear and the ops built from projections
 * (MultiHeadAttention): `project`, y = x·Wᵀ + b over `rows` rows, the GEMM adding its products to
 * the bias (`gemmBias`: the bits of the output rows filled with the bias and the GEMM accumulating
 * onto them, as it did before, without writing them first and reading them back); `biasGrad`, db
 * += dy's column sums, each column's rows summed in order (`what` names the op in errors).
 */
export function linearRows(cpu: CpuContext) {
  // NOTE (one task, on the calling thread): the column sums are bound by reading dy once, row by
  // row. Cut by columns into tasks (partsFor: up to 4 per thread, 8 columns each at 64 wide), each
  // task read every row for 32 bytes of it: the rows' cache lines fetched once per task sharing
  // them, strided where one pass streams, and neighbouring tasks' sums in one cache line of db
  // written by both cores row after row. The tiny GPT's 15 calls a step (4,096 rows, 64–256
  // columns): 9.4 ms on 2 threads against 2.2–2.5 ms on one (bench/profile.ts tiny-gpt 2).
  const colSums = cpu.kernel('colSums');
  const biasGrad = (dy: Float32Array, db: Float32Array | undefined, rows: number, cols: number, what: string): void => {
    if (!db) return;
    try {
      const dya = cpu.addressOf(dy, rows * cols, `${what} dOutput`, true, false);
      const dba = cpu.addressOf(db, cols, `${what} dBias`, true, true);
      colSums.call({ dy: dya, xh: 0, rows, cols, db: dba, ddot: 0, j0: 0, j1: cols });
    } finally {
      cpu.unstage();
    }
  };
  return {
    project(backend: Backend, x: Float32Array, w: Float32Array, b: Float32Array | undefined, y: Float32Array, rows: number, cols: number): void {
      const args = { transA: false, transB: true, m: rows, n: cols, k: x.length / rows, a: x, b: w, c: y, accumulate: false };
      if (b) cpu.gemmBias(args, b);
      else backend.gemm(args);
    },
    biasGrad,
    /**
     * `biasGrad` as the calling thread's own work beside a parallel round of GEMMs that neither
     * write dy nor touch db (`CpuContext.gemmMany`'s `beside`): the workers start on the GEMMs'
     * tasks while the caller sums the columns, then it joins them. The same kernel call, so the
     * same bits. NOTE: run after the round, the sums left the second thread idle: 1.0–1.1 ms a
     * step of the tiny GPT's 47 on 2 threads (15 calls, bench/profile.ts tiny-gpt 2).
     */
    biasGradBeside(dy: Float32Array, db: Float32Array | undefined, rows: number, cols: number, what: string): (() => void) | undefined {
      return db && (() => biasGrad(dy, db, rows, cols, what));
    },
  };
}

/**
 * Linear with its bias folded into the GEMM (its products added to the bias row, as if the output
 * rows were filled with the bias and the GEMM accumulated onto them); the bias gradient sums
 * dOutput's rows in WebAssembly (in the op file's row order, so identically). The weight and input
 * gradients are the op file's GEMMs, run in one parallel round.
 *
 * NOTE: y = b + x·Wᵀ adds the bias first, the op file last: float32 reassociation only.
 */
export function linearOverride(cpu: CpuContext): OpKernelOverride {
  const rowsOps = linearRows(cpu);
  return {
    assignsFreshGradients: true,
    skipsUnwantedParamGradients: true,
    forward(ctx) {
      const x = ctx.inputs[0];
      const inF = x.shape[x.shape.length - 1];
      const outF = ctx.output.shape[ctx.output.shape.length - 1];
      const rows = x.data.length / inF;
      rowsOps.project(ctx.backend, x.data, ctx.params.weight.data, ctx.params.bias?.data, ctx.output.data, rows, outF);
    },
    backward(ctx) {
      const x = ctx.inputs[0];
      const inF = x.shape[x.shape.length - 1];
      const outF = ctx.dOutput.shape[ctx.dOutput.shape.length - 1];
      const rows = x.data.length / inF;
      const dy = ctx.dOutput.data;
      const dx = ctx.dInputs[0];
      const dxArgs: GemmArgs | null = dx ? { transA: false, transB: false, m: rows, n: inF, k: outF, a: dy, b: ctx.params.weight.data, c: dx.data, accumulate: !ctx.dInputsFresh?.[0] } : null;
      if (ctx.dParamsWanted === false) {
        if (dxArgs) ctx.backend.gemm(dxArgs);
        return;
      }
      const dW: GemmArgs = { transA: true, transB: false, m: outF, n: inF, k: rows, a: dy, b: x.data, c: ctx.dParams.weight.data, accumulate: true };
      // The input and weight gradients share one parallel round (two worker wake-ups → one), the
      // bias gradient summed by the caller beside them.
      cpu.gemmMany(dxArgs ? [dxArgs, dW] : [dW], rowsOps.biasGradBeside(dy, ctx.dParams.bias?.data, rows, outF, 'Linear'));
    },
  };
}
