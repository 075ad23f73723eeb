import { fail, fmt, intAttr, ok, ShapeCode, perSample } from './shape-util';
import { defineOp } from './types';
import { int, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

export function resolveAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function softmaxRule(n: OnnxNode, cx: RuleContext): RuleResult {
  const x = cx.shape(n.input[0]);
  if (cx.opset < 13) {
    // Before opset 13 Softmax flattened the input to 2-D at `axis`: the same only on the last dim.
    const axis = int(n, 'axis', 1);
    if (!x || (axis < 0 ? x.length + axis : axis) !== x.length - 1) return { unsupported: `Softmax before opset 13 with axis ${axis} is not over one dim` };
    return { op: 'Softmax', attrs: { axis: -1 }, inputs: [n.input[0]] };
  }
  return { op: 'Softmax', attrs: { axis: int(n, 'axis', -1) }, inputs: [n.input[0]] };
}

/**
 * exp(xᵢ)/Σⱼ exp(xⱼ) along `axis`, as `torch.nn.Softmax(dim=axis)`.
 *
 * Feeding softmax outputs to CrossEntropyLoss applies softmax twice (the loss takes raw logits);
 * use Softmax for displaying probabilities or inside a model (attention), not before that loss.
 */
export const softmax = defineOp({
  name: 'Softmax',
  category: 'activations',
  onnx: { opType: 'Softmax', attrs: { axis: { attr: 'axis' } } },
  onnxImport: { Softmax: softmaxRule },
  torch: { module: 'nn.Softmax(dim={axis})' },
  output: { scores: 'probabilities' },
  doc: 'Turns scores into probabilities that sum to 1 along an axis (default: the last).',
  inputs: [{ name: 'x' }],
  attrs: {
    axis: {
      kind: 'int',
      default: -1,
      doc: 'Axis to normalise over; negative counts from the end (−1 = last). The batch axis 0 is not allowed.',
    },
  },
  // Random graphs draw it over the channels of an image (axis 1) as well as the last axis.
  testDomain: { attrs: { axis: -1 }, variants: [{ axis: 1 }] },
  inferShape({ inputs, attrs }) {
    const x = inputs[0];
    const axis = intAttr(attrs, 'axis');
    const a = resolveAxis(axis, x.length);
    if (x.length < 2) {
      return fail(ShapeCode.RANK, `Softmax needs per-sample values to normalise; the input is ${fmt(x)} (batch only).`);
    }
    if (a < 1 || a >= x.length) {
      return fail(
        ShapeCode.ATTR_RANGE,
        a === 0
          ? `Softmax axis ${axis} is the batch axis, which would mix samples; use an axis from 1 to ${x.length - 1} (or −1).`
          : `Softmax axis ${axis} is out of range for an input of shape ${fmt(x)}; use 1 to ${x.length - 1}, or −1 for the last.`,
      );
    }
    return ok([...x]);
  },
  flops: ({ output }) => 5 * perSample(output),
});
