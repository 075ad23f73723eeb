/**
 * Random valid graphs over every non-loss op, with random weights and BatchNorm statistics, for
 * the exporters' equivalence tests. Each node is kept only if the graph still validates, so the
 * generator needs no shape rules of its own. The activations and the structural ops (the joins of a
 * node and a branch — Add, Multiply, Concat — and Reshape, Flatten, Transpose, Slice, …) are the
 * registry's, drawn as their files declare (registry-draws.ts).
 */
import { checkedOrThrow } from '../../../../src-engine/core/analysis/checked';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../../src-engine/core/backend/reference';
import { analyzeGraph } from '../../../../src-engine/core/analysis/validate';
import type { Attrs } from '../../../../src-engine/core/ops/types';
import { drawSetting, drawStructure, registryActivations, registryStructure, type DrawnStructure } from '../registry-draws';
import type { GraphIR, NodeIR } from '../../../../src-engine/base/ir/types';
import type { Rng } from '../../../../src-engine/base/rng';
import type { TrainedModel } from '../../../../src-engine/core/export/model';

const pick = <T>(rng: Rng, a: readonly T[]): T => a[rng.int(a.length)];
const between = (rng: Rng, lo: number, hi: number) => lo + rng.int(hi - lo + 1);

/** Every activation of the registry at the settings its file declares (registry-draws.ts): one added there is drawn here too. */
const ACTIVATIONS = registryActivations();

function activation(rng: Rng): [string, Attrs] {
  return drawSetting(rng, ACTIVATIONS);
}

/** Every op whose file declares how a random graph draws it (registry-draws.ts): the joins and the ops of one input. */
const STRUCTURE = registryStructure();

/** A structural op of one input from the registry for a node of `shape` (up to four draws, for one that applies to it). */
function structural(rng: Rng, shape: readonly number[]): [string, Attrs] | undefined {
  for (let tries = 0; tries < 4; tries++) {
    const drawn = drawStructure(rng, rng, STRUCTURE.singles, shape);
    if (drawn) return [drawn[0].op, drawn[1]];
  }
  return undefined;
}

/** A join of the registry for a node of `shape`, with how many times the branch is repeated after the node. */
function joinOp(rng: Rng, shape: readonly number[]): [DrawnStructure, Attrs, number] | undefined {
  const drawn = drawStructure(rng, rng, STRUCTURE.joins, shape);
  return drawn && [drawn[0], drawn[1], rng.int(drawn[0].join!.inputs - 1)];
}

function imageOp(rng: Rng, shape: readonly number[]): [string, Attrs] | undefined {
  const channels = shape[1];
  const k = between(rng, 1, 3);
  return pick(rng, [
    () => ['Conv2d', { outChannels: between(rng, 1, 3) * (channels % 2 === 0 ? 2 : 1), kernelSize: [k, between(rng, 1, 3)], stride: [between(rng, 1, 2), 1], padding: [rng.int(2), rng.int(2)], dilation: [1, between(rng, 1, 2)], groups: channels % 2 === 0 && rng.uniform() < 0.4 ? 2 : 1, bias: rng.uniform() < 0.8, init: pick(rng, ['torch_default', 'he_uniform', 'xavier_normal']) }],
    () => {
      const s = between(rng, 1, 2);
      return ['ConvTranspose2d', { outChannels: between(rng, 1, 4), kernelSize: [between(rng, 2, 3), 2], stride: [s, s], padding: [rng.int(2), 0], outputPadding: [s > 1 ? rng.int(2) : 0, 0], bias: rng.uniform() < 0.8 }];
    },
    () => ['MaxPool2d', { kernelSize: [2, 2], stride: rng.uniform() < 0.5 ? [] : [1, 1], padding: [rng.int(2), rng.int(2)], ceilMode: rng.uniform() < 0.4 }],
    () => ['AvgPool2d', { kernelSize: [2, 3], stride: [], padding: [rng.int(2), 1] }],
    () => ['Upsample', { scaleFactor: 2, ...(channels % 2 === 1 ? { mode: 'bilinear' } : {}) }],
    () => ['BatchNorm', { eps: pick(rng, [1e-5, 1e-3]) }],
    () => ['LayerNorm', { normalizedDims: between(rng, 1, 3) }],
    () => ['Dropout', { p: 0.3 }],
    () => activation(rng),
    () => structural(rng, shape),
    () => structural(rng, shape),
  ] as const satisfies readonly (() => [string, Attrs] | undefined)[])();
}

