import * as E from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { sameShape, perSample } from './shape-util';
import { defineOp } from './types';
import type { OnnxNode } from '../../base/onnx/model';
import { float, unexpected, type RuleResult } from '../../base/onnx/import-rule';

/** PyTorch's slope: ONNX HardSigmoid defaults to α = 0.2, Hardsigmoid is x/6 + 1/2. */
const ALPHA = 1 / 6;

/** ONNX HardSigmoid as PyTorch's Hardsigmoid: α = 1/6 (as float32) and β = 1/2 only. */
function hardSigmoidRule(n: OnnxNode): RuleResult {
  const bad = unexpected(n, ['alpha', 'beta']);
  if (bad) return { unsupported: bad };
  if (Math.fround(float(n, 'alpha', 0.2)) !== Math.fround(ALPHA) || float(n, 'beta', 0.5) !== 0.5) {
    return { unsupported: `only α = 1/6 and β = 1/2 (torch.nn.Hardsigmoid) are supported, not α = ${float(n, 'alpha', 0.2)}, β = ${float(n, 'beta', 0.5)}` };
  }
  return { op: 'HardSigmoid', inputs: [n.input[0]] };
}

/** ReLU6(x + 3)/6 elementwise, as `torch.nn.Hardsigmoid` (the gates of MobileNetV3's squeeze-excite blocks). */
export const hardSigmoid = defineOp({
  name: 'HardSigmoid',
  category: 'activations',
  onnx: { opType: 'HardSigmoid', attrs: { alpha: { value: { float: ALPHA } }, beta: { value: { float: 0.5 } } }, note: 'α = 1/6, β = 1/2 (ONNX defaults to α = 0.2)' },
  onnxImport: { HardSigmoid: hardSigmoidRule },
  torch: { module: 'nn.Hardsigmoid()' },
  // NOTE: the gradient as PyTorch's hardsigmoid_backward: dy/6 strictly inside (−3, 3), 0 at the ends and outside.
  ...elementwise({
    forms: { main: { forward: E.div(E.clamp(E.add(E.x, 3), 0, 6), 6), backward: E.select(E.and(E.gt(E.x, -3), E.lt(E.x, 3)), E.div(E.dy, 6), 0) } },
    cost: 2,
  }),
  // Outside (−3, 3) the output is exactly 0 or 1 and the gradient 0.
  output: { saturated: { below: 1e-6, above: 1 - 1e-6 }, scores: 'probability' },
  doc: 'ReLU6(x + 3)/6: a sigmoid of straight pieces, 0 below −3 and 1 above 3.',
  inputs: [{ name: 'x' }],
  attrs: {},
  testDomain: { kernel: { rel: 2e-7, gradRel: 2e-7 } },
  inferShape: sameShape,
  flops: ({ output }) => 3 * perSample(output),
});
