import { sameShape, perSample } from './shape-util';
import { defineOp } from './types';
import { simple } from './onnx-import';

/** tanh elementwise, as `torch.nn.Tanh`. */
export const tanh = defineOp({
  name: 'Tanh',
  category: 'activations',
  onnx: { opType: 'Tanh' },
  onnxImport: { Tanh: simple('Tanh') },
  torch: { module: 'nn.Tanh()' },
  gpuElementwise: { forward: 'tanhSafe(x)', derivative: '1.0 - tanhSafe(x) * tanhSafe(x)' },
  output: { saturated: { below: -0.99, above: 0.99 } },
  doc: 'Squashes each value into (−1, 1): tanh(x).',
  inputs: [{ name: 'x' }],
  attrs: {},
  inferShape: sameShape,
  flops: ({ output }) => 4 * perSample(output),
  forward({ inputs, output }) {
    const x = inputs[0].data;
    const y = output.data;
    for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]);
  },
  backward({ output, dOutput, dInputs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const y = output.data;
    const dy = dOutput.data;
    // tanh' = 1 − tanh², from the saved output as PyTorch's tanh_backward does.
    for (let i = 0; i < y.length; i++) dx[i] += dy[i] * (1 - y[i] * y[i]);
  },
});
