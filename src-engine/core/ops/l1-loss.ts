import { elementwiseLossShape } from './loss-util';
import { defineOp } from './types';

/**
 * Mean absolute error (MAE) mean(|p − t|) over all elements, as `torch.nn.L1Loss()`.
 * Named `L1Loss` after PyTorch; the palette shows the MAE alias in its doc.
 */
export const l1Loss = defineOp({
  name: 'L1Loss',
  category: 'losses',
  onnx: { none: 'a training loss: it belongs in the training script, not in the exported inference model' },
  torch: { module: 'nn.L1Loss()' },
  doc: 'Mean absolute error (MAE) between prediction and target; less sensitive to outliers than MSE.',
  inputs: [{ name: 'prediction' }, { name: 'target' }],
  attrs: {},
  isLoss: true,
  inferShape: ({ inputs }) => elementwiseLossShape('L1Loss', inputs[0], inputs[1]),
  forward({ inputs, output }) {
    const p = inputs[0].data;
    const t = inputs[1].data;
    let sum = 0;
    for (let i = 0; i < p.length; i++) sum += Math.abs(p[i] - t[i]);
    output.data[0] = sum / p.length;
  },
  backward({ inputs, dOutput, dInputs }) {
    const p = inputs[0].data;
    const t = inputs[1].data;
    const g = dOutput.data[0] / p.length;
    const dp = dInputs[0]?.data;
    const dt = dInputs[1]?.data;
    // NOTE: the gradient at p = t is 0 (sign(0) = 0), as PyTorch's l1_loss backward.
    for (let i = 0; i < p.length; i++) {
      const d = p[i] - t[i];
      const s = d > 0 ? g : d < 0 ? -g : 0;
      if (dp) dp[i] += s;
      if (dt) dt[i] -= s;
    }
  },
});
