import { rnn } from '../rnn';
import { defineKernel } from './kernel';
import { type Cell, eachUnit, recurrentKernel } from './recurrent';

/**
 * PyTorch's Elman RNN cell (`nn.RNN`, nonlinearity tanh): `h = tanh(x·W_ihᵀ + b_ih + h_prev·W_hhᵀ +
 * b_hh)`. One "gate", the new h itself (kept for backward: `1 − h²`).
 */
const RNN_CELL: Cell = {
  gates: 1,
  sharedPreactivation: true,
  forward({ n, h, xg, rg, gates, hOut }) {
    eachUnit(n, h, 1, (o, j, k) => {
      const v = Math.tanh(xg[o + j] + rg[o + j]);
      gates[o + j] = v;
      hOut[k] = v;
    });
  },
  backward({ n, h, dh, gates, dXg, dhPrev }) {
    eachUnit(n, h, 1, (o, j, k) => {
      const v = gates[o + j];
      dXg[o + j] = dh[k] * (1 - v * v);
      dhPrev[k] = 0;
    });
  },
};

/** RNN's reference kernels: the recurrent time loop around its cell (the op's declaration: ops/rnn.ts). */
export const rnnKernel = defineKernel(rnn, recurrentKernel(RNN_CELL));
