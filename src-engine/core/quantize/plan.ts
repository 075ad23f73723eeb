/**
 * A trained model as the graph of steps its int8 form runs (#85 deliverables 1–3), in topological
 * order, each step reading the values of earlier steps by id: Linear and Conv2d layers with a
 * following BatchNorm folded into their weights and a following ReLU fused, max pools, flattens;
 * Dropout is dropped (inference); ops without an int8 kernel (ConvTranspose2d, the hard
 * activations, GlobalAvgPool, the joins Concat, Add, Multiply) run in float between a dequantise
 * and a quantise, the QDQ pattern. How each op enters the graph is declared once, in
 * `QUANTIZE_RULES`; an op without a rule is refused, naming it.
 */
import { isGraphInput } from '../../base/ir/inputs';
import { predictionNodeId } from '../../base/ir/prediction';
import type { NodeIR } from '../../base/ir/types';
import type { GraphIR } from '../../base/ir/types';
import { inferencePlan } from '../export/infer';
import { checkModelGraph, type TrainedModel } from '../export/model';
import { conv2dPlan, type ConvPlan } from '../ops/conv2d';
import { convTranspose2dPlan, type ConvTransposePlan } from '../ops/conv-transpose2d';
import { poolPlan, type PoolPlan } from '../ops/max-pool2d';
import { getOp } from '../ops/registry';
import { QuantizeError } from './errors';
import { roundHalfEven } from './round';

/**
 * How an op enters the int8 chain: `linear`, `conv` (a Linear, a Conv2d: int8 weights per output channel),
 * `transposed` (a ConvTranspose2d of one group the same way, its weights per output channel; grouped: `float`),
 * `fold` (a BatchNorm folded into the dense layer before it), `relu` (fused into the layer before,
 * or a clamp at the zero point), `pool` (a max pool on the uint8 values themselves), `reshape` (the
 * values as they are, in another shape), `identity` (nothing at inference: Dropout), `float` (no int8
 * kernel: its inputs dequantised, the op in float32 as the float model runs it, its output quantised).
 *
 * The rest are `float` ops too (what they compute, and how the QDQ file writes them, is the float op
 * between a dequantise and a quantise) that the integer kernels may run in a form of their own whose
 * outputs are exactly those (`FloatStep.form`): `table` (elementwise on one or two uint8 values: a
 * table of the float op on every one of the 256 or 65,536 inputs), `concat` (each input requantised by
 * a 256-entry table and copied), `mean` (the float mean in the float op's order, over a 256-entry
 * table of the dequantised values).
 */
export type QuantizeRule = 'linear' | 'conv' | 'transposed' | 'fold' | 'relu' | 'pool' | 'reshape' | 'identity' | 'float' | IntegerForm;

/** The integer forms of `float` ops (`QuantizeRule`): each gives the float op's uint8 outputs exactly. */
export type IntegerForm = 'table' | 'concat' | 'mean';

/** The ops the int8 path covers, by op name. One table: the planner, the writer and the docs read it. */
export const QUANTIZE_RULES: Readonly<Record<string, QuantizeRule>> = {
  Linear: 'linear',
  Conv2d: 'conv',
  BatchNorm: 'fold',
  ReLU: 'relu',
  MaxPool2d: 'pool',
  Flatten: 'reshape',
  Dropout: 'identity',
  ConvTranspose2d: 'transposed',
  HardSwish: 'table',
  HardSigmoid: 'table',
  GlobalAvgPool: 'mean',
  Concat: 'concat',
  Add: 'table',
  Multiply: 'table',
};

const INTEGER_FORMS: ReadonlySet<QuantizeRule> = new Set<IntegerForm>(['table', 'concat', 'mean']);

/**
 * Ops without an int8 kernel whose weights are still stored in int8 (weight only, as onnxruntime's
 * QDQ keeps a ConvTranspose's): the axis of the weight's output channels, one scale per channel.
 * The op then runs in float32 on the dequantised weights, in Netwright as in the file.
 */
export const INT8_WEIGHT_AXIS: Readonly<Record<string, number>> = {
  ConvTranspose2d: 1,
};

