import { defineOp } from './types';
import { emitRecurrent, recurrentFusion, recurrentOp, recurrentRule, recurrentTorch, recurrentTraces } from './recurrent';

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
  ...recurrentOp('LSTM', { gates: 4 }),
  traces: recurrentTraces({ gates: 4 }, [
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
