import { fail, fmt, ok, ShapeCode } from './shape-util';
import { defineOp } from './types';
import { int, ints, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';
import { sequenceMeanRule } from './sequence-pool';

/** GlobalAveragePool, with the Flatten (axis 1) after it when there is one; alone it keeps the 1×1 dims. */
function globalAvgPoolRule(n: OnnxNode, cx: RuleContext): RuleResult {
  const readers = cx.consumers(n.output[0]);
  const next = readers.nodes[0];
  if (readers.nodes.length === 1 && !readers.graphOutput && next.op_type === 'Flatten' && int(next, 'axis', 1) === 1) {
    return { op: 'GlobalAvgPool', inputs: [n.input[0]], consumes: [next] };
  }
  return { op: 'GlobalAvgPool', attrs: { keepDims: true }, inputs: [n.input[0]] };
}

/** ReduceMean over every spatial axis (`x.mean((2, 3))`) is a global average pool; over the steps of a sequence (`x.mean(1)`), a SequencePool. */
function reduceMeanRule(n: OnnxNode, cx: RuleContext): RuleResult {
  const overTime = sequenceMeanRule(n, cx);
  if (overTime) return overTime;
  const x = cx.shape(n.input[0]);
  if (!x) return { unsupported: 'the input shape is unknown' };
  const listed = cx.opset >= 18 ? (n.input[1] ? cx.constant(n.input[1])?.values : undefined) : ints(n, 'axes');
  const axes = [...(listed ?? [])].map((a) => (a < 0 ? a + x.length : a)).sort((a, b) => a - b);
  const spatial = x.map((_, i) => i).slice(2);
  if (x.length < 3 || axes.join() !== spatial.join()) return { unsupported: `only a mean over every spatial axis (${spatial.join(', ') || 'none'}) is supported; axes [${axes.join(', ')}]` };
  return { op: 'GlobalAvgPool', attrs: int(n, 'keepdims', 1) ? { keepDims: true } : {}, inputs: [n.input[0]] };
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
    note: 'then Flatten (axis 1) unless keepDims: ONNX keeps [N, C, 1, 1]',
    emit: (ctx) => (ctx.attrs.keepDims ? ctx.node('GlobalAveragePool', ctx.inputs) : ctx.node('Flatten', [ctx.node('GlobalAveragePool', ctx.inputs)], { axis: { int: 1 } })),
  },
  onnxImport: { GlobalAveragePool: globalAvgPoolRule, ReduceMean: reduceMeanRule },
  torch: {
    module: 'GlobalAvgPool(keep_dims={keepDims})',
    helper: [
      'class GlobalAvgPool(nn.Module):',
      '    """Mean of each channel over all positions: [N, C, ...] -> [N, C] ([N, C, 1, ...] with keep_dims)."""',
      '',
      '    def __init__(self, keep_dims=False):',
      '        super().__init__()',
      '        self.keep_dims = keep_dims',
      '',
      '    def forward(self, x):',
      '        return x.mean(dim=tuple(range(2, x.dim())), keepdim=self.keep_dims)',
    ].join('\n'),
    note: 'a small module the exported script defines: the mean over dims 2… (AdaptiveAvgPool2d(1) + Flatten)',
  },
  doc: 'Average each channel over all positions: [N, C, H, W] → [N, C] (or [N, C, 1, 1] keeping dims).',
  inputs: [{ name: 'x' }],
  attrs: {
    keepDims: { kind: 'bool', default: false, doc: 'Keep the pooled dims as size 1 ([N, C, 1, 1]), as a squeeze-excite block needs.' },
  },
  card: (attrs) => (attrs.keepDims ? 'keep dims' : ''),
  inferShape({ inputs, attrs }) {
    const x = inputs[0];
    if (x.length < 3) return fail(ShapeCode.RANK, `GlobalAvgPool expects [N, C, H, W] or [N, C, L]; got ${fmt(x)} — it is already pooled.`);
    return ok(attrs.keepDims ? [x[0], x[1], ...x.slice(2).map(() => 1)] : [x[0], x[1]]);
  },
  flops: ({ inputs }) => inputs[0].slice(1).reduce((a, b) => a * b, 1),
});
