/**
 * A trained model as the chain of steps its int8 form runs (#85 deliverables 1–3): Linear and
 * Conv2d layers with a following BatchNorm folded into their weights and a following ReLU fused,
 * max pools, flattens; Dropout is dropped (inference). How each op enters the chain is declared
 * once, in `QUANTIZE_RULES`; an op without a rule is refused, naming it.
 */
import { isGraphInput } from '../../base/ir/inputs';
import { predictionNodeId } from '../../base/ir/prediction';
import type { NodeIR } from '../../base/ir/types';
import { checkModelGraph, type TrainedModel } from '../export/model';
import { conv2dPlan, type ConvPlan } from '../ops/conv2d';
import { poolPlan, type PoolPlan } from '../ops/max-pool2d';
import { QuantizeError } from './errors';

/**
 * How an op enters the int8 chain: `linear`, `conv` (a Linear, a Conv2d: int8 weights per output channel),
 * `fold` (a BatchNorm folded into the dense layer before it), `relu` (fused into the layer before,
 * or a clamp at the zero point), `pool` (a max pool on the uint8 values themselves), `reshape` (the
 * values as they are, in another shape), `identity` (nothing at inference: Dropout).
 */
export type QuantizeRule = 'linear' | 'conv' | 'fold' | 'relu' | 'pool' | 'reshape' | 'identity';

/** The ops the int8 path covers, by op name. One table: the planner, the writer and the docs read it. */
export const QUANTIZE_RULES: Readonly<Record<string, QuantizeRule>> = {
  Linear: 'linear',
  Conv2d: 'conv',
  BatchNorm: 'fold',
  ReLU: 'relu',
  MaxPool2d: 'pool',
  Flatten: 'reshape',
  Dropout: 'identity',
};

/** A Linear (`conv` absent) or Conv2d, its BatchNorm folded in: float64 weights `[out, per]` and bias `[out]`. */
export interface DenseStep {
  kind: 'dense';
  /** The layer's node id, and the ids folded or fused into it (BatchNorm, ReLU). */
  id: string;
  merged: string[];
  weight: Float64Array;
  bias: Float64Array;
  out: number;
  /** Weights per output channel (`in` for a Linear; `in/groups · kH · kW` for a Conv2d). */
  per: number;
  conv?: ConvPlan;
  relu: boolean;
  inShape: number[];
  outShape: number[];
}

export interface PoolStep {
  kind: 'pool';
  id: string;
  pool: PoolPlan;
  inShape: number[];
  outShape: number[];
}

export interface ReluStep {
  kind: 'relu';
  id: string;
  inShape: number[];
  outShape: number[];
}

export interface ReshapeStep {
  kind: 'reshape';
  id: string;
  inShape: number[];
  outShape: number[];
}

export type QuantStep = DenseStep | PoolStep | ReluStep | ReshapeStep;

