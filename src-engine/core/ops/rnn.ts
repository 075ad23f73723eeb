import { defineOp } from './types';
import { emitRecurrent, recurrentFusion, recurrentOp, recurrentRule, recurrentTorch, recurrentTraces } from './recurrent';

/** torch.onnx writes `nn.RNN`'s tanh as the ONNX default, or names it (`activations: ['Tanh']`). */
const tanhRnn = (n: { attribute?: readonly { name: string; strings?: readonly (string | Uint8Array)[] }[] }) =>
  (n.attribute ?? []).every((a) => ['hidden_size', 'direction'].includes(a.name) || (a.name === 'activations' && (a.strings ?? []).every((s) => (typeof s === 'string' ? s : new TextDecoder().decode(s)).toLowerCase() === 'tanh')));

/** The ONNX RNN pattern torch.onnx writes for a one-layer `nn.RNN(batch_first=True)`, read as one RNN. */
const RNN_FUSION = recurrentFusion('RNN', 'RNN', [0], tanhRnn);

/**
 * A plain (Elman) recurrent layer over a batch of sequences `[N, T, F]`, as `torch.nn.RNN(F, H,
 * num_layers, nonlinearity='tanh', bias, batch_first=True, bidirectional)`: the same parameters
 * under the same names (`weight_ih_l0` `[H, F]`, `weight_hh_l0` `[H, H]`, biases; U(±1/√H)). Zero
 * initial state. Outputs h at every step `[N, T, D·H]`, or the last layer's final h `[N, D·H]`.
 * What LSTM and GRU were invented against: its gradient through time vanishes on long sequences.
 */
export const rnn = defineOp({
  name: 'RNN',
  ...recurrentOp('RNN', { gates: 1 }),
  traces: recurrentTraces({ gates: 1 }, [{ name: 'h', range: [-1, 1] }]),
  onnx: {
    opType: 'RNN',
    note: 'one ONNX RNN (tanh) per layer on the time-major sequence, as torch.onnx writes it; the last state: Gather(−1) of Y',
    emit: (ctx) => emitRecurrent(ctx, 'RNN', [0]),
  },
  onnxImport: { RNN: recurrentRule('RNN', 'nn.RNN') },
  onnxFusions: [RNN_FUSION],
  torch: recurrentTorch('RNN'),
  doc: 'A plain recurrent layer over a sequence [N, T, F]: h = tanh(x·W_ih + h·W_hh); forgets over long sequences, which LSTM and GRU fix.',
});
