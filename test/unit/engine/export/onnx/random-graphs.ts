/**
 * Random inference graphs for the exporter: chains with branches over images [C, H, W], sequences
 * [L, F] and vectors [F], drawing every exportable op and its attribute variants (the recurrent ones
 * right after the input of some sequence graphs). The activations and the structural ops (the joins
 * of a node and a branch — Add, Multiply, Concat — and Reshape, Flatten, Transpose, Slice, …) are
 * the registry's (registry-draws.ts), drawn as their files declare. Ops added later draw from the
 * `family` stream, so the graphs of earlier seeds keep their shape draws. Each candidate node is
 * kept only if its op's shape rule accepts it.
 */
import type { GraphIR, NodeIR } from '../../../../../src-engine/base/ir/types';
import { Rng } from '../../../../../src-engine/base/rng';
import { getOp } from '../../../../../src-engine/core/ops/registry';
import type { Attrs } from '../../../../../src-engine/core/ops/types';
import { drawSetting, drawStructure, registryActivations, registryStructure } from '../../registry-draws';

type Shape = number[];

interface Builder {
  rng: Rng;
  /** Picks within a family of look-alike ops (the activations, which come from the registry) and variants. */
  family: Rng;
  nodes: NodeIR[];
  shapes: Map<string, Shape>;
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

function withDefaults(op: string, attrs: Attrs): Attrs {
  const def = getOp(op)!;
  return { ...Object.fromEntries(Object.entries(def.attrs).map(([k, s]) => [k, s.default])), ...attrs };
}

/** Add a node if its shape rule accepts it (and the result stays small); returns its id. */
function add(b: Builder, op: string, inputs: string[], attrs: Attrs = {}): string | undefined {
  const r = getOp(op)!.inferShape({ inputs: inputs.map((i) => b.shapes.get(i)!), attrs: withDefaults(op, attrs) });
  if (!r.ok || r.shape.slice(1).reduce((x, y) => x * y, 1) > 4096 || r.shape.some((d) => d < 1)) return undefined;
  const id = `${op.toLowerCase()}${b.nodes.length}`;
  b.nodes.push({ id, op, attrs, inputs });
  b.shapes.set(id, r.shape);
  return id;
}

const pair = (rng: Rng, lo: number, hi: number) => [lo + rng.int(hi - lo + 1), lo + rng.int(hi - lo + 1)];

/** Every activation of the registry with the settings its file declares. */
const ACTIVATIONS = registryActivations();

/** An activation and one of its settings, from `rng`: the arguments of `add` after the builder. */
function drawActivation(rng: Rng, x: string): [string, string[], Attrs] {
  const [op, attrs] = drawSetting(rng, ACTIVATIONS);
  return [op, [x], attrs];
}

/** Every op whose file declares how a random graph draws it (registry-draws.ts): the joins and the ops of one input. */
const STRUCTURE = registryStructure();

/** A join of the registry over `x` and a branch from it (the branch alone where the join's shape rule refuses); which join from the family stream. */
function join(b: Builder, x: string): string | undefined {
  const y = step(b, x);
  const drawn = y && drawStructure(b.family, b.rng, STRUCTURE.joins, b.shapes.get(x)!);
  if (!y || !drawn) return y;
  const [d, attrs] = drawn;
  const repeats = b.family.int(d.join!.inputs - 1);
  return add(b, d.op, [x, y, ...Array.from({ length: repeats }, () => y)], attrs) ?? y;
}

/** A structural op of one input from the registry, applied to `x`; which one from the family stream. */
function single(b: Builder, x: string): string | undefined {
  const drawn = drawStructure(b.family, b.rng, STRUCTURE.singles, b.shapes.get(x)!);
  return drawn && add(b, drawn[0].op, [x], drawn[1]);
}

/** One random op applied to `x`, by the rank of its shape. */
function step(b: Builder, x: string): string | undefined {
  const { rng } = b;
  const s = b.shapes.get(x)!;
  const rank = s.length;
  const acts: (() => string | undefined)[] = [
    // Every activation of the registry at its declared settings (registry-draws.ts): which one from
    // the family stream, so an activation added to the registry leaves the main stream's draws as they were.
    ...Array.from({ length: 9 }, () => () => add(b, ...drawActivation(b.family, x))),
    () => add(b, 'Dropout', [x], { p: pick(rng, [0.1, 0.5]) }),
    () => add(b, 'BatchNorm', [x], { affine: rng.uniform() < 0.7, eps: pick(rng, [1e-5, 1e-3]) }),
    () => {
      const normalizedDims = 1 + rng.int(rank - 1);
      const elementwiseAffine = rng.uniform() < 0.7;
      // Sometimes (from the family stream) a GroupNorm instead, where there are positions.
      const groups = [1, 2, 3].filter((k) => s[1] % k === 0);
      if (rank >= 3 && b.family.uniform() < 0.3) return add(b, 'GroupNorm', [x], { numGroups: pick(b.family, groups), affine: b.family.uniform() < 0.7 });
      return add(b, 'LayerNorm', [x], { normalizedDims, elementwiseAffine });
    },
    () => join(b, x),
    () => join(b, x),
  ];
  const image: (() => string | undefined)[] = [
    () => add(b, 'Conv2d', [x], { outChannels: pick(rng, [2, 4, 6]), kernelSize: pair(rng, 1, 3), stride: pair(rng, 1, 2), padding: pair(rng, 0, 1), dilation: pair(rng, 1, 2), groups: pick(rng, [1, 2]), bias: rng.uniform() < 0.7 }),
    () => {
      const stride = pair(rng, 1, 2);
      const dilation = pair(rng, 1, 2);
      const outputPadding = stride.map((st, i) => (rng.uniform() < 0.5 ? 0 : Math.min(st, dilation[i]) - 1));
      return add(b, 'ConvTranspose2d', [x], { outChannels: pick(rng, [2, 4]), kernelSize: pair(rng, 1, 3), stride, padding: pair(rng, 0, 1), outputPadding, dilation, groups: pick(rng, [1, 2]), bias: rng.uniform() < 0.7 });
    },
    () => add(b, 'MaxPool2d', [x], { kernelSize: pair(rng, 2, 3), stride: rng.uniform() < 0.5 ? [] : pair(rng, 1, 2), padding: pair(rng, 0, 1), ...(b.family.uniform() < 0.4 ? { ceilMode: true } : {}) }),
    () => add(b, 'AvgPool2d', [x], { kernelSize: pair(rng, 2, 3), stride: rng.uniform() < 0.5 ? [] : pair(rng, 1, 2), padding: pair(rng, 0, 1) }),
    // Sometimes a squeeze-excite gate: the pool keeping its 1×1 dims, times the features.
    () => {
      if (b.family.uniform() < 0.5) return add(b, 'GlobalAvgPool', [x]);
      const gate = add(b, 'GlobalAvgPool', [x], { keepDims: true });
      return gate && add(b, 'Multiply', [x, gate]);
    },
    () => add(b, 'Upsample', [x], { scaleFactor: pick(rng, [1, 2, 3]), ...(b.family.uniform() < 0.4 ? { mode: 'bilinear' } : {}) }),
    () => single(b, x),
    () => {
      // Sometimes (from the family stream) ShuffleNet's channel shuffle: channels split in two groups, swapped, merged.
      if (b.family.uniform() < 0.15 && s[1] % 2 === 0) {
        const grouped = add(b, 'Reshape', [x], { shape: [2, s[1] / 2, s[2], s[3]] });
        const swapped = grouped && add(b, 'Transpose', [grouped], { perm: [0, 2, 1, 3, 4] });
        return swapped && add(b, 'Reshape', [swapped], { shape: [s[1], s[2], s[3]] });
      }
      return single(b, x);
    },
  ];
  const sequence: (() => string | undefined)[] = [
    () => {
      const attrs = { outFeatures: pick(rng, [3, 5]), bias: rng.uniform() < 0.7 };
      // Sometimes (from the family stream) a Conv1d over the sequence instead.
      if (b.family.uniform() < 0.3) return add(b, 'Conv1d', [x], { outChannels: pick(b.family, [2, 4]), kernelSize: 1 + b.family.int(2), padding: b.family.int(2), bias: attrs.bias });
      return add(b, 'Linear', [x], attrs);
    },
    () => add(b, 'GlobalAvgPool', [x]),
    () => single(b, x),
    () => single(b, x),
  ];
  const vector: (() => string | undefined)[] = [
    () => add(b, 'Linear', [x], { outFeatures: pick(rng, [4, 8]), bias: rng.uniform() < 0.7 }),
    () => single(b, x),
    () => single(b, x),
  ];
  const own = rank === 4 ? image : rank === 3 ? sequence : vector;
  const choices = rng.uniform() < 0.5 ? own : acts;
  for (let tries = 0; tries < 6; tries++) {
    const y = pick(rng, choices)();
    if (y) return y;
  }
  return undefined;
}

/** The number of classes of the OneHot reading Input `id` directly, if one does: its values are then class indices. */
export function oneHotClasses(graph: GraphIR, id: string): number | undefined {
  return graph.nodes.find((n) => n.op === 'OneHot' && n.inputs[0] === id)?.attrs.numClasses as number | undefined;
}

/** The rows of the Embedding reading Input `id` directly, if one does: its values are then token ids. */
export function embeddingRows(graph: GraphIR, id: string): number | undefined {
  return graph.nodes.find((n) => n.op === 'Embedding' && n.inputs[0] === id)?.attrs.numEmbeddings as number | undefined;
}

/** A random graph `g<seed>` of about `length` ops after its input; the output is named `y`. */
export function randomGraph(seed: number, length = 8): GraphIR {
  const rng = new Rng(seed);
  const b: Builder = { rng, family: new Rng(seed * 7919 + 13), nodes: [], shapes: new Map() };
  const kind = seed % 3;
  const shape = kind === 0 ? [1 + rng.int(3), 4 + rng.int(5), 4 + rng.int(5)] : kind === 1 ? [2 + rng.int(4), 3 + rng.int(4)] : [3 + rng.int(8)];
  b.nodes.push({ id: 'x', op: 'Input', attrs: { shape, source: 'features' }, inputs: [] });
  b.shapes.set('x', [1, ...shape]);
  let cur = 'x';
  // Class indices one-hot, straight from the input (whose values the test then draws as whole
  // numbers in range: see `oneHotClasses`), in some graphs without input normalisation.
  // NOTE: not on computed values: onnxruntime compares a float index with each class exactly
  // instead of truncating it as the ONNX spec (and Netwright, and PyTorch's .long()) do.
  if (seed % 12 === 1 || seed % 12 === 5) cur = add(b, 'OneHot', ['x'], { numClasses: pick(rng, [2, 3, 5]) }) ?? cur;
  // An LSTM, a GRU or an RNN reading the sequence first, in some sequence graphs: its settings from a stream of its
  // own, so every other graph (and every other draw) stays as it was before it was added. One layer,
  // one direction: what the importer reads back (recurrent.test.ts exports the stacked and
  // bidirectional forms).
  if (seed % 12 === 4 || seed % 12 === 10) {
    const own = new Rng(seed * 104729 + 31);
    const attrs = { hiddenSize: 2 + own.int(3), bias: own.uniform() < 0.7, output: pick(own, ['sequence', 'last']) };
    cur = add(b, seed % 12 === 10 ? 'GRU' : seed % 24 === 16 ? 'RNN' : 'LSTM', ['x'], attrs) ?? cur;
  }
  // Token ids embedded, in some vector graphs without input normalisation (ids must stay whole
  // numbers: see `embeddingRows`); settings from a stream of their own, as the LSTM's.
  if (seed % 12 === 11) {
    const own = new Rng(seed * 104729 + 37);
    cur = add(b, 'Embedding', ['x'], { numEmbeddings: 4 + own.int(6), embeddingDim: 2 + own.int(3) }) ?? cur;
  }
  // Self-attention over the sequence between learned positions and a pool over the steps, in some
  // sequence graphs: fixed settings, drawing nothing (every other draw stays as it was).
  if (seed % 12 === 7) {
    cur = add(b, 'PositionalEmbedding', [cur]) ?? cur;
    cur = add(b, 'MultiHeadAttention', [cur], { numHeads: 1, causal: seed % 24 === 7 }) ?? cur;
    cur = add(b, 'SequencePool', [cur], { mode: seed % 24 === 7 ? 'last' : 'mean' }) ?? cur;
  }
  for (let i = 0; i < length; i++) cur = step(b, cur) ?? cur;
  // A grouped transposed convolution in some image graphs, by index (drawing nothing): the random
  // steps draw it only where the channels they reach are even.
  if (seed % 12 === 6 && b.shapes.get(cur)!.length === 4) {
    const two = add(b, 'Conv2d', [cur], { outChannels: 2, kernelSize: [1, 1] });
    cur = (two && add(b, 'ConvTranspose2d', [two], { outChannels: 2, kernelSize: [2, 2], stride: [2, 2], groups: 2 })) ?? two ?? cur;
  }
  if (cur === 'x') cur = add(b, 'ReLU', ['x'])!;
  return { format: 'netwright.graph', version: 2, name: `random ${seed}`, nodes: b.nodes, outputs: { y: cur } };
}
