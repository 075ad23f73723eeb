import { mul, softplus, tanh, x } from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { perSample, sameShape } from './shape-util';
import { defineOp } from './types';
import { simple } from '../../base/onnx/import-rule';
import { other, type ImportFusion } from '../../base/onnx/import-fusion';

/** Mish as torch.onnx writes it below opset 18: `Mul(x, Tanh(Softplus(x)))`. */
const mishFusion: ImportFusion = {
  anchor: 'Softplus',
  match(sp, g) {
    const input = sp.input[0];
    const th = g.only(sp.output[0]);
    if (!th || th.op_type !== 'Tanh') return undefined;
    const times = g.only(th.output[0]);
    if (!times || times.op_type !== 'Mul' || other(times, th.output[0]) !== input) return undefined;
    return { nodes: [sp, th, times], op: 'Mish', attrs: {}, input, output: times.output[0] };
  },
};

/** x·tanh(softplus(x)) elementwise, as `torch.nn.Mish`: the whole op is its expression. */
export const mish = defineOp({
  name: 'Mish',
  category: 'activations',
  onnx: {
    opType: 'Mish',
    note: 'opset 18; older opsets: Mul(x, Tanh(Softplus(x))), as torch.onnx writes it',
    emit: (ctx) => (ctx.opset >= 18 ? ctx.node('Mish', ctx.inputs) : ctx.node('Mul', [ctx.inputs[0], ctx.node('Tanh', [ctx.node('Softplus', ctx.inputs)])])),
  },
  onnxImport: { Mish: simple('Mish') },
  onnxFusions: [mishFusion],
  torch: { module: 'nn.Mish()' },
  // The derivative tanh(sp(x)) + x·(1 − tanh²(sp(x)))·σ(x) is derived from the expression.
  ...elementwise({ forms: { main: { forward: mul(x, tanh(softplus(x))) } }, cost: 24 }),
  doc: 'x·tanh(softplus(x)): a smooth, non-monotonic ReLU (YOLOv4), dipping to −0.31 near x = −1.2.',
  inputs: [{ name: 'x' }],
  attrs: {},
  // NOTE (kernel bound): the derivative t + x(1 − t²)σ(x) crosses 0 at its minimum, x ≈ −1.19
  // (float32 sum: ~ulp(0.3)·|dy|); subnormal outputs (x ≲ −87): the 1e-38 floor.
  testDomain: { kernel: { rel: 5e-7, floor: () => 1e-38, gradRel: 5e-7, gradFloor: (_x, dy) => 1e-7 * Math.abs(dy) + 1e-38 } },
  inferShape: sameShape,
  flops: ({ output }) => 8 * perSample(output),
});
