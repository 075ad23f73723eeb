import { fail, fmt, ok, ShapeCode } from './shape-util';
import { defineOp } from './types';
import type { RuleContext, RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

/**
 * `Add(x, P)` with `P` a constant of x's per-sample shape (`[T, E]`, or `[1, T, E]`) on a
 * sequence: a learned positional embedding; undefined when the Add is not that.
 */
export function positionalRule(n: OnnxNode, cx: RuleContext): RuleResult | undefined {
  for (const [data, table] of [
    [n.input[0], n.input[1]],
    [n.input[1], n.input[0]],
  ]) {
    const x = cx.shape(data);
    const p = cx.constant(table);
    if (!x || !p || x.length < 3 || cx.constant(data)) continue;
    const dims = p.dims[0] === 1 && p.dims.length === x.length ? p.dims.slice(1) : p.dims;
    if (dims.join() !== x.slice(1).join() || p.values instanceof Array) continue;
    return { op: 'PositionalEmbedding', inputs: [data], params: { weight: Float32Array.from(p.values) } };
  }
  return undefined;
}

/**
 * A learned position vector added to each step of a sequence: `y[n, t] = x[n, t] + P[t]` over `[N, T,
 * E]` (`P` `[T, E]`, initialised N(0, 0.02²) as GPT-2's), so that attention, which by itself does not
 * see the order of the steps, can tell them apart.
 */
export const positionalEmbedding = defineOp({
  name: 'PositionalEmbedding',
  category: 'layers',
  onnx: { opType: 'Add', note: 'Add of the table P [T, E] (an initializer), broadcast over the batch' },
  torch: {
    module: 'LearnedPositions({in[1]}, {in[-1]})',
    helper: [
      'class LearnedPositions(nn.Module):',
      '    """A learned vector per position added to a sequence [N, T, E] (GPT-2\'s position embedding)."""',
      '',
      '    def __init__(self, steps, dim):',
      '        super().__init__()',
      '        self.weight = nn.Parameter(torch.randn(steps, dim) * 0.02)',
      '',
      '    def forward(self, x):',
      '        return x + self.weight',
    ].join('\n'),
    note: 'a small module the exported script defines, its table under the name weight',
  },
  doc: 'Adds a learned vector per position to a sequence [N, T, E], so attention can tell the steps apart.',
  inputs: [{ name: 'x' }],
  attrs: {},
  inferShape({ inputs }) {
    const x = inputs[0];
    if (x.length < 3) return fail(ShapeCode.RANK, `PositionalEmbedding expects a sequence [N, T, E]; got ${fmt(x)}. Put it after an Embedding.`);
    return ok([...x]);
  },
  // NOTE: N(0, 0.02²) is he_normal's √(2/fanIn) with fanIn 5000.
  params: ({ inputs }) => [{ name: 'weight', shape: inputs[0].slice(1), init: 'he_normal', fanIn: 5000, fanOut: inputs[0].at(-1)!, decay: false }],
  flops: ({ output }) => output.slice(1).reduce((a, b) => a * b, 1),
});