/** A Linear (`conv` absent) or Conv2d, its BatchNorm folded in: float64 weights `[out, per]` and bias `[out]`. */
/** What every step has: its id (the id of the value it produces), the values it reads, its shapes per sample. */
interface StepBase {
  id: string;
  /** The ids of the values it reads: the plan's input or earlier steps'. */
  inputs: string[];
  inShape: number[];
  outShape: number[];
}

export interface DenseStep extends StepBase {
  kind: 'dense';
  /** The layer's node id, and the ids folded or fused into it (BatchNorm, ReLU). */
  id: string;
  merged: string[];
  weight: Float64Array;
  bias: Float64Array;
  out: number;
  /** Weights per output channel (`in` for a Linear; `in/groups · kH · kW` for a Conv2d or a ConvTranspose2d, in (ci, ky, kx) order). */
  per: number;
  conv?: ConvPlan;
  /** A ConvTranspose2d (of one group): `weight` row o holds the op's `weight[ci, o, ky, kx]` in (ci, ky, kx) order. */
  transposed?: ConvTransposePlan;
  relu: boolean;
}

export interface PoolStep extends StepBase {
  kind: 'pool';
  pool: PoolPlan;
}

export interface ReluStep extends StepBase {
  kind: 'relu';
}

export interface ReshapeStep extends StepBase {
  kind: 'reshape';
}

/**
 * An op without an int8 kernel, run in float32 by the op's own forward (the registry's) between a
 * dequantise and a quantise; or a layer kept in float32 (`kept`), with the nodes the int8 form would merge into it.
 */
export interface FloatStep extends StepBase {
  kind: 'float';
  op: string;
  /** Each input's shape per sample. */
  inShapes: number[][];
  /** The op alone as a model (its node, its weights, one Input per input): what runs it and what writes its ONNX form. */
  model: TrainedModel;
  /** The op on one sample: its inputs in float32, its output (compiled on first use). */
  run(inputs: readonly Float32Array[]): Float32Array;
  /** Its weight in int8 (`INT8_WEIGHT_AXIS`): the values, their dims, one scale per channel along `axis`; `model` holds them dequantised. */
  weight?: { values: Int8Array; dims: number[]; axis: number; scale: Float32Array };
  /** The integer form its rule names (`QUANTIZE_RULES`), where its inputs fit it (`table`: one or two inputs); else none. */
  form?: IntegerForm;
  /** A layer kept in float32 (`PlanOptions.keepFloat`): the ids its island runs (the layer, then a BatchNorm and a ReLU where the int8 form would merge them). */
  kept?: string[];
}

export type QuantStep = DenseStep | PoolStep | ReluStep | ReshapeStep | FloatStep;

/** The graph: the features input's id and sample shape, the steps in topological order (the last gives the prediction), the prediction's node id. */
export interface QuantPlan {
  input: string;
  inputShape: number[];
  steps: QuantStep[];
  output: string;
  /** The graph's output name the prediction leaves under (`logits`). */
  outputName: string;
  /** The layers kept in float32 (`PlanOptions.keepFloat`), in the graph's order; each is a float step of its own id. None: all in int8. */
  keptFloat?: string[];
}

/** What a plan is asked for beside the model. */
export interface PlanOptions {
  /**
   * Layers kept in float32 (their node ids: a Linear, Conv2d or ConvTranspose2d the prediction is
   * computed from): each runs as a `float` rule's op does, with the BatchNorm and ReLU the int8 form
   * would fold or fuse into it (`keptLayers`), its weights float32.
   */
  keepFloat?: readonly string[];
}

/** The rules of the layers that can be kept in float32 (those with weights the int8 path quantises). */
const KEEPABLE: ReadonlySet<QuantizeRule> = new Set<QuantizeRule>(['linear', 'conv', 'transposed']);

/**
 * Each kept layer with the nodes its float island runs, in order: the layer; the BatchNorm the int8
 * form would fold into it (its only reader, a BatchNorm); the ReLU it would fuse (the only reader of
 * the value so far, a ReLU). So the island's output is the value the int8 form's step would give,
 * quantised with its own calibrated params, and the nodes after it read the same value either way.
 *
 * @throws QuantizeError `E_QUANTIZE_KEEP_FLOAT` for an id that is no such layer (the first few named).
 */
