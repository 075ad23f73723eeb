import { biasInit, boolAttr, expectImage, fail, fmt, intAttr, ok, pairAttr, ShapeCode, showAttr, WEIGHT_INIT_ATTR, weightsBlewUp } from './shape-util';
import { defineOp, type Attrs, type InitKind } from './types';
import { dynamic, f32, int, ints, symmetricPads, unexpected, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

/** Geometry of a ConvTranspose2d on one input shape (shared with the GPU kernel). */
export interface ConvTransposePlan {
  n: number;
  inC: number;
  h: number;
  w: number;
  outC: number;
  groups: number;
  k: [number, number];
  s: [number, number];
  p: [number, number];
  op: [number, number];
  d: [number, number];
  outH: number;
  outW: number;
}

export function convTranspose2dPlan(inputShape: readonly number[], attrs: Attrs): ConvTransposePlan {
  const [n, inC, h, w] = inputShape;
  const k = pairAttr(attrs, 'kernelSize');
  const s = pairAttr(attrs, 'stride');
  const p = pairAttr(attrs, 'padding');
  const op = pairAttr(attrs, 'outputPadding');
  const d = pairAttr(attrs, 'dilation');
  return {
    n, inC, h, w, k, s, p, op, d,
    outC: intAttr(attrs, 'outChannels'),
    groups: intAttr(attrs, 'groups'),
    outH: (h - 1) * s[0] - 2 * p[0] + d[0] * (k[0] - 1) + op[0] + 1,
    outW: (w - 1) * s[1] - 2 * p[1] + d[1] * (k[1] - 1) + op[1] + 1,
  };
}

function convTranspose(n: OnnxNode, cx: RuleContext): RuleResult {
  const bad = unexpected(n, ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'output_padding', 'auto_pad']);
  if (bad) return { unsupported: bad };
  const w = cx.constant(n.input[1]);
  if (!w || w.dims.length !== 4) return { unsupported: 'only 2-D transposed convolutions with a constant weight are supported' };
  if (dynamic(n, cx, 1)) return { unsupported: dynamic(n, cx, 1)! };
  const pads = symmetricPads(n, 2);
  if (!pads) return { unsupported: 'only the same padding on both sides of each dim (no auto_pad SAME) is supported' };
  const groups = int(n, 'group', 1);
  const outC = w.dims[1] * groups;
  const params: Record<string, Float32Array> = { weight: f32(w.values) };
  if (n.input[2]) params.bias = f32(cx.constant(n.input[2])?.values ?? []);
  if (n.input[2] && params.bias.length !== outC) return { unsupported: 'the bias must be a constant with one value per output channel' };
  const attrs: Attrs = {
    outChannels: outC,
    kernelSize: [w.dims[2], w.dims[3]],
    stride: ints(n, 'strides') ?? [1, 1],
    padding: pads,
    outputPadding: ints(n, 'output_padding') ?? [0, 0],
    dilation: ints(n, 'dilations') ?? [1, 1],
    groups,
    bias: 'bias' in params,
  };
  return { op: 'ConvTranspose2d', attrs, inputs: [n.input[0]], params };
}

/**
 * Transposed 2-D convolution as `torch.nn.ConvTranspose2d`: weight `[inC, outC/groups, kH, kW]`,
 * output size `(H−1)·stride − 2·padding + dilation·(kernel−1) + outputPadding + 1`.
 * It is the adjoint of Conv2d: forward is gemm + `backend.col2im`, backward is `backend.im2col` +
 * gemm, per sample and group.
 */
