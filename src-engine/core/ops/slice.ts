import { fail, fmt, intAttr, ok, perSample, ShapeCode } from './shape-util';
import { defineOp } from './types';
import type { RuleContext, RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

/** ONNX Slice (opset 10 on) of one per-sample axis, step 1, by constant bounds. */
function sliceRule(n: OnnxNode, cx: RuleContext): RuleResult {
  if (cx.opset < 10) return { unsupported: 'Slice before opset 10 (bounds as attributes) is not supported' };
  const x = cx.shape(n.input[0]);
  const [starts, ends, axes, steps] = [1, 2, 3, 4].map((i) => (n.input[i] ? cx.constant(n.input[i]) : undefined));
  if (!x) return { unsupported: 'the input shape is unknown' };
  if (!starts || !ends || (n.input[3] && !axes) || (n.input[4] && !steps)) return { unsupported: 'the bounds must be constants' };
  if (starts.values.length !== 1) return { unsupported: 'only a slice of one axis is supported' };
  const rawAxis = axes ? axes.values[0] : 0;
  const axis = rawAxis < 0 ? rawAxis + x.length : rawAxis;
  if (axis < 1) return { unsupported: 'slicing the batch dim is not supported' };
  if (steps && steps.values[0] !== 1) return { unsupported: 'only step 1 is supported' };
  const size = x[axis];
  const at = (v: number) => Math.min(size, Math.max(0, v < 0 ? v + size : v));
  const start = at(starts.values[0]);
  const end = at(ends.values[0]);
  if (end <= start) return { unsupported: `the slice [${start}, ${end}) of axis ${axis} is empty` };
  return { op: 'Slice', attrs: { axis, start, length: end - start }, inputs: [n.input[0]] };
}

/**
 * A contiguous part of one per-sample dim, as `x.narrow(axis, start, length)`: one half of
 * ShuffleNet's `x.chunk(2, dim=1)` (torch.onnx writes each chunk as a Slice).
 */
export const slice = defineOp({
  name: 'Slice',
  category: 'structure',
  onnx: {
    opType: 'Slice',
    note: 'starts, ends and axes as int64 initializer inputs',
    emit(ctx) {
      const [axis, start, length] = ['axis', 'start', 'length'].map((k) => intAttr(ctx.attrs, k));
      return ctx.node('Slice', [ctx.inputs[0], ctx.constant('starts', [1], [start], 'int64'), ctx.constant('ends', [1], [start + length], 'int64'), ctx.constant('axes', [1], [axis], 'int64')]);
    },
  },
  onnxImport: { Slice: sliceRule },
  torch: { none: 'not a module: forward() calls x.narrow(axis, start, length)', expr: '{inputs|}.narrow({axis}, {start}, {length})' },
  doc: 'Keep a contiguous part of one dim (e.g. the first half of the channels).',
  card: (attrs) => `dim ${String(attrs.axis)} [${String(attrs.start)}, ${intAttr(attrs, 'start') + intAttr(attrs, 'length')})`,
  inputs: [{ name: 'x' }],
  testDomain: {
    graph: {
      draw(shape, rng) {
        if (shape.length < 2) return undefined;
        // At least half of the dim kept, so a chain of them leaves something to compute on.
        const axis = 1 + rng.int(shape.length - 1);
        const length = shape[axis] - rng.int(Math.ceil(shape[axis] / 2));
        return { axis, start: rng.int(shape[axis] - length + 1), length };
      },
    },
  },
  attrs: {
    axis: { kind: 'int', default: 1, min: 1, max: 8, doc: 'The per-sample dim to slice (1 = channels/features).' },
    start: { kind: 'int', default: 0, min: 0, doc: 'First index kept.' },
    length: { kind: 'int', default: 1, min: 1, doc: 'How many indices are kept from start on.' },
  },
  inferShape({ inputs, attrs }) {
    const x = inputs[0];
    const axis = intAttr(attrs, 'axis');
    if (axis >= x.length) return fail(ShapeCode.ATTR_RANGE, `Slice axis ${axis} is not a per-sample dim of ${fmt(x)}; use 1..${x.length - 1}.`);
    const end = intAttr(attrs, 'start') + intAttr(attrs, 'length');
    if (end > x[axis]) return fail(ShapeCode.ATTR_RANGE, `Slice [${String(attrs.start)}, ${end}) runs past dim ${axis} of ${fmt(x)} (size ${x[axis]}).`);
    return ok(x.map((d, i) => (i === axis ? intAttr(attrs, 'length') : d)));
  },
  flops: ({ output }) => perSample(output),
});