function keptLayers(nodes: readonly NodeIR[], upstream: ReturnType<typeof upstreamOf>, ids: readonly string[]): Map<string, NodeIR[]> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const wanted = new Set(ids);
  const bad = [...wanted].filter((id) => {
    const n = byId.get(id);
    return !n || !upstream.nodes.has(id) || !KEEPABLE.has(QUANTIZE_RULES[n.op]);
  });
  if (bad.length) {
    const layers = nodes.filter((n) => upstream.nodes.has(n.id) && KEEPABLE.has(QUANTIZE_RULES[n.op])).map((n) => n.id);
    throw new QuantizeError('E_QUANTIZE_KEEP_FLOAT', `${summarise(bad.length, bad.length > 1 ? 'ids' : 'id', bad)} ${bad.length > 1 ? 'name no layers' : 'names no layer'} with int8 weights that the prediction is computed from; the layers that can be kept in float32 are ${summarise(layers.length, layers.length === 1 ? 'layer' : 'layers', layers)}.`);
  }
  // The one node of the upstream graph that reads `id`, where exactly one does.
  const onlyReader = (id: string) => ((upstream.readers.get(id) ?? 0) === 1 ? nodes.find((n) => upstream.nodes.has(n.id) && n.inputs.includes(id)) : undefined);
  const kept = new Map<string, NodeIR[]>();
  for (const n of nodes) {
    if (!wanted.has(n.id)) continue;
    const island = [n];
    const bn = onlyReader(n.id);
    if (bn && QUANTIZE_RULES[bn.op] === 'fold' && bn.inputs.length === 1) island.push(bn);
    const relu = onlyReader(island.at(-1)!.id);
    if (relu && QUANTIZE_RULES[relu.op] === 'relu' && relu.inputs.length === 1) island.push(relu);
    kept.set(n.id, island);
  }
  return kept;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * The int8 graph of `model`: the layers its prediction is computed from, in topological order,
 * from one features input, each op one of `QUANTIZE_RULES`. A BatchNorm right after a Linear or
 * Conv2d (its only reader) is folded into it in float64: `w' = w·γ/√(var+ε)`, `b' = (b − μ)·γ/√(var+ε) + β`;
 * a ReLU right after one (its only reader) is fused. A step reads values by id: a folded, fused or
 * dropped layer's id stands for the value it passes on.
 *
 * @throws QuantizeError `E_QUANTIZE_UNSUPPORTED` naming the nodes the int8 path does not cover.
 */
