import { fail, fmt, intAttr, ok, ShapeCode } from './shape-util';
import { defineOp, type Attrs, type ShapeArgs } from './types';
import { conv2d, readConv } from './conv2d';
import { int, ints, type ImportRule, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

/** Conv2d's attrs for a Conv1d: a 1×k kernel over [N, C, 1, L]. */
export function as2d(attrs: Attrs): Attrs {
  const one = (k: string, pad: number) => [pad, intAttr(attrs, k)];
  return { ...attrs, kernelSize: one('kernelSize', 1), stride: one('stride', 1), padding: one('padding', 0), dilation: one('dilation', 1) };
}

const args2d = ({ inputs, attrs }: ShapeArgs): ShapeArgs => ({ inputs: [[...inputs[0].slice(0, 2), 1, ...inputs[0].slice(2)]], attrs: as2d(attrs) });
/** A Conv whose weight has rank 3 (one spatial dim): Conv2d's attributes, one number each. */
const conv: ImportRule = Object.assign(
  (n: OnnxNode, cx: RuleContext): RuleResult => {
    const c = readConv(n, cx, 1);
    if ('unsupported' in c) return c;
    const one = (name: string) => (ints(n, name) ?? [1])[0];
    return { op: 'Conv1d', attrs: { outChannels: c.w.dims[0], kernelSize: c.w.dims[2], stride: one('strides'), padding: c.pads[0], dilation: one('dilations'), groups: int(n, 'group', 1), bias: 'bias' in c.params }, inputs: [n.input[0]], params: c.params };
  },
  { weightRank: 3 },
);

/**
 * 1-D convolution over sequences [N, C, L], as `torch.nn.Conv1d`: weight `[outC, inC/groups, k]`.
 * Runs Conv2d's kernels on the same values seen as [N, C, 1, L] with a 1×k kernel.
 */
export const conv1d = defineOp({
  name: 'Conv1d',
  category: 'layers',
  onnxImport: { Conv: conv },
  onnx: {
    opType: 'Conv',
    note: 'a 1-D Conv, weight and bias as initializers (read back by the Conv rule claiming a rank-3 weight)',
    emit(ctx) {
      const [k, s, p, d] = ['kernelSize', 'stride', 'padding', 'dilation'].map((a) => intAttr(ctx.attrs, a));
      const bias = ctx.weight('bias');
      return ctx.node('Conv', [ctx.inputs[0], ctx.weight('weight')!, ...(bias ? [bias] : [])], {
        kernel_shape: { ints: [k] },
        strides: { ints: [s] },
        pads: { ints: [p, p] },
        dilations: { ints: [d] },
        group: { int: intAttr(ctx.attrs, 'groups') },
      });
    },
  },
  torch: {
    module: 'nn.Conv1d({in[1]}, {outChannels}, kernel_size={kernelSize}, stride={stride}, padding={padding}, dilation={dilation}, groups={groups}, bias={bias})',
    note: 'init other than torch_default: apply the matching nn.init function to .weight and zero .bias',
  },
  card: (a) => `${String(a.outChannels)} ch · k${String(a.kernelSize)}`,
  widthAttr: 'outChannels',
  divergenceAdvice: conv2d.divergenceAdvice,
  doc: '1-D convolution over [N, C, L] sequences.',
  inputs: [{ name: 'x' }],
  attrs: {
    ...conv2d.attrs,
    kernelSize: { kind: 'int', default: 3, min: 1, doc: 'Kernel length.' },
    stride: { kind: 'int', default: 1, min: 1, doc: 'Step between windows.' },
    padding: { kind: 'int', default: 0, min: 0, doc: 'Zero padding added at each end.' },
    dilation: { kind: 'int', default: 1, min: 1, doc: 'Spacing between kernel taps.' },
  },
  samplesRead: 'each',
  inferShape(args) {
    const x = args.inputs[0];
    if (x.length !== 3) return fail(ShapeCode.RANK, `Conv1d expects sequences [N, C, L]; got ${fmt(x)}.`);
    const r = conv2d.inferShape(args2d(args));
    if (!r.ok) return { ...r, message: r.message.replace(/Conv2d/g, 'Conv1d') };
    return ok([r.shape[0], r.shape[1], r.shape[3]]);
  },
  params(args) {
    return conv2d.params!(args2d(args)).map((p) => (p.name === 'weight' ? { ...p, shape: [p.shape[0], p.shape[1], p.shape[3]] } : p));
  },
  workspace: (args) => conv2d.workspace!({ ...args2d(args), output: [args.output[0], args.output[1], 1, args.output[2]] }),
  flops: (args) => conv2d.flops!({ ...args2d(args), output: [args.output[0], args.output[1], 1, args.output[2]] }),
});
