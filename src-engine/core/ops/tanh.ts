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
  inferShape: sameShape,
  flops: ({ output }) => 4 * perSample(output),
});
