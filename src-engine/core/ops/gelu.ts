import { sameShape, perSample } from './shape-util';
import { erf } from './special';
import { defineOp } from './types';
import { str } from './onnx-import';

const SQRT1_2 = Math.SQRT1_2;
/** 1/√(2π), the standard normal density at 0. */
const INV_SQRT_2PI = 0.3989422804014327;
/** √(2/π), for the tanh approximation. */
const SQRT_2_OVER_PI = 0.7978845608028654;
const TANH_COEF = 0.044715;

/**
 * Gaussian error linear unit, as `torch.nn.GELU(approximate=…)`:
 * exact `x·Φ(x) = ½x(1 + erf(x/√2))` (PyTorch's default), or the tanh approximation
 * `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
 */
export const gelu = defineOp({
  name: 'GELU',
  category: 'activations',
  onnx: {
    opType: 'Gelu',
    attrs: { approximate: { attr: 'approximate' } },
    note: 'opset 20; older opsets: the erf (or tanh) formula in the nodes torch.onnx writes (Div, Erf, Add, Mul / Mul, Add, Tanh)',
    emit(ctx) {
      if (ctx.opset >= 20) return ctx.node('Gelu', ctx.inputs, ctx.mappedAttrs());
      const x = ctx.inputs[0];
      const c = (name: string, v: number) => ctx.constant(name, [], [v]);
      let inner: string;
      if (ctx.attrs.approximate === 'tanh') {
        // √(2/π)·(x + 0.044715·x³)
        const cube = ctx.node('Mul', [x, ctx.node('Mul', [x, x])]);
        const poly = ctx.node('Add', [x, ctx.node('Mul', [c('coef', TANH_COEF), cube])]);
        inner = ctx.node('Tanh', [ctx.node('Mul', [c('sqrt2OverPi', SQRT_2_OVER_PI), poly])]);
      } else {
        inner = ctx.node('Erf', [ctx.node('Div', [x, c('sqrt2', Math.SQRT2)])]);
      }
      return ctx.node('Mul', [ctx.node('Mul', [x, ctx.node('Add', [inner, c('one', 1)])]), c('half', 0.5)]);
    },
  },
  onnxImport: { Gelu: (n) => ({ op: 'GELU', attrs: { approximate: str(n, 'approximate', 'none') }, inputs: [n.input[0]] }) },
  torch: { module: 'nn.GELU(approximate={approximate})' },
  // p = 1: the tanh approximation; p = 0: the exact x·Φ(x) with erf.
  gpuElementwise: {
    forward: 'select(0.5 * x * (1.0 + erfApprox(x * 0.70710678118654752)), 0.5 * x * (1.0 + tanhSafe(0.7978845608028654 * (x + 0.044715 * x * x * x))), p > 0.5)',
    derivative: 'select(geluErfGrad(x), geluTanhGrad(x), p > 0.5)',
    param: (attrs) => (attrs.approximate === 'tanh' ? 1 : 0),
  },
  doc: 'x·Φ(x): a smooth ReLU used in transformers (exact erf form or the tanh approximation).',
  inputs: [{ name: 'x' }],
  attrs: {
    approximate: {
      kind: 'enum',
      default: 'none',
      values: ['none', 'tanh'],
      doc: "'none' = exact erf form (PyTorch's default); 'tanh' = the faster tanh approximation.",
    },
  },
  inferShape: sameShape,
  flops: ({ output }) => 10 * perSample(output),
  forward({ inputs, output, attrs }) {
    const x = inputs[0].data;
    const y = output.data;
    if (attrs.approximate === 'tanh') {
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        y[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + TANH_COEF * v * v * v)));
      }
    } else {
      for (let i = 0; i < x.length; i++) y[i] = 0.5 * x[i] * (1 + erf(x[i] * SQRT1_2));
    }
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const x = inputs[0].data;
    const dy = dOutput.data;
    if (attrs.approximate === 'tanh') {
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        const t = Math.tanh(SQRT_2_OVER_PI * (v + TANH_COEF * v * v * v));
        const dInner = SQRT_2_OVER_PI * (1 + 3 * TANH_COEF * v * v);
        dx[i] += dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner);
      }
    } else {
      // d/dx [x·Φ(x)] = Φ(x) + x·φ(x)
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        const cdf = 0.5 * (1 + erf(v * SQRT1_2));
        dx[i] += dy[i] * (cdf + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
      }
    }
  },
});
