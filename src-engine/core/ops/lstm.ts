import { defineOp } from './types';
import type { Cell } from './recurrent';
import { eachUnit, emitRecurrent, recurrentFusion, recurrentOp, recurrentRule, recurrentTorch, recurrentTraces, sigmoid } from './recurrent';

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

/** ONNX LSTM's gate blocks i, o, f, c from PyTorch's i, f, g, o. */
const ONNX_GATES = [0, 3, 1, 2];

const plainLstm = (n: { attribute?: readonly { name: string }[] }) => (n.attribute ?? []).every((a) => ['hidden_size', 'direction'].includes(a.name));

/** The ONNX LSTM pattern torch.onnx writes for a one-layer `nn.LSTM(batch_first=True)`, read as one LSTM. */
const LSTM_FUSION = recurrentFusion('LSTM', 'LSTM', ONNX_GATES, plainLstm);

/**
 * A long short-term memory layer over a batch of sequences `[N, T, F]`, as `torch.nn.LSTM(F, H,
 * num_layers, bias, batch_first=True, bidirectional)`: the same parameters under the same names
 * (`weight_ih_l0` `[4H, F]`, `weight_hh_l0` `[4H, H]`, `bias_ih_l0`, `bias_hh_l0`; gates i, f, g,
 * o; initialised U(±1/√H)). Zero initial states. Outputs h at every step `[N, T, D·H]`, or the
 * last layer's final h `[N, D·H]`.
 */
export const lstm = defineOp({
  name: 'LSTM',
  ...recurrentOp('LSTM', LSTM_CELL),
  traces: recurrentTraces(LSTM_CELL, [
    { name: 'input', range: [0, 1] },
    { name: 'forget', range: [0, 1] },
    { name: 'cell', range: [-1, 1] },
    { name: 'output', range: [0, 1] },
  ]),
  onnx: {
    opType: 'LSTM',
    note: 'one ONNX LSTM per layer on the time-major sequence (Transpose before, Squeeze/Transpose after, as torch.onnx writes), W/R/B reordered from PyTorch’s gates i, f, g, o to ONNX’s i, o, f, c; the last state: Gather(−1) of Y',
    emit: (ctx) => emitRecurrent(ctx, 'LSTM', ONNX_GATES),
  },
  onnxImport: { LSTM: recurrentRule('LSTM', 'nn.LSTM') },
  onnxFusions: [LSTM_FUSION],
  torch: recurrentTorch('LSTM'),
  doc: 'Long short-term memory over a sequence [N, T, F]: gates decide what the cell state keeps, adds and shows.',
});
