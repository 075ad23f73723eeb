import type { Attrs } from '../../ops/types';
import { roundFloat, type ConstantValue } from './import-rules';
import type { OnnxNode } from './proto';
import { LSTM_FUSION } from '../../ops/lstm';
import { GRU_FUSION } from '../../ops/gru';
import { RNN_FUSION } from '../../ops/rnn';
import { EMBEDDING_FUSION } from '../../ops/embedding';
import { ATTENTION_FUSION } from '../../ops/attention-import';

/** The graph as a fusion sees it. */
export interface FusionGraph {
  constant(value: string): ConstantValue | undefined;
  producer(value: string): OnnxNode | undefined;
  /** The node reading `value` when it is the only reader (and `value` is no graph output). */
  only(value: string): OnnxNode | undefined;
  /** Whether anything reads `value` (a node, or the graph's outputs). */
  used(value: string): boolean;
  /** Every node reading `value`, and whether it is a graph output. */
  consumers(value: string): { nodes: readonly OnnxNode[]; graphOutput: boolean };
}

/** Several nodes read as one Netwright op. */
export interface Fusion {
  nodes: OnnxNode[];
  op: string;
  attrs: Attrs;
  input: string;
  /** The value holding the op's output. */
  output: string;
  /** The op's parameters read from the nodes' constants (LSTM's weights), by parameter name. */
  params?: Record<string, Float32Array>;
}

/**
 * A chain of ONNX nodes forming one Netwright op (the elementwise decompositions exporters write
 * for ops older opsets lack). Each is tried at every node of its `anchor` op type.
 */