/** The chain: the features input's id and sample shape, the steps in order, the prediction's node id. */
export interface QuantPlan {
  input: string;
  inputShape: number[];
  steps: QuantStep[];
  output: string;
  /** The graph's output name the prediction leaves under (`logits`). */
  outputName: string;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * The int8 chain of `model`: from its features input to its prediction, each node with one input,
 * each op one of `QUANTIZE_RULES`. A BatchNorm right after a Linear or Conv2d (its only reader) is
 * folded into it in float64: `w' = w·γ/√(var+ε)`, `b' = (b − μ)·γ/√(var+ε) + β`; a ReLU right after
 * one is fused.
 *
 * @throws QuantizeError `E_QUANTIZE_UNSUPPORTED` naming the nodes the int8 path does not cover.
 */
export function quantizationPlan(model: TrainedModel): QuantPlan {
  const checked = checkModelGraph(model.graph);
  const graph = checked.ir;
  const shapes = checked.shapesAt(1);
  const sample = (id: string) => shapes[id].slice(1);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const output = predictionNodeId(graph);
  if (output === undefined || !byId.has(output)) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', 'The model names no prediction to quantise (its outputs are losses only).');
  const chain: NodeIR[] = [];
  for (let n = byId.get(output); n && !isGraphInput(n); n = byId.get(n.inputs[0])) {
    chain.unshift(n);
    if (chain.length > graph.nodes.length) break;
  }
  const first = byId.get(chain[0]?.inputs[0] ?? output);
  const problems = chainProblems(graph.nodes, output);
  if (!first || !isGraphInput(first) || first.attrs.source === 'target') problems.unshift('the prediction is not reached from a features input through single-input layers');
  if (problems.length) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', `This model cannot be quantised yet: the int8 path takes a chain of single-input layers (${Object.keys(QUANTIZE_RULES).join(', ')}), and ${problems.join('; ')}.`);

  const steps: QuantStep[] = [];
  for (const n of chain) {
    const rule = QUANTIZE_RULES[n.op];
    const inShape = sample(n.inputs[0]);
    const outShape = sample(n.id);
    const last = steps.at(-1);
    if (rule === 'identity') continue;
    if (rule === 'linear' || rule === 'conv') steps.push(denseStep(model, n, rule === 'conv', shapes[n.inputs[0]], inShape, outShape));
    else if (rule === 'fold') {
      if (last?.kind !== 'dense' || last.relu || last.merged.length) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', `BatchNorm "${n.id}" does not follow a Linear or Conv2d directly, so it cannot be folded into one; the int8 path needs it folded.`);
      foldBatchNorm(model, n, last);
    } else if (rule === 'relu') {
      if (last?.kind === 'dense' && !last.relu) {
        last.relu = true;
        last.merged.push(n.id);
      } else steps.push({ kind: 'relu', id: n.id, inShape, outShape });
    } else if (rule === 'pool') steps.push({ kind: 'pool', id: n.id, pool: poolPlan(shapes[n.inputs[0]], n.attrs), inShape, outShape });
    else steps.push({ kind: 'reshape', id: n.id, inShape, outShape });
  }
  if (!steps.some((s) => s.kind === 'dense')) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', 'The model has no Linear or Conv2d layer: there are no weights to quantise.');
  const outputName = Object.entries(graph.outputs).find(([, id]) => id === output)?.[0] ?? output;
  return { input: first!.id, inputShape: sample(first!.id), steps, output, outputName };
}

/** How many layers an unsupported kind names, before `and N more`. */
const NAMED = 3;

/** `count` things of `what` (`2 Add layers`), naming the first `NAMED` ids. */
function summarise(count: number, what: string, ids: readonly string[]): string {
  const named = ids.slice(0, NAMED).map((id) => `"${id}"`).join(', ');
  return `${count} ${what} (${named}${ids.length > NAMED ? `, and ${ids.length - NAMED} more` : ''})`;
}

/**
 * What keeps the layers the prediction is computed from (every path from the inputs, not only the
 * first inputs') from being an int8 chain, one clause per kind of problem, each layer counted once:
 * layers of ops without an int8 rule, by op; layers that join several inputs; layers whose output
 * several layers read (a branch). Empty: a chain the rules cover.
 */
function chainProblems(nodes: readonly NodeIR[], output: string): string[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const upstream = new Set<string>();
  const stack = [output];
  while (stack.length) {
    const id = stack.pop()!;
    const n = byId.get(id);
    if (!n || upstream.has(id) || isGraphInput(n)) continue;
    upstream.add(id);
    stack.push(...n.inputs);
  }
  const readers = new Map<string, number>();
  for (const n of nodes) if (upstream.has(n.id)) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const uncovered = new Map<string, string[]>();
  const joins: string[] = [];
  const branches: string[] = [];
  for (const n of nodes) {
    if (!upstream.has(n.id)) continue;
    if (!(n.op in QUANTIZE_RULES)) uncovered.set(n.op, [...(uncovered.get(n.op) ?? []), n.id]);
    if (n.inputs.length > 1) joins.push(n.id);
    if (n.id !== output && (readers.get(n.id) ?? 0) > 1) branches.push(n.id);
  }
  const problems: string[] = [];
  const byCount = [...uncovered].sort((a, b) => b[1].length - a[1].length);
  if (byCount.length) problems.push(`it has ${byCount.map(([op, ids]) => summarise(ids.length, `${op} layer${ids.length > 1 ? 's' : ''}`, ids)).join(', ')} without an int8 form`);
  if (joins.length) problems.push(summarise(joins.length, `layer${joins.length > 1 ? 's' : ''} join two or more inputs`, joins));
  if (branches.length) problems.push(summarise(branches.length, `layer${branches.length > 1 ? 's' : ''} whose output two or more layers read`, branches));
  return problems;
}

function denseStep(model: TrainedModel, n: NodeIR, isConv: boolean, inWithBatch: readonly number[], inShape: number[], outShape: number[]): DenseStep {
  const w = model.params[`${n.id}.weight`];
  const b = model.params[`${n.id}.bias`];
  const conv = isConv ? conv2dPlan(inWithBatch, n.attrs) : undefined;
  const out = conv ? conv.outC : outShape.at(-1)!;
  if (!w) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', `The model has no weight for "${n.id}".`);
  if (!conv && inShape.length !== 1) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', `Linear "${n.id}" reads a [${inShape.join(', ')}] input; the int8 path takes a Linear on a flat vector (add a Flatten before it).`);
  return { kind: 'dense', id: n.id, merged: [], weight: Float64Array.from(w), bias: b ? Float64Array.from(b) : new Float64Array(out), out, per: w.length / out, ...(conv ? { conv } : {}), relu: false, inShape, outShape };
}

/** Fold BatchNorm `n` into the dense step before it (float64; the step's own weights are copies). */
function foldBatchNorm(model: TrainedModel, n: NodeIR, d: DenseStep): void {
  const mean = model.buffers[`${n.id}.runningMean`];
  const variance = model.buffers[`${n.id}.runningVar`];
  const gamma = model.params[`${n.id}.weight`];
  const beta = model.params[`${n.id}.bias`];
  const eps = (n.attrs.eps as number | undefined) ?? 1e-5;
  if (!mean || !variance || mean.length !== d.out) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', `BatchNorm "${n.id}" has no running statistics for the ${d.out} channels of "${d.id}".`);
  for (let o = 0; o < d.out; o++) {
    const k = (gamma ? gamma[o] : 1) / Math.sqrt(variance[o] + eps);
    for (let j = 0; j < d.per; j++) d.weight[o * d.per + j] *= k;
    d.bias[o] = (d.bias[o] - mean[o]) * k + (beta ? beta[o] : 0);
  }
  d.merged.push(n.id);
}

/** Values of one sample at a step's output. */
export const stepSize = (s: QuantStep): number => size(s.outShape);
export const sampleSize = size;
