import { floatAttr, sameShape, perSample } from './shape-util';
import { defineOp } from './types';
import { float, roundFloat } from './onnx-import';

/** x for x > 0, α·(eˣ − 1) otherwise, as `torch.nn.ELU`. */
export const elu = defineOp({
  name: 'ELU',
  category: 'activations',
  onnx: { opType: 'Elu', attrs: { alpha: { attr: 'alpha' } } },
  onnxImport: { Elu: (n) => ({ op: 'ELU', attrs: { alpha: roundFloat(float(n, 'alpha', 1)) }, inputs: [n.input[0]] }) },
  torch: { module: 'nn.ELU(alpha={alpha})' },
  // α·(eˣ − 1) for x ≤ 0 (WGSL has no expm1: an absolute error of an ulp of 1 near 0).
  gpuElementwise: {
    forward: 'select(p * (exp(x) - 1.0), x, x > 0.0)',
    derivative: 'select(p * exp(x), 1.0, x > 0.0)',
    param: (attrs) => floatAttr(attrs, 'alpha'),
  },
  doc: 'x where x > 0, α·(eˣ − 1) elsewhere: smooth, with negative outputs down to −α.',
  inputs: [{ name: 'x' }],
  attrs: {
    alpha: { kind: 'float', default: 1, min: 0, doc: 'Value the output approaches for very negative inputs (as −α).' },
  },
  inferShape: sameShape,
  flops: ({ output }) => perSample(output),
  forward({ inputs, output, attrs }) {
    const x = inputs[0].data;
    const y = output.data;
    const alpha = floatAttr(attrs, 'alpha');
    // NOTE: expm1 keeps full precision for small negative x, where eˣ − 1 would cancel.
    for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : alpha * Math.expm1(x[i]);
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const x = inputs[0].data;
    const dy = dOutput.data;
    const alpha = floatAttr(attrs, 'alpha');
    for (let i = 0; i < x.length; i++) dx[i] += x[i] > 0 ? dy[i] : dy[i] * alpha * Math.exp(x[i]);
  },
});
