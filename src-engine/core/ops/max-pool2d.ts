import { expectImage, fail, fmt, ok, pairAttr, ShapeCode, windowOut } from './shape-util';
import { defineOp, type Attrs } from './types';
import { int, ints, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import { pool } from './onnx-import';
import { ATTR, type OnnxNode } from '../../base/onnx/model';

export interface PoolPlan {
  n: number;
  c: number;
  h: number;
  w: number;
  k: [number, number];
  s: [number, number];
  p: [number, number];
  outH: number;
  outW: number;
  /** Ceil mode: the last window may start past the floor-mode end (clipped to the image), as PyTorch's `ceil_mode`. */
  ceil: boolean;
}

/** Window geometry of a 2-D pool; `stride` defaults to the kernel size (PyTorch). */
export function poolPlan(inputShape: readonly number[], attrs: Attrs): PoolPlan {
  const [n, c, h, w] = inputShape;
  const k = pairAttr(attrs, 'kernelSize');
  const s = pairAttr(attrs, 'stride', k);
  const p = pairAttr(attrs, 'padding');
  const ceil = attrs.ceilMode === true;
  const out = (size: number, i: 0 | 1) => (ceil ? ceilWindowOut(size, k[i], s[i], p[i]) : windowOut(size, k[i], s[i], p[i]));
  return { n, c, h, w, k, s, p, outH: out(h, 0), outW: out(w, 1), ceil };
}

/**
 * PyTorch's ceil-mode output size: windows are counted rounding up, but the last one must start
 * inside the input or its left padding (`pooling_output_shape`).
 */
function ceilWindowOut(size: number, kernel: number, stride: number, pad: number): number {
  let out = Math.ceil((size + 2 * pad - kernel) / stride) + 1;
  if ((out - 1) * stride >= size + pad) out--;
  return out;
}

const readPool = pool('MaxPool2d');

/**
 * ONNX MaxPool; asymmetric padding that only adds at the end, as Netwright writes ceil mode (see
 * the export), is read back as ceil mode when that gives the same windows.
 */
function maxPoolRule(n: OnnxNode, cx: RuleContext): RuleResult {
  const pads = ints(n, 'pads');
  const x = cx.shape(n.input[0]);
  if (!pads || pads.length !== 4 || (pads[0] === pads[2] && pads[1] === pads[3]) || int(n, 'ceil_mode', 0) !== 0 || !x || x.length !== 4) return readPool(n, cx);
  const symmetric: OnnxNode = { ...n, attribute: [...(n.attribute ?? []).filter((a) => a.name !== 'pads' && a.name !== 'ceil_mode'), { name: 'pads', type: ATTR.INTS, ints: [pads[0], pads[1], pads[0], pads[1]] }, { name: 'ceil_mode', type: ATTR.INT, i: 1 }] };
  const r = readPool(symmetric, cx);
  if (!('op' in r)) return r;
  const q = poolPlan(x, r.attrs!);
  const floorOut = (i: 0 | 1) => windowOut([q.h, q.w][i] + pads[i + 2] - pads[i], q.k[i], q.s[i], pads[i]);
  if (pads[2] < pads[0] || pads[3] < pads[1] || floorOut(0) !== q.outH || floorOut(1) !== q.outW) return readPool(n, cx);
  return r;
}

/** Shape rule shared by MaxPool2d and AvgPool2d. */
export function poolShape(op: string, inputs: readonly (readonly number[])[], attrs: Attrs) {
  const bad = expectImage(op, inputs[0]);
  if (bad) return bad;
  const q = poolPlan(inputs[0], attrs);
  if (2 * q.p[0] > q.k[0] || 2 * q.p[1] > q.k[1]) {
    return fail(ShapeCode.ATTR_RANGE, `${op} padding ${q.p[0]}×${q.p[1]} must be at most half the kernel ${q.k[0]}×${q.k[1]}.`);
  }
  if (q.outH < 1 || q.outW < 1) {
    return fail(ShapeCode.EMPTY, `${op} window ${q.k[0]}×${q.k[1]} does not fit the ${q.h}×${q.w} input ${fmt(inputs[0])}; use a smaller kernel.`);
  }
  return ok([q.n, q.c, q.outH, q.outW]);
}

/** Multiply-or-compare count per sample of a 2-D pool (one per window element). */
export function poolFlops({ output, attrs }: { output: readonly number[]; attrs: Attrs }): number {
  const k = pairAttr(attrs, 'kernelSize');
  return output[1] * output[2] * output[3] * k[0] * k[1];
}

export const POOL_ATTRS = {
  kernelSize: { kind: 'ints', default: [2, 2], length: 2, min: 1, doc: 'Window height and width.' },
  stride: { kind: 'ints', default: [], length: 2, min: 1, doc: 'Step between windows; empty = the kernel size.' },
  padding: { kind: 'ints', default: [0, 0], length: 2, min: 0, doc: 'Implicit padding on each side (at most half the kernel).' },
} as const;

/**
 * Max over each window, as `torch.nn.MaxPool2d` (dilation 1, ceil_mode an option). Padding counts as
 * −∞. The argmax of each window is kept in the workspace for backward.
 *
 * NOTE: ties go to the first maximum in row-major window order, and a NaN wins (propagates), as in
 * PyTorch's CPU kernel, so gradients route to the same element PyTorch picks.
 */
export const maxPool2d = defineOp({
  name: 'MaxPool2d',
  category: 'layers',
  onnx: {
    opType: 'MaxPool',
    attrs: { kernel_shape: { attr: 'kernelSize' }, strides: { attr: 'stride', ifEmpty: 'kernelSize' }, pads: { attr: 'padding', convert: 'pads' }, ceil_mode: { attr: 'ceilMode' } },
    note: 'empty stride: the kernel size; ceil mode as floor mode with the end padding that gives its windows',
    emit(ctx) {
      const attrs = ctx.mappedAttrs();
      delete attrs.ceil_mode;
      if (!ctx.attrs.ceilMode) return ctx.node('MaxPool', ctx.inputs, attrs);
      // NOTE: ONNX's ceil_mode output size (before opset 19) lacks PyTorch's rule that the last
      // window starts inside the input or its left padding, and runtimes differ on it: floor mode
      // with extra padding at the end (−∞ for MaxPool) gives PyTorch's windows exactly.
      const q = poolPlan(ctx.inputShapes[0], ctx.attrs);
      const extra = ([0, 1] as const).map((i) => Math.max(0, (([q.outH, q.outW][i] - 1) * q.s[i] + q.k[i]) - ([q.h, q.w][i] + 2 * q.p[i])));
      return ctx.node('MaxPool', ctx.inputs, { ...attrs, pads: { ints: [q.p[0], q.p[1], q.p[0] + extra[0], q.p[1] + extra[1]] } });
    },
  },
  onnxImport: { MaxPool: maxPoolRule },
  torch: { module: 'nn.MaxPool2d({kernelSize}, stride={stride}, padding={padding}, ceil_mode={ceilMode})' },
  doc: 'Max over sliding windows of [N, C, H, W] images.',
  inputs: [{ name: 'x' }],
  attrs: {
    ...POOL_ATTRS,
    ceilMode: { kind: 'bool', default: false, doc: 'Round the output size up (PyTorch ceil_mode): a last, partial window covers the edge.' },
  },
  samplesRead: 'each',
  inferShape: ({ inputs, attrs }) => poolShape('MaxPool2d', inputs, attrs),
  workspace({ output }) {
    return [{ name: 'argmax', shape: [...output] }];
  },
  flops: poolFlops,
});

