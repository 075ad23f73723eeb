import { defineOp } from './types';
import type { Cell } from './recurrent';
import { eachUnit, emitRecurrent, recurrentFusion, recurrentOp, recurrentRule, recurrentTorch, recurrentTraces, sigmoid } from './recurrent';
import { int } from './onnx-import';

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

/** ONNX GRU's gate blocks z, r, h from PyTorch's r, z, n. */
const ONNX_GATES = [1, 0, 2];

/** The ONNX GRU pattern torch.onnx writes for a one-layer `nn.GRU(batch_first=True)` (linear_before_reset = 1), read as one GRU. */
const GRU_FUSION = recurrentFusion('GRU', 'GRU', ONNX_GATES, (n) =>
  (n.attribute ?? []).every((a) => ['hidden_size', 'direction', 'linear_before_reset'].includes(a.name)) && int(n, 'linear_before_reset', 0) === 1,
);

/**
 * A gated recurrent unit layer over a batch of sequences `[N, T, F]`, as `torch.nn.GRU(F, H,
 * num_layers, bias, batch_first=True, bidirectional)`: the same parameters under the same names
 * (`weight_ih_l0` `[3H, F]`, `weight_hh_l0` `[3H, H]`, biases; gates r, z, n; U(±1/√H)). Zero
 * initial state. Outputs h at every step `[N, T, D·H]`, or the last layer's final h `[N, D·H]`.
 */
export const gru = defineOp({
  name: 'GRU',
  ...recurrentOp('GRU', GRU_CELL),
  traces: recurrentTraces(GRU_CELL, [
    { name: 'reset', range: [0, 1] },
    { name: 'update', range: [0, 1] },
    { name: 'candidate', range: [-1, 1] },
  ]),
  onnx: {
    opType: 'GRU',
    note: 'one ONNX GRU per layer (linear_before_reset = 1, PyTorch’s form) on the time-major sequence, as torch.onnx writes it; W/R/B reordered from PyTorch’s gates r, z, n to ONNX’s z, r, h; the last state: Gather(−1) of Y',
    emit: (ctx) => emitRecurrent(ctx, 'GRU', ONNX_GATES, { linear_before_reset: { int: 1 } }),
  },
  onnxImport: { GRU: recurrentRule('GRU', 'nn.GRU') },
  onnxFusions: [GRU_FUSION],
  torch: recurrentTorch('GRU'),
  doc: 'Gated recurrent unit over a sequence [N, T, F]: an update gate mixes the old state with a new candidate.',
});
