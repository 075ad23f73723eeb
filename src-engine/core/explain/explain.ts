/**
 * A look inside one prediction: which inputs drove a class score.
 *
 * - **Saliency** (gradient × input, SmoothGrad-averaged): the gradient of the score with respect
 *   to the feature Input, averaged over `samples` copies of the input with Gaussian noise
 *   (σ = `noise` × the input's range, drawn with `seed`; Smilkov et al. 2017), times the input.
 * - **Grad-CAM** (Selvaraju et al. 2017) on a convolution layer: its feature maps weighted by the
 *   spatial mean of the score's gradient on each, summed over channels, negatives cut to 0.
 * - **Tokens** (a model whose input is ids read by an Embedding): gradient × embedding, summed
 *   over the embedding at each position.
 *
 * The score is the prediction node's value at `target` before any softmax (a classifier's logit).
 * The passes run on whatever executes a {@link GradientPass}: the CPU plan ({@link cpuGradientPass})
 * or the GPU's (`gpuGradientPass`, gpu-pass.ts), on a graph with one node added, a Slice of the
 * score, whose gradient the backward seeds instead of the losses'.
 */
import { checkedOrThrow, type CheckedGraph } from '../analysis/checked';
import { compileGraph } from '../autodiff/executor';
import type { Backend } from '../backend/types';
import type { Normalization } from '../data';
import { loadWeights } from '../export/infer';
import type { TrainedModel } from '../export/model';
import { getOp } from '../ops/registry';
import { bindGraph } from '../train';
import { Rng } from '../../base/rng';
import type { ErrorCode } from '../../base/errors';
import type { GraphIR } from '../../base/ir/types';

/** One batch-1 plan of a graph with its score seeded: feed an input, run, read activations and gradients. */
export interface GradientPass {
  /** Put `x` into the feature Input, then run the forward (eval mode) and the seeded backward. */
  run(x: Float32Array): Promise<void>;
  output(nodeId: string): Promise<Float32Array>;
  grad(nodeId: string): Promise<Float32Array | null>;
  needsGradient(nodeId: string): boolean;
  dispose?(): void;
}

/** Compiles `checked` at batch 1 with `model`'s weights, seeding `seeds` and giving `gradientRoots` a gradient. */
export type CompilePass = (checked: CheckedGraph, opts: { seeds: string[]; gradientRoots: string[] }) => GradientPass | Promise<GradientPass>;

export interface ExplainOptions {
  method: 'saliency' | 'gradcam';
  /** The class (or output) whose score is explained; default: the largest score. */
  target?: number;
  /** Grad-CAM's layer; default: the last convolution layer. */
  layer?: string;
  /** SmoothGrad's noisy copies (default 8; 1: the plain gradient, no noise). */
  samples?: number;
  /** The noise's σ as a fraction of the input's range, max − min (default 0.15). */
  noise?: number;
  /** The noise's seed (default 1): the same input gives the same map. */
  seed?: number;
  /** The input's normalisation: gradient × input is then taken in the dataset's units (pixels in [0, 1]). */
  normalization?: Normalization | null;
}

interface ExplainedScore {
  target: number;
  /** The score explained, on the clean input. */
  score: number;
  /** The convolution layers Grad-CAM can use, in forward order (empty: none). */
  layers: string[];
}

export type Explanation =
  | (ExplainedScore & {
      method: 'saliency';
      kind: 'features';
      /** Gradient × input per input value, `shape` (the feature Input's). */
      values: Float32Array;
      /** The SmoothGrad-averaged gradient with respect to the network's input (its own units). */
      gradient: Float32Array;
      shape: number[];
    })
  | (ExplainedScore & {
      method: 'saliency';
      kind: 'tokens';
      /** Gradient × embedding, summed per position. */
      values: Float32Array;
      /** The node whose output is the embedding (the Embedding reading the ids). */
      node: string;
    })
  | (ExplainedScore & { method: 'gradcam'; layer: string; values: Float32Array; shape: [number, number] });

