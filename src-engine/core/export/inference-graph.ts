import { isSampledSource } from '../ops/categories';
import { INPUT_OP, isGraphInput } from '../../base/ir/inputs';
import type { GraphIR, NodeIR } from '../../base/ir/types';
import { checkGraph, type CheckedGraph } from '../analysis/checked';
import type { Diagnostic } from '../../base/ir/diagnostics';
import { getOp } from '../ops/registry';
import { checkModelGraph, tensorSpecs, type TrainedModel } from './model';

/**
 * One input of an exported generator, in the model's input order: a latent input (a noise
 * source of the training graph, now a graph Input of the same id: fill it with N(0, 1) values),
 * the class label a conditional GAN draws (the training graph's target Input: one class index
 * per sample, as a float, `classes` the number of classes), or the dataset's features, for a
 * generator that reads them (an image-to-image GAN).
 */
export type GeneratorInput =
  | { id: string; shape: number[]; kind: 'noise' }
  | { id: string; shape: number[]; kind: 'label'; classes: number }
  | { id: string; shape: number[]; kind: 'features' };

/** What a GAN's export holds: the generator, from its latent inputs (and label) to the generated samples. */
export interface GeneratorExport {
  /** The generator's inputs, per-sample shapes. */
  inputs: GeneratorInput[];
  /** The node whose output is the generated sample, the output name it goes by, its per-sample shape. */
  output: { id: string; name: string; shape: number[] };
}

/** The model an exporter writes, and what it is when that is not the trained graph as a whole. */
export interface InferenceModel {
  model: TrainedModel;
  /** Set when the trained graph was a GAN and `model` is its generator. */
  generator?: GeneratorExport;
  /** `model`'s graph, checked once (what the exporters read); absent when it has errors (`diagnostics` says which). */
  checked?: CheckedGraph;
  diagnostics: Diagnostic[];
}

/**
 * The model that leaves the app for inference. Most graphs leave as they are (the same object, so
 * their exports do not change). A GAN does not: its discriminator and losses are training
 * constructs, and what one ships from a trained GAN is the generator (DCGAN's `netG`). Found by op
 * traits, not op names: a `trainingOnly` node (RealFakeBatch) whose input descends from a sampled
 * source (an `input`-category op other than the graph's own Input: Noise) marks the generated
 * branch; the generator is that branch's sub-graph, each sampled source becoming an Input of the
 * same id and per-sample shape (batch dynamic), its training section dropped (it has no recipe of
 * its own) and its weights those of its nodes. A conditional GAN's generator also reads the
 * labels (the target Input, through OneHot): that Input becomes one of the generator's inputs.
 * The input normalisation is dropped too: the generator reads z, not the dataset's features; nor
 * the class names. `known`: the model's graph when the caller checked it already (not checked again).
 *
 * @example
 * ```ts
 * const { model: g, generator } = inferenceModel(trainedDcgan);
 * // generator: { inputs: [{ id: 'z', shape: [32], kind: 'noise' }], output: { id: 'fake', name: 'samples', shape: [1, 28, 28] } }
 * ```
 */
