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
});
