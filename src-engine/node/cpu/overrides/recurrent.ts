import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { recurrentBackward, recurrentForward, type SequenceRunner } from '../../../core/ops/kernels/recurrent';
import type { CellGates } from '../../../core/ops/recurrent';
import type { CpuContext } from '../context';
import { KIND } from '../functions';
import { GEMM } from '../generated/kernel-table';

/** The cells recurrent.wat runs (its `cell` argument). */
const CELLS = {
  LSTM: { id: 0, gates: 4, sharedPreactivation: true },
  GRU: { id: 1, gates: 3, sharedPreactivation: false },
} as const satisfies Record<string, CellGates & { id: number; sharedPreactivation: boolean }>;

/**
 * Row blocks (tasks) to cut `n` samples into: two per thread (a thread the OS deschedules leaves
 * its second block to the others; a block's GEMMs cost no more for being short: each block packs
 * W_hh once per pass, a few per cent of its steps' products), but never so few rows that a
 * block's recurrent product `[rows, G·h]·W_hhᵀ` would take gemm.wat's dot-product path when the
 * whole batch's does not (rows·G·h ≤ GEMM.DOT_MAX_OUTPUT with h ≥ GEMM.DOT_MIN_DEPTH): every
 * element is then computed as in one GEMM over the batch, whatever the thread count.
 */
export function rowBlocks(n: number, gh: number, h: number, threads: number): number {
  if (threads <= 1) return 1;
  const dotAtAll = h >= GEMM.DOT_MIN_DEPTH && n * gh > GEMM.DOT_MAX_OUTPUT;
  const minRows = dotAtAll ? Math.floor(GEMM.DOT_MAX_OUTPUT / gh) + 1 : 1;
  return Math.max(1, Math.min(2 * threads, Math.floor(n / minRows)));
}

/**
 * The time loop of LSTM and GRU as whole sequences in WebAssembly (kernels/recurrent.wat): per
 * layer and direction one parallel round forward, one backward, each thread running every step
 * for its block of samples (the recurrent GEMM and the cell's f32x4 maths, elementwise.wat's
 * `lstmCell*`/`gruCell*`, inside one call). The input projections, weight gradients and bias sums
 * stay one GEMM or column sum over all steps (core/ops/kernels/recurrent.ts). The same bits as
 * the per-step loop with these cells; the cells are within ~2 ulp of the reference's JavaScript
 * `Math.exp`/`Math.tanh` per step, as Sigmoid's are.
 */
function sequenceOverride(cpu: CpuContext, op: keyof typeof CELLS): OpKernelOverride {
  const cell = CELLS[op];
  const perThread = { scratch: KIND.gemmScratch, packed: KIND.a };
  const forward = cpu.kernel('recurrentForwardSteps', { range: ['r0', 'r1'], perThread });
  const backward = cpu.kernel('recurrentBackwardSteps', { range: ['r0', 'r1'], perThread });
  /** Each thread's block for W_hh packed once per pass (gemm.wat's `packOperandB`: ⌈columns/NR⌉·NR·depth floats). */
  const packedWeights = ({ h, gh }: { h: number; gh: number }) => {
    const padded = (cols: number) => Math.ceil(cols / GEMM.NR) * GEMM.NR;
    cpu.setThreadValues(KIND.a, cpu.threadScratch(4 * Math.max(h * padded(gh), gh * padded(h))));
  };
  // One task on the calling thread, as Linear's bias sums (linear.ts: linearRows).
  const sums = cpu.kernel('colSums');
  const at = (a: Float32Array, what: string, copyIn = true, out = false) => cpu.addressOf(a, a.length, `${op} ${what}`, copyIn, out);
  const maybe = (a: Float32Array | undefined, what: string) => (a ? at(a, what) : 0);
  const staged = (go: () => void) => {
    try {
      go();
    } finally {
      cpu.unstage();
    }
  };
  /** A view of the rows' sums of squares (made again only when the heap grows or the block moves). */
  let sqView: Float64Array<ArrayBufferLike> = new Float64Array(0);
  const squares = (at: number, length: number) => {
    const buffer = cpu.heap.memory.buffer;
    if (sqView.buffer !== buffer || sqView.byteOffset !== at || sqView.length < length) sqView = new Float64Array(buffer, at, length);
    return sqView;
  };
  const steps: SequenceRunner = {
    forward: ({ d, dir, xg, bih, whh, bhh, hs, aux, gates, ys, rg }) =>
      staged(() => {
        packedWeights(d);
        forward.run(
          {
            cell: cell.id, xg: at(xg, 'input projection', true, true), bih: maybe(bih, 'b_ih'), whh: at(whh, 'W_hh'), bhh: maybe(bhh, 'b_hh'),
            rg: at(rg, 'recurrent projection', false), hs: at(hs, 'hidden states', false, true), aux: at(aux, 'cell states', false, true),
            gates: at(gates, 'gates', false, true), ys: at(ys, 'layer output', true, true), ldy: d.dh, yOff: dir * d.h,
            n: d.n, t: d.t, h: d.h, reverse: dir, r0: 0, r1: d.n,
          },
          rowBlocks(d.n, d.gh, d.h, cpu.threads),
        );
      }),
    backward: ({ d, dir, dys, gates, aux, hs, whh, dXg, dRg, dhNorm, dh, dhNext, dCarry }) => {
      const { n, t } = d;
      const sq = cpu.sharedScratch(8 * t * n);
      staged(() => {
        packedWeights(d);
        backward.run(
          {
            cell: cell.id, dys: at(dys, 'output gradient'), ldy: d.dh, yOff: dir * d.h,
            dh: at(dh, 'hidden-state gradient', false), dhNext: at(dhNext, 'next hidden-state gradient', false), dc: at(dCarry, 'cell-state gradient', false), sq,
            gates: at(gates, 'gates'), aux: at(aux, 'cell states'), hs: at(hs, 'hidden states'),
            dxg: at(dXg, 'gate gradients', false, true), drg: at(dRg, 'recurrent gate gradients', false, true), whh: at(whh, 'W_hh'),
            n, t, h: d.h, reverse: dir, r0: 0, r1: n,
          },
          rowBlocks(n, d.gh, d.h, cpu.threads),
        );
      });
      // ‖dL/dh‖ per step: the rows' sums of squares (double) added in row order.
      const rowSq = squares(sq, t * n);
      for (let time = 0; time < t; time++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += rowSq[time * n + r];
        dhNorm[time] = Math.sqrt(s);
      }
    },
    colSums: (into, m, rows, cols) =>
      staged(() =>
        sums.call({ dy: at(m, 'gate gradients'), xh: 0, rows, cols, db: at(into, 'bias gradient', true, true), ddot: 0, j0: 0, j1: cols }),
      ),
  };
  return { forward: (ctx) => recurrentForward(cell, steps, ctx), backward: (ctx) => recurrentBackward(cell, steps, ctx) };
}

export const lstmOverride = (cpu: CpuContext): OpKernelOverride => sequenceOverride(cpu, 'LSTM');
export const gruOverride = (cpu: CpuContext): OpKernelOverride => sequenceOverride(cpu, 'GRU');
