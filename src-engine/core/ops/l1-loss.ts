import { abs, sub } from '../elementwise/expr';
import { prediction, target } from '../elementwise/loss';
import { pointwiseLoss } from '../elementwise/loss-js';
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
  // NOTE: the derived gradient is sign(p − t) with sign(0) = 0 (abs's rule), as PyTorch's l1_loss
  // backward; a NaN difference passes 0 (both comparisons false).
  ...pointwiseLoss({ term: abs(sub(prediction, target)), reduction: 'mean' }),
  inferShape: ({ inputs }) => elementwiseLossShape('L1Loss', inputs[0], inputs[1]),
});
