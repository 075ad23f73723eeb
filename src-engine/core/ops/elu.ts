import * as E from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { floatAttr, sameShape, perSample } from './shape-util';
import { defineOp } from './types';
import { float, roundFloat } from '../../base/onnx/import-rule';

/** x for x > 0, α·(eˣ − 1) otherwise, as `torch.nn.ELU`. */
export const elu = defineOp({
  name: 'ELU',
  category: 'activations',
  onnx: { opType: 'Elu', attrs: { alpha: { attr: 'alpha' } } },
  onnxImport: { Elu: (n) => ({ op: 'ELU', attrs: { alpha: roundFloat(float(n, 'alpha', 1)) }, inputs: [n.input[0]] }) },
  torch: { module: 'nn.ELU(alpha={alpha})' },
  // NOTE: expm1 keeps full precision for small negative x, where eˣ − 1 would cancel (WGSL has
  // none: an absolute error of an ulp of 1 there). Gradient α·eˣ for x ≤ 0, derived.
  ...elementwise({ forms: { main: { forward: E.select(E.gt(E.x, 0), E.x, E.mul(E.p, E.expm1(E.x))) } }, params: [(attrs) => floatAttr(attrs, 'alpha')], cost: 8 }),

  doc: 'x where x > 0, α·(eˣ − 1) elsewhere: smooth, with negative outputs down to −α.',
  inputs: [{ name: 'x' }],
  attrs: {
    alpha: { kind: 'float', default: 1, min: 0, doc: 'Value the output approaches for very negative inputs (as −α).' },
  },
  // NOTE (kernel bound): expm1 and e^x, 2 ulp; α = 0.5's backward α·e^x one product more.
  testDomain: { attrs: { alpha: 1 }, variants: [{ alpha: 0.5 }], kernel: (a) => ({ rel: 2.5e-7, gradRel: a.alpha === 1 ? 2.5e-7 : 3e-7 }) },
  inferShape: sameShape,
  flops: ({ output }) => perSample(output),
});