export function quantizationPlan(model: TrainedModel, options: PlanOptions = {}): QuantPlan {
  const checked = checkModelGraph(model.graph);
  const graph = checked.ir;
  const shapes = checked.shapesAt(1);
  const sample = (id: string) => shapes[id].slice(1);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const output = predictionNodeId(graph);
  if (output === undefined || !byId.has(output)) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', 'The model names no prediction to quantise (its outputs are losses only).');
  const upstream = upstreamOf(graph.nodes, output);
  const inputs = graph.nodes.filter((n) => isGraphInput(n) && upstream.reads.has(n.id));
  const problems = graphProblems(graph.nodes, upstream.nodes);
  const first = inputs[0];
  if (inputs.length !== 1 || first.attrs.source === 'target') problems.unshift(`the prediction is computed from ${inputs.length} inputs (${inputs.map((n) => `"${n.id}"`).join(', ')}); the int8 path takes one features input`);
  if (problems.length) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', `This model cannot be quantised yet: the int8 path covers ${Object.keys(QUANTIZE_RULES).join(', ')}, and ${problems.join('; ')}.`);

  // The value each node's output is: its own step's, or (folded, fused, dropped) the step it merged into.
  const valueOf = new Map<string, string>([[first.id, first.id]]);
  const stepOf = new Map<string, QuantStep>();
  const steps: QuantStep[] = [];
  const add = (step: QuantStep) => {
    steps.push(step);
    stepOf.set(step.id, step);
    valueOf.set(step.id, step.id);
  };
  const kept = keptLayers(graph.nodes, upstream, options.keepFloat ?? []);
  // The BatchNorm and ReLU a kept layer's island holds: each stands for the island's value.
  const inIsland = new Map([...kept].flatMap(([layer, nodes]) => nodes.slice(1).map((m): [string, string] => [m.id, layer])));
  for (const id of checked.order) {
    const n = byId.get(id)!;
    if (!upstream.nodes.has(id)) continue;
    const island = inIsland.get(id);
    if (island !== undefined) {
      valueOf.set(id, island);
      continue;
    }
    const rule = QUANTIZE_RULES[n.op];
    const ins = n.inputs.map((i) => valueOf.get(i)!);
    const inShape = sample(n.inputs[0]);
    const outShape = sample(n.id);
    const base = { id: n.id, inputs: ins, inShape, outShape };
    // A dense step whose output only this node reads, and nothing merged after it yet (for a fold: not even a ReLU).
    const producer = stepOf.get(ins[0]);
    const mergeable = producer?.kind === 'dense' && ins[0] === valueOf.get(n.inputs[0]) && (upstream.readers.get(n.inputs[0]) ?? 0) === 1 && !producer.relu ? producer : undefined;
    const keptNodes = kept.get(n.id);
    if (keptNodes) add(floatStep(model, keptNodes, { ...base, outShape: sample(keptNodes.at(-1)!.id) }, n.inputs.map(sample), undefined, true));
    else if (rule === 'identity') valueOf.set(n.id, ins[0]);
    else if (rule === 'linear' || rule === 'conv') add({ kind: 'dense', ...base, ...denseLayer(model, n, rule === 'conv', shapes[n.inputs[0]], inShape, outShape) });
    else if (rule === 'transposed' && convTranspose2dPlan(shapes[n.inputs[0]], n.attrs).groups === 1) add({ kind: 'dense', ...base, ...transposedLayer(model, n, shapes[n.inputs[0]]) });
    else if (rule === 'fold') {
      if (!mergeable || mergeable.merged.length) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', `BatchNorm "${n.id}" does not follow a Linear or Conv2d directly (as its only reader), so it cannot be folded into one; the int8 path needs it folded.`);
      foldBatchNorm(model, n, mergeable);
      valueOf.set(n.id, mergeable.id);
    } else if (rule === 'relu') {
      if (mergeable) {
        mergeable.relu = true;
        mergeable.merged.push(n.id);
        valueOf.set(n.id, mergeable.id);
      } else add({ kind: 'relu', ...base });
    } else if (rule === 'pool') add({ kind: 'pool', ...base, pool: poolPlan(shapes[n.inputs[0]], n.attrs) });
    else if (rule === 'reshape') add({ kind: 'reshape', ...base });
    // A grouped ConvTranspose2d (`transposed`) too: its weights per channel would not lie along one ONNX axis.
    else add(floatStep(model, [n], base, n.inputs.map(sample), INTEGER_FORMS.has(rule) ? (rule as IntegerForm) : undefined));
  }
  if (!steps.some((s) => s.kind === 'dense') && kept.size === 0) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', 'The model has no Linear or Conv2d layer: there are no weights to quantise.');
  if (valueOf.get(output) !== steps.at(-1)!.id) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', `The prediction "${output}" passes its input on unchanged; the int8 path needs a layer to compute it.`);
  const outputName = Object.entries(graph.outputs).find(([, id]) => id === output)?.[0] ?? output;
  return { input: first.id, inputShape: sample(first.id), steps, output, outputName, keptFloat: [...kept.keys()] };
}

/** Whether `plan` is a chain: each step reads only the step before it (the WebAssembly int8 kernels' form). */
export function isChain(plan: QuantPlan): boolean {
  return plan.steps.every((s, k) => s.kind !== 'float' && s.inputs.length === 1 && s.inputs[0] === (k === 0 ? plan.input : plan.steps[k - 1].id));
}

