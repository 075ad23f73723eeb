import { fail, fmt, ok, ShapeCode } from './shape-util';
import { defineOp, type Attrs } from './types';
import type { DrawRng } from './test-domain';
import { BATCH_DIM, int, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

function reshapeRule(n: OnnxNode, cx: RuleContext): RuleResult {
  if (int(n, 'allowzero', 0) !== 0) return { unsupported: 'allowzero = 1 is not supported' };
  const s = cx.constant(n.input[1]);
  if (!s) return { unsupported: 'the target shape must be a constant' };
  const x = cx.shape(n.input[0]);
  const shape = [...s.values].map((d, i) => (d === 0 && x ? x[i] : d));
  // The batch read from the input's shape (`x.view(x.size(0), -1)`, folded at import) keeps it.
  const first = s.values[0] === BATCH_DIM ? 0 : s.values[0];
  if (shape.slice(1).includes(BATCH_DIM)) return { unsupported: 'a target shape that moves the batch dim is not supported' };
  if (!(first === 0 || first === -1 || (cx.staticBatch !== undefined && first === cx.staticBatch))) {
    return { unsupported: `the target shape [${[...s.values].join(', ')}] does not keep the batch dim first (0 or −1)` };
  }
  if (first === -1 && shape.slice(1).includes(-1)) return { unsupported: 'a target shape with −1 both in the batch dim and in a sample dim is not supported' };
  return { op: 'Reshape', attrs: { shape: shape.slice(1) }, inputs: [n.input[0]] };
}

/** Give each sample a new shape with the same number of values; one dim may be −1 (inferred). */
export const reshape = defineOp({
  name: 'Reshape',
  category: 'structure',
  onnx: {
    opType: 'Reshape',
    note: 'target shape [0, ...shape] as an initializer input (0 keeps the batch dim)',
    emit(ctx) {
      const shape = ctx.attrs.shape as readonly number[];
      return ctx.node('Reshape', [ctx.inputs[0], ctx.constant('shape', [shape.length + 1], [0, ...shape], 'int64')]);
    },
  },
  onnxImport: { Reshape: reshapeRule },
  torch: {
    module: 'Reshape({shape})',
    helper: [
      'class Reshape(nn.Module):',
      '    """Give each sample a new shape: x.reshape(batch, *shape)."""',
      '',
      '    def __init__(self, shape):',
      '        super().__init__()',
      '        self.shape = tuple(shape)',
      '',
      '    def forward(self, x):',
      '        return x.reshape(x.shape[0], *self.shape)',
    ].join('\n'),
    note: 'a two-line module the exported script defines: forward(x) = x.reshape(x.shape[0], *shape)',
  },
  doc: 'Give each sample a new shape (same number of values); one dim may be -1.',
  inputs: [{ name: 'x' }],
  testDomain: { graph: { draw: reshapeDraw } },
  attrs: {
    shape: { kind: 'ints', default: [-1], min: -1, doc: 'Per-sample target shape, without the batch dim, e.g. [1, 28, 28]. One -1 is inferred.' },
  },
  samplesRead: 'each',
  inferShape({ inputs, attrs }) {
    const x = inputs[0];
    const target = [...(attrs.shape as readonly number[])];
    const size = x.slice(1).reduce((a, b) => a * b, 1);
    const unknown = target.filter((d) => d === -1).length;
    if (unknown > 1 || target.some((d) => d === 0 || d < -1)) {
      return fail(ShapeCode.ATTR_RANGE, `Reshape shape [${target.join(', ')}] may hold positive sizes and at most one -1.`);
    }
    const known = target.reduce((a, d) => (d === -1 ? a : a * d), 1);
    if (unknown === 1) {
      if (size % known !== 0) {
        return fail(ShapeCode.MISMATCH, `Reshape cannot fit the ${size} values per sample of ${fmt(x)} into [${target.join(', ')}]: ${size} is not divisible by ${known}.`);
      }
      target[target.indexOf(-1)] = size / known;
    } else if (known !== size) {
      return fail(ShapeCode.MISMATCH, `Reshape to [${target.join(', ')}] needs ${known} values per sample; the input ${fmt(x)} has ${size}.`);
    }
    return ok([x[0], ...target]);
  },
});

/**
 * A random graph's Reshape of a node of `shape`: everything flat, the dims reversed, split in two, the
 * first dim kept and the rest merged, or a unit dim after the first; at most three per-sample dims.
 */
function reshapeDraw(shape: readonly number[], rng: DrawRng): Attrs {
  const s = shape.slice(1);
  const n = s.reduce((a, b) => a * b, 1);
  const options = [[-1], [...s].reverse(), n % 2 === 0 ? [2, n / 2] : [1, n], s.length >= 2 ? [s[0], -1] : [n, 1, 1], [s[0], 1, ...s.slice(1)]].filter((o) => o.length <= 3);
  return { shape: options[rng.int(options.length)] };
}
