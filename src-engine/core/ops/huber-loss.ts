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
  forward({ inputs, output, attrs }) {
    const p = inputs[0].data;
    const t = inputs[1].data;
    const delta = floatAttr(attrs, 'delta');
    let sum = 0;
    for (let i = 0; i < p.length; i++) {
      const a = Math.abs(p[i] - t[i]);
      sum += a < delta ? 0.5 * a * a : delta * (a - 0.5 * delta);
    }
    output.data[0] = sum / p.length;
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const p = inputs[0].data;
    const t = inputs[1].data;
    const delta = floatAttr(attrs, 'delta');
    const g = dOutput.data[0] / p.length;
    const dp = dInputs[0]?.data;
    const dt = dInputs[1]?.data;
    // The gradient is d clamped to [−δ, δ]; both pieces agree at |d| = δ, so it is continuous.
    for (let i = 0; i < p.length; i++) {
      const d = p[i] - t[i];
      const s = g * (d > delta ? delta : d < -delta ? -delta : d);
      if (dp) dp[i] += s;
      if (dt) dt[i] -= s;
    }
  },
});
