import { fail, floatAttr, perSample, sameShape, ShapeCode } from './shape-util';
import { defineOp } from './types';
import { roundFloat, unexpected, type RuleContext, type RuleResult } from './onnx-import';
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
  // NOTE: as PyTorch's hardtanh_backward: no gradient at or beyond either bound.
  gpuElementwise: { forward: 'clamp(x, p, q)', derivative: 'select(0.0, 1.0, x > p && x < q)', param: (attrs) => floatAttr(attrs, 'min'), param2: (attrs) => floatAttr(attrs, 'max') },
  card: (attrs) => `[${String(attrs.min)}, ${String(attrs.max)}]`,
  doc: 'Clamp to [min, max] elementwise; [0, 6] is ReLU6 (MobileNetV2).',
  inputs: [{ name: 'x' }],
  attrs: {
    min: { kind: 'float', default: 0, doc: 'Lower bound (0 for ReLU6).' },
    max: { kind: 'float', default: 6, doc: 'Upper bound (6 for ReLU6).' },
  },
  inferShape(args) {
    if (!(floatAttr(args.attrs, 'min') < floatAttr(args.attrs, 'max'))) return fail(ShapeCode.ATTR_RANGE, `Clip needs min < max; got [${String(args.attrs.min)}, ${String(args.attrs.max)}].`);
    return sameShape(args);
  },
  flops: ({ output }) => 2 * perSample(output),
  forward({ inputs, output, attrs }) {
    const x = inputs[0].data;
    const y = output.data;
    const lo = floatAttr(attrs, 'min');
    const hi = floatAttr(attrs, 'max');
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      y[i] = v < lo ? lo : v > hi ? hi : v; // NaN passes through, as torch.clamp
    }
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const x = inputs[0].data;
    const dy = dOutput.data;
    const lo = floatAttr(attrs, 'min');
    const hi = floatAttr(attrs, 'max');
    for (let i = 0; i < x.length; i++) if (x[i] > lo && x[i] < hi) dx[i] += dy[i];
  },
});