export class ExplainError extends Error {
  constructor(
    readonly code: Extract<ErrorCode, `E_EXPLAIN_${string}`>,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_SMOOTHING = { samples: 8, noise: 0.15, seed: 1 } as const;
const SCORE = '__explain_score';

/** The CPU pass: `compileGraph` on `backend` with `model`'s weights. */
export function cpuGradientPass(model: Pick<TrainedModel, 'params' | 'buffers'>, backend: Backend): CompilePass {
  return (checked, opts) => {
    const plan = compileGraph(checked, { batchSize: 1, backend, seed: 0, ...opts });
    loadWeights(plan, model);
    const input = bindGraph(checked).featureInput;
    return {
      run: (x) => {
        plan.input(input).data.set(x);
        plan.forward(false);
        plan.backward();
        return Promise.resolve();
      },
      output: (id) => Promise.resolve(plan.output(id).data.slice()),
      grad: (id) => Promise.resolve(plan.grad(id)?.data.slice() ?? null),
      needsGradient: (id) => plan.needsGradient(id),
    };
  };
}

/** What the graph offers: its feature Input, prediction, the id reader (a text model's) and the convolution layers. */
interface Anatomy {
  input: string;
  inputShape: number[];
  prediction: string;
  width: number;
  /** The node reading the input as ids (an Embedding), when it is read so. */
  reader?: string;
  layers: string[];
}

function anatomy(checked: CheckedGraph): Anatomy {
  const binding = bindGraph(checked);
  const shapes = checked.shapesAt(1);
  const pred = shapes[binding.predictionNode];
  if (pred.length !== 2) throw new ExplainError('E_EXPLAIN_OUTPUT', `The prediction "${binding.predictionNode}" is ${pred.slice(1).join('×')} values per sample; a saliency map explains one score of a vector (a classifier's logits).`);
  const reader = checked.ir.nodes.find((n) => n.inputs.some((i, k) => i === binding.featureInput && getOp(n.op)?.inputs[Math.min(k, getOp(n.op)!.inputs.length - 1)]?.discrete === true));
  // Convolution layers: layers with weights whose output is a feature map [N, C, H, W].
  const layers = checked.order.filter((id) => {
    const def = getOp(checked.ir.nodes.find((n) => n.id === id)!.op)!;
    return def.category === 'layers' && def.params !== undefined && shapes[id].length === 4;
  });
  return { input: binding.featureInput, inputShape: [...binding.featureShape], prediction: binding.predictionNode, width: pred[1], ...(reader ? { reader: reader.id } : {}), layers };
}

/** The graph with the score (`prediction[:, target]`) added as a node of its own. */
function scoredGraph(ir: GraphIR, prediction: string, target: number): CheckedGraph {
  return checkedOrThrow({ ...ir, nodes: [...ir.nodes, { id: SCORE, op: 'Slice', attrs: { axis: 1, start: target, length: 1 }, inputs: [prediction] }] });
}

/**
 * Explain `model`'s score for one input `x` (as fed to the network: normalised), with the passes
 * `compile` makes (CPU or GPU).
 *
 * @throws ExplainError `E_EXPLAIN_OUTPUT`, `E_EXPLAIN_TARGET`, `E_EXPLAIN_NOT_DIFFERENTIABLE`,
 *   `E_EXPLAIN_NO_CONV`, `E_EXPLAIN_LAYER` (see base/errors.ts).
 */
export async function explainPrediction(model: Pick<TrainedModel, 'graph'>, x: Float32Array, options: ExplainOptions, compile: CompilePass): Promise<Explanation> {
  const base = checkedOrThrow(model.graph);
  const a = anatomy(base);
  const { target: asked } = options;
  if (asked !== undefined && !(Number.isInteger(asked) && asked >= 0 && asked < a.width)) throw new ExplainError('E_EXPLAIN_TARGET', `The prediction has ${a.width} scores (0 to ${a.width - 1}); there is no score ${asked}.`);
  const grad = options.method === 'gradcam';
  let layer: string | undefined;
  if (grad) {
    if (a.layers.length === 0) throw new ExplainError('E_EXPLAIN_NO_CONV', `Grad-CAM weighs a convolution layer's feature maps, and this model has none${a.reader ? ' (its input is text)' : ''}: use the saliency map.`);
    layer = options.layer ?? a.layers[a.layers.length - 1];
    if (!a.layers.includes(layer)) throw new ExplainError('E_EXPLAIN_LAYER', `"${layer}" is not a convolution layer of this model; Grad-CAM can use ${a.layers.map((l) => `"${l}"`).join(', ')}.`);
  }
  const root = a.reader && !grad ? a.reader : a.input;
  const open = async (target: number) => {
    const pass = await compile(scoredGraph(base.ir, a.prediction, target), { seeds: [SCORE], gradientRoots: [root] });
    if (!pass.needsGradient(root)) {
      pass.dispose?.();
      throw new ExplainError('E_EXPLAIN_NOT_DIFFERENTIABLE', `No gradient flows from the prediction "${a.prediction}" back to "${root}": a layer between them passes none.`);
    }
    return pass;
  };
  let target = asked ?? 0;
  let pass = await open(target);
  try {
    await pass.run(x);
    const scores = await pass.output(a.prediction);
    if (asked === undefined) {
      target = argmaxOf(scores);
      if (target !== 0) {
        pass.dispose?.();
        pass = await open(target);
        await pass.run(x);
      }
    }
    const found: ExplainedScore = { target, score: scores[target], layers: a.layers };
    if (layer) return { method: 'gradcam', layer, ...found, ...(await gradCam(pass, layer, base.shapesAt(1)[layer])) };
    if (a.reader) return { method: 'saliency', kind: 'tokens', node: a.reader, ...found, values: await tokenSaliency(pass, a.reader, x.length) };
    const gradient = await smoothGradient(pass, a.input, x, options);
    return { method: 'saliency', kind: 'features', ...found, gradient, values: gradientTimesInput(gradient, x, options.normalization), shape: a.inputShape };
  } finally {
    pass.dispose?.();
  }
}

function argmaxOf(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/**
 * The noisy copies of `x` SmoothGrad averages over: `samples` of them, each value plus N(0, σ²),
 * σ = `noise` × (max − min) of `x`, drawn in order from `Rng(seed)`. One sample: `x` itself.
 */
export function smoothingInputs(x: Float32Array, options: Pick<ExplainOptions, 'samples' | 'noise' | 'seed'> = {}): Float32Array[] {
  const samples = options.samples ?? DEFAULT_SMOOTHING.samples;
  if (samples <= 1) return [x];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const sigma = (options.noise ?? DEFAULT_SMOOTHING.noise) * (hi > lo ? hi - lo : 1);
  const rng = new Rng(options.seed ?? DEFAULT_SMOOTHING.seed);
  return Array.from({ length: samples }, () => x.map((v) => v + sigma * rng.normal()));
}

async function smoothGradient(pass: GradientPass, input: string, x: Float32Array, options: ExplainOptions): Promise<Float32Array> {
  const copies = smoothingInputs(x, options);
  const sum = new Float64Array(x.length);
  for (const c of copies) {
    await pass.run(c);
    const g = (await pass.grad(input))!;
    for (let i = 0; i < g.length; i++) sum[i] += g[i];
  }
  return Float32Array.from(sum, (v) => v / copies.length);
}

/**
 * Gradient × input. With the input's normalisation, in the dataset's units: d score/d raw =
 * gradient / std, times the raw value (x · std + mean), so a blank pixel (0) contributes 0.
 */
export function gradientTimesInput(gradient: Float32Array, x: Float32Array, norm: Normalization | null | undefined): Float32Array {
  if (!norm) return gradient.map((g, i) => g * x[i]);
  const at = (v: number[], i: number) => (norm.kind === 'global' ? v[0] : v[i]);
  return gradient.map((g, i) => (g / at(norm.std, i)) * (x[i] * at(norm.std, i) + at(norm.mean, i)));
}

/** Σ over the embedding of gradient × embedding, at each of `positions`. */
async function tokenSaliency(pass: GradientPass, node: string, positions: number): Promise<Float32Array> {
  const e = await pass.output(node);
  const g = (await pass.grad(node))!;
  const d = e.length / positions;
  const out = new Float32Array(positions);
  for (let t = 0; t < positions; t++) {
    let s = 0;
    for (let k = t * d; k < (t + 1) * d; k++) s += e[k] * g[k];
    out[t] = s;
  }
  return out;
}

/** ReLU(Σ_c α_c A_c) with α_c the mean over the map of d score/d A_c: `[H, W]`. */
async function gradCam(pass: GradientPass, layer: string, shape: readonly number[]): Promise<{ values: Float32Array; shape: [number, number] }> {
  const [, c, h, w] = shape;
  const A = await pass.output(layer);
  const G = (await pass.grad(layer))!;
  const hw = h * w;
  const cam = new Float64Array(hw);
  for (let ch = 0; ch < c; ch++) {
    let alpha = 0;
    for (let i = 0; i < hw; i++) alpha += G[ch * hw + i];
    alpha /= hw;
    for (let i = 0; i < hw; i++) cam[i] += alpha * A[ch * hw + i];
  }
  return { values: Float32Array.from(cam, (v) => Math.max(0, v)), shape: [h, w] };
}
