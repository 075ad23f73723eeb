import { elementwiseLossShape } from './loss-util';
import { fail, floatAttr, ShapeCode } from './shape-util';
import { defineOp } from './types';

/**
 * Huber loss, as `torch.nn.HuberLoss(delta)`: per element ½d² where |d| < δ and
 * δ·(|d| − ½δ) beyond, d = p − t; the mean over all elements.
 */
export const huberLoss = defineOp({
  name: 'HuberLoss',
  category: 'losses',
  onnx: { none: 'a training loss: it belongs in the training script, not in the exported inference model' },
  torch: { module: 'nn.HuberLoss(delta={delta})' },
  doc: 'Squared error for small errors, absolute error beyond delta: robust regression.',
  inputs: [{ name: 'prediction' }, { name: 'target' }],
  attrs: {
    delta: { kind: 'float', default: 1, min: 0, doc: 'Error size where the loss switches from squared to linear.' },
  },
  isLoss: true,
  inferShape({ inputs, attrs }) {
    const delta = floatAttr(attrs, 'delta');
    if (!(delta > 0)) {
      return fail(ShapeCode.ATTR_RANGE, `HuberLoss: delta must be positive (PyTorch requires it too); it is ${delta}.`);
    }
    return elementwiseLossShape('HuberLoss', inputs[0], inputs[1]);
  },
});