function vectorOp(rng: Rng, shape: readonly number[]): [string, Attrs] | undefined {
  return pick(rng, [
    () => ['Linear', { outFeatures: between(rng, 3, 12), bias: rng.uniform() < 0.8, init: pick(rng, ['torch_default', 'he_normal', 'xavier_uniform']) }],
    () => ['BatchNorm', {}],
    () => ['LayerNorm', {}],
    () => ['Dropout', { p: 0.5 }],
    // Any value as a class index (truncated; negative ones count from the end), in tables of 32 to 80
    // classes so that computed values stay in range (one out of range is refused, E_ID_RANGE: #83).
    () => ['OneHot', { numClasses: between(rng, 2, 5) * 16 }],
    () => activation(rng),
    () => structural(rng, shape),
  ] as const satisfies readonly (() => [string, Attrs] | undefined)[])();
}

/** A recurrent layer over the sequence input, any of its variants: LSTM, GRU and RNN by turns, so a few graphs hold each. */
function sequenceOp(rng: Rng, index: number): [string, Attrs] {
  return [(['LSTM', 'GRU', 'RNN'] as const)[index % 3], { hiddenSize: between(rng, 2, 5), numLayers: between(rng, 1, 2), bidirectional: rng.uniform() < 0.5, bias: rng.uniform() < 0.8, output: pick(rng, ['sequence', 'last']) }];
}

/**
 * A random graph (image, vector or — with `sequence` — `[T, F]` sequence input), random weights,
 * and a random input batch. A sequence graph starts with a recurrent layer (a sequence output is
 * then flattened), in half of them after an Embedding of token ids; the rest is drawn as for vectors.
 */
