import type { Attrs } from '../../ops/types';
import { ATTR, fromUtf8, type OnnxAttribute, type OnnxNode } from './proto';

/** A constant tensor of the file (initializer, Constant node, or Identity of one). */
export interface ConstantValue {
  dims: number[];
  values: Float32Array | number[];
}

/** What a rule may ask about the graph around the node it reads. */
export interface RuleContext {
  /** The model's ai.onnx opset. */
  opset: number;
  constant(value: string): ConstantValue | undefined;
  /** The nodes that read `value` (graph outputs count as readers: `graphOutput` true). */
  consumers(value: string): { nodes: readonly OnnxNode[]; graphOutput: boolean };
  /** A value's shape with the batch dim as 1, once the node producing it has been read. */
  shape(value: string): readonly number[] | undefined;
  /** The static batch size of the graph inputs, when they fix one. */
  staticBatch?: number;
}

/** A node (or a fused chain of nodes) read as one Netwright op. */
export interface Lowered {
  op: string;
  attrs?: Attrs;
  /** The ONNX values feeding the op's inputs, in order. */
  inputs: string[];
  params?: Record<string, Float32Array>;
  buffers?: Record<string, Float32Array>;
  /** Later nodes read as part of this op; the last one's output is the op's output. */
  consumes?: OnnxNode[];
}

/** The outcome of a rule: an op, the identity (Dropout, Identity), or why it cannot be read. */
export type RuleResult = Lowered | { alias: string } | { unsupported: string };

/** Reads one ONNX node (by op_type) as a Netwright op. */
export type ImportRule = (node: OnnxNode, cx: RuleContext) => RuleResult;

function attr(n: OnnxNode, name: string): OnnxAttribute | undefined {
  return n.attribute?.find((a) => a.name === name);
}
function int(n: OnnxNode, name: string, def: number): number {
  return attr(n, name)?.i ?? def;
}
function float(n: OnnxNode, name: string, def: number): number {
  return attr(n, name)?.f ?? def;
}
function ints(n: OnnxNode, name: string): number[] | undefined {
  return attr(n, name)?.ints;
}
function str(n: OnnxNode, name: string, def: string): string {
  const a = attr(n, name);
  return a?.type === ATTR.STRING ? fromUtf8(a.s) : def;
}

/** Attributes the rule does not read must be absent (or at their default), else the node is refused. */
function unexpected(n: OnnxNode, allowed: readonly string[]): string | undefined {
  const extra = (n.attribute ?? []).map((a) => a.name).filter((a) => !allowed.includes(a));
  return extra.length ? `attribute${extra.length > 1 ? 's' : ''} ${extra.join(', ')} ${extra.length > 1 ? 'are' : 'is'} not supported` : undefined;
}

/** ONNX `pads` [begins…, ends…] as Netwright's symmetric per-dim padding, or undefined if asymmetric. */
function symmetricPads(n: OnnxNode, rank: number): number[] | undefined {
  const pads = ints(n, 'pads') ?? new Array<number>(2 * rank).fill(0);
  const autoPad = str(n, 'auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') return undefined;
  if (autoPad === 'VALID') return new Array<number>(rank).fill(0);
  const begins = pads.slice(0, rank);
  return begins.every((p, i) => p === pads[rank + i]) ? begins : undefined;
}

const simple =
  (op: string, attrs: Attrs = {}): ImportRule =>
  (n) =>
    unexpected(n, []) ? { unsupported: unexpected(n, [])! } : { op, attrs, inputs: [n.input[0]] };

/** The data inputs of a node that must not be constants (Netwright ops take weights as parameters, not inputs). */
function dynamic(n: OnnxNode, cx: RuleContext, count: number): string | undefined {
  for (let i = 0; i < count; i++) if (cx.constant(n.input[i])) return `its input ${i + 1} is a constant tensor, which Netwright cannot feed to this op`;
  return undefined;
}