export interface FusionRule {
  anchor: string;
  match(anchor: OnnxNode, g: FusionGraph): Fusion | undefined;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.abs(b);

function scalar(g: FusionGraph, value: string, target: number): boolean {
  const c = g.constant(value);
  return c !== undefined && c.values.length === 1 && close(c.values[0], target);
}

/** The other operand of a binary node whose one operand is `value`, or undefined. */
function other(n: OnnxNode, value: string): string | undefined {
  if (n.input[0] === value) return n.input[1];
  if (n.input[1] === value) return n.input[0];
  return undefined;
}

/** `value` read by `op(value, c)` (either order) with `c` the constant `target`; returns that node. */
function byConstant(g: FusionGraph, value: string, op: string, target: number): OnnxNode | undefined {
  const n = g.only(value);
  if (!n || n.op_type !== op) return undefined;
  const o = other(n, value);
  return o !== undefined && scalar(g, o, target) ? n : undefined;
}

/** The tail both GELU forms share: `(inner + 1) · x · 0.5`, as torch.onnx writes it. */
function geluTail(g: FusionGraph, inner: string, x: string): OnnxNode[] | undefined {
  const plus = byConstant(g, inner, 'Add', 1);
  if (!plus) return undefined;
  const times = g.only(plus.output[0]);
  if (!times || times.op_type !== 'Mul' || other(times, plus.output[0]) !== x) return undefined;
  const half = byConstant(g, times.output[0], 'Mul', 0.5);
  return half ? [plus, times, half] : undefined;
}

/** GELU as `x · 0.5 · (1 + erf(x / √2))` (torch.onnx below opset 20, and Netwright). */
const geluErf: FusionRule = {
  anchor: 'Erf',
  match(erf, g) {
    const div = g.producer(erf.input[0]);
    if (!div || g.only(div.output[0]) !== erf) return undefined;
    const x = div.input[0];
    const scaled = (div.op_type === 'Div' && scalar(g, div.input[1], Math.SQRT2)) || (div.op_type === 'Mul' && scalar(g, div.input[1], Math.SQRT1_2));
    if (!scaled) return undefined;
    const tail = geluTail(g, erf.output[0], x);
    return tail && { nodes: [div, erf, ...tail], op: 'GELU', attrs: { approximate: 'none' }, input: x, output: tail[2].output[0] };
  },
};

/** GELU's tanh form `x · 0.5 · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`. */
const geluTanh: FusionRule = {
  anchor: 'Tanh',
  match(tanh, g) {
    const scale = g.producer(tanh.input[0]);
    if (!scale || scale.op_type !== 'Mul' || g.only(scale.output[0]) !== tanh) return undefined;
    const polyValue = scalar(g, scale.input[0], 0.7978845608028654) ? scale.input[1] : scalar(g, scale.input[1], 0.7978845608028654) ? scale.input[0] : undefined;
    const poly = polyValue && g.producer(polyValue);
    if (!poly || poly.op_type !== 'Add' || g.only(poly.output[0]) !== scale) return undefined;
    for (const [x, termValue] of [
      [poly.input[0], poly.input[1]],
      [poly.input[1], poly.input[0]],
    ]) {
      const term = g.producer(termValue);
      if (!term || term.op_type !== 'Mul' || g.only(term.output[0]) !== poly) continue;
      const cubeValue = scalar(g, term.input[0], 0.044715) ? term.input[1] : scalar(g, term.input[1], 0.044715) ? term.input[0] : undefined;
      const cube = cubeValue && g.producer(cubeValue);
      if (!cube || g.only(cube.output[0]) !== term) continue;
      let cubeNodes: OnnxNode[] | undefined;
      if (cube.op_type === 'Pow' && cube.input[0] === x && scalar(g, cube.input[1], 3)) cubeNodes = [cube];
      if (cube.op_type === 'Mul' && other(cube, x) !== undefined) {
        const sq = g.producer(other(cube, x)!);
        if (sq && sq.op_type === 'Mul' && sq.input[0] === x && sq.input[1] === x && g.only(sq.output[0]) === cube) cubeNodes = [sq, cube];
      }
      if (!cubeNodes) continue;
      const tail = geluTail(g, tanh.output[0], x);
      if (tail) return { nodes: [...cubeNodes, term, poly, scale, tanh, ...tail], op: 'GELU', attrs: { approximate: 'tanh' }, input: x, output: tail[2].output[0] };
    }
    return undefined;
  },
};

/** SiLU as `x · Sigmoid(x)`. */
const silu: FusionRule = {
  anchor: 'Sigmoid',
  match(sig, g) {
    const x = sig.input[0];
    const mul = g.only(sig.output[0]);
    if (!mul || mul.op_type !== 'Mul' || other(mul, sig.output[0]) !== x) return undefined;
    return { nodes: [sig, mul], op: 'SiLU', attrs: {}, input: x, output: mul.output[0] };
  },
};

/**
 * Softplus with β and PyTorch's threshold, as Netwright writes it:
 * `Where(β·x > threshold, x, Softplus(β·x) / β)` (the Mul and Div only when β ≠ 1).
 */
const softplus: FusionRule = {
  anchor: 'Softplus',
  match(sp, g) {
    const nodes: OnnxNode[] = [];
    const bx = sp.input[0];
    let x = bx;
    let beta = 1;
    const scale = g.producer(bx);
    const betaOf = (n: OnnxNode) => g.constant(n.input[1])?.values;
    if (scale && scale.op_type === 'Mul' && betaOf(scale)?.length === 1) {
      beta = betaOf(scale)![0];
      x = scale.input[0];
      nodes.push(scale);
    }
    nodes.push(sp);
    let y = sp.output[0];
    if (beta !== 1) {
      const div = g.only(y);
      if (!div || div.op_type !== 'Div' || !scalar(g, div.input[1], beta)) return undefined;
      nodes.push(div);
      y = div.output[0];
    }
    const where = g.only(y);
    if (!where || where.op_type !== 'Where' || where.input[2] !== y || where.input[1] !== x) return undefined;
    const gt = g.producer(where.input[0]);
    const threshold = gt && g.constant(gt.input[1])?.values;
    if (!gt || gt.op_type !== 'Greater' || gt.input[0] !== bx || threshold?.length !== 1 || g.only(gt.output[0]) !== where) return undefined;
    return { nodes: [...nodes, gt, where], op: 'Softplus', attrs: { beta: roundFloat(beta), threshold: roundFloat(threshold[0]) }, input: x, output: where.output[0] };
  },
};

/** A constant's values when every one equals `v`. */
const all = (c: ConstantValue | undefined, v: number) => c !== undefined && [...c.values].every((x) => x === v);

/**
 * GroupNorm as torch.onnx writes it: `Reshape(x, [0, G, -1])`, `InstanceNormalization` with scale
 * 1 and bias 0, `Reshape` back to x's shape, then (affine) `Mul` by the weight and `Add` of the
 * bias, each per channel.
 */
const groupNorm: FusionRule = {
  anchor: 'InstanceNormalization',
  match(norm, g) {
    const grouped = g.producer(norm.input[0]);
    const target = grouped && g.constant(grouped.input[1])?.values;
    if (!grouped || grouped.op_type !== 'Reshape' || g.only(grouped.output[0]) !== norm || target?.length !== 3 || target[0] !== 0 || target[2] !== -1) return undefined;
    if (!all(g.constant(norm.input[1]), 1) || !all(g.constant(norm.input[2]), 0)) return undefined;
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
const layerNormDecomposed: FusionRule = {
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

/** Multi-node patterns read as one op, tried before the per-node rules. */
export const IMPORT_FUSIONS: readonly FusionRule[] = [geluErf, geluTanh, silu, softplus, groupNorm, layerNormDecomposed, LSTM_FUSION, GRU_FUSION, RNN_FUSION, EMBEDDING_FUSION, ATTENTION_FUSION];
