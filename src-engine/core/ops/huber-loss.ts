import { abs, gt, lt, mul, neg, p, select, sub } from '../elementwise/expr';
import { prediction, target } from '../elementwise/loss';
import { pointwiseLoss } from '../elementwise/loss-js';
import { elementwiseLossShape } from './loss-util';
import { fail, floatAttr, ShapeCode } from './shape-util';
import { defineOp } from './types';

const d = sub(prediction, target);
/** d clamped to [−δ, δ] by comparisons, so a NaN d passes NaN (a clamp's result for NaN is the backend's). */
const slope = select(gt(d, p), p, select(lt(d, neg(p)), neg(p), d));

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
  // p = δ. The gradient is declared: the derived one (δ·sign(d) beyond δ) gives 0, not NaN, at a NaN d.
  ...pointwiseLoss({
    term: select(lt(abs(d), p), mul(mul(0.5, d), d), mul(p, sub(abs(d), mul(0.5, p)))),
    gradient: slope,
    gradient2: neg(slope),
    reduction: 'mean',
    params: [(attrs) => floatAttr(attrs, 'delta')],
  }),
  inferShape({ inputs, attrs }) {
    const delta = floatAttr(attrs, 'delta');
    if (!(delta > 0)) {
      return fail(ShapeCode.ATTR_RANGE, `HuberLoss: delta must be positive (PyTorch requires it too); it is ${delta}.`);
    }
    return elementwiseLossShape('HuberLoss', inputs[0], inputs[1]);
  },
});
