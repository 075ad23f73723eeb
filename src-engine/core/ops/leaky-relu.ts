import { floatAttr, sameShape, perSample } from './shape-util';
import { defineOp } from './types';
import { float, roundFloat } from './onnx-import';

/** x for x > 0, negativeSlope·x otherwise, as `torch.nn.LeakyReLU`. */
export const leakyRelu = defineOp({
  name: 'LeakyReLU',
  category: 'activations',
  onnx: { opType: 'LeakyRelu', attrs: { alpha: { attr: 'negativeSlope' } } },
  onnxImport: { LeakyRelu: (n) => ({ op: 'LeakyReLU', attrs: { negativeSlope: roundFloat(float(n, 'alpha', 0.01)) }, inputs: [n.input[0]] }) },
  torch: { module: 'nn.LeakyReLU(negative_slope={negativeSlope})' },
  // The slope applies where x ≤ 0, forward and backward (as the reference kernels).
  gpuElementwise: { forward: 'select(p * x, x, x > 0.0)', derivative: 'select(p, 1.0, x > 0.0)', param: (attrs) => floatAttr(attrs, 'negativeSlope') },
  doc: 'x where x > 0, a small slope · x elsewhere, so negative inputs still pass a gradient.',
  inputs: [{ name: 'x' }],
  attrs: {
    negativeSlope: { kind: 'float', default: 0.01, min: 0, doc: 'Slope for negative inputs.' },
  },
  inferShape: sameShape,
  flops: ({ output }) => perSample(output),
  forward({ inputs, output, attrs }) {
    const x = inputs[0].data;
    const y = output.data;
    const slope = floatAttr(attrs, 'negativeSlope');
    // Branch-free (the factor is 1 or slope): random signs would mispredict a branch half the time.
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const pos = +(v > 0);
      y[i] = v * (pos + slope * (1 - pos));
    }
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const x = inputs[0].data;
    const dy = dOutput.data;
    const slope = floatAttr(attrs, 'negativeSlope');
    // NOTE: at x = 0 the slope is the negative one, as PyTorch (leaky_relu_backward uses x > 0).
    for (let i = 0; i < x.length; i++) {
      const pos = +(x[i] > 0);
      dx[i] += dy[i] * (pos + slope * (1 - pos));
    }
  },
});