/** The layers the prediction is computed from (every path, inputs excluded), what they read, and how many of them read each node. */
function upstreamOf(nodes: readonly NodeIR[], output: string): { nodes: Set<string>; reads: Set<string>; readers: Map<string, number> } {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const upstream = new Set<string>();
  const reads = new Set<string>();
  const stack = [output];
  while (stack.length) {
    const id = stack.pop()!;
    const n = byId.get(id);
    reads.add(id);
    if (!n || upstream.has(id) || isGraphInput(n)) continue;
    upstream.add(id);
    stack.push(...n.inputs);
  }
  const readers = new Map<string, number>();
  for (const n of nodes) if (upstream.has(n.id)) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  return { nodes: upstream, reads, readers };
}

/** The id of input `i` of float step `id`'s model alone. */
export const islandInput = (id: string, i: number): string => `${id}__in${i}`;

/**
 * An op without an int8 kernel as a step: the op alone as a model (an Input per input, its node,
 * its weights and buffers), compiled at batch 1 on the reference backend on first use.
 */
function floatStep(model: TrainedModel, island: readonly NodeIR[], base: Pick<FloatStep, 'id' | 'inputs' | 'inShape' | 'outShape'>, inShapes: number[][], form?: IntegerForm, kept = false): FloatStep {
  const n = island[0];
  const out = island.at(-1)!.id;
  const inputIds = n.inputs.map((_, i) => islandInput(n.id, i));
  const graph: GraphIR = {
    format: 'netwright.graph',
    version: 1,
    nodes: [...inputIds.map((id, i) => ({ id, op: 'Input', attrs: { shape: inShapes[i], source: 'features' }, inputs: [] })), { ...n, inputs: inputIds }, ...island.slice(1)],
    outputs: { [out]: out },
  } as GraphIR;
  const own = (r: Record<string, Float32Array>) => Object.fromEntries(Object.entries(r).filter(([k]) => island.some((m) => k.startsWith(`${m.id}.`))));
  const params = own(model.params);
  // A kept layer's weights stay float32.
  const weight = kept ? undefined : int8Weight(n, inShapes, params[`${n.id}.weight`]);
  if (weight) params[`${n.id}.weight`] = weight.dequantized;
  const alone: TrainedModel = { graph, params, buffers: own(model.buffers) };
  let compiled: ReturnType<typeof inferencePlan> | undefined;
  return {
    kind: 'float',
    ...base,
    op: n.op,
    inShapes,
    model: alone,
    ...(weight ? { weight: weight.int8 } : {}),
    ...(form && (form !== 'table' || n.inputs.length <= 2) ? { form } : {}),
    ...(kept ? { kept: island.map((m) => m.id) } : {}),
    run(values) {
      compiled ??= inferencePlan(alone, 1);
      inputIds.forEach((id, i) => compiled!.input(id).data.set(values[i]));
      compiled.forward(false);
      return compiled.output(out).data;
    },
  };
}

/** How many layers an unsupported kind names, before `and N more`. */
const NAMED = 3;

/** `count` things of `what` (`2 Add layers`), naming the first `NAMED` ids. */
function summarise(count: number, what: string, ids: readonly string[]): string {
  const named = ids.slice(0, NAMED).map((id) => `"${id}"`).join(', ');
  return `${count} ${what} (${named}${ids.length > NAMED ? `, and ${ids.length - NAMED} more` : ''})`;
}

/**
 * The layers the prediction is computed from (`upstream`: every path from the inputs) whose op has
 * no int8 rule, one clause, grouped by op, each layer counted once. Empty: a graph the rules cover.
 */
function graphProblems(nodes: readonly NodeIR[], upstream: ReadonlySet<string>): string[] {
  const uncovered = new Map<string, string[]>();
  for (const n of nodes) if (upstream.has(n.id) && !(n.op in QUANTIZE_RULES)) uncovered.set(n.op, [...(uncovered.get(n.op) ?? []), n.id]);
  const byCount = [...uncovered].sort((a, b) => b[1].length - a[1].length);
  return byCount.length ? [`it has ${byCount.map(([op, ids]) => summarise(ids.length, `${op} layer${ids.length > 1 ? 's' : ''}`, ids)).join(', ')} without an int8 form`] : [];
}

/**
 * The weight of a float op listed in `INT8_WEIGHT_AXIS` in int8, symmetric per channel along its
 * axis (`max|w| / 127`, a channel of zeros scale 1), and dequantised as DequantizeLinear does
 * (`fround(q·s)`); undefined for other ops.
 */
