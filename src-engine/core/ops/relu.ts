import * as E from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { sameShape, perSample } from './shape-util';
import { defineOp } from './types';
import { simple } from '../../base/onnx/import-rule';

/** max(0, x) elementwise, as `torch.nn.ReLU`. */
export const relu = defineOp({
  name: 'ReLU',
  category: 'activations',
  onnx: { opType: 'Relu' },
  onnxImport: { Relu: simple('ReLU') },
  torch: { module: 'nn.ReLU()' },
  // NOTE: relu'(0) is 0, as PyTorch (threshold_backward passes the gradient only where x > 0): the
  // derivative of max(x, 0) takes x's side only where x > 0. Any value in [0, 1] is a valid
  // subgradient; 0 keeps dead units dead and matches PyTorch bit for bit on inputs that are exactly
  // 0. Math.max passes NaN through (so divergence shows), maps −0 and −∞ to 0. The CPU backend keeps
  // its hand kernel (elementwise.wat).
  ...elementwise({ forms: { main: { forward: E.max(E.x, 0) } }, cost: 1, handCpuKernel: true }),
  output: { deadAtZero: true },
  doc: 'max(0, x), elementwise.',
  inputs: [{ name: 'x' }],
  attrs: {},
  inferShape: sameShape,
  flops: ({ output }) => perSample(output),
});
