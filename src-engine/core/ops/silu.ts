import { sameShape, perSample } from './shape-util';
import { sigmoid } from './special';
import { defineOp } from './types';
import { other, type ImportFusion } from './onnx-import';

/** SiLU as `x · Sigmoid(x)`. */
const siluFusion: ImportFusion = {
  anchor: 'Sigmoid',
  match(sig, g) {
    const x = sig.input[0];
    const mul = g.only(sig.output[0]);
    if (!mul || mul.op_type !== 'Mul' || other(mul, sig.output[0]) !== x) return undefined;
    return { nodes: [sig, mul], op: 'SiLU', attrs: {}, input: x, output: mul.output[0] };
  },
};

/** x·σ(x) elementwise (a.k.a. Swish), as `torch.nn.SiLU`. */
export const silu = defineOp({
  name: 'SiLU',
  category: 'activations',
  onnxFusions: [siluFusion],
  onnx: { opType: 'Mul', note: 'x · Sigmoid(x): a Sigmoid node, then Mul with the input (ONNX has no SiLU op)', emit: (ctx) => ctx.node('Mul', [ctx.inputs[0], ctx.node('Sigmoid', ctx.inputs)]) },
  torch: { module: 'nn.SiLU()' },
  // x·σ(x); d/dx = σ(x)·(1 + x·(1 − σ(x))), as the backward below.
  gpuElementwise: { forward: 'x * sig(x)', derivative: 'sig(x) * (1.0 + x * (1.0 - sig(x)))' },
  doc: 'x·sigmoid(x) (Swish): a smooth, non-monotonic ReLU.',
  inputs: [{ name: 'x' }],
  attrs: {},
  inferShape: sameShape,
  flops: ({ output }) => 5 * perSample(output),
  forward({ inputs, output }) {
    const x = inputs[0].data;
    const y = output.data;
    for (let i = 0; i < x.length; i++) y[i] = x[i] * sigmoid(x[i]);
  },
  backward({ inputs, dOutput, dInputs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const x = inputs[0].data;
    const dy = dOutput.data;
    // d/dx [x·σ(x)] = σ(x)·(1 + x·(1 − σ(x)))
    for (let i = 0; i < x.length; i++) {
      const s = sigmoid(x[i]);
      dx[i] += dy[i] * s * (1 + x[i] * (1 - s));
    }
  },
});
