import { lstm } from '../lstm';
import { defineKernel } from './kernel';
import { type Cell, eachUnit, recurrentKernel, sigmoid } from './recurrent';

/**
 * PyTorch's LSTM cell, gates i, f, g, o: `c = f·c_prev + i·g`, `h = o·tanh(c)`, with i, f, o
 * sigmoids and g a tanh of `x·W_ihᵀ + b_ih + h_prev·W_hhᵀ + b_hh`.
 */
const LSTM_CELL: Cell = {
  gates: 4,
  sharedPreactivation: true,
  forward({ n, h, xg, rg, auxPrev: cPrev, gates, aux: c, hOut }) {
    eachUnit(n, h, 4, (o, j, k) => {
      const i = sigmoid(xg[o + j] + rg[o + j]);
      const f = sigmoid(xg[o + h + j] + rg[o + h + j]);
      const g = Math.tanh(xg[o + 2 * h + j] + rg[o + 2 * h + j]);
      const out = sigmoid(xg[o + 3 * h + j] + rg[o + 3 * h + j]);
      const cv = (cPrev ? f * cPrev[k] : 0) + i * g;
      gates[o + j] = i;
      gates[o + h + j] = f;
      gates[o + 2 * h + j] = g;
      gates[o + 3 * h + j] = out;
      c[k] = cv;
      hOut[k] = out * Math.tanh(cv);
    });
  },
  backward({ n, h, dh, dCarry: dc, gates, aux: c, auxPrev: cPrev, dXg, dhPrev }) {
    eachUnit(n, h, 4, (o, j, k) => {
      const i = gates[o + j];
      const f = gates[o + h + j];
      const g = gates[o + 2 * h + j];
      const out = gates[o + 3 * h + j];
      const tc = Math.tanh(c[k]);
      const dct = dc[k] + dh[k] * out * (1 - tc * tc);
      const cp = cPrev ? cPrev[k] : 0;
      dXg[o + j] = dct * g * i * (1 - i);
      dXg[o + h + j] = dct * cp * f * (1 - f);
      dXg[o + 2 * h + j] = dct * i * (1 - g * g);
      dXg[o + 3 * h + j] = dh[k] * tc * out * (1 - out);
      dc[k] = dct * f;
      dhPrev[k] = 0;
    });
  },
};

/** LSTM's reference kernels: the recurrent time loop around its cell (the op's declaration: ops/lstm.ts). */
export const lstmKernel = defineKernel(lstm, recurrentKernel(LSTM_CELL));