export function randomGraph(rng: Rng, index: number, sequence = false): { model: TrainedModel; input: string; inputs: Float32Array; batch: number; prediction: string } {
  const image = !sequence && index % 3 !== 2;
  const shape = sequence ? [between(rng, 2, 5), between(rng, 2, 4)] : image ? [between(rng, 1, 4), between(rng, 5, 9), between(rng, 5, 9)] : [between(rng, 3, 10)];
  const nodes: NodeIR[] = [{ id: 'x', op: 'Input', attrs: { shape, source: 'features' }, inputs: [] }];
  let last = 'x';
  let n = 0;
  const valid = (candidate: NodeIR[]): Record<string, number[]> | null => {
    const g: GraphIR = { format: 'netwright.graph', version: 2, nodes: candidate, outputs: { y: candidate[candidate.length - 1].id } };
    const a = analyzeGraph(g, { batchSize: 2 });
    return a.diagnostics.some((d) => d.severity === 'error') ? null : a.shapes;
  };
  const tryAdd = (op: string, attrs: Attrs, inputs: string[], unitDims = false): boolean => {
    const id = `${op.toLowerCase()}${++n}`;
    const next = [...nodes, { id, op, attrs, inputs }];
    const shapes = valid(next);
    if (!shapes || shapes[id].slice(1).reduce((a, b) => a * b, 1) > 4096 || (!unitDims && shapes[id].slice(2).some((d) => d < 2))) return false;
    nodes.push(next[next.length - 1]);
    last = id;
    return true;
  };
  const shapeOf = (id: string) => valid(nodes)![id];
  // Half the sequence graphs read token ids: Input [T] → Embedding → the recurrent layer.
  const vocabulary = sequence && rng.uniform() < 0.5 ? between(rng, 3, 8) : 0;
  if (vocabulary) nodes[0].attrs = { shape: [shape[0]], source: 'features' };
  if (vocabulary) tryAdd('Embedding', { numEmbeddings: vocabulary, embeddingDim: between(rng, 2, 4) }, [last]);
  if (sequence) {
    const [op, attrs] = sequenceOp(rng, index);
    // Attention before the recurrent layer in two graphs, by index (drawing nothing): learned
    // positions and causal self-attention; or self-attention pooled over the steps, which leaves
    // no sequence for the recurrent layer.
    if (index % 4 >= 2) {
      tryAdd('PositionalEmbedding', {}, [last]);
      tryAdd('MultiHeadAttention', { numHeads: 1, causal: index % 4 === 2 }, [last]);
      if (index % 4 === 3) tryAdd('SequencePool', { mode: 'mean' }, [last]);
    }
    tryAdd(op, attrs, [last]);
    if (shapeOf(last).length === 3) tryAdd('Flatten', {}, [last]);
  }
  const steps = between(rng, 3, 6);
  for (let s = 0; s < steps * 4 && n < steps * 2; s++) {
    const rank = shapeOf(last).length;
    const r = rng.uniform();
    if (r < 0.12) {
      // A join of the registry over last and f(last), as a residual: last + f(last).
      const [op, attrs] = activation(rng);
      const from = last;
      const join = joinOp(rng, shapeOf(from));
      if (tryAdd(op, attrs, [from]) && join) tryAdd(join[0].op, join[1], [from, ...Array.from({ length: 1 + join[2] }, () => last)]);
    } else if (r < 0.17 && rank === 4) {
      // A squeeze-excite gate: the features times their channel means (the pool keeping 1×1 dims).
      const from = last;
      if (tryAdd('GlobalAvgPool', { keepDims: true }, [from], true)) tryAdd('Multiply', {}, [from, last]);
    } else if (r < 0.22) {
      const from = last;
      const [op, attrs] = rank === 4 ? ['Conv2d', { outChannels: between(rng, 1, 3), kernelSize: [1, 1] }] : ['Linear', { outFeatures: between(rng, 2, 5) }];
      // A join of the registry over last and a branch of other channels or features (a Concat; an Add or a Multiply where they match).
      const join = joinOp(rng, shapeOf(from));
      if (tryAdd(op, attrs as Attrs, [from]) && join) tryAdd(join[0].op, join[1], [from, ...Array.from({ length: 1 + join[2] }, () => last)]);
    } else {
      const drawn = rank === 4 ? imageOp(rng, shapeOf(last)) : vectorOp(rng, shapeOf(last));
      if (drawn) tryAdd(drawn[0], drawn[1], [last]);
    }
  }
  if (shapeOf(last).length === 4) {
    // Ops added later come by index, drawing nothing: every other draw (and graph) stays as it was.
    const channels = shapeOf(last)[1];
    if (index % 4 === 0 && channels % 2 === 0) tryAdd('GroupNorm', { numGroups: 2 }, [last]);
    if (rng.uniform() < 0.5) tryAdd('GlobalAvgPool', {}, [last]);
    else tryAdd('Flatten', {}, [last]);
  }
  const width = shapeOf(last)[1];
  if (width % 2 === 0 && rng.uniform() < 0.6) {
    // [N, C, L]: a BatchNorm1d over channels of a sequence, then back to vectors.
    tryAdd('Reshape', { shape: [2, width / 2] }, [last]);
    if (index % 2 === 0 && width >= 4) tryAdd('Conv1d', { outChannels: 2, kernelSize: 2, padding: 1 }, [last]);
    tryAdd('BatchNorm', {}, [last]);
    tryAdd(pick(rng, ['ReLU', 'Tanh']), {}, [last]);
    tryAdd('Flatten', {}, [last]);
  }
  // Every activation of the registry by turns, one per graph (by index, drawing nothing): each is
  // exported whatever the draws above gave (by chance alone, the 28 graphs once drew no Softplus).
  const turn = ACTIVATIONS[index % ACTIVATIONS.length];
  tryAdd(turn.op, turn.settings[Math.floor(index / ACTIVATIONS.length) % turn.settings.length], [last]);
  if (index % 5 === 4) tryAdd('PReLU', {}, [last]);
  tryAdd('Linear', { outFeatures: between(rng, 2, 5) }, [last]);
  const g: GraphIR = { format: 'netwright.graph', version: 2, name: `random #${index}`, nodes, outputs: { y: last } };

  const plan = compileGraph(checkedOrThrow(g), { batchSize: 1, backend: createReferenceBackend(), seed: 100 + index });
  const params: Record<string, Float32Array> = {};
  const buffers: Record<string, Float32Array> = {};
  for (const p of plan.params) {
    const v = p.value.data.slice();
    // Norm scales and shifts start at 1 and 0: move them so the export must carry them.
    for (let i = 0; i < v.length; i++) v[i] += 0.2 * rng.normal();
    params[`${p.nodeId}.${p.name}`] = v;
  }
  for (const b of plan.buffers) {
    const v = b.value.data.slice();
    for (let i = 0; i < v.length; i++) v[i] = b.name === 'runningVar' ? 0.5 + 1.5 * rng.uniform() : 0.5 * rng.normal();
    buffers[`${b.nodeId}.${b.name}`] = v;
  }
  const batch = 3;
  const perSample = (nodes[0].attrs.shape as number[]).reduce((a, b) => a * b, 1);
  const inputs = Float32Array.from({ length: batch * perSample }, () => (vocabulary ? rng.int(vocabulary) : rng.normal()));
  return { model: { graph: g, params, buffers, origin: { step: 7 } }, input: 'x', inputs, batch, prediction: last };
}
