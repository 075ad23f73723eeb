import * as E from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { sameShape, perSample } from './shape-util';
import { defineOp } from './types';
import { simple } from '../../base/onnx/import-rule';

/** x/(1 + |x|) elementwise, as `torch.nn.Softsign`. */
export const softsign = defineOp({
  name: 'Softsign',
  category: 'activations',
  onnx: { opType: 'Softsign' },
  onnxImport: { Softsign: simple('Softsign') },
  torch: { module: 'nn.Softsign()' },
  // Its derivative 1/(1 + |x|)² is derived (abs's rule gives sign(x) there, 0 at x = 0).
  ...elementwise({ forms: { main: { forward: E.div(E.x, E.add(1, E.abs(E.x))) } }, cost: 2 }),
  output: { saturated: { below: -0.99, above: 0.99 } },
  doc: 'Squashes each value into (−1, 1) as x/(1 + |x|): like Tanh, with tails that approach ±1 slowly.',
  inputs: [{ name: 'x' }],
  attrs: {},
  inferShape: sameShape,
  flops: ({ output }) => 3 * perSample(output),
});
