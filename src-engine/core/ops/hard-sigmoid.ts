import { sameShape, perSample } from './shape-util';
import { defineOp } from './types';
import type { OnnxNode } from '../../base/onnx/model';
import { float, unexpected, type RuleResult } from './onnx-import';

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
  gpuElementwise: { forward: 'clamp(x + 3.0, 0.0, 6.0) / 6.0', derivative: 'select(0.0, 1.0 / 6.0, x > -3.0 && x < 3.0)' },
  // Outside (−3, 3) the output is exactly 0 or 1 and the gradient 0.
  output: { saturated: { below: 1e-6, above: 1 - 1e-6 }, scores: 'probability' },
  doc: 'ReLU6(x + 3)/6: a sigmoid of straight pieces, 0 below −3 and 1 above 3.',
  inputs: [{ name: 'x' }],
  attrs: {},
  inferShape: sameShape,
  flops: ({ output }) => 3 * perSample(output),
  forward({ inputs, output }) {
    const x = inputs[0].data;
    const y = output.data;
    for (let i = 0; i < x.length; i++) y[i] = Math.min(Math.max(x[i] + 3, 0), 6) / 6;
  },
  backward({ inputs, dOutput, dInputs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const x = inputs[0].data;
    const dy = dOutput.data;
    // NOTE: as PyTorch's hardsigmoid_backward: 1/6 strictly inside (−3, 3), 0 at the ends and outside.
    for (let i = 0; i < x.length; i++) if (x[i] > -3 && x[i] < 3) dx[i] += dy[i] / 6;
  },
});