const transpose2d = (w: ArrayLike<number>, rows: number, cols: number) => {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
};

const f32 = (v: Float32Array | number[]) => (v instanceof Float32Array ? v : Float32Array.from(v));

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

function conv(n: OnnxNode, cx: RuleContext): RuleResult {
  const bad = unexpected(n, ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'auto_pad']);
  if (bad) return { unsupported: bad };
  const w = cx.constant(n.input[1]);
  if (!w || w.dims.length !== 4) return { unsupported: 'only 2-D convolutions with a constant weight are supported' };
  if (dynamic(n, cx, 1)) return { unsupported: dynamic(n, cx, 1)! };
  const pads = symmetricPads(n, 2);
  if (!pads) return { unsupported: 'only the same padding on both sides of each dim (no auto_pad SAME) is supported' };
  const params: Record<string, Float32Array> = { weight: f32(w.values) };
  if (n.input[2]) params.bias = f32(cx.constant(n.input[2])?.values ?? []);
  if (n.input[2] && params.bias.length !== w.dims[0]) return { unsupported: 'the bias must be a constant with one value per output channel' };
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

function batchNorm(n: OnnxNode, cx: RuleContext): RuleResult {
  const bad = unexpected(n, ['epsilon', 'momentum', 'training_mode', 'spatial']);
  if (bad) return { unsupported: bad };
  if (int(n, 'training_mode', 0) !== 0 || n.output.filter(Boolean).length > 1) return { unsupported: 'only BatchNormalization in inference mode (one output) is supported' };
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => cx.constant(n.input[i]));
  if (!scale || !bias || !mean || !variance) return { unsupported: 'scale, bias, mean and variance must be constants' };
  return {
    op: 'BatchNorm',
    // NOTE: PyTorch's momentum weighs the new batch; ONNX's weighs the running value.
    attrs: { eps: roundFloat(float(n, 'epsilon', 1e-5)), momentum: Number((1 - roundFloat(float(n, 'momentum', 0.9))).toPrecision(12)), affine: true },
    inputs: [n.input[0]],
    params: { weight: f32(scale.values), bias: f32(bias.values) },
    buffers: { runningMean: f32(mean.values), runningVar: f32(variance.values) },
  };
}

/**
 * A float attribute as the decimal a person typed: ONNX stores float32, so PyTorch's eps 1e-5
 * arrives as 9.99999974e-6; the shortest decimal that rounds to the same float32 gives 1e-5 back.
 */
export function roundFloat(v: number): number {
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const d = Number(f.toPrecision(p));
    if (Math.fround(d) === f) return d;
  }
  return f;
}

function pool(op: 'MaxPool2d' | 'AvgPool2d'): ImportRule {
  return (n) => {
    const allowed = op === 'MaxPool2d' ? ['kernel_shape', 'strides', 'pads', 'auto_pad', 'ceil_mode', 'dilations', 'storage_order'] : ['kernel_shape', 'strides', 'pads', 'auto_pad', 'ceil_mode', 'count_include_pad'];
    const bad = unexpected(n, allowed);
    if (bad) return { unsupported: bad };
    const k = ints(n, 'kernel_shape');
    if (!k || k.length !== 2) return { unsupported: 'only 2-D pooling is supported' };
    if (int(n, 'ceil_mode', 0) !== 0) return { unsupported: 'ceil_mode = 1 is not supported' };
    if ((ints(n, 'dilations') ?? [1, 1]).some((d) => d !== 1)) return { unsupported: 'dilated pooling is not supported' };
    if (n.output.filter(Boolean).length > 1) return { unsupported: 'the Indices output is not supported' };
    const pads = symmetricPads(n, 2);
    if (!pads) return { unsupported: 'only the same padding on both sides of each dim is supported' };
    if (op === 'AvgPool2d' && pads.some((p) => p > 0) && int(n, 'count_include_pad', 0) !== 1) return { unsupported: 'padded average pooling must count the padding (count_include_pad = 1), as Netwright does' };
    return { op, attrs: { kernelSize: k, stride: ints(n, 'strides') ?? [1, 1], padding: pads }, inputs: [n.input[0]] };
  };
}