export const convTranspose2d = defineOp({
  name: 'ConvTranspose2d',
  category: 'layers',
  onnx: {
    opType: 'ConvTranspose',
    attrs: {
      kernel_shape: { attr: 'kernelSize' },
      strides: { attr: 'stride' },
      pads: { attr: 'padding', convert: 'pads' },
      output_padding: { attr: 'outputPadding' },
      dilations: { attr: 'dilation' },
      group: { attr: 'groups' },
    },
    note: 'weight and bias as initializers',
  },
  onnxImport: { ConvTranspose: convTranspose },
  torch: {
    module:
      'nn.ConvTranspose2d({in[1]}, {outChannels}, kernel_size={kernelSize}, stride={stride}, padding={padding}, output_padding={outputPadding}, groups={groups}, bias={bias}, dilation={dilation})',
    note: 'init other than torch_default: apply the matching nn.init function to .weight and zero .bias',
  },
  card: (a) => `${showAttr(a.outChannels)} ch · k${showAttr(a.kernelSize)}`,
  divergenceAdvice: weightsBlewUp,
  doc: 'Transposed convolution (learned upsampling) over [N, C, H, W] images.',
  inputs: [{ name: 'x' }],
  attrs: {
    outChannels: { kind: 'int', default: 16, min: 1, max: 1 << 16, doc: 'Number of output channels.' },
    kernelSize: { kind: 'ints', default: [2, 2], length: 2, min: 1, doc: 'Kernel height and width.' },
    stride: { kind: 'ints', default: [2, 2], length: 2, min: 1, doc: 'Upsampling step (height, width).' },
    padding: { kind: 'ints', default: [0, 0], length: 2, min: 0, doc: 'Rows/columns cropped from each side of the output.' },
    outputPadding: { kind: 'ints', default: [0, 0], length: 2, min: 0, doc: 'Extra rows/columns added on one side to reach an exact size; smaller than stride or dilation.' },
    dilation: { kind: 'ints', default: [1, 1], length: 2, min: 1, doc: 'Spacing between kernel taps (height, width).' },
    groups: { kind: 'int', default: 1, min: 1, max: 1 << 16, doc: 'Split channels into this many independent groups (inC and outC must be divisible by it).' },
    bias: { kind: 'bool', default: true, doc: 'Learn a per-channel bias.' },
    init: WEIGHT_INIT_ATTR,
  },
  samplesRead: 'each',
  inferShape({ inputs, attrs }) {
    const bad = expectImage('ConvTranspose2d', inputs[0]);
    if (bad) return bad;
    const c = convTranspose2dPlan(inputs[0], attrs);
    if (c.inC % c.groups !== 0 || c.outC % c.groups !== 0) {
      return fail(ShapeCode.ATTR_RANGE, `ConvTranspose2d groups=${c.groups} must divide both the input channels (${c.inC}) and outChannels (${c.outC}).`);
    }
    for (const i of [0, 1]) {
      if (c.op[i] >= Math.max(c.s[i], c.d[i])) {
        return fail(
          ShapeCode.ATTR_RANGE,
          `ConvTranspose2d outputPadding ${c.op[0]}×${c.op[1]} must be smaller than stride ${c.s[0]}×${c.s[1]} or dilation ${c.d[0]}×${c.d[1]}.`,
        );
      }
    }
    if (c.outH < 1 || c.outW < 1) {
      return fail(ShapeCode.EMPTY, `ConvTranspose2d padding ${c.p[0]}×${c.p[1]} crops the whole output for input ${fmt(inputs[0])}; reduce padding.`);
    }
    return ok([c.n, c.outC, c.outH, c.outW]);
  },
  params({ inputs, attrs }) {
    const c = convTranspose2dPlan(inputs[0], attrs);
    const rf = c.k[0] * c.k[1];
    // PyTorch computes fans from weight [inC, outC/groups, kH, kW]: fanIn = (outC/groups)·kH·kW, fanOut = inC·kH·kW.
    const fanIn = (c.outC / c.groups) * rf;
    const fanOut = c.inC * rf;
    const init = attrs.init as InitKind;
    const specs = [{ name: 'weight', shape: [c.inC, c.outC / c.groups, c.k[0], c.k[1]], init, fanIn, fanOut, decay: true }];
    if (boolAttr(attrs, 'bias')) specs.push({ name: 'bias', shape: [c.outC], init: biasInit(init), fanIn, fanOut, decay: false });
    return specs;
  },
  workspace({ inputs, attrs }) {
    const c = convTranspose2dPlan(inputs[0], attrs);
    return [{ name: 'cols', shape: [(c.outC / c.groups) * c.k[0] * c.k[1], c.h * c.w] }];
  },
  flops({ inputs, attrs }) {
    const c = convTranspose2dPlan(inputs[0], attrs);
    return 2 * c.inC * c.h * c.w * (c.outC / c.groups) * c.k[0] * c.k[1];
  },
});
