import { abs, div, ge, gt, lt, mul, neg, p, select, sub } from '../elementwise/expr';
import { prediction, target } from '../elementwise/loss';
import { pointwiseLoss } from '../elementwise/loss-js';
import { elementwiseLossShape } from './loss-util';
import { fail, floatAttr, ShapeCode } from './shape-util';
import { defineOp } from './types';

const d = sub(prediction, target);
/**
 * ±1 where |d| ≥ β (−1 at d = 0), d/β inside the quadratic zone: PyTorch 1.13's smooth_l1_loss
 * backward as its CPU kernel computes it (a blend on |d| ≥ β, then on d > 0), so with β = 0 a tie
 * gets −1 (any value in [−1, 1] is a subgradient there; L1Loss gives 0) and a NaN d passes NaN.
 * Declared: the derived (d·β)/β² rounds otherwise and overflows for a tiny β.
 */
const slope = select(ge(abs(d), p), select(gt(d, 0), 1, -1), div(d, p));
/** ∂/∂target: PyTorch runs the same backward with the inputs swapped (t − p = −d exactly), so a tie at β = 0 gets −1 here too. */
const slopeTarget = select(ge(abs(d), p), select(lt(d, 0), 1, -1), div(neg(d), p));

/**
 * Smooth L1 loss, as `torch.nn.SmoothL1Loss(beta)`: per element ½d²/β where |d| < β and |d| − ½β
 * beyond, d = p − t; the mean over all elements. HuberLoss(δ) is β·SmoothL1Loss(β = δ).
 */
export const smoothL1Loss = defineOp({
  name: 'SmoothL1Loss',
  category: 'losses',
  onnx: { none: 'a training loss: it belongs in the training script, not in the exported inference model' },
  torch: { module: 'nn.SmoothL1Loss(beta={beta})' },
  doc: 'Absolute error with a quadratic zone of width beta around 0 (Fast R-CNN\'s box loss): robust regression.',
  inputs: [{ name: 'prediction' }, { name: 'target' }],
  attrs: {
    beta: { kind: 'float', default: 1, min: 0, doc: 'Error size where the loss switches from squared to linear; 0 is L1Loss.' },
  },
  isLoss: true,
  // p = β. The term is PyTorch's ½·d·d/β (its rounding), not the quadratic's other arrangements.
  ...pointwiseLoss({
    term: select(lt(abs(d), p), div(mul(mul(0.5, d), d), p), sub(abs(d), mul(0.5, p))),
    gradient: slope,
    gradient2: slopeTarget,
    reduction: 'mean',
    params: [(attrs) => floatAttr(attrs, 'beta')],
  }),
  inferShape({ inputs, attrs }) {
    const beta = floatAttr(attrs, 'beta');
    if (!(beta >= 0) || !Number.isFinite(beta)) {
      return fail(ShapeCode.ATTR_RANGE, `SmoothL1Loss: beta must be 0 or more (PyTorch requires it too); it is ${beta}.`);
    }
    return elementwiseLossShape('SmoothL1Loss', inputs[0], inputs[1]);
  },
});
