import { elementwiseLossShape } from './loss-util';
import { defineOp } from './types';

/** Mean squared error mean((p − t)²) over all elements, as `torch.nn.MSELoss()`. */
export const mseLoss = defineOp({
  name: 'MSELoss',
  category: 'losses',
  onnx: { none: 'a training loss: it belongs in the training script, not in the exported inference model' },
  torch: { module: 'nn.MSELoss()' },
  doc: 'Mean squared error between prediction and target (regression, autoencoders).',
  inputs: [{ name: 'prediction' }, { name: 'target' }],
  attrs: {},
  isLoss: true,
  inferShape: ({ inputs }) => elementwiseLossShape('MSELoss', inputs[0], inputs[1]),
  forward({ inputs, output }) {
    const p = inputs[0].data;
    const t = inputs[1].data;
    let sum = 0;
    for (let i = 0; i < p.length; i++) {
      const d = p[i] - t[i];
      sum += d * d;
    }
    output.data[0] = sum / p.length;
  },
  backward({ inputs, dOutput, dInputs }) {
    const p = inputs[0].data;
    const t = inputs[1].data;
    const g = (2 * dOutput.data[0]) / p.length;
    const dp = dInputs[0]?.data;
    const dt = dInputs[1]?.data;
    for (let i = 0; i < p.length; i++) {
      const d = g * (p[i] - t[i]);
      if (dp) dp[i] += d;
      if (dt) dt[i] -= d;
    }
  },
});
