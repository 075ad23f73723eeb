import { isFeatureInput, isGraphInput } from '../../../base/ir/inputs';
import { normalizationMetadata, normalizationRuns } from '../safetensors';
import { predictionNodeId } from '../../../base/ir/prediction';
import type { GraphIR, NodeIR } from '../../../base/ir/types';
import { ENGINE_VERSION } from '../../../base/version';
import type { CheckedGraph } from '../../analysis/checked';
import { isMapped } from '../../ops/export-mapping';
import { getOp } from '../../ops/registry';
import type { Attrs, OnnxAttrValue, OnnxEmitContext, OnnxMapping, OpDef } from '../../ops/types';
import { describeGenerator, inferenceModel } from '../inference-graph';
import { untrainedNote, type TrainedModel } from '../model';
import { MODEL_CARD_KEY, modelCard, type ModelCardContext } from '../model-card';
import { foldNormalization } from './fold';
import type { Normalization } from '../../data/normalize';
import { OnnxError, type OnnxDiagnostic } from './errors';
import { ATTR, DTYPE, encodeModel, floatTensor, int64Tensor, utf8, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './proto';

/** The opsets Netwright writes; 17 (IR 8) unless asked. */
export const ONNX_OPSETS = [17, 18, 19, 20, 21] as const;
export const DEFAULT_OPSET = 17;

/** The ONNX IR version that goes with each opset (onnx/helper.py's VERSION_TABLE). */
const IR_FOR_OPSET: Readonly<Record<number, number>> = { 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

/** The name of the dynamic batch dim of every graph input and output. */
export const BATCH_DIM = 'batch';

/** Keys of the `metadata_props` Netwright writes (and its importer reads). */
export const META = {
  graph: 'netwright.graph',
  normalization: 'netwright.normalization',
  classNames: 'netwright.classNames',
  /** A text model's tokenizer as JSON (core/data/tokenizer.ts): how a text becomes the input. */
  tokenizer: 'netwright.tokenizer',
  /** A table model's encoding as JSON (core/data/table-encoding.ts): how a row of its columns becomes the input. */
  table: 'netwright.table',
  /** A regression's target standardisation as JSON (`TrainedModel.targetNormalization`): the graph's last Mul/Add nodes undo it. */
  targetNormalization: 'netwright.targetNormalization',
  exported: 'netwright.export',
  /** The model card as Markdown (core/export/model-card.ts). */
  modelCard: MODEL_CARD_KEY,
} as const;

/**
 * - `nodes` (default): the file takes raw features; a `Sub` (mean) and a `Div` (std) node per
 *   features input apply the model's normalisation first.
 * - `fold`: the normalisation is folded into the first layer's weights (Linear, also behind a
 *   Flatten; Conv2d without padding for a global normalisation); `E_EXPORT_FOLD` where it cannot.
 * - `none`: the file takes normalised features (the normalisation is only in the metadata).
 */
export type OnnxNormalizationMode = 'nodes' | 'fold' | 'none';

export interface OnnxExportOptions {
  /** 17 (default) to 21. GELU is the `Gelu` op from opset 20, decomposed below it. */
  opset?: number;
  normalization?: OnnxNormalizationMode;
  /** Written as `producer_version`. */
  producerVersion?: string;
  /** The model's graph already checked (`checkGraph`): read as it is, not checked again (the importer's restore). */
  checked?: CheckedGraph;
  /** What the model card adds besides the model (a quantised file's figures). */
  card?: ModelCardContext;
}

export interface OnnxExport {
  /** The `.onnx` file. */
  bytes: Uint8Array;
  opset: number;
  /** Graph input names (the features Inputs' ids) and output names (the `outputs` keys), in order. */
  inputs: string[];
  outputs: string[];
  /** Set when the file holds part of the trained graph: a GAN's generator, in words. */
  holds?: string;
}

/**
 * The inference graph of a trained model as an ONNX file: losses and the targets only they use are
 * left out (a GAN is written as its generator, inference-graph.ts), Dropout removed, BatchNorm in inference mode, the batch dim dynamic. Each node becomes
 * what its op's `onnx` trait says (core/ops/*.ts); node names are the canvas ids.
 *
 * @throws OnnxError before anything is written: `E_EXPORT_UNSUPPORTED` listing each node without an
 *   ONNX form, `E_EXPORT_INVALID`, `E_EXPORT_NO_OUTPUT`, `E_EXPORT_FOLD`, `E_EXPORT_WEIGHTS`, `E_EXPORT_OPTION`.
 * @example
 * ```ts
 * const { bytes } = exportOnnx(model);               // opset 17, normalisation as leading nodes
 * const newer = exportOnnx(model, { opset: 20 });    // GELU as the Gelu op
 * ```
 */
export function exportOnnx(trained: TrainedModel, options: OnnxExportOptions = {}): OnnxExport {
  // A GAN leaves as its generator (z in, samples out); every other graph as it is.
  const { model, generator, checked, diagnostics } = inferenceModel(trained, options.checked);
  const opset = options.opset ?? DEFAULT_OPSET;
  const mode = options.normalization ?? 'nodes';
  if (!(ONNX_OPSETS as readonly number[]).includes(opset)) {
    throw new OnnxError('E_EXPORT_OPTION', [{ code: 'E_EXPORT_OPTION', message: `Netwright writes ONNX opsets ${ONNX_OPSETS[0]} to ${ONNX_OPSETS.at(-1)}; ${opset} was asked for.` }]);
  }
  if (!['nodes', 'fold', 'none'].includes(mode)) {
    throw new OnnxError('E_EXPORT_OPTION', [{ code: 'E_EXPORT_OPTION', message: `Unknown normalisation mode "${String(mode)}": use "nodes", "fold" or "none".` }]);
  }

  if (!checked) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    throw new OnnxError('E_EXPORT_INVALID', errors.map((d) => ({ code: d.code, nodeId: d.nodeId, message: d.message })));
  }
  const analysis = { order: checked.order, shapes: checked.shapesAt(1) };
  const graph = checked.ir;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const shapeOf = (id: string) => analysis.shapes[id].map((d, i) => (i === 0 ? -1 : d));

  // What is exported: every named output that is not a loss, and the nodes it depends on.
  const outputs = Object.entries(graph.outputs).filter(([, id]) => !getOp(byId.get(id)!.op)!.isLoss);
  // No output names the prediction (its layer was replaced on the canvas): what the loss reads is it.
  const predicted = outputs.length === 0 ? predictionNodeId(graph) : undefined;
  if (predicted !== undefined && byId.has(predicted) && !getOp(byId.get(predicted)!.op)!.isLoss) outputs.push(['prediction', predicted]);
  if (outputs.length === 0) {
    throw new OnnxError('E_EXPORT_NO_OUTPUT', [{ code: 'E_EXPORT_NO_OUTPUT', message: 'The graph names no output to infer (only losses): add the prediction to its outputs.' }]);
  }
  const needed = new Set<string>();
  const visit = (id: string) => {
    if (needed.has(id)) return;
    needed.add(id);
    byId.get(id)!.inputs.forEach(visit);
  };
  outputs.forEach(([, id]) => visit(id));
  const order = analysis.order.filter((id) => needed.has(id)).map((id) => byId.get(id)!);

  const unsupported: OnnxDiagnostic[] = [];
  for (const n of order) {
    const def = getOp(n.op)!;
    if (!isGraphInput(n) && !isMapped(def.onnx)) {
      unsupported.push({ code: 'E_EXPORT_UNSUPPORTED', nodeId: n.id, op: n.op, message: `${n.op} cannot be exported to ONNX: ${def.onnx.none}.` });
    }
  }
  if (unsupported.length) throw new OnnxError('E_EXPORT_UNSUPPORTED', unsupported);

  const weights = checkWeights(model, order, (n) => ({ inputs: n.inputs.map((i) => analysis.shapes[i]), attrs: n.attrs }));
  const norm = model.normalization;
  const featureInputs = order.filter(isFeatureInput);
  if (norm && mode === 'fold') foldNormalization(order, featureInputs, norm, weights, (id) => analysis.shapes[id]);

  const builder = new GraphBuilder(weights);
  const valueOf = new Map<string, string>();
  const takenNames = new Set(graph.nodes.map((n) => n.id));
  const outputName = new Map<string, string>();
  // Targets learnt standardised: the prediction leaves through a Mul (std) and an Add (mean), so the file answers in the target's units.
  const targetNorm = model.targetNormalization;
  const restored = targetNorm ? predictionNodeId(graph) : undefined;
  if (restored !== undefined) outputName.set(restored, `${restored}/standardized`);
  for (const [key, id] of outputs) {
    // A graph output is named after its key (`logits`) unless that name is already a node's.
    if (!outputName.has(id) && (key === id || !takenNames.has(key))) outputName.set(id, key);
  }

  const inputs: OnnxValueInfo[] = [];
  for (const n of order) {
    if (!isGraphInput(n)) continue;
    inputs.push(valueInfo(n.id, shapeOf(n.id), n.attrs.source === 'target' ? 'targets' : 'features'));
    let v = n.id;
    if (norm && mode === 'nodes' && n.attrs.source !== 'target') v = builder.normalize(n, norm, shapeOf(n.id).slice(1));
    valueOf.set(n.id, v);
  }
  for (const n of order) {
    if (isGraphInput(n)) continue;
    const def = getOp(n.op)!;
    const mapping = def.onnx as OnnxMapping;
    const ctx = builder.context(n, def, {
      inputs: n.inputs.map((i) => valueOf.get(i)!),
      inputShapes: n.inputs.map(shapeOf),
      outputShape: shapeOf(n.id),
      opset,
    });
    const out = mapping.emit ? mapping.emit(ctx) : ctx.node(mapping.opType, [...ctx.inputs, ...paramNames(def, n, analysis.shapes).flatMap((p) => ctx.weight(p) ?? [])], ctx.mappedAttrs());
    valueOf.set(n.id, builder.finish(n, def, out, outputName.get(n.id) ?? n.id));
  }

  const outputInfos: OnnxValueInfo[] = [];
  const values = new Set([...takenNames, ...builder.nodes.flatMap((x) => x.output)]);
  for (const [key, id] of outputs) {
    let v = valueOf.get(id)!;
    if (id === restored && targetNorm) {
      const name = key === id || !values.has(key) ? key : `${id}/${key}`;
      v = builder.restoreTarget(id, v, name, targetNorm, shapeOf(id).slice(1));
      values.add(name);
    } else if (v !== key && !values.has(key)) {
      // An identity op (Dropout) or a second key of the same node: an Identity gives the name.
      v = builder.identity(`${id}/${key}`, v, key);
      values.add(key);
    }
    if (!outputInfos.some((o) => o.name === v)) outputInfos.push(valueInfo(v, shapeOf(id), `output "${key}": node "${id}"`));
  }

  // The shape of every node's value inside the graph (its inputs and outputs have theirs already),
  // so a reader (Netron, onnx.shape_inference, a runtime planning memory) need not infer them.
  const described = new Set([...inputs, ...outputInfos].map((v) => v.name));
  const inner: OnnxValueInfo[] = [];
  for (const n of order) {
    const v = valueOf.get(n.id);
    if (isGraphInput(n) || v === undefined || described.has(v)) continue;
    described.add(v);
    inner.push(valueInfo(v, shapeOf(n.id), `${n.op} "${n.id}"`));
  }

  // A design exported before training says so where a reader of the file looks (Netron shows both).
  const untrained = untrainedNote(model);
  const metadata: { key: string; value: string }[] = [
    { key: META.graph, value: JSON.stringify(withoutHostPaths(model.graph)) },
    { key: META.exported, value: JSON.stringify({ opset, normalization: norm ? mode : 'none', ...(untrained ? { weights: 'initial', untrained: true } : {}) }) },
  ];
  if (norm) metadata.push({ key: META.normalization, value: normalizationMetadata(norm) });
  if (model.classNames) metadata.push({ key: META.classNames, value: JSON.stringify(model.classNames) });
  if (model.tokenizer) metadata.push({ key: META.tokenizer, value: JSON.stringify(model.tokenizer) });
  if (model.table) metadata.push({ key: META.table, value: JSON.stringify(model.table) });
  if (targetNorm) metadata.push({ key: META.targetNormalization, value: JSON.stringify(targetNorm) });
  metadata.push({ key: META.modelCard, value: modelCard(model, options.card) });

  const onnx: OnnxModel = {
    ir_version: IR_FOR_OPSET[opset],
    opset_import: [{ domain: '', version: opset }],
    producer_name: 'Netwright',
    producer_version: options.producerVersion ?? ENGINE_VERSION,
    doc_string: untrained ? `${graph.name ?? 'netwright'}: ${untrained}` : (graph.name ?? ''),
    graph: {
      name: graph.name ?? 'netwright',
      doc_string: normalizationDoc(norm ? mode : 'none'),
      node: builder.nodes,
      initializer: builder.initializers,
      input: inputs,
      output: outputInfos,
      value_info: inner,
    },
    metadata_props: metadata,
  };
  return { bytes: encodeModel(onnx), opset, inputs: inputs.map((i) => i.name), outputs: outputInfos.map((o) => o.name), ...(generator ? { holds: describeGenerator(generator) } : {}) };
}

/**
 * A features input's statistics as the initializers its Sub and Div broadcast: a global one as
 * scalars; a per-feature one whose figures repeat over each channel's pixels (an image's
 * per-channel mean and std, `normalizationRuns`; one run may span several channels, as grey
 * images read as RGB) as [C, 1, 1] with a figure per channel, the same float32 values after the
 * broadcast; any other per feature, in the sample's shape. A [3, 64, 64] image's were 12,288
 * figures twice (96 KiB of a mobilenet_v3_small file) and are 3 twice.
 */
export function normalizationTensors(norm: Normalization, sampleShape: readonly number[]): { dims: number[]; mean: readonly number[]; std: readonly number[] } {
  if (norm.kind === 'global') return { dims: [], mean: norm.mean, std: norm.std };
  const runs = normalizationRuns(norm);
  const channels = sampleShape[0] ?? 0;
  if (!runs || sampleShape.length < 2 || channels % runs.mean.length !== 0) return { dims: [...sampleShape], mean: norm.mean, std: norm.std };
  const spread = (v: readonly number[]) => Array.from({ length: channels }, (_, c) => v[Math.floor((c * v.length) / channels)]!);
  return { dims: [channels, ...sampleShape.slice(1).map(() => 1)], mean: spread(runs.mean), std: spread(runs.std) };
}

/**
 * The graph as stored in the file's metadata, without the user's file system: a dataset's `path`
 * or `dir` keeps only its last part (`/home/ana/thesis/data.csv` → `data.csv`), so a shared model
 * file does not disclose where its training data lived. The importer restores the settings; the
 * user picks the data again.
 */
export function withoutHostPaths(graph: GraphIR): GraphIR {
  const options = graph.training?.dataset.options;
  if (!options) return graph;
  const scrubbed = Object.fromEntries(Object.entries(options).map(([k, v]) => [k, (k === 'path' || k === 'dir') && typeof v === 'string' ? (v.split(/[\\/]/).filter(Boolean).pop() ?? '') : v]));
  return { ...graph, training: { ...graph.training!, dataset: { ...graph.training!.dataset, options: scrubbed } } };
}

function normalizationDoc(mode: OnnxNormalizationMode): string {
  if (mode === 'nodes') return 'Inputs take raw features: the leading Sub/Div nodes apply the training normalisation.';
  if (mode === 'fold') return 'Inputs take raw features: the training normalisation is folded into the first layer.';
  return 'Inputs take features as the network saw them in training (normalised, if the training normalised them; see metadata netwright.normalization).';
}

function valueInfo(name: string, shape: readonly number[], doc: string): OnnxValueInfo {
  return {
    name,
    doc_string: doc,
    type: { tensor_type: { elem_type: DTYPE.FLOAT, shape: { dim: shape.map((d, i) => (i === 0 ? { dim_param: BATCH_DIM } : { dim_value: d })) } } },
  };
}

/** Names of the op's parameters for this node, in `params()` order. */
function paramNames(def: OpDef, n: NodeIR, shapes: Record<string, number[]>): string[] {
  return def.params?.({ inputs: n.inputs.map((i) => shapes[i]), attrs: n.attrs }).map((p) => p.name) ?? [];
}

/**
 * The weights of the exported nodes, copied (folding changes them), checked against each op's
 * parameter and buffer shapes.
 */
function checkWeights(model: TrainedModel, order: readonly NodeIR[], args: (n: NodeIR) => { inputs: number[][]; attrs: Attrs }): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const problems: OnnxDiagnostic[] = [];
  for (const n of order) {
    const def = getOp(n.op)!;
    const a = args(n);
    const specs = [...(def.params?.(a) ?? []).map((p) => ({ ...p, kind: 'parameter', from: model.params })), ...(def.buffers?.(a) ?? []).map((b) => ({ ...b, kind: 'buffer', from: model.buffers }))];
    for (const s of specs) {
      const key = `${n.id}.${s.name}`;
      const w = s.from[key];
      const size = s.shape.reduce((x, y) => x * y, 1);
      if (!w) problems.push({ code: 'E_EXPORT_WEIGHTS', nodeId: n.id, op: n.op, message: `The model has no ${s.kind} "${key}".` });
      else if (w.length !== size) problems.push({ code: 'E_EXPORT_WEIGHTS', nodeId: n.id, op: n.op, message: `The ${s.kind} "${key}" has ${w.length} values; it needs ${size}.` });
      else out.set(key, Float32Array.from(w));
    }
  }
  if (problems.length) throw new OnnxError('E_EXPORT_WEIGHTS', problems);
  return out;
}

