import { biasInit, boolAttr, expectImage, fail, fmt, intAttr, ok, pairAttr, ShapeCode, showAttr, WEIGHT_INIT_ATTR, weightsBlewUp, windowOut } from './shape-util';
import { defineOp, type Attrs, type InitKind } from './types';
import { dynamic, f32, int, ints, symmetricPads, unexpected, type ConstantValue, type ImportRule, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

/** Geometry of a Conv2d on one input shape (shared with backend overrides). */
export interface ConvPlan {
  n: number;
  inC: number;
  h: number;
  w: number;
  outC: number;
  groups: number;
  k: [number, number];
  s: [number, number];
  p: [number, number];
  d: [number, number];
  outH: number;
  outW: number;
}

export function conv2dPlan(inputShape: readonly number[], attrs: Attrs): ConvPlan {
  const [n, inC, h, w] = inputShape;
  const k = pairAttr(attrs, 'kernelSize');
  const s = pairAttr(attrs, 'stride');
  const p = pairAttr(attrs, 'padding');
  const d = pairAttr(attrs, 'dilation');
  return {
    n, inC, h, w, k, s, p, d,
    outC: intAttr(attrs, 'outChannels'),
    groups: intAttr(attrs, 'groups'),
    outH: windowOut(h, k[0], s[0], p[0], d[0]),
    outW: windowOut(w, k[1], s[1], p[1], d[1]),
  };
}

/**
 * What the Conv rules of Conv2d and Conv1d share: the attributes they read, a constant weight of
 * `rank` spatial dims (`[outC, inC/groups, …kernel]`), symmetric padding, and the bias; or why the
 * node cannot be read.
 */
export function readConv(n: OnnxNode, cx: RuleContext, rank: number): { pads: number[]; w: ConstantValue; params: Record<string, Float32Array> } | { unsupported: string } {
  const bad = unexpected(n, ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'auto_pad']);
  if (bad) return { unsupported: bad };
  const w = cx.constant(n.input[1]);
  if (!w || w.dims.length !== rank + 2) return { unsupported: 'only 1-D and 2-D convolutions with a constant weight are supported' };
  if (dynamic(n, cx, 1)) return { unsupported: dynamic(n, cx, 1)! };
  const pads = symmetricPads(n, rank);
  if (!pads) return { unsupported: 'only the same padding on both sides of each dim (no auto_pad SAME) is supported' };
  const params: Record<string, Float32Array> = { weight: f32(w.values) };
  if (n.input[2]) params.bias = f32(cx.constant(n.input[2])?.values ?? []);
  if (n.input[2] && params.bias.length !== w.dims[0]) return { unsupported: 'the bias must be a constant with one value per output channel' };
  return { pads, w, params };
}

/** A Conv whose weight has rank 4 (two spatial dims); Conv1d claims rank 3. */
const conv: ImportRule = Object.assign(
  (n: OnnxNode, cx: RuleContext): RuleResult => {
    const c = readConv(n, cx, 2);
    if ('unsupported' in c) return c;
    const { pads, w, params } = c;
    const attrs: Attrs = {
      outChannels: w.dims[0],
      kernelSize: [w.dims[2], w.dims[3]],
      stride: ints(n, 'strides') ?? [1, 1],
      padding: pads,
      dilation: ints(n, 'dilations') ?? [1, 1],
      groups: int(n, 'group', 1),
      bias: 'bias' in params,
    };
    return { op: 'Conv2d', attrs, inputs: [n.input[0]], params };
  },
  { weightRank: 4 },
);

/**
 * 2-D convolution (cross-correlation) as `torch.nn.Conv2d`: weight `[outC, inC/groups, kH, kW]`.
 * Each sample and group is unfolded with `backend.im2col` and multiplied with `backend.gemm`, so
 * a faster backend speeds it up without this file changing. 1×1 convolutions with stride 1 and
 * no padding skip the unfold (the image already is the column matrix).
 */