function int8Weight(n: NodeIR, inShapes: number[][], w: Float32Array | undefined): { int8: NonNullable<FloatStep['weight']>; dequantized: Float32Array } | undefined {
  const axis = INT8_WEIGHT_AXIS[n.op];
  const spec = axis === undefined || !w ? undefined : getOp(n.op)?.params?.({ inputs: inShapes.map((s) => [1, ...s]), attrs: n.attrs }).find((p) => p.name === 'weight');
  if (axis === undefined || !w || !spec || sampleSize(spec.shape) !== w.length) return undefined;
  const dims = [...spec.shape];
  const channels = dims[axis];
  const inner = sampleSize(dims.slice(axis + 1));
  const channelOf = (j: number) => Math.floor(j / inner) % channels;
  const amax = new Float64Array(channels);
  for (let j = 0; j < w.length; j++) amax[channelOf(j)] = Math.max(amax[channelOf(j)], Math.abs(w[j]));
  const scale = Float32Array.from(amax, (a) => (a > 0 ? Math.fround(a / 127) : 1));
  const values = new Int8Array(w.length);
  const dequantized = new Float32Array(w.length);
  for (let j = 0; j < w.length; j++) {
    const s = scale[channelOf(j)];
    values[j] = Math.max(-127, Math.min(127, roundHalfEven(Math.fround(w[j] / s))));
    dequantized[j] = values[j] * s;
  }
  return { int8: { values, dims, axis, scale }, dequantized };
}

/** A Linear's or Conv2d's weights and geometry (float64 copies, ready for a fold). */
function denseLayer(model: TrainedModel, n: NodeIR, isConv: boolean, inWithBatch: readonly number[], inShape: number[], outShape: number[]): Omit<DenseStep, 'kind' | 'id' | 'inputs' | 'inShape' | 'outShape'> {
  const w = model.params[`${n.id}.weight`];
  const b = model.params[`${n.id}.bias`];
  const conv = isConv ? conv2dPlan(inWithBatch, n.attrs) : undefined;
  const out = conv ? conv.outC : outShape.at(-1)!;
  if (!w) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', `The model has no weight for "${n.id}".`);
  if (!conv && inShape.length !== 1) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', `Linear "${n.id}" reads a [${inShape.join(', ')}] input; the int8 path takes a Linear on a flat vector (add a Flatten before it).`);
  return { merged: [], weight: Float64Array.from(w), bias: b ? Float64Array.from(b) : new Float64Array(out), out, per: w.length / out, ...(conv ? { conv } : {}), relu: false };
}

/** A ConvTranspose2d of one group as a dense step: its weight `[inC, outC, kH, kW]` as rows per output channel (float64 copies). */
function transposedLayer(model: TrainedModel, n: NodeIR, inWithBatch: readonly number[]): Omit<DenseStep, 'kind' | 'id' | 'inputs' | 'inShape' | 'outShape'> {
  const w = model.params[`${n.id}.weight`];
  const b = model.params[`${n.id}.bias`];
  const t = convTranspose2dPlan(inWithBatch, n.attrs);
  const kk = t.k[0] * t.k[1];
  const per = t.inC * kk;
  if (!w || w.length !== per * t.outC) throw new QuantizeError('E_QUANTIZE_UNSUPPORTED', `The model has no weight for "${n.id}".`);
  const weight = new Float64Array(w.length);
  for (let ci = 0; ci < t.inC; ci++) for (let o = 0; o < t.outC; o++) for (let j = 0; j < kk; j++) weight[o * per + ci * kk + j] = w[(ci * t.outC + o) * kk + j];
  return { merged: [], weight, bias: b ? Float64Array.from(b) : new Float64Array(t.outC), out: t.outC, per, transposed: t, relu: false };
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

/** For each value the plan's steps read, the index of the last step that reads it (after which it can be let go). */
export function lastUses(plan: QuantPlan): Map<string, number> {
  const last = new Map<string, number>();
  plan.steps.forEach((s, k) => s.inputs.forEach((i) => last.set(i, k)));
  return last;
}
