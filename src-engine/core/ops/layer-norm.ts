import { boolAttr, fail, fmt, intAttr, ok, ShapeCode } from './shape-util';
import { defineOp, type ParamSpec } from './types';
import { f32, float, int, roundFloat, unexpected, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import { scalar, type ImportFusion } from '../../base/onnx/import-fusion';
import type { OnnxNode } from '../../base/onnx/model';

function layerNormRule(n: OnnxNode, cx: RuleContext): RuleResult {
  const bad = unexpected(n, ['axis', 'epsilon', 'stash_type']);
  if (bad) return { unsupported: bad };
  if (n.output.filter(Boolean).length > 1) return { unsupported: 'only the normalised output (not Mean, InvStdDev) is supported' };
  const x = cx.shape(n.input[0]);
  if (!x) return { unsupported: 'the input shape is unknown' };
  const axis = int(n, 'axis', -1);
  const dims = axis < 0 ? -axis : x.length - axis;
  if (dims < 1 || dims >= x.length) return { unsupported: `axis ${axis} would normalise over the batch dim` };
  const scale = cx.constant(n.input[1]);
  if (!scale) return { unsupported: 'the scale must be a constant' };
  const bias = n.input[2] ? cx.constant(n.input[2]) : undefined;
  if (n.input[2] && !bias) return { unsupported: 'the bias must be a constant' };
  return {
    op: 'LayerNorm',
    attrs: { normalizedDims: dims, eps: roundFloat(float(n, 'epsilon', 1e-5)), elementwiseAffine: true },
    inputs: [n.input[0]],
    params: { weight: f32(scale.values), bias: bias ? f32(bias.values) : new Float32Array(scale.values.length) },
  };
}

/** The trailing axes a ReduceMean (opset < 18, axes as an attribute, keepdims 1) averages over, as a count; undefined otherwise. */
function trailingMean(n: OnnxNode | undefined): number | undefined {
  if (!n || n.op_type !== 'ReduceMean' || (n.attribute?.find((a) => a.name === 'keepdims')?.i ?? 1) !== 1) return undefined;
  const axes = [...(n.attribute?.find((a) => a.name === 'axes')?.ints ?? [])].sort((a, b) => a - b);
  return axes.length > 0 && axes.every((a, i) => a === -axes.length + i) ? axes.length : undefined;
}

/**
 * LayerNorm as torch.onnx writes it before opset 17: `d = x − ReduceMean(x)`, `d / Sqrt(ReduceMean(d²)
 * + eps)`, then (elementwise affine) `Mul` by the weight and `Add` of the bias; the means over the
 * same trailing axes.
 */
const layerNormDecomposed: ImportFusion = {
  anchor: 'Sqrt',
  match(sqrt, g) {
    const plus = g.producer(sqrt.input[0]);
    const eps = plus && plus.op_type === 'Add' ? g.constant(plus.input[1]) : undefined;
    const variance = plus && g.producer(plus.input[0]);
    const square = variance && g.producer(variance.input[0]);
    const sub = square && g.producer(square.input[0]);
    const mean = sub && g.producer(sub.input[1]);
    const dims = trailingMean(mean);
    if (!plus || eps?.values.length !== 1 || !square || square.op_type !== 'Pow' || !scalar(g, square.input[1], 2) || !sub || sub.op_type !== 'Sub' || dims === undefined || trailingMean(variance) !== dims) return undefined;
    const x = sub.input[0];
    const div = g.only(sqrt.output[0]);
    if (mean!.input[0] !== x || !div || div.op_type !== 'Div' || div.input[0] !== sub.output[0] || div.input[1] !== sqrt.output[0]) return undefined;
    const readers = g.consumers(sub.output[0]);
    if (readers.graphOutput || readers.nodes.length !== 2 || [plus, variance!, square].some((n) => g.only(n.output[0]) === undefined) || g.only(mean!.output[0]) !== sub) return undefined;
    const nodes = [mean!, sub, square, variance!, plus, sqrt, div];
    const attrs = { normalizedDims: dims, eps: roundFloat(eps.values[0]) };
    const mul = g.only(div.output[0]);
    const weight = mul && mul.op_type === 'Mul' && mul.input[0] === div.output[0] ? g.constant(mul.input[1]) : undefined;
    const add = weight && g.only(mul!.output[0]);
    const bias = add && add.op_type === 'Add' && add.input[0] === mul!.output[0] ? g.constant(add.input[1]) : undefined;
    if (!weight || !bias || weight.dims.length !== dims || bias.dims.join() !== weight.dims.join()) return { nodes, op: 'LayerNorm', attrs: { ...attrs, elementwiseAffine: false }, input: x, output: div.output[0] };
    return { nodes: [...nodes, mul!, add!], op: 'LayerNorm', attrs: { ...attrs, elementwiseAffine: true }, input: x, output: add!.output[0], params: { weight: Float32Array.from(weight.values), bias: Float32Array.from(bias.values) } };
  },
};

/**
 * Normalise each sample over its last `normalizedDims` dims, then scale and shift elementwise, as
 * `torch.nn.LayerNorm(x.shape[-k:])` (eps 1e-5, elementwise affine). Same in train and eval.
 *
 * NOTE: row statistics are accumulated in float64 (see BatchNorm).
 */
export const layerNorm = defineOp({
  name: 'LayerNorm',
  category: 'normalization',
  onnx: {
    opType: 'LayerNormalization',
    attrs: { axis: { attr: 'normalizedDims', convert: 'negate' }, epsilon: { attr: 'eps' } },
    note: 'scale and bias as initializers (ones and zeros without elementwiseAffine)',
    emit(ctx) {
      const shape = ctx.inputShapes[0].slice(-intAttr(ctx.attrs, 'normalizedDims'));
      const d = shape.reduce((a, b) => a * b, 1);
      const scale = ctx.weight('weight') ?? ctx.constant('weight', shape, new Float32Array(d).fill(1));
      const bias = ctx.weight('bias') ?? ctx.constant('bias', shape, new Float32Array(d));
      return ctx.node('LayerNormalization', [ctx.inputs[0], scale, bias], ctx.mappedAttrs());
    },
  },
  onnxImport: { LayerNormalization: layerNormRule },
  onnxFusions: [layerNormDecomposed],
  torch: { module: 'nn.LayerNorm({in[-normalizedDims:]}, eps={eps}, elementwise_affine={elementwiseAffine})' },
  doc: 'Normalise each sample over its last dims, then scale and shift.',
  inputs: [{ name: 'x' }],
  attrs: {
    normalizedDims: { kind: 'int', default: 1, min: 1, max: 8, doc: 'How many trailing dims to normalise over (1 = features; 3 = C, H, W).' },
    eps: { kind: 'float', default: 1e-5, min: 0, max: 1, doc: 'Added to the variance before the square root.' },
    elementwiseAffine: { kind: 'bool', default: true, doc: 'Learn a scale (weight) and shift (bias) per normalised element.' },
  },
  inferShape({ inputs, attrs }) {
    const x = inputs[0];
    const k = intAttr(attrs, 'normalizedDims');
    if (k > x.length - 1) {
      return fail(
        ShapeCode.ATTR_RANGE,
        `LayerNorm normalizedDims=${k} but the input ${fmt(x)} has only ${x.length - 1} per-sample dim(s); use at most ${x.length - 1}.`,
      );
    }
    return ok([...x]);
  },
  params({ inputs, attrs }): ParamSpec[] {
    if (!boolAttr(attrs, 'elementwiseAffine')) return [];
    const shape = inputs[0].slice(inputs[0].length - intAttr(attrs, 'normalizedDims'));
    const d = shape.reduce((a, b) => a * b, 1);
    return [
      { name: 'weight', shape, init: 'ones', fanIn: d, fanOut: d, decay: false },
      { name: 'bias', shape, init: 'zeros', fanIn: d, fanOut: d, decay: false },
    ];
  },
  workspace({ inputs, attrs }) {
    const x = inputs[0];
    const rows = x.slice(0, x.length - intAttr(attrs, 'normalizedDims')).reduce((a, b) => a * b, 1);
    return [
      { name: 'xhat', shape: [...x] },
      { name: 'invStd', shape: [rows] },
    ];
  },
  flops: ({ inputs }) => 5 * inputs[0].slice(1).reduce((a, b) => a * b, 1),
});
