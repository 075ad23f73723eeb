import * as E from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { sameShape, perSample } from './shape-util';
import { defineOp } from './types';
import { simple } from '../../base/onnx/import-rule';

/** 1/(1+e^(−x)) elementwise, as `torch.nn.Sigmoid`. */
export const sigmoid = defineOp({
  name: 'Sigmoid',
  category: 'activations',
  onnx: { opType: 'Sigmoid' },
  onnxImport: { Sigmoid: simple('Sigmoid') },
  torch: { module: 'nn.Sigmoid()' },
  // σ' = σ(1 − σ), from the saved output as PyTorch's sigmoid_backward. The CPU backend keeps its
  // hand kernel (elementwise.wat `$sigmoid4`).
  ...elementwise({ forms: { main: { forward: E.sigmoid(E.x), backward: E.mul(E.y, E.sub(1, E.y)) } }, cost: 8, handCpuKernel: true }),
  output: { saturated: { below: 0.01, above: 0.99 }, scores: 'probability' },
  doc: 'Squashes each value into (0, 1): 1/(1+e^(−x)).',
  inputs: [{ name: 'x' }],
  attrs: {},
  inferShape: sameShape,
  flops: ({ output }) => 4 * perSample(output),
});
