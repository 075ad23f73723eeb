import { fail, intAttr, ok, ShapeCode } from './shape-util';
import { defineOp } from './types';
import { int, unexpected, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

function oneHotRule(n: OnnxNode, cx: RuleContext): RuleResult {
  const bad = unexpected(n, ['axis']);
  if (bad) return { unsupported: bad };
  const x = cx.shape(n.input[0]);
  const axis = int(n, 'axis', -1);
  if (axis !== -1 && (!x || axis !== x.length)) return { unsupported: `axis ${axis}: only the one-hot dim last (axis −1) is supported` };
  const depth = cx.constant(n.input[1]);
  if (!depth || depth.values.length !== 1 || !Number.isInteger(depth.values[0]) || depth.values[0] < 1) return { unsupported: 'the depth must be a constant whole number' };
  const values = cx.constant(n.input[2]);
  if (!values || values.values.length !== 2 || values.values[0] !== 0 || values.values[1] !== 1) return { unsupported: 'only the values [0, 1] (off, on) are supported' };
  return { op: 'OneHot', attrs: { numClasses: depth.values[0] }, inputs: [n.input[0]] };
}

/**
 * Class indices to one-hot rows: `[N, ...]` → `[N, ..., numClasses]`, as
 * `F.one_hot(x.long(), numClasses).float()` and ONNX `OneHot` (axis −1, values [0, 1]). What
 * conditions a GAN on a label: the class Input (source "target", shape []) one-hot, joined to the
 * generator's z and shown to the discriminator beside the image.
 *
 * An index is the input value truncated toward zero (the labels arrive as floats); as in ONNX, an
 * index in [−numClasses, −1] counts from the end; one outside [−numClasses, numClasses − 1] (or
 * NaN) is refused with E_ID_RANGE before the kernel (`id-range.ts`), as F.one_hot raises (#83:
 * it gave a row of zeros). No gradient: an index is not differentiable.
 */
export const oneHot = defineOp({
  name: 'OneHot',
  category: 'structure',
  onnx: {
    opType: 'OneHot',
    note: 'depth [numClasses] and values [0, 1] as float initializer inputs (onnxruntime has float indices with float depth and values); axis −1',
    emit(ctx) {
      const depth = ctx.constant('depth', [1], [intAttr(ctx.attrs, 'numClasses')]);
      return ctx.node('OneHot', [ctx.inputs[0], depth, ctx.constant('values', [2], [0, 1])], { axis: { int: -1 } });
    },
  },
  onnxImport: { OneHot: oneHotRule },
  torch: {
    module: 'OneHot({numClasses})',
    helper: [
      'class OneHot(nn.Module):',
      '    """Class indices to one-hot rows: F.one_hot(x.long(), num_classes).float() for labels in',
      '    range; as in ONNX OneHot, an index in [-num_classes, -1] counts from the end; one outside',
      '    [-num_classes, num_classes - 1] raises, as Netwright refuses it."""',
      '',
      '    def __init__(self, num_classes):',
      '        super().__init__()',
      '        self.num_classes = num_classes',
      '',
      '    def forward(self, x):',
      '        k = x.long()  # truncates toward zero',
      '        k = torch.where(k < 0, k + self.num_classes, k)',
      '        if bool(((k < 0) | (k >= self.num_classes)).any()):',
      "            raise IndexError(f'OneHot: an index is outside the {self.num_classes} classes')",
      '        return (k.unsqueeze(-1) == torch.arange(self.num_classes, device=x.device)).float()',
    ].join('\n'),
    note: "a small module the exported script defines (F.one_hot for labels in range, ONNX OneHot's rule for negative ones)",
  },
  card: (a) => `${String(a.numClasses)} classes`,
  doc: 'Class indices to one-hot rows (a label that conditions a GAN).',
  inputs: [{ name: 'indices', discrete: true }],
  idTable: { attr: 'numClasses', noun: 'classes' },
  testDomain: { graph: { none: 'it reads class indices: the random graphs put it on their input, whose values they then draw as indices (onnx/random-graphs.ts, oneHotClasses)' } },
  attrs: {
    numClasses: { kind: 'int', default: 10, min: 1, max: 65536, doc: 'Length of each one-hot row: the number of classes (MNIST: 10).' },
  },
  differentiable: false,
  inferShape({ inputs, attrs }) {
    const c = intAttr(attrs, 'numClasses');
    if (!Number.isInteger(c) || c < 1) return fail(ShapeCode.ATTR_RANGE, `OneHot numClasses must be a positive whole number; got ${c}.`);
    return ok([...inputs[0], c]);
  },
});
