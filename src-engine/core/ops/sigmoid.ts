import { sameShape, perSample } from './shape-util';
import { sigmoid as sigma } from './special';
import { defineOp } from './types';
import { simple } from './onnx-import';

/** 1/(1+e^(−x)) elementwise, as `torch.nn.Sigmoid`. */
export const sigmoid = defineOp({
  name: 'Sigmoid',
  category: 'activations',
  onnx: { opType: 'Sigmoid' },
  onnxImport: { Sigmoid: simple('Sigmoid') },
  torch: { module: 'nn.Sigmoid()' },
  gpuElementwise: { forward: '1.0 / (1.0 + exp(-x))', derivative: 'sig(x) * (1.0 - sig(x))' },
  output: { saturated: { below: 0.01, above: 0.99 }, scores: 'probability' },
  doc: 'Squashes each value into (0, 1): 1/(1+e^(−x)).',
  inputs: [{ name: 'x' }],
  attrs: {},
  inferShape: sameShape,
  flops: ({ output }) => 4 * perSample(output),
  forward({ inputs, output }) {
    const x = inputs[0].data;
    const y = output.data;
    for (let i = 0; i < x.length; i++) y[i] = sigma(x[i]);
  },
  backward({ output, dOutput, dInputs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const y = output.data;
    const dy = dOutput.data;
    // σ' = σ(1 − σ), from the saved output as PyTorch's sigmoid_backward does.
    for (let i = 0; i < y.length; i++) dx[i] += dy[i] * y[i] * (1 - y[i]);
  },
});
