import { gru } from '../gru';
import { defineKernel } from './kernel';
import { type Cell, eachUnit, recurrentKernel, sigmoid } from './recurrent';

/**
 * PyTorch's GRU cell, gates r, z, n: `n = tanh(x·W_inᵀ + b_in + r·(h_prev·W_hnᵀ + b_hn))`,
 * `h = (1 − z)·n + z·h_prev`, r and z sigmoids of the summed projections.
 *
 * NOTE: the reset gate multiplies the recurrent projection after the product (PyTorch's, ONNX's
 * `linear_before_reset = 1`), so that projection is kept apart from the input's: `aux` holds it.
 */
const GRU_CELL: Cell = {
  gates: 3,
  sharedPreactivation: false,
  forward({ n, h, xg, rg, hPrev, gates, aux: hn, hOut }) {
    eachUnit(n, h, 3, (o, j, k) => {
      const r = sigmoid(xg[o + j] + rg[o + j]);
      const z = sigmoid(xg[o + h + j] + rg[o + h + j]);
      const rec = rg[o + 2 * h + j];
      const nv = Math.tanh(xg[o + 2 * h + j] + r * rec);
      gates[o + j] = r;
      gates[o + h + j] = z;
      gates[o + 2 * h + j] = nv;
      hn[k] = rec;
      hOut[k] = (1 - z) * nv + (hPrev ? z * hPrev[k] : 0);
    });
  },
  backward({ n, h, dh, gates, aux: hn, hPrev, dXg, dRg, dhPrev }) {
    eachUnit(n, h, 3, (o, j, k) => {
      const r = gates[o + j];
      const z = gates[o + h + j];
      const nv = gates[o + 2 * h + j];
      const hp = hPrev ? hPrev[k] : 0;
      const dnPre = dh[k] * (1 - z) * (1 - nv * nv);
      const drPre = dnPre * hn[k] * r * (1 - r);
      const dzPre = dh[k] * (hp - nv) * z * (1 - z);
      dXg[o + j] = dRg[o + j] = drPre;
      dXg[o + h + j] = dRg[o + h + j] = dzPre;
      dXg[o + 2 * h + j] = dnPre;
      dRg[o + 2 * h + j] = dnPre * r;
      dhPrev[k] = dh[k] * z;
    });
  },
};

/** GRU's reference kernels: the recurrent time loop around its cell (the op's declaration: ops/gru.ts). */
export const gruKernel = defineKernel(gru, recurrentKernel(GRU_CELL));
