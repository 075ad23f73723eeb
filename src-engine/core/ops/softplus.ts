import * as E from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { floatAttr, perSample, sameShape, showAttr } from './shape-util';
import { defineOp } from './types';
import { roundFloat, simple } from '../../base/onnx/import-rule';
import { scalar, type ImportFusion } from '../../base/onnx/import-fusion';
import type { OnnxNode } from '../../base/onnx/model';

/** βx. */
const BX = E.mul(E.p, E.x);

/**
 * Softplus with β and PyTorch's threshold, as Netwright writes it:
 * `Where(β·x > threshold, x, Softplus(β·x) / β)` (the Mul and Div only when β ≠ 1).
 */
const softplusFusion: ImportFusion = {
  anchor: 'Softplus',
  match(sp, g) {
    const nodes: OnnxNode[] = [];
    const bx = sp.input[0];
    let x = bx;
    let beta = 1;
    const scale = g.producer(bx);
    const betaOf = (n: OnnxNode) => g.constant(n.input[1])?.values;
    if (scale && scale.op_type === 'Mul' && betaOf(scale)?.length === 1) {
      beta = betaOf(scale)![0];
      x = scale.input[0];
      nodes.push(scale);
    }
    nodes.push(sp);
    let y = sp.output[0];
    if (beta !== 1) {
      const div = g.only(y);
      if (!div || div.op_type !== 'Div' || !scalar(g, div.input[1], beta)) return undefined;
      nodes.push(div);
      y = div.output[0];
    }
    const where = g.only(y);
    if (!where || where.op_type !== 'Where' || where.input[2] !== y || where.input[1] !== x) return undefined;
    const gt = g.producer(where.input[0]);
    const threshold = gt && g.constant(gt.input[1])?.values;
    if (!gt || gt.op_type !== 'Greater' || gt.input[0] !== bx || threshold?.length !== 1 || g.only(gt.output[0]) !== where) return undefined;
    return { nodes: [...nodes, gt, where], op: 'Softplus', attrs: { beta: roundFloat(beta), threshold: roundFloat(threshold[0]) }, input: x, output: where.output[0] };
  },
};

/** (1/β)·log(1 + e^(βx)) elementwise, x itself where βx > threshold, as `torch.nn.Softplus`. */
export const softplus = defineOp({
  name: 'Softplus',
  category: 'activations',
  onnx: {
    opType: 'Softplus',
    note: 'β ≠ 1: Mul by β before and Div by β after; the threshold as Where(β·x > threshold, x, …) (ONNX Softplus has none)',
    emit(ctx) {
      const x = ctx.inputs[0];
      const beta = ctx.attrs.beta as number;
      const bx = beta === 1 ? x : ctx.node('Mul', [x, ctx.constant('beta', [], [beta])]);
      const sp = ctx.node('Softplus', [bx]);
      const y = beta === 1 ? sp : ctx.node('Div', [sp, ctx.constant('beta', [], [beta])]);
      return ctx.node('Where', [ctx.node('Greater', [bx, ctx.constant('threshold', [], [ctx.attrs.threshold as number])]), x, y]);
    },
  },
  onnxImport: { Softplus: simple('Softplus', { beta: 1, threshold: 20 }) },
  onnxFusions: [softplusFusion],
  torch: { module: 'nn.Softplus(beta={beta}, threshold={threshold})' },
  // (1/β)·softplus(βx), x itself where βx > threshold (p = β, q = threshold); d/dx = σ(βx).
  // NOTE: softplus is max(t, 0) + log1p(e^(−|t|)): no overflow for large t, ≈ e^t for very negative t.
  ...elementwise({
    forms: { main: { forward: E.select(E.gt(BX, E.q), E.x, E.div(E.softplus(BX), E.p)), backward: E.select(E.gt(BX, E.q), 1, E.sigmoid(BX)) } },
    params: [(attrs) => floatAttr(attrs, 'beta'), (attrs) => floatAttr(attrs, 'threshold')],
    cost: 12,
  }),

  doc: 'A smooth ReLU: (1/β)·log(1 + e^(βx)); always positive, its slope is sigmoid(βx).',
  inputs: [{ name: 'x' }],
  attrs: {
    beta: { kind: 'float', default: 1, min: 1e-6, doc: 'Sharpness: larger β bends closer to ReLU.' },
    threshold: { kind: 'float', default: 20, doc: 'Above β·x > threshold the output is x itself (as PyTorch, for numerical stability).' },
  },
  card: (a) => (a.beta === undefined || a.beta === 1 ? '' : `β=${showAttr(a.beta)}`),
  // Below 0.01 the slope sigmoid(βx) = 1 − e^(−βy) is under 0.01·β: the flat left tail.
  output: { saturated: { below: 0.01 } },
  // NOTE (kernel bound): outputs in float32's subnormal range (x ≲ −87) lose their relative precision: the 1e-38 floor.
  testDomain: {
    attrs: { beta: 1, threshold: 20 },
    variants: [{ beta: 2, threshold: 5 }],
    kernel: { rel: 8e-7, floor: () => 1e-38, gradRel: 3e-7, gradFloor: () => 1e-38 },
  },
  inferShape: sameShape,
  flops: ({ output }) => 4 * perSample(output),
});