/** Collects the ONNX nodes and initializers, and gives each op's `emit` its context. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly written = new Set<string>();
  private emitted: OnnxNode[] = [];
  private helper = 0;

  constructor(private readonly weights: ReadonlyMap<string, Float32Array>) {}

  /** The leading Sub (mean) and Div (std) nodes of a features input; returns the normalised value. */
  normalize(n: NodeIR, norm: NonNullable<TrainedModel['normalization']>, sampleShape: readonly number[]): string {
    const size = sampleShape.reduce((a, b) => a * b, 1);
    if (norm.kind === 'per-feature' && norm.mean.length !== size) {
      throw new OnnxError('E_EXPORT_OPTION', [{ code: 'E_EXPORT_OPTION', nodeId: n.id, op: n.op, message: `The normalisation has ${norm.mean.length} features; input "${n.id}" has ${size}.` }]);
    }
    const stats = normalizationTensors(norm, sampleShape);
    const mean = this.add(floatTensor(`${n.id}.mean`, stats.dims, stats.mean));
    const std = this.add(floatTensor(`${n.id}.std`, stats.dims, stats.std));
    const doc = `input normalisation of "${n.id}" (${norm.kind}), fitted on the training split`;
    const centred = this.push({ name: `${n.id}/normalize/sub`, op_type: 'Sub', input: [n.id, mean], output: [`${n.id}/centred`], doc_string: doc });
    return this.push({ name: `${n.id}/normalize`, op_type: 'Div', input: [centred, std], output: [`${n.id}/normalized`], doc_string: doc });
  }

  /**
   * The trailing Mul (std) and Add (mean) that put a prediction learnt standardised back in the
   * target's units; `name` is the graph output's. Returns it.
   */
  restoreTarget(id: string, value: string, name: string, norm: NonNullable<TrainedModel['targetNormalization']>, sampleShape: readonly number[]): string {
    const size = sampleShape.reduce((a, b) => a * b, 1);
    if (norm.mean.length !== 1 && norm.mean.length !== size) {
      throw new OnnxError('E_EXPORT_OPTION', [{ code: 'E_EXPORT_OPTION', nodeId: id, message: `The target's standardisation has ${norm.mean.length} values; the prediction "${id}" has ${size}.` }]);
    }
    const dims = norm.mean.length === 1 ? [] : sampleShape;
    const std = this.add(floatTensor(`${id}.target_std`, dims, norm.std));
    const mean = this.add(floatTensor(`${id}.target_mean`, dims, norm.mean));
    const doc = `the target's standardisation, fitted on the training split, undone: outputs in the target's units`;
    const scaled = this.push({ name: `${id}/restore/mul`, op_type: 'Mul', input: [value, std], output: [`${id}/scaled`], doc_string: doc });
    return this.push({ name: `${id}/restore`, op_type: 'Add', input: [scaled, mean], output: [name], doc_string: doc });
  }

  context(n: NodeIR, def: OpDef, shapes: Pick<OnnxEmitContext, 'inputs' | 'inputShapes' | 'outputShape' | 'opset'>): OnnxEmitContext {
    this.emitted = [];
    this.helper = 0;
    const mapping = def.onnx as OnnxMapping;
    return {
      nodeId: n.id,
      attrs: n.attrs,
      ...shapes,
      weight: (name) => {
        const key = `${n.id}.${name}`;
        const w = this.weights.get(key);
        if (!w) return undefined;
        if (!this.written.has(key)) this.add(floatTensor(key, weightDims(def, n, name, shapes.inputShapes), w));
        return key;
      },
      weightValues: (name) => this.weights.get(`${n.id}.${name}`),
      constant: (name, dims, values, type = 'float') => this.add(type === 'int64' ? int64Tensor(`${n.id}.${name}`, dims, Array.from(values)) : floatTensor(`${n.id}.${name}`, dims, values)),
      node: (opType, inputs, attrs = {}) => {
        const name = `${n.id}/${++this.helper}`;
        const node: OnnxNode = { name, op_type: opType, input: [...inputs], output: [name], attribute: toAttributes(attrs), doc_string: `part of ${n.op} "${n.id}"` };
        this.emitted.push(node);
        return this.push(node);
      },
      mappedAttrs: () => mappedAttrs(def, mapping, n.attrs),
    };
  }

  /**
   * Give the node that produced an op's output the op's name (the canvas id) and value name;
   * returns the value name now holding the op's output (an input's, for an identity op).
   */
  finish(n: NodeIR, def: OpDef, out: string, valueName: string): string {
    const last = this.emitted.find((e) => e.output[0] === out);
    if (!last) return out;
    last.name = n.id;
    const card = def.card?.(n.attrs);
    last.doc_string = `${n.op}${card ? ` (${card})` : ''}: ${def.doc}`;
    for (const e of this.emitted) e.input = e.input.map((i) => (i === out ? valueName : i));
    last.output = [valueName];
    return valueName;
  }

  identity(name: string, from: string, to: string): string {
    return this.push({ name, op_type: 'Identity', input: [from], output: [to], doc_string: 'names a graph output' });
  }

  private push(node: OnnxNode): string {
    this.nodes.push(node);
    return node.output[0];
  }

  private add(t: OnnxTensor): string {
    if (!this.written.has(t.name!)) {
      this.written.add(t.name!);
      this.initializers.push(t);
    }
    return t.name!;
  }
}

