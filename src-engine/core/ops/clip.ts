import * as E from '../elementwise/expr';
import { elementwise } from '../elementwise/js';
import { fail, floatAttr, perSample, sameShape, ShapeCode } from './shape-util';
import { defineOp } from './types';
import { roundFloat, unexpected, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

/** ONNX Clip: bounds as constant inputs (opset 11 on) or as `min`/`max` attributes (before). */
function clipRule(n: OnnxNode, cx: RuleContext): RuleResult {
  const bad = unexpected(n, cx.opset >= 11 ? [] : ['min', 'max']);
  if (bad) return { unsupported: bad };
  const bound = (i: number, name: 'min' | 'max'): number | undefined | null => {
    if (cx.opset < 11) return n.attribute?.find((a) => a.name === name)?.f;
    if (!n.input[i]) return undefined;
    const c = cx.constant(n.input[i]);
    return c && c.values.length === 1 ? c.values[0] : null;
  };
  const min = bound(1, 'min');
  const max = bound(2, 'max');
  if (min === null || max === null) return { unsupported: 'the bounds must be constant scalars' };
  if (min === undefined || max === undefined) return { unsupported: 'a Clip bounded on one side only is not supported' };
  return { op: 'Clip', attrs: { min: roundFloat(min), max: roundFloat(max) }, inputs: [n.input[0]] };
}

/**
 * x clamped to [min, max] elementwise, as `torch.nn.Hardtanh(min, max)`; the default [0, 6] is
 * `nn.ReLU6` (MobileNetV2's activation, which torch.onnx writes as Clip).
 */
export const clip = defineOp({
  name: 'Clip',
  category: 'activations',
  onnx: {
    opType: 'Clip',
    note: 'min and max as float initializer inputs (opset 11 on)',
    emit: (ctx) => ctx.node('Clip', [ctx.inputs[0], ctx.constant('min', [], [floatAttr(ctx.attrs, 'min')]), ctx.constant('max', [], [floatAttr(ctx.attrs, 'max')])]),
  },
  onnxImport: { Clip: clipRule },
  torch: { module: 'nn.Hardtanh({min}, {max})', note: 'Hardtanh(0, 6) is ReLU6' },
  // NaN passes through, as torch.clamp. NOTE: as PyTorch's hardtanh_backward: no gradient at or
  // beyond either bound.
  ...elementwise({
    forms: { main: { forward: E.select(E.lt(E.x, E.p), E.p, E.select(E.gt(E.x, E.q), E.q, E.x)), backward: E.select(E.and(E.gt(E.x, E.p), E.lt(E.x, E.q)), 1, 0) } },
    params: [(attrs) => floatAttr(attrs, 'min'), (attrs) => floatAttr(attrs, 'max')],
    cost: 1,
  }),
  card: (attrs) => `[${String(attrs.min)}, ${String(attrs.max)}]`,
  doc: 'Clamp to [min, max] elementwise; [0, 6] is ReLU6 (MobileNetV2).',
  inputs: [{ name: 'x' }],
  attrs: {
    min: { kind: 'float', default: 0, doc: 'Lower bound (0 for ReLU6).' },
    max: { kind: 'float', default: 6, doc: 'Upper bound (6 for ReLU6).' },
  },
  // The kernels compare and select only: exactly the op file's values.
  testDomain: { attrs: { min: -0.5, max: 1.5 }, kernel: { rel: 0, gradRel: 0 } },
  inferShape(args) {
    if (!(floatAttr(args.attrs, 'min') < floatAttr(args.attrs, 'max'))) return fail(ShapeCode.ATTR_RANGE, `Clip needs min < max; got [${String(args.attrs.min)}, ${String(args.attrs.max)}].`);
    return sameShape(args);
  },
  flops: ({ output }) => 2 * perSample(output),
});
