import { sameShape, perSample } from './shape-util';
import { defineOp } from './types';
import { simple } from './onnx-import';

/** max(0, x) elementwise, as `torch.nn.ReLU`. */
export const relu = defineOp({
  name: 'ReLU',
  category: 'activations',
  onnx: { opType: 'Relu' },
  onnxImport: { Relu: simple('ReLU') },
  torch: { module: 'nn.ReLU()' },
  gpuElementwise: { forward: 'max(x, 0.0)', derivative: 'select(0.0, 1.0, x > 0.0)' },
  output: { deadAtZero: true },
  doc: 'max(0, x), elementwise.',
  inputs: [{ name: 'x' }],
  attrs: {},
  inferShape: sameShape,
  flops: ({ output }) => perSample(output),
  forward({ inputs, output }) {
    const x = inputs[0].data;
    const y = output.data;
    // Branch-free (`v·[v ≥ 0]`): on random signs a branch mispredicts half the time and costs
    // ~5× more. `+ 0` turns −0 into +0. The rare NaN result comes from x = NaN, which passes through
    // (as in PyTorch, so divergence shows), or from x = −∞ (−∞·0), whose output is 0.
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const r = v * +(v >= 0);
      y[i] = r === r ? r + 0 : v === -Infinity ? 0 : v;
    }
  },
  backward({ inputs, dOutput, dInputs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const x = inputs[0].data;
    const dy = dOutput.data;
    // NOTE: relu'(0) is taken as 0, as PyTorch does (threshold_backward passes the gradient only
    // where x > 0). Any value in [0, 1] is a valid subgradient; 0 keeps dead units dead and
    // matches PyTorch bit for bit on inputs that are exactly 0 (e.g. after another ReLU or padding).
    for (let i = 0; i < x.length; i++) {
      const pass = +(x[i] > 0);
      const g = dy[i] * pass;
      // Branch-free as in forward; a non-finite dy on a blocked unit gives 0 (not ∞·0), as PyTorch.
      dx[i] += g === g ? g : pass ? dy[i] : 0;
    }
  },
});