/** A parameter's or buffer's dims from its op's spec. */
function weightDims(def: OpDef, n: NodeIR, name: string, inputShapes: readonly (readonly number[])[]): number[] {
  const args = { inputs: inputShapes.map((s) => s.map((d, i) => (i === 0 ? 1 : d))), attrs: n.attrs };
  const spec = [...(def.params?.(args) ?? []), ...(def.buffers?.(args) ?? [])].find((s) => s.name === name);
  return spec ? [...spec.shape] : [];
}

/** The ONNX attributes of a mapping's `attrs` table, typed by the IR attrs' specs. */
function mappedAttrs(def: OpDef, mapping: OnnxMapping, attrs: Attrs): Record<string, OnnxAttrValue> {
  const out: Record<string, OnnxAttrValue> = {};
  for (const [name, src] of Object.entries(mapping.attrs ?? {})) {
    if ('value' in src) {
      const v = src.value;
      out[name] = typeof v === 'string' ? { string: v } : typeof v === 'number' ? { int: v } : Array.isArray(v) ? { ints: v } : (v as OnnxAttrValue);
      continue;
    }
    const spec = def.attrs[src.attr];
    let v = attrs[src.attr] ?? spec.default;
    if (src.ifEmpty && Array.isArray(v) && v.length === 0) v = attrs[src.ifEmpty] ?? def.attrs[src.ifEmpty].default;
    if (src.convert === 'pads') out[name] = { ints: [...(v as number[]), ...(v as number[])] };
    else if (src.convert === 'one-minus') out[name] = { float: 1 - (v as number) };
    else if (src.convert === 'negate') out[name] = { int: -(v as number) };
    else if (spec.kind === 'float') out[name] = { float: v as number };
    else if (spec.kind === 'int') out[name] = { int: v as number };
    else if (spec.kind === 'bool') out[name] = { int: v ? 1 : 0 };
    else if (spec.kind === 'enum') out[name] = { string: v as string };
    else if (spec.kind === 'ints') out[name] = { ints: v as number[] };
    else out[name] = { floats: v as number[] };
  }
  return out;
}

function toAttributes(attrs: Readonly<Record<string, OnnxAttrValue>>): OnnxAttribute[] {
  return Object.entries(attrs).map(([name, v]) => {
    if ('int' in v) return { name, type: ATTR.INT, i: v.int };
    if ('float' in v) return { name, type: ATTR.FLOAT, f: v.float };
    if ('string' in v) return { name, type: ATTR.STRING, s: utf8(v.string) };
    if ('ints' in v) return { name, type: ATTR.INTS, ints: [...v.ints] };
    return { name, type: ATTR.FLOATS, floats: [...v.floats] };
  });
}
