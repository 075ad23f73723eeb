import { fail, fmt, intAttr, ok, ShapeCode, perSample } from './shape-util';
import { defineOp } from './types';
import { int, type RuleContext, type RuleResult } from './onnx-import';
import type { OnnxNode } from '../../base/onnx/model';

/** Split a shape around `axis` into (outer, length, inner) for strided access. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[axis], inner];
}

function resolveAxis(axis: number, rank: number): number {
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
  forward({ inputs, output, attrs }) {
    const x = inputs[0].data;
    const y = output.data;
    const [outer, len, inner] = around(inputs[0].shape, resolveAxis(intAttr(attrs, 'axis'), inputs[0].shape.length));
    for (let o = 0; o < outer; o++) {
      for (let r = 0; r < inner; r++) {
        const base = o * len * inner + r;
        // NOTE: subtracting the max before exp changes nothing mathematically (it cancels in the
        // ratio) but keeps every exp argument ≤ 0: no overflow to Infinity for large scores
        // (exp(89) already overflows float32), and the largest term is exactly 1 so the sum is ≥ 1.
        let max = -Infinity;
        for (let k = 0; k < len; k++) {
          const v = x[base + k * inner];
          if (v > max || v !== v) max = v;
        }
        let sum = 0;
        for (let k = 0; k < len; k++) {
          const e = Math.exp(x[base + k * inner] - max);
          y[base + k * inner] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let k = 0; k < len; k++) y[base + k * inner] *= inv;
      }
    }
  },
  backward({ inputs, output, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const y = output.data;
    const dy = dOutput.data;
    const [outer, len, inner] = around(inputs[0].shape, resolveAxis(intAttr(attrs, 'axis'), inputs[0].shape.length));
    // dxᵢ = yᵢ·(dyᵢ − Σⱼ dyⱼ·yⱼ)
    for (let o = 0; o < outer; o++) {
      for (let r = 0; r < inner; r++) {
        const base = o * len * inner + r;
        let dot = 0;
        for (let k = 0; k < len; k++) dot += dy[base + k * inner] * y[base + k * inner];
        for (let k = 0; k < len; k++) {
          const i = base + k * inner;
          dx[i] += y[i] * (dy[i] - dot);
        }
      }
    }
  },
});
