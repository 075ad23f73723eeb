import { defineOp } from './types';
import { emitRecurrent, recurrentFusion, recurrentOp, recurrentRule, recurrentTorch, recurrentTraces } from './recurrent';
import { int } from '../../base/onnx/import-rule';

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
  ...recurrentOp('GRU', { gates: 3 }),
  traces: recurrentTraces({ gates: 3 }, [
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