function globalAvgPool(n: OnnxNode, cx: RuleContext): RuleResult {
  const readers = cx.consumers(n.output[0]);
  const next = readers.nodes[0];
  if (readers.nodes.length === 1 && !readers.graphOutput && next.op_type === 'Flatten' && int(next, 'axis', 1) === 1) {
    return { op: 'GlobalAvgPool', inputs: [n.input[0]], consumes: [next] };
  }
  return { unsupported: 'GlobalAveragePool is read together with the Flatten (axis 1) after it; on its own it is not supported' };
}

function flatten(n: OnnxNode): RuleResult {
  if (int(n, 'axis', 1) !== 1) return { unsupported: 'only Flatten with axis 1 keeps the batch dim; other axes are not supported' };
  return { op: 'Flatten', attrs: { startDim: 1 }, inputs: [n.input[0]] };
}

function reshape(n: OnnxNode, cx: RuleContext): RuleResult {
  if (int(n, 'allowzero', 0) !== 0) return { unsupported: 'allowzero = 1 is not supported' };
  const s = cx.constant(n.input[1]);
  if (!s) return { unsupported: 'the target shape must be a constant' };
  const x = cx.shape(n.input[0]);
  const shape = [...s.values].map((d, i) => (d === 0 && x ? x[i] : d));
  const first = s.values[0];
  if (!(first === 0 || first === -1 || (cx.staticBatch !== undefined && first === cx.staticBatch))) {
    return { unsupported: `the target shape [${[...s.values].join(', ')}] does not keep the batch dim first (0 or −1)` };
  }
  if (first === -1 && shape.slice(1).includes(-1)) return { unsupported: 'a target shape with −1 both in the batch dim and in a sample dim is not supported' };
  return { op: 'Reshape', attrs: { shape: shape.slice(1) }, inputs: [n.input[0]] };
}

