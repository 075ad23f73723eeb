import { fail, fmt, intAttr, ok, ShapeCode } from './shape-util';
import { defineOp } from './types';
import { int, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

function flattenRule(n: OnnxNode): RuleResult {
  if (int(n, 'axis', 1) !== 1) return { unsupported: 'only Flatten with axis 1 keeps the batch dim; other axes are not supported' };
  return { op: 'Flatten', attrs: { startDim: 1 }, inputs: [n.input[0]] };
}

/** Merge dims `startDim..end` into one, as `torch.nn.Flatten(start_dim)`: `[N, 1, 28, 28]` → `[N, 784]`. */
export const flatten = defineOp({
  name: 'Flatten',
  category: 'structure',
  foldsNormalization: 'flatten',
  onnx: {
    opType: 'Flatten',
    attrs: { axis: { attr: 'startDim' } },
    note: 'startDim > 1: Reshape to [0, kept dims…, −1] instead (ONNX Flatten also merges the dims before axis)',
    emit(ctx) {
      const start = intAttr(ctx.attrs, 'startDim');
      if (start === 1) return ctx.node('Flatten', ctx.inputs, ctx.mappedAttrs());
      const kept = ctx.inputShapes[0].slice(1, start);
      return ctx.node('Reshape', [ctx.inputs[0], ctx.constant('shape', [kept.length + 2], [0, ...kept, -1], 'int64')]);
    },
  },
  onnxImport: { Flatten: flattenRule },
  torch: { module: 'nn.Flatten(start_dim={startDim})' },
  doc: 'Merge all dims from startDim on into one (e.g. images → feature vectors).',
  inputs: [{ name: 'x' }],
  testDomain: { graph: { draw: (shape, rng) => (shape.length < 3 ? undefined : { startDim: 1 + rng.int(shape.length - 1) }) } },
  attrs: {
    startDim: { kind: 'int', default: 1, min: 1, max: 8, doc: 'First dim to merge (1 = everything but the batch).' },
  },
  samplesRead: 'each',
  inferShape({ inputs, attrs }) {
    const x = inputs[0];
    const s = intAttr(attrs, 'startDim');
    if (s >= x.length) return fail(ShapeCode.ATTR_RANGE, `Flatten startDim=${s} is past the last dim of ${fmt(x)}; use at most ${x.length - 1}.`);
    return ok([...x.slice(0, s), x.slice(s).reduce((a, b) => a * b, 1)]);
  },
});
