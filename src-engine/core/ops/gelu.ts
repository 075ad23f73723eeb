import * as E from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { sameShape, perSample } from './shape-util';
import { defineOp, type Attrs } from './types';
import type { KernelTolerance } from './test-domain';
import { str } from '../../base/onnx/import-rule';
import { byConstant, other, scalar, type FusionGraph, type ImportFusion } from '../../base/onnx/import-fusion';
import type { OnnxNode } from '../../base/onnx/model';

/** 1/√(2π), the standard normal density at 0. */
const INV_SQRT_2PI = 0.3989422804014327;
/** √(2/π), for the tanh approximation. */
const SQRT_2_OVER_PI = 0.7978845608028654;
const TANH_COEF = 0.044715;

/** tanh(√(2/π)·(x + 0.044715x³)), and u' = √(2/π)(1 + 3·0.044715x²). */
const TANH_U = E.tanh(E.mul(SQRT_2_OVER_PI, E.add(E.x, E.mul(E.mul(E.mul(TANH_COEF, E.x), E.x), E.x))));
const TANH_DU = E.mul(SQRT_2_OVER_PI, E.add(1, E.mul(E.mul(E.mul(3, TANH_COEF), E.x), E.x)));
/** 2u = 2·√(2/π)(x + 0.044715x³), as float32 computes it. */
const TWO_U = E.mul(E.add(E.x, E.mul(E.mul(E.mul(E.x, E.x), E.x), TANH_COEF)), 1.5957691216057308);
const TWO_U_SIG = E.sigmoid(TWO_U);
const TWO_U_SPREAD = E.mul(TWO_U_SIG, E.sigmoidRest(TWO_U));
/**
 * GELU-tanh in float32: ½x(1 + tanh u) = x·σ(2u) (no 1 + tanh cancellation on the negative side;
 * −∞·0 = NaN at x = −∞ as the reference), derivative s + 2x·s(1 − s)·u' with s = σ(2u). NOTE: where
 * s(1 − s) is 0 and x is finite the second term is 0, as in the reference's float64, even when
 * x²·u' overflows float32 (|x| > 1e19).
 */
const GELU_TANH_F32 = {
  forward: E.mul(E.x, TWO_U_SIG),
  backward: E.add(
    TWO_U_SIG,
    E.select(E.and(E.eq(TWO_U_SPREAD, 0), E.lt(E.abs(E.x), Infinity)), 0, E.mul(E.mul(E.mul(E.x, 2), TWO_U_SPREAD), E.mul(E.add(1, E.mul(E.mul(E.x, E.x), 0.134145)), SQRT_2_OVER_PI))),
  ),
};

/** 2u = 2·√(2/π)·(x + 0.044715x³), the argument of the tanh form's tanh, in float64 (for the kernel bound). */
const twoU = (x: number): number => 1.5957691216057308 * (x + TANH_COEF * x * x * x);

/**
 * NOTE (kernel bound): the op file forms 1 + erf(x/√2) (1 + tanh u) in float64, which cancels for
 * x ≲ −5: its result carries an absolute error up to ~|x|·2⁻⁵² there (e.g. x = −8.37: op file
 * −4.6e-16, true and kernel −2.3e-16), hence the |x|·1e-15 floor. The backward Φ + xφ crosses 0 at
 * x ≈ −0.75 (float32 sum: ~ulp(1)·|dy| absolute); its Φ is φ·M (Mills' ratio, a float32 rational,
 * 4.2e-7 relative), measured 0.36× its bound. The tanh form's argument 2u is rounded to float32 (as
 * PyTorch does), and on the negative side y ≈ x·e^(2u), so its relative error grows as ~|2u|·2⁻²³
 * (2.3e-6 at x = −5.5): the floor |2u|·1.5e-7·|y| (and its analogue for the backward, whose op-file
 * form 1 − tanh²u also cancels in float64: ~1e-16·|x|³).
 */
const kernelBound = (attrs: Attrs): KernelTolerance =>
  attrs.approximate === 'tanh'
    ? {
        rel: 5e-7,
        floor: (x, y) => 1e-15 * Math.abs(x) + 1.5e-7 * Math.abs(twoU(x) * y),
        gradRel: 5e-7,
        gradFloor: (x, dy) => {
          const t = twoU(x);
          const ax = Math.abs(x);
          return Math.abs(dy) * (1e-7 + 1e-16 * (1 + ax * ax * ax) + 1.5e-7 * Math.abs(t) * (1 + x * x) * Math.min(1, Math.exp(t)));
        },
      }
    : { rel: 5e-7, floor: (x) => 1e-15 * Math.abs(x), gradRel: 5e-7, gradFloor: (x, dy) => (1e-7 + 1e-15 * x * x) * Math.abs(dy) };

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
  ...elementwise({
    forms: {
      // x·Φ(x); Φ(x) + x·φ(x), φ's factors in the order the reference always multiplied them.
      none: {
        forward: E.mul(E.x, E.normCdf(E.x)),
        backward: E.add(E.normCdf(E.x), E.mul(E.mul(E.x, INV_SQRT_2PI), E.exp(E.mul(E.mul(-0.5, E.x), E.x)))),
        f32: { backward: E.add(E.normCdf(E.x), E.mul(E.x, E.normPdf(E.x))) },
        // NOTE (CPU, same bits): three vectors per backward iteration, not four: 2.81 → 2.54–2.60 ms
        // per 1M floats (1 thread, CPU time, median of 31 interleaved rounds); five: 2.93.
        simdBackwardWays: 3,
      },
      // ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³); ½(1 + tanh u) + ½x(1 − tanh² u)·u'.
      tanh: {
        forward: E.mul(E.mul(0.5, E.x), E.add(1, TANH_U)),
        backward: E.add(E.mul(0.5, E.add(1, TANH_U)), E.mul(E.mul(E.mul(0.5, E.x), E.tanhGrad(TANH_U)), TANH_DU)),
        f32: GELU_TANH_F32,
      },
    },
    pick: (attrs) => (attrs.approximate === 'tanh' ? 'tanh' : 'none'),
    cost: 16,
  }),

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
  testDomain: { attrs: { approximate: 'none' }, variants: [{ approximate: 'tanh' }], kernel: kernelBound },
  inferShape: sameShape,
  flops: ({ output }) => 10 * perSample(output),
});
