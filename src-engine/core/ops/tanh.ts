import * as E from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { sameShape, perSample } from './shape-util';
import { defineOp } from './types';
import { simple } from '../../base/onnx/import-rule';

/** tanh elementwise, as `torch.nn.Tanh`. */
export const tanh = defineOp({
  name: 'Tanh',
  category: 'activations',
  onnx: { opType: 'Tanh' },
  onnxImport: { Tanh: simple('Tanh') },
  torch: { module: 'nn.Tanh()' },
  // tanh' = 1 − tanh², derived, from the saved output as PyTorch's tanh_backward.
  ...elementwise({ forms: { main: { forward: E.tanh(E.x) } }, cost: 10 }),
  output: { saturated: { below: -0.99, above: 0.99 } },
  doc: 'Squashes each value into (−1, 1): tanh(x).',
  inputs: [{ name: 'x' }],
  attrs: {},
  // NOTE (kernel bound): the polynomial e^x is ~2 ulp; the forward 1.7e-7 relative, also near 0
  // (expm1, not 1 − e^x). The backward 1 − y² is formed from each side's own float32 y, which the two
  // sides round differently (≤ 2 ulp of y ≈ 1.2e-7·|dy| absolute; relative error unbounded where 1 − y²
  // is tiny), hence the floor. Bounds ~1.5× the worst measured over a 0.004 grid on [−30, 30] and the extremes.
  testDomain: { kernel: { rel: 2.5e-7, gradRel: 2.5e-7, gradFloor: (_x, dy) => 3e-7 * Math.abs(dy) } },
  inferShape: sameShape,
  flops: ({ output }) => 4 * perSample(output),
});