function resize(n: OnnxNode, cx: RuleContext): RuleResult {
  const bad = unexpected(n, ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value', 'antialias', 'keep_aspect_ratio_policy']);
  if (bad) return { unsupported: bad };
  if (str(n, 'mode', 'nearest') !== 'nearest') return { unsupported: 'only nearest-neighbour Resize is supported' };
  const coords = str(n, 'coordinate_transformation_mode', 'half_pixel');
  const nearest = str(n, 'nearest_mode', 'round_prefer_floor');
  // NOTE: with an integer scale s, output pixel o reads floor(o / s) under asymmetric + floor, and
  // also under half_pixel with either rounding (the source position never lands on .5).
  const exact = (coords === 'asymmetric' && nearest === 'floor') || ((coords === 'half_pixel' || coords === 'pytorch_half_pixel') && nearest.startsWith('round_prefer'));
  if (!exact) return { unsupported: `coordinate_transformation_mode ${coords} with nearest_mode ${nearest} is not Netwright's nearest upsampling` };
  const scales = n.input[2] ? cx.constant(n.input[2]) : undefined;
  if (!scales || scales.values.length !== 4) return { unsupported: 'only Resize by constant scales [1, 1, s, s] is supported (not by sizes)' };
  const [a, b, h, w] = scales.values;
  if (a !== 1 || b !== 1 || h !== w || !Number.isInteger(h) || h < 1) return { unsupported: `scales [${[...scales.values].join(', ')}]: only [1, 1, s, s] with a whole s is supported` };
  return { op: 'Upsample', attrs: { scaleFactor: h, mode: 'nearest' }, inputs: [n.input[0]] };
}

function layerNorm(n: OnnxNode, cx: RuleContext): RuleResult {
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

function softmax(n: OnnxNode, cx: RuleContext): RuleResult {
  const x = cx.shape(n.input[0]);
  if (cx.opset < 13) {
    // Before opset 13 Softmax flattened the input to 2-D at `axis`: the same only on the last dim.
    const axis = int(n, 'axis', 1);
    if (!x || (axis < 0 ? x.length + axis : axis) !== x.length - 1) return { unsupported: `Softmax before opset 13 with axis ${axis} is not over one dim` };
    return { op: 'Softmax', attrs: { axis: -1 }, inputs: [n.input[0]] };
  }
  return { op: 'Softmax', attrs: { axis: int(n, 'axis', -1) }, inputs: [n.input[0]] };
}

function add(n: OnnxNode, cx: RuleContext): RuleResult {
  if (dynamic(n, cx, 2)) return { unsupported: 'adding a constant tensor (outside a Linear layer) is not supported' };
  return { op: 'Add', inputs: [n.input[0], n.input[1]] };
}

function concat(n: OnnxNode, cx: RuleContext): RuleResult {
  if (dynamic(n, cx, n.input.length)) return { unsupported: 'concatenating a constant tensor is not supported' };
  const axis = int(n, 'axis', 1);
  if (axis === 0) return { unsupported: 'concatenating along the batch dim (axis 0) is not supported' };
  return { op: 'Concat', attrs: { axis }, inputs: [...n.input] };
}

function oneHot(n: OnnxNode, cx: RuleContext): RuleResult {
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

const identity: ImportRule = (n, cx) => {
  if (n.output[1] && (cx.consumers(n.output[1]).nodes.length > 0 || cx.consumers(n.output[1]).graphOutput)) return { unsupported: 'its mask output is used' };
  return { alias: n.input[0] };
};

/**
 * The ONNX op types Netwright reads (ai.onnx domain), one rule each. Patterns that span several
 * nodes are read from their first node (MatMul + Add, GlobalAveragePool + Flatten) or by the
 * fusions in import-fusions.ts (GELU's Erf and Tanh forms, the input normalisation).
 */
export const IMPORT_RULES: Readonly<Record<string, ImportRule>> = {
  Gemm: gemm,
  MatMul: matMul,
  Conv: conv,
  ConvTranspose: convTranspose,
  BatchNormalization: batchNorm,
  Relu: simple('ReLU'),
  LeakyRelu: (n) => ({ op: 'LeakyReLU', attrs: { negativeSlope: roundFloat(float(n, 'alpha', 0.01)) }, inputs: [n.input[0]] }),
  Elu: (n) => ({ op: 'ELU', attrs: { alpha: roundFloat(float(n, 'alpha', 1)) }, inputs: [n.input[0]] }),
  Sigmoid: simple('Sigmoid'),
  // NOTE: ONNX Softplus has no threshold; PyTorch's 20 changes nothing in float32 (log(1 + eˣ) = x there).
  Softplus: simple('Softplus', { beta: 1, threshold: 20 }),
  Tanh: simple('Tanh'),
  Gelu: (n) => ({ op: 'GELU', attrs: { approximate: str(n, 'approximate', 'none') }, inputs: [n.input[0]] }),
  Softmax: softmax,
  MaxPool: pool('MaxPool2d'),
  AveragePool: pool('AvgPool2d'),
  GlobalAveragePool: globalAvgPool,
  Flatten: flatten,
  Reshape: reshape,
  Add: add,
  Concat: concat,
  OneHot: oneHot,
  Resize: resize,
  LayerNormalization: layerNorm,
  Dropout: identity,
  Identity: identity,
};

/**
 * The rule for an ONNX op type, or undefined. Only the table's own entries: an op type named
 * `constructor`, `toString` or `__proto__` is an unsupported op, not a property of every object.
 */
export function importRuleFor(opType: string): ImportRule | undefined {
  return Object.hasOwn(IMPORT_RULES, opType) ? IMPORT_RULES[opType] : undefined;
}
