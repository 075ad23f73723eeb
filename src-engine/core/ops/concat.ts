import { fail, fmt, intAttr, ok, ShapeCode } from './shape-util';
import { defineOp } from './types';
import { dynamic, int, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

/** Resolve a possibly negative axis against a rank. */
export function axisOf(axis: number, rank: number): number {
  return axis < 0 ? rank + axis : axis;
}

function concatRule(n: OnnxNode, cx: RuleContext): RuleResult {
  if (dynamic(n, cx, n.input.length)) return { unsupported: 'concatenating a constant tensor is not supported' };
  const axis = int(n, 'axis', 1);
  if (axis === 0) return { unsupported: 'concatenating along the batch dim (axis 0) is not supported' };
  return { op: 'Concat', attrs: { axis }, inputs: [...n.input] };
}

/** Join inputs along `axis` (default 1, the channel/feature dim); other dims must agree. */
export const concat = defineOp({
  name: 'Concat',
  category: 'structure',
  onnx: { opType: 'Concat', attrs: { axis: { attr: 'axis' } } },
  onnxImport: { Concat: concatRule },
  torch: { none: 'not a module: forward() calls torch.cat([...], dim=axis)', expr: 'torch.cat([{inputs|, }], dim={axis})' },
  doc: 'Join inputs along a dim (default 1: channels or features).',
  inputs: [{ name: 'x', variadic: true }],
  // Drawn as the node beside a branch from it, along the first, the last or a negative-counted dim.
  testDomain: { graph: { join: { inputs: 2 }, draw: (shape, rng) => ({ axis: [1, -1, shape.length - 1][rng.int(3)] }) } },
  attrs: {
    axis: { kind: 'int', default: 1, min: -8, max: 8, doc: 'Dim to join along (1 = channels/features; negative counts from the end; not the batch dim).' },
  },
  samplesRead: 'each',
  inferShape({ inputs, attrs }) {
    const first = inputs[0];
    const axis = axisOf(intAttr(attrs, 'axis'), first.length);
    if (axis < 1 || axis >= first.length) {
      return fail(ShapeCode.ATTR_RANGE, `Concat axis ${intAttr(attrs, 'axis')} is not a per-sample dim of ${fmt(first)}; use 1..${first.length - 1}.`);
    }
    let total = 0;
    for (let i = 0; i < inputs.length; i++) {
      const s = inputs[i];
      if (s.length !== first.length || s.some((d, j) => j > 0 && j !== axis && d !== first[j])) {
        return fail(
          ShapeCode.MISMATCH,
          `Concat along dim ${axis} needs every other dim equal; input 1 is ${fmt(first)} but input ${i + 1} is ${fmt(s)}.`,
        );
      }
      total += s[axis];
    }
    const out = [...first];
    out[axis] = total;
    return ok(out);
  },
  gradientChannelsRead({ inputs, attrs }, needed) {
    if (axisOf(intAttr(attrs, 'axis'), inputs[0].length) !== 1) return undefined;
    let at = 0;
    let first = -1;
    let end = 0;
    inputs.forEach((s, i) => {
      if (needed[i]) {
        if (first < 0) first = at;
        end = at + s[1];
      }
      at += s[1];
    });
    return first < 0 ? [0, 0] : [first, end];
  },
});

