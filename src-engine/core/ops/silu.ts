import * as E from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { sameShape, perSample } from './shape-util';
import { defineOp } from './types';
import { other, type ImportFusion } from '../../base/onnx/import-fusion';

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
  // d/dx [x·σ(x)] = σ(x)·(1 + x·(1 − σ(x))), 1 − σ kept to full precision in float32.
  ...elementwise({ forms: { main: { forward: E.mul(E.x, E.sigmoid(E.x)), backward: E.mul(E.sigmoid(E.x), E.add(1, E.mul(E.x, E.sigmoidRest(E.x)))) } }, cost: 10 }),
  doc: 'x·sigmoid(x) (Swish): a smooth, non-monotonic ReLU.',
  inputs: [{ name: 'x' }],
  attrs: {},
  // NOTE (kernel bound): the backward σ(1 + x(1 − σ)) crosses 0 at x ≈ −1.278; the float32 sum
  // 1 + x(1 − σ) has an absolute error ~ulp(1), hence a 5e-8·|dy| floor.
  testDomain: { kernel: { rel: 3.5e-7, gradRel: 3.5e-7, gradFloor: (_x, dy) => 5e-8 * Math.abs(dy) } },
  inferShape: sameShape,
  flops: ({ output }) => 5 * perSample(output),
});