export const conv2d = defineOp({
  name: 'Conv2d',
  category: 'layers',
  foldsNormalization: 'conv',
  onnx: {
    opType: 'Conv',
    attrs: { kernel_shape: { attr: 'kernelSize' }, strides: { attr: 'stride' }, pads: { attr: 'padding', convert: 'pads' }, dilations: { attr: 'dilation' }, group: { attr: 'groups' } },
    note: 'weight and bias as initializers',
  },
  onnxImport: { Conv: conv },
  torch: {
    module: 'nn.Conv2d({in[1]}, {outChannels}, kernel_size={kernelSize}, stride={stride}, padding={padding}, dilation={dilation}, groups={groups}, bias={bias})',
    note: 'init other than torch_default: apply the matching nn.init function to .weight and zero .bias',
  },
  card: (a) => `${showAttr(a.outChannels)} ch · k${showAttr(a.kernelSize)}`,
  widthAttr: 'outChannels',
  divergenceAdvice: weightsBlewUp,
  doc: '2-D convolution over [N, C, H, W] images.',
  inputs: [{ name: 'x' }],
  attrs: {
    outChannels: { kind: 'int', default: 16, min: 1, max: 1 << 16, doc: 'Number of output channels (filters).' },
    kernelSize: { kind: 'ints', default: [3, 3], length: 2, min: 1, doc: 'Kernel height and width.' },
    stride: { kind: 'ints', default: [1, 1], length: 2, min: 1, doc: 'Step between windows (height, width).' },
    padding: { kind: 'ints', default: [0, 0], length: 2, min: 0, doc: 'Zero padding added on each side (height, width).' },
    dilation: { kind: 'ints', default: [1, 1], length: 2, min: 1, doc: 'Spacing between kernel taps (height, width).' },
    groups: { kind: 'int', default: 1, min: 1, max: 1 << 16, doc: 'Split channels into this many independent groups (inC and outC must be divisible by it).' },
    bias: { kind: 'bool', default: true, doc: 'Learn a per-channel bias.' },
    init: WEIGHT_INIT_ATTR,
  },
  samplesRead: 'each',
  inferShape({ inputs, attrs }) {
    const bad = expectImage('Conv2d', inputs[0]);
    if (bad) return bad;
    const c = conv2dPlan(inputs[0], attrs);
    if (c.inC % c.groups !== 0 || c.outC % c.groups !== 0) {
      return fail(ShapeCode.ATTR_RANGE, `Conv2d groups=${c.groups} must divide both the input channels (${c.inC}) and outChannels (${c.outC}).`);
    }
    if (c.outH < 1 || c.outW < 1) {
      return fail(
        ShapeCode.EMPTY,
        `Conv2d kernel ${c.k[0]}×${c.k[1]} (dilation ${c.d[0]}×${c.d[1]}, padding ${c.p[0]}×${c.p[1]}) does not fit the ${c.h}×${c.w} input ${fmt(inputs[0])}; use a smaller kernel or more padding.`,
      );
    }
    return ok([c.n, c.outC, c.outH, c.outW]);
  },
  params({ inputs, attrs }) {
    const c = conv2dPlan(inputs[0], attrs);
    const rf = c.k[0] * c.k[1];
    // PyTorch's fans: fanIn = (inC/groups)·kH·kW, fanOut = outC·kH·kW.
    const fanIn = (c.inC / c.groups) * rf;
    const fanOut = c.outC * rf;
    const init = attrs.init as InitKind;
    const specs = [{ name: 'weight', shape: [c.outC, c.inC / c.groups, c.k[0], c.k[1]], init, fanIn, fanOut, decay: true }];
    if (boolAttr(attrs, 'bias')) specs.push({ name: 'bias', shape: [c.outC], init: biasInit(init), fanIn, fanOut, decay: false });
    return specs;
  },
  workspace({ inputs, attrs }) {
    const c = conv2dPlan(inputs[0], attrs);
    const rows = (c.inC / c.groups) * c.k[0] * c.k[1];
    return [
      { name: 'cols', shape: [rows, c.outH * c.outW] },
      { name: 'dcols', shape: [rows, c.outH * c.outW] },
    ];
  },
  flops({ inputs, attrs }) {
    const c = conv2dPlan(inputs[0], attrs);
    return 2 * c.outC * c.outH * c.outW * (c.inC / c.groups) * c.k[0] * c.k[1];
  },
});

