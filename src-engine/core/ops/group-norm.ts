import { boolAttr, fail, floatAttr, fmt, intAttr, ok, ShapeCode } from './shape-util';
import { defineOp } from './types';
import { channelAffine } from './batch-norm';
import { roundFloat, type ConstantValue } from '../../base/onnx/import-rule';
import { allEqual, type ImportFusion } from '../../base/onnx/import-fusion';

/**
 * GroupNorm as torch.onnx writes it: `Reshape(x, [0, G, -1])`, `InstanceNormalization` with scale
 * 1 and bias 0, `Reshape` back to x's shape, then (affine) `Mul` by the weight and `Add` of the
 * bias, each per channel.
 */
const groupNormFusion: ImportFusion = {
  anchor: 'InstanceNormalization',
  match(norm, g) {
    const grouped = g.producer(norm.input[0]);
    const target = grouped && g.constant(grouped.input[1])?.values;
    if (!grouped || grouped.op_type !== 'Reshape' || g.only(grouped.output[0]) !== norm || target?.length !== 3 || target[0] !== 0 || target[2] !== -1) return undefined;
    if (!allEqual(g.constant(norm.input[1]), 1) || !allEqual(g.constant(norm.input[2]), 0)) return undefined;
    const x = grouped.input[0];
    const back = g.only(norm.output[0]);
    const shapeOf = back && g.producer(back.input[1]);
    if (!back || back.op_type !== 'Reshape' || !shapeOf || shapeOf.op_type !== 'Shape' || shapeOf.input[0] !== x) return undefined;
    const attrs = { numGroups: target[1], eps: roundFloat(norm.attribute?.find((a) => a.name === 'epsilon')?.f ?? 1e-5) };
    const nodes = [grouped, norm, shapeOf, back];
    const mul = g.only(back.output[0]);
    const weight = mul && mul.op_type === 'Mul' && mul.input[0] === back.output[0] ? g.constant(mul.input[1]) : undefined;
    const add = weight && g.only(mul!.output[0]);
    const bias = add && add.op_type === 'Add' && add.input[0] === mul!.output[0] ? g.constant(add.input[1]) : undefined;
    const perChannel = (c: ConstantValue) => c.dims.filter((d) => d !== 1).length <= 1 && c.values.length === weight!.values.length;
    if (!weight || !bias || !perChannel(weight) || !perChannel(bias)) return { nodes, op: 'GroupNorm', attrs: { ...attrs, affine: false }, input: x, output: back.output[0] };
    return { nodes: [...nodes, mul!, add!], op: 'GroupNorm', attrs, input: x, output: add!.output[0], params: { weight: Float32Array.from(weight.values), bias: Float32Array.from(bias.values) } };
  },
};

/**
 * Normalise each sample over groups of channels (with their positions), then scale and shift
 * per channel, as `torch.nn.GroupNorm(numGroups, C)`: BatchNorm's effect without batch statistics,
 * the same in train and eval. torch.onnx writes it as Reshape → InstanceNormalization → Reshape →
 * Mul → Add (read back as one node: its `onnxFusions`).
 */
export const groupNorm = defineOp({
  name: 'GroupNorm',
  category: 'normalization',
  onnxFusions: [groupNormFusion],
  onnx: {
    opType: 'InstanceNormalization',
    note: 'as torch.onnx writes it: Reshape to [N, groups, −1], InstanceNormalization (scale 1, bias 0), Reshape back to Shape(x), then Mul and Add by the per-channel weight and bias',
    emit(ctx) {
      const shape = ctx.inputShapes[0];
      const groups = intAttr(ctx.attrs, 'numGroups');
      const grouped = ctx.node('Reshape', [ctx.inputs[0], ctx.constant('groups', [3], [0, groups, -1], 'int64')]);
      const ones = ctx.constant('scale', [groups], new Array<number>(groups).fill(1));
      const zeros = ctx.constant('shift', [groups], new Array<number>(groups).fill(0));
      const normed = ctx.node('InstanceNormalization', [grouped, ones, zeros], { epsilon: { float: floatAttr(ctx.attrs, 'eps') } });
      const back = ctx.node('Reshape', [normed, ctx.node('Shape', [ctx.inputs[0]])]);
      if (!boolAttr(ctx.attrs, 'affine')) return back;
      const perChannel = [shape[1], ...new Array<number>(shape.length - 2).fill(1)];
      const scaled = ctx.node('Mul', [back, ctx.constant('gamma', perChannel, ctx.weightValues('weight')!)]);
      return ctx.node('Add', [scaled, ctx.constant('beta', perChannel, ctx.weightValues('bias')!)]);
    },
  },
  torch: { module: 'nn.GroupNorm({numGroups}, {in[1]}, eps={eps}, affine={affine})' },
  doc: 'Normalise each sample over groups of channels, then a learned scale and shift per channel.',
  card: (attrs) => `${String(attrs.numGroups)} groups`,
  inputs: [{ name: 'x' }],
  attrs: {
    numGroups: { kind: 'int', default: 2, min: 1, doc: 'How many groups the channels are split into (must divide the channels).' },
    eps: { kind: 'float', default: 1e-5, min: 0, max: 1, doc: 'Added to the variance before the square root.' },
    affine: { kind: 'bool', default: true, doc: 'Learn a scale and shift per channel.' },
  },
  inferShape({ inputs, attrs }) {
    const x = inputs[0];
    const groups = intAttr(attrs, 'numGroups');
    if (x.length < 3) return fail(ShapeCode.RANK, `GroupNorm expects [N, C, …] with positions; got ${fmt(x)}.`);
    if (x[1] % groups !== 0) return fail(ShapeCode.ATTR_RANGE, `GroupNorm's ${groups} groups must divide the ${x[1]} channels of ${fmt(x)}.`);
    return ok([...x]);
  },
  params: channelAffine,
  flops: ({ output }) => 8 * output.slice(1).reduce((a, b) => a * b, 1),
});
