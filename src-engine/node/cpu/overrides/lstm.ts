import type { OpKernelOverride } from '../../../core/backend/types';
import { recurrentBackward, recurrentForward, type Cell } from '../../../core/ops/recurrent';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';

/** Work per hidden unit relative to a memory-bound pass: five e^x polynomials a step (partsFor's `cost`). */
const UNIT_COST = 40;

/**
 * LSTM with the cell's gate maths in f32x4 (elementwise.wat `lstmCellForward` / `lstmCellBackward`)
 * inside the op file's own time loop (core/ops/recurrent.ts: the input projection, each step's
 * recurrent product and the weight gradients are the backend's GEMMs). The op file's cell runs a
 * JavaScript closure per unit with `Math.exp`/`Math.tanh`, ~95 % of an MNIST-row LSTM's forward
 * (64 × 128 units × 28 steps); the kernels are within ~2 ulp of it per step, as Sigmoid's are.
 */
export function lstmOverride(cpu: CpuContext): OpKernelOverride {
  const forward = cpu.kernel('lstmCellForward', { range: ['r0', 'r1'] });
  const backward = cpu.kernel('lstmCellBackward', { range: ['r0', 'r1'] });
  const at = (a: Float32Array, what: string, copyIn: boolean, out: boolean) => cpu.addressOf(a, a.length, `LSTM ${what}`, copyIn, out);
  const cell: Cell = {
    gates: 4,
    sharedPreactivation: true,
    forward({ n, h, xg, rg, auxPrev, gates, aux, hOut }) {
      try {
        const args = {
          xg: at(xg, 'input projection', true, false),
          rg: at(rg, 'recurrent projection', true, false),
          cprev: auxPrev ? at(auxPrev, 'previous cell state', true, false) : 0,
          gates: at(gates, 'gates', false, true),
          c: at(aux, 'cell state', false, true),
          hout: at(hOut, 'hidden state', false, true),
          h,
          hasPrev: auxPrev ? 1 : 0,
        };
        forward.run({ ...args, r0: 0, r1: n }, partsFor(n * h, cpu.threads, n, UNIT_COST));
      } finally {
        cpu.unstage();
      }
    },
    backward({ n, h, dh, dCarry, gates, aux, auxPrev, dXg, dhPrev }) {
      try {
        const args = {
          dh: at(dh, 'hidden-state gradient', true, false),
          dc: at(dCarry, 'cell-state gradient', true, true),
          gates: at(gates, 'gates', true, false),
          c: at(aux, 'cell state', true, false),
          cprev: auxPrev ? at(auxPrev, 'previous cell state', true, false) : 0,
          dxg: at(dXg, 'gate gradients', false, true),
          dhprev: at(dhPrev, 'previous hidden-state gradient', false, true),
          h,
          hasPrev: auxPrev ? 1 : 0,
        };
        backward.run({ ...args, r0: 0, r1: n }, partsFor(n * h, cpu.threads, n, UNIT_COST));
      } finally {
        cpu.unstage();
      }
    },
  };
  return {
    forward: (ctx) => recurrentForward(cell, ctx),
    backward: (ctx) => recurrentBackward(cell, ctx),
  };
}
