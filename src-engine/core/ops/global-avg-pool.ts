import { fail, fmt, ok, ShapeCode } from './shape-util';
import { defineOp } from './types';
import { int, type RuleContext, type RuleResult } from './onnx-import';
import type { OnnxNode } from '../export/onnx/onnx-types';

function globalAvgPoolRule(n: OnnxNode, cx: RuleContext): RuleResult {
  const readers = cx.consumers(n.output[0]);
  const next = readers.nodes[0];
  if (readers.nodes.length === 1 && !readers.graphOutput && next.op_type === 'Flatten' && int(next, 'axis', 1) === 1) {
    return { op: 'GlobalAvgPool', inputs: [n.input[0]], consumes: [next] };
  }
  return { unsupported: 'GlobalAveragePool is read together with the Flatten (axis 1) after it; on its own it is not supported' };
}

/**
 * Mean over all spatial positions: `[N, C, H, W]` (or `[N, C, L]`) → `[N, C]`, as PyTorch's
 * `AdaptiveAvgPool2d(1)` followed by `flatten(1)`.
 */
export const globalAvgPool = defineOp({
  name: 'GlobalAvgPool',
  category: 'layers',
  onnx: {
    opType: 'GlobalAveragePool',
    note: 'then Flatten (axis 1): ONNX keeps [N, C, 1, 1]',
    emit: (ctx) => ctx.node('Flatten', [ctx.node('GlobalAveragePool', ctx.inputs)], { axis: { int: 1 } }),
  },
  onnxImport: { GlobalAveragePool: globalAvgPoolRule },
  torch: { module: 'nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())' },
  doc: 'Average each channel over all positions: [N, C, H, W] → [N, C].',
  inputs: [{ name: 'x' }],
  attrs: {},
  inferShape({ inputs }) {
    const x = inputs[0];
    if (x.length < 3) return fail(ShapeCode.RANK, `GlobalAvgPool expects [N, C, H, W] or [N, C, L]; got ${fmt(x)} — it is already pooled.`);
    return ok([x[0], x[1]]);
  },
  flops: ({ inputs }) => inputs[0].slice(1).reduce((a, b) => a * b, 1),
  forward({ inputs, output }) {
    const x = inputs[0].data;
    const planes = output.data.length;
    const per = x.length / Math.max(1, planes);
    for (let p = 0; p < planes; p++) {
      let s = 0;
      for (let i = p * per; i < (p + 1) * per; i++) s += x[i];
      output.data[p] = s / per;
    }
  },
  backward({ inputs, dOutput, dInputs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const planes = dOutput.data.length;
    const per = inputs[0].data.length / Math.max(1, planes);
    for (let p = 0; p < planes; p++) {
      const g = dOutput.data[p] / per;
      for (let i = p * per; i < (p + 1) * per; i++) dx[i] += g;
    }
  },
});