export function inferenceModel(model: TrainedModel, known?: CheckedGraph): InferenceModel {
  const r = known ? { graph: known, diagnostics: [...known.warnings] } : checkGraph(model.graph, { batchSize: 1 });
  const as = { model, diagnostics: r.diagnostics, ...(r.graph ? { checked: r.graph } : {}) };
  if (!r.graph || !model.graph.nodes.some((n) => getOp(n.op)?.trainingOnly)) return as;
  const a = { order: r.graph.order, shapes: r.graph.shapesAt(1) };
  const graph = r.graph.ir;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const isSampled = (n: NodeIR) => isSampledSource(n);
  const ancestors = (id: string, into = new Set<string>()) => {
    if (into.has(id)) return into;
    into.add(id);
    for (const i of byId.get(id)?.inputs ?? []) ancestors(i, into);
    return into;
  };
  const generated = new Set<string>();
  for (const n of graph.nodes) {
    if (!getOp(n.op)?.trainingOnly) continue;
    for (const i of n.inputs) if ([...ancestors(i)].some((id) => isSampled(byId.get(id)!))) generated.add(i);
  }
  // Not a GAN (or an ambiguous one): the exporters say what they cannot write, as before.
  if (generated.size !== 1) return as;
  const [out] = generated;
  const keep = new Set<string>();
  const visit = (id: string) => {
    if (keep.has(id)) return;
    keep.add(id);
    const n = byId.get(id)!;
    if (!isSampled(n)) n.inputs.forEach(visit);
  };
  visit(out);
  const perSample = (id: string) => a.shapes[id].slice(1);
  const nodes: NodeIR[] = a.order
    .filter((id) => keep.has(id))
    .map((id) => byId.get(id)!)
    .map((n) => (isSampled(n) || isGraphInput(n) ? { id: n.id, op: INPUT_OP, attrs: { shape: perSample(n.id), source: 'features' }, inputs: [] } : n));
  const outputs = Object.fromEntries(Object.entries(graph.outputs).filter(([, id]) => id === out));
  if (Object.keys(outputs).length === 0) outputs.generated = out;
  const generatorGraph: GraphIR = { format: graph.format, version: graph.version, ...(graph.name ? { name: `${graph.name}: generator` } : {}), nodes, outputs };
  // A new graph: checked in turn (once), for its tensors and for the exporters.
  const checked = checkModelGraph(generatorGraph);
  const keys = new Set(tensorSpecs(checked).map((t) => t.key));
  const pick = (from: Record<string, Float32Array>) => Object.fromEntries(Object.entries(from).filter(([k]) => keys.has(k)));
  const { normalization: _normalization, classNames: _classNames, ...rest } = model;
  return {
    model: { ...rest, graph: generatorGraph, params: pick(model.params), buffers: pick(model.buffers) },
    checked,
    diagnostics: [...checked.warnings],
    generator: {
      inputs: nodes
        .filter(isGraphInput)
        .map((n): GeneratorInput => {
          const source = byId.get(n.id)!;
          if (isSampled(source)) return { id: n.id, shape: perSample(n.id), kind: 'noise' };
          if (source.attrs.source === 'target') return { id: n.id, shape: perSample(n.id), kind: 'label', classes: classesOf(nodes, n.id) ?? model.classNames?.length ?? 0 };
          return { id: n.id, shape: perSample(n.id), kind: 'features' };
        }),
      output: { id: out, name: Object.keys(outputs)[0], shape: perSample(out) },
    },
  };
}

/** What a design would leave the app as when it is a GAN (its generator's inputs and output), from the graph alone; undefined otherwise. */
export function generatorOf(graph: GraphIR): GeneratorExport | undefined {
  // Most designs are no GAN: answered without checking the graph (the canvas asks on every edit).
  if (!graph.nodes.some((n) => getOp(n.op)?.trainingOnly)) return undefined;
  return inferenceModel({ graph, params: {}, buffers: {} }).generator;
}

/** The number of classes a label input is one-hot over: the `numClasses` of a node reading it that has one (OneHot). */
function classesOf(nodes: readonly NodeIR[], id: string): number | undefined {
  const reader = nodes.find((n) => n.inputs.includes(id) && typeof n.attrs.numClasses === 'number');
  return reader?.attrs.numClasses as number | undefined;
}

/**
 * `the generator: z [32] → samples [1, 28, 28]` (a conditional one: `label (class 0–9), z [32]
 * → samples [1, 28, 28]`): a generator export in one line, for the Export menu and the READMEs.
 */
export function describeGenerator(g: GeneratorExport): string {
  const input = (i: GeneratorInput) => (i.kind === 'label' ? `${i.id} (class 0–${i.classes - 1})` : `${i.id} [${i.shape.join(', ')}]`);
  return `the generator: ${g.inputs.map(input).join(', ')} → ${g.output.name} [${g.output.shape.join(', ')}]`;
}
