import { sameShape, perSample } from './shape-util';
import { erf } from './special';
import { defineOp } from './types';
import { byConstant, other, scalar, str, type FusionGraph, type ImportFusion } from './onnx-import';
import type { OnnxNode } from '../../base/onnx/model';

const SQRT1_2 = Math.SQRT1_2;
/** 1/√(2π), the standard normal density at 0. */
const INV_SQRT_2PI = 0.3989422804014327;
/** √(2/π), for the tanh approximation. */
const SQRT_2_OVER_PI = 0.7978845608028654;
const TANH_COEF = 0.044715;

/** The tail both GELU forms share: `(inner + 1) · x · 0.5`, as torch.onnx writes it. */
function geluTail(g: FusionGraph, inner: string, x: string): OnnxNode[] | undefined {
  const plus = byConstant(g, inner, 'Add', 1);
  if (!plus) return undefined;
  const times = g.only(plus.output[0]);
  if (!times || times.op_type !== 'Mul' || other(times, plus.output[0]) !== x) return undefined;
  const half = byConstant(g, times.output[0], 'Mul', 0.5);
  return half ? [plus, times, half] : undefined;
}

/** GELU as `x · 0.5 · (1 + erf(x / √2))` (torch.onnx below opset 20, and Netwright). */
const geluErf: ImportFusion = {
  anchor: 'Erf',
  match(erf, g) {
    const div = g.producer(erf.input[0]);
    if (!div || g.only(div.output[0]) !== erf) return undefined;
    const x = div.input[0];
    const scaled = (div.op_type === 'Div' && scalar(g, div.input[1], Math.SQRT2)) || (div.op_type === 'Mul' && scalar(g, div.input[1], Math.SQRT1_2));
    if (!scaled) return undefined;
    const tail = geluTail(g, erf.output[0], x);
    return tail && { nodes: [div, erf, ...tail], op: 'GELU', attrs: { approximate: 'none' }, input: x, output: tail[2].output[0] };
  },
};

/** GELU's tanh form `x · 0.5 · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`. */
const geluTanh: ImportFusion = {
  anchor: 'Tanh',
  match(tanh, g) {
    const scale = g.producer(tanh.input[0]);
    if (!scale || scale.op_type !== 'Mul' || g.only(scale.output[0]) !== tanh) return undefined;
    const polyValue = scalar(g, scale.input[0], 0.7978845608028654) ? scale.input[1] : scalar(g, scale.input[1], 0.7978845608028654) ? scale.input[0] : undefined;
    const poly = polyValue && g.producer(polyValue);
    if (!poly || poly.op_type !== 'Add' || g.only(poly.output[0]) !== scale) return undefined;
    for (const [x, termValue] of [
      [poly.input[0], poly.input[1]],
      [poly.input[1], poly.input[0]],
    ]) {
      const term = g.producer(termValue);
      if (!term || term.op_type !== 'Mul' || g.only(term.output[0]) !== poly) continue;
      const cubeValue = scalar(g, term.input[0], 0.044715) ? term.input[1] : scalar(g, term.input[1], 0.044715) ? term.input[0] : undefined;
      const cube = cubeValue && g.producer(cubeValue);
      if (!cube || g.only(cube.output[0]) !== term) continue;
      let cubeNodes: OnnxNode[] | undefined;
      if (cube.op_type === 'Pow' && cube.input[0] === x && scalar(g, cube.input[1], 3)) cubeNodes = [cube];
      if (cube.op_type === 'Mul' && other(cube, x) !== undefined) {
        const sq = g.producer(other(cube, x)!);
        if (sq && sq.op_type === 'Mul' && sq.input[0] === x && sq.input[1] === x && g.only(sq.output[0]) === cube) cubeNodes = [sq, cube];
      }
      if (!cubeNodes) continue;
      const tail = geluTail(g, tanh.output[0], x);
      if (tail) return { nodes: [...cubeNodes, term, poly, scale, tanh, ...tail], op: 'GELU', attrs: { approximate: 'tanh' }, input: x, output: tail[2].output[0] };
    }
    return undefined;
  },
};

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
  onnxFusions: [geluErf, geluTanh],
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
