import type { OpKernelOverride } from '../../../core/ops/kernel-set';
import { recurrentBackward, recurrentForward, type Cell } from '../../../core/ops/kernels/recurrent';
import type { CpuContext } from '../context';
import { partsFor } from '../functions';

/** Work per hidden unit relative to a memory-bound pass: four or five e^x polynomials a step (partsFor's `cost`). */
const UNIT_COST = 40;

/**
 * LSTM and GRU with the cell's gate maths in f32x4 (elementwise.wat `lstmCell*` / `gruCell*`)
 * inside the reference time loop (core/ops/kernels/recurrent.ts: the input projection, each step's
 * recurrent product and the weight gradients are the backend's GEMMs). The reference cells run a
 * JavaScript closure per unit with `Math.exp`/`Math.tanh`; the kernels are within ~2 ulp of them
 * per step, as Sigmoid's are. Each step's rows are split across threads.
 */
function cellOverride(cpu: CpuContext, op: string, cell: (at: At, run: Run) => Cell): OpKernelOverride {
  const at: At = (a, what, copyIn, out) => (a ? cpu.addressOf(a, a.length, `${op} ${what}`, copyIn, out) : 0);
  const run: Run = (go) => {
    try {
      go();
    } finally {
      cpu.unstage();
    }
  };
  const c = cell(at, run);
  return { forward: (ctx) => recurrentForward(c, ctx), backward: (ctx) => recurrentBackward(c, ctx) };
}

type At = (a: Float32Array | null, what: string, copyIn: boolean, out: boolean) => number;
type Run = (go: () => void) => void;

export function lstmOverride(cpu: CpuContext): OpKernelOverride {
  const forward = cpu.kernel('lstmCellForward', { range: ['r0', 'r1'] });
  const backward = cpu.kernel('lstmCellBackward', { range: ['r0', 'r1'] });
  return cellOverride(cpu, 'LSTM', (at, run) => ({
    gates: 4,
    sharedPreactivation: true,
    forward: ({ n, h, xg, rg, auxPrev, gates, aux, hOut }) =>
      run(() =>
        forward.run(
          { xg: at(xg, 'input projection', true, false), rg: at(rg, 'recurrent projection', true, false), cprev: at(auxPrev, 'previous cell state', true, false), gates: at(gates, 'gates', false, true), c: at(aux, 'cell state', false, true), hout: at(hOut, 'hidden state', false, true), h, r0: 0, r1: n, hasPrev: auxPrev ? 1 : 0 },
          partsFor(n * h, cpu.threads, n, UNIT_COST),
        ),
      ),
    backward: ({ n, h, dh, dCarry, gates, aux, auxPrev, dXg, dhPrev }) =>
      run(() =>
        backward.run(
          { dh: at(dh, 'hidden-state gradient', true, false), dc: at(dCarry, 'cell-state gradient', true, true), gates: at(gates, 'gates', true, false), c: at(aux, 'cell state', true, false), cprev: at(auxPrev, 'previous cell state', true, false), dxg: at(dXg, 'gate gradients', false, true), dhprev: at(dhPrev, 'previous hidden-state gradient', false, true), h, r0: 0, r1: n, hasPrev: auxPrev ? 1 : 0 },
          partsFor(n * h, cpu.threads, n, UNIT_COST),
        ),
      ),
  }));
}

export function gruOverride(cpu: CpuContext): OpKernelOverride {
  const forward = cpu.kernel('gruCellForward', { range: ['r0', 'r1'] });
  const backward = cpu.kernel('gruCellBackward', { range: ['r0', 'r1'] });
  return cellOverride(cpu, 'GRU', (at, run) => ({
    gates: 3,
    sharedPreactivation: false,
    forward: ({ n, h, xg, rg, hPrev, gates, aux, hOut }) =>
      run(() =>
        forward.run(
          { xg: at(xg, 'input projection', true, false), rg: at(rg, 'recurrent projection', true, false), hprev: at(hPrev, 'previous hidden state', true, false), gates: at(gates, 'gates', false, true), hn: at(aux, 'recurrent n-projection', false, true), hout: at(hOut, 'hidden state', false, true), h, r0: 0, r1: n, hasPrev: hPrev ? 1 : 0 },
          partsFor(n * h, cpu.threads, n, UNIT_COST),
        ),
      ),
    backward: ({ n, h, dh, gates, aux, hPrev, dXg, dRg, dhPrev }) =>
      run(() =>
        backward.run(
          { dh: at(dh, 'hidden-state gradient', true, false), gates: at(gates, 'gates', true, false), hn: at(aux, 'recurrent n-projection', true, false), hprev: at(hPrev, 'previous hidden state', true, false), dxg: at(dXg, 'input-gate gradients', false, true), drg: at(dRg, 'recurrent-gate gradients', false, true), dhprev: at(dhPrev, 'previous hidden-state gradient', false, true), h, r0: 0, r1: n, hasPrev: hPrev ? 1 : 0 },
          partsFor(n * h, cpu.threads, n, UNIT_COST),
        ),
      ),
  }));
}
