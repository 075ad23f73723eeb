import { mul, sub } from '../elementwise/expr';
import { prediction, target } from '../elementwise/loss';
import { pointwiseLoss } from '../elementwise/loss-js';
import { elementwiseLossShape } from './loss-util';
import { defineOp } from './types';

const d = sub(prediction, target);

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
  // The gradients are derived: 2(p − t) as (p − t) + (p − t), the same bits as 2·(p − t).
  ...pointwiseLoss({ term: mul(d, d), reduction: 'mean' }),
  inferShape: ({ inputs }) => elementwiseLossShape('MSELoss', inputs[0], inputs[1]),
});
