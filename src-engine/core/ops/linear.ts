import { biasInit, boolAttr, fail, fmt, intAttr, ok, ShapeCode, showAttr, WEIGHT_INIT_ATTR, weightsBlewUp } from './shape-util';
import { defineOp, type InitKind, type ShapeArgs } from './types';
import { dynamic, f32, float, int, transpose2d, unexpected, type RuleContext, type RuleResult } from '../../base/onnx/import-rule';
import type { OnnxNode } from '../../base/onnx/model';

function inFeatures({ inputs }: ShapeArgs): number {
  const x = inputs[0];
  return x[x.length - 1];
}

/** Linear from `MatMul(x, W)` and an optional `Add(·, b)` reading only it. */
function matMul(n: OnnxNode, cx: RuleContext): RuleResult {
  const w = cx.constant(n.input[1]);
  if (!w || w.dims.length !== 2) return { unsupported: 'only a MatMul by a constant 2-D weight (a Linear layer) is supported' };
  if (dynamic(n, cx, 1)) return { unsupported: dynamic(n, cx, 1)! };
  const [inF, out] = w.dims;
  const params: Record<string, Float32Array> = { weight: transpose2d(w.values, inF, out) };
  const readers = cx.consumers(n.output[0]);
  const add = readers.nodes[0];
  const consumes: OnnxNode[] = [];
  if (readers.nodes.length === 1 && !readers.graphOutput && add.op_type === 'Add') {
    const other = add.input[0] === n.output[0] ? add.input[1] : add.input[0];
    const b = cx.constant(other);
    if (b && b.values.length === out && (b.dims.length === 1 || b.dims.every((d, i) => d === 1 || i === b.dims.length - 1))) {
      params.bias = f32(b.values);
      consumes.push(add);
    }
  }
  return { op: 'Linear', attrs: { outFeatures: out, bias: 'bias' in params }, inputs: [n.input[0]], params, consumes };
}

function gemm(n: OnnxNode, cx: RuleContext): RuleResult {
  const bad = unexpected(n, ['alpha', 'beta', 'transA', 'transB']);
  if (bad) return { unsupported: bad };
  if (int(n, 'transA', 0) !== 0 || float(n, 'alpha', 1) !== 1 || float(n, 'beta', 1) !== 1) return { unsupported: 'only Gemm with transA = 0, alpha = 1 and beta = 1 (a Linear layer) is supported' };
  const w = cx.constant(n.input[1]);
  if (!w || w.dims.length !== 2) return { unsupported: 'the weight (input B) must be a constant 2-D tensor' };
  if (dynamic(n, cx, 1)) return { unsupported: dynamic(n, cx, 1)! };
  const transB = int(n, 'transB', 0) === 1;
  const [out, inF] = transB ? w.dims : [w.dims[1], w.dims[0]];
  const params: Record<string, Float32Array> = { weight: transB ? f32(w.values) : transpose2d(w.values, inF, out) };
  if (n.input[2]) {
    const c = cx.constant(n.input[2]);
    if (!c || c.values.length !== out) return { unsupported: 'the bias (input C) must be a constant with one value per output' };
    params.bias = f32(c.values);
  }
  return { op: 'Linear', attrs: { outFeatures: out, bias: 'bias' in params }, inputs: [n.input[0]], params };
}

/**
 * y = x·Wᵀ + b over the last dim, as `torch.nn.Linear` (weight `[out, in]`). Input features are
 * taken from the input shape, so only `outFeatures` is set by the user.
 */
export const linear = defineOp({
  name: 'Linear',
  category: 'layers',
  foldsNormalization: 'dense',
  onnx: {
    opType: 'Gemm',
    attrs: { transB: { value: 1 } },
    note: 'weight and bias as initializers; inputs of rank > 2: MatMul with the transposed weight, then Add',
    emit(ctx) {
      const x = ctx.inputs[0];
      const bias = ctx.weight('bias');
      if (ctx.inputShapes[0].length === 2) return ctx.node('Gemm', bias ? [x, ctx.weight('weight')!, bias] : [x, ctx.weight('weight')!], ctx.mappedAttrs());
      const w = ctx.weightValues('weight')!;
      const out = intAttr(ctx.attrs, 'outFeatures');
      const inF = w.length / out;
      const wt = new Float32Array(w.length);
      for (let o = 0; o < out; o++) for (let i = 0; i < inF; i++) wt[i * out + o] = w[o * inF + i];
      const y = ctx.node('MatMul', [x, ctx.constant('weightT', [inF, out], wt)]);
      return bias ? ctx.node('Add', [y, bias]) : y;
    },
  },
  onnxImport: { Gemm: gemm, MatMul: matMul },
  torch: { module: 'nn.Linear({in[-1]}, {outFeatures}, bias={bias})', note: 'init other than torch_default: apply the matching nn.init function to .weight and zero .bias' },
  card: (a) => `${showAttr(a.outFeatures)} out`,
  widthAttr: 'outFeatures',
  divergenceAdvice: weightsBlewUp,
  doc: 'Fully connected layer: y = x·Wᵀ + b over the last dim.',
  inputs: [{ name: 'x' }],
  attrs: {
    outFeatures: { kind: 'int', default: 10, min: 1, max: 1 << 20, doc: 'Number of output features.' },
    bias: { kind: 'bool', default: true, doc: 'Learn an additive bias.' },
    init: WEIGHT_INIT_ATTR,
  },
  samplesRead: 'each',
  inferShape({ inputs, attrs }) {
    const x = inputs[0];
    if (x.length < 2) {
      return fail(ShapeCode.RANK, `Linear expects [N, features] or [N, …, features]; got ${fmt(x)}.`);
    }
    if (x.length >= 4) {
      return fail(
        ShapeCode.RANK,
        `Linear expects [N, features] or [N, …, features]; got ${fmt(x)} — add a Flatten before it to use all ${x.slice(1).reduce((a, b) => a * b, 1)} values as features.`,
      );
    }
    return ok([...x.slice(0, -1), intAttr(attrs, 'outFeatures')]);
  },
  params(args) {
    const inF = inFeatures(args);
    const out = intAttr(args.attrs, 'outFeatures');
    const init = args.attrs.init as InitKind;
    const specs = [{ name: 'weight', shape: [out, inF], init, fanIn: inF, fanOut: out, decay: true }];
    if (boolAttr(args.attrs, 'bias')) specs.push({ name: 'bias', shape: [out], init: biasInit(init), fanIn: inF, fanOut: out, decay: false });
    return specs;
  },
  flops({ inputs, output }) {
    const x = inputs[0];
    let rows = 1;
    for (let i = 1; i < x.length - 1; i++) rows *= x[i];
    return 2 * rows * x[x.length - 1] * output[output.length - 1];
  },
});
