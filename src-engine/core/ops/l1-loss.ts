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
});
