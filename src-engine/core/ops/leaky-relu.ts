import * as E from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { floatAttr, sameShape, perSample } from './shape-util';
import { defineOp } from './types';
import { float, roundFloat } from '../../base/onnx/import-rule';

/** x for x > 0, negativeSlope·x otherwise, as `torch.nn.LeakyReLU`. */
export const leakyRelu = defineOp({
  name: 'LeakyReLU',
  category: 'activations',
  onnx: { opType: 'LeakyRelu', attrs: { alpha: { attr: 'negativeSlope' } } },
  onnxImport: { LeakyRelu: (n) => ({ op: 'LeakyReLU', attrs: { negativeSlope: roundFloat(float(n, 'alpha', 0.01)) }, inputs: [n.input[0]] }) },
  torch: { module: 'nn.LeakyReLU(negative_slope={negativeSlope})' },
  // The slope applies where x ≤ 0, forward and backward (NaN takes the slope side: NaN·slope is
  // NaN). NOTE: at x = 0 the gradient is the slope, as PyTorch (leaky_relu_backward uses x > 0).
  ...elementwise({ forms: { main: { forward: E.select(E.gt(E.x, 0), E.x, E.mul(E.x, E.p)) } }, params: [(attrs) => floatAttr(attrs, 'negativeSlope')], cost: 1 }),
  doc: 'x where x > 0, a small slope · x elsewhere, so negative inputs still pass a gradient.',
  inputs: [{ name: 'x' }],
  attrs: {
    negativeSlope: { kind: 'float', default: 0.01, min: 0, doc: 'Slope for negative inputs.' },
  },
  // NOTE (kernel bound): the slope is rounded to float32 (1 ulp).
  testDomain: { attrs: { negativeSlope: 0.01 }, variants: [{ negativeSlope: 0.2 }], kernel: { rel: 1.2e-7, gradRel: 2.4e-7 } },
  inferShape: sameShape,
  flops: ({ output }) => perSample(output),
});
