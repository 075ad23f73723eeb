import { fail, fmt, ok, ShapeCode } from './shape-util';
import { defineOp, type Attrs } from './types';
import { int, ints, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

export const isLast = (attrs: Attrs) => attrs.mode === 'last';

/**
 * `ReduceMean` over axis 1 of a sequence, not keeping it (`y.mean(1)`): SequencePool mean; undefined
 * when the node is not that (GlobalAvgPool's ReduceMean rule reads the rest).
 */
export function sequenceMeanRule(n: OnnxNode, cx: RuleContext): RuleResult | undefined {
  const x = cx.shape(n.input[0]);
  const listed = cx.opset >= 18 ? (n.input[1] ? cx.constant(n.input[1])?.values : undefined) : ints(n, 'axes');
  const axes = [...(listed ?? [])].map((a) => (x && a < 0 ? a + x.length : a));
  if (!x || x.length < 3 || axes.join() !== '1' || int(n, 'keepdims', 1) !== 0) return undefined;
  return { op: 'SequencePool', attrs: { mode: 'mean' }, inputs: [n.input[0]] };
}

/** `Gather(x, −1 or T − 1)` on axis 1 of a sequence (`y[:, -1]`): SequencePool last. */
function lastStepRule(n: OnnxNode, cx: RuleContext): RuleResult {
  const x = cx.shape(n.input[0]);
  const index = cx.constant(n.input[1]);
  const k = index && index.dims.length === 0 ? Number(index.values[0]) : undefined;
  if (!x || x.length < 3 || int(n, 'axis', 0) !== 1 || (k !== -1 && k !== x[1] - 1)) {
    return { unsupported: 'Gather is read only as the last step of a sequence (axis 1, index −1), or inside an Embedding (Gather of a weight by Cast ids)' };
  }
  return { op: 'SequencePool', attrs: { mode: 'last' }, inputs: [n.input[0]] };
}

/**
 * A sequence `[N, T, F…]` to one vector per sample `[N, F…]`: the mean over the steps (`x.mean(1)`)
 * or the last step (`x[:, -1]`): what a classifier reads from an attention or recurrent layer's
 * sequence.
 */
export const sequencePool = defineOp({
  name: 'SequencePool',
  category: 'structure',
  onnx: {
    opType: 'ReduceMean',
    note: 'mean: ReduceMean over axis 1 (keepdims 0; axes an input from opset 18); last: Gather of index −1 on axis 1',
    emit(ctx) {
      if (isLast(ctx.attrs)) return ctx.node('Gather', [ctx.inputs[0], ctx.constant('last', [], [-1], 'int64')], { axis: { int: 1 } });
      if (ctx.opset >= 18) return ctx.node('ReduceMean', [ctx.inputs[0], ctx.constant('axes', [1], [1], 'int64')], { keepdims: { int: 0 } });
      return ctx.node('ReduceMean', [ctx.inputs[0]], { axes: { ints: [1] }, keepdims: { int: 0 } });
    },
  },
  onnxImport: { Gather: lastStepRule },
  torch: {
    module: 'SequencePool({mode})',
    helper: [
      'class SequencePool(nn.Module):',
      '    """One vector per sequence [N, T, F] -> [N, F]: the mean over the steps, or the last step."""',
      '',
      '    def __init__(self, mode="mean"):',
      '        super().__init__()',
      '        self.mode = mode',
      '',
      '    def forward(self, x):',
      '        return x[:, -1] if self.mode == "last" else x.mean(1)',
    ].join('\n'),
    note: 'a small module the exported script defines: x.mean(1) or x[:, -1]',
  },
  card: (a) => (isLast(a) ? 'last step' : 'mean over time'),
  doc: 'One vector per sequence: the mean over the time steps, or the last step ([N, T, F] → [N, F]).',
  inputs: [{ name: 'x' }],
  testDomain: { graph: { draw: (shape, rng) => (shape.length === 3 ? { mode: (['mean', 'last'] as const)[rng.int(2)] } : undefined) } },
  attrs: {
    mode: { kind: 'enum', default: 'mean', values: ['mean', 'last'], doc: 'mean: average of every step; last: the final step only.' },
  },
  inferShape({ inputs }) {
    const x = inputs[0];
    if (x.length < 3) return fail(ShapeCode.RANK, `SequencePool expects a sequence [N, T, F]; got ${fmt(x)}, which has no time axis.`);
    return ok([x[0], ...x.slice(2)]);
  },
  flops: ({ inputs }) => inputs[0].slice(1).reduce((a, b) => a * b, 1),
});
