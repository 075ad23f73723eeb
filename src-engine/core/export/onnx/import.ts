import { groupsFromScopes } from '../../../base/ir/node-groups';
import { GRAPH_FORMAT, GRAPH_VERSION, type GraphIR, type NodeIR } from '../../../base/ir/types';
import { findClassifierHead, withClassificationLoss } from '../../analysis/classifier';
import { analyzeGraph } from '../../analysis/validate';
import type { Normalization } from '../../data/normalize';
import { getOp } from '../../ops/registry';
import type { Attrs } from '../../ops/types';
import type { TrainedModel } from '../model';
import { OnnxError, type OnnxDiagnostic } from './errors';
import { exportOnnx, META, type OnnxNormalizationMode } from './export';
import { foldShapeNode, SHAPE_OPS } from './import-shapes';
import { IMPORT_FUSIONS, IMPORT_RULES, type ConstantValue, type FusionGraph, type FusionMatch, type Lowered, type RuleContext } from './import-rules';
import { nodesInOrder, nonFiniteWeights } from './import-structure';
import { ATTR, decodeModel, sizeOf, tensorProblem, tensorValues, type OnnxAttribute, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxTensor } from './proto';

export interface OnnxImport {
  /** The graph (no `training` section, no positions: the canvas lays it out) and its weights. */
  model: TrainedModel;
  /**
   * True when the file was written by Netwright and its nodes are still what Netwright wrote: the
   * graph stored in its metadata (losses, Dropout, training settings included) comes back as it was.
   */
  restored: boolean;
  /** Things the user should know (e.g. a Netwright file edited after export was rebuilt from its nodes). */
  warnings: OnnxDiagnostic[];
}

const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

/** The most ONNX nodes a file may have: far above any model Netwright can hold (10,000 nodes on the canvas). */
export const MAX_ONNX_NODES = 50_000;

/**
 * Read a `.onnx` file into an editable graph with its weights. Supported: the ops of
 * `IMPORT_RULES` and `IMPORT_FUSIONS` in the ai.onnx domain, float32 weights stored in the file,
 * and a leading `Sub`/`Div` by constants on a graph input (read as the input normalisation). A
 * file that fixes the batch size (torch.onnx without `dynamic_axes`) is read with a free batch,
 * with the warning `W_IMPORT_BATCH`.
 *
 * @throws OnnxError `E_IMPORT_UNSUPPORTED` listing every node that cannot be read (with its name),
 *   `E_IMPORT_FORMAT` for bytes that are not an ONNX model, `E_IMPORT_INVALID` when the graph read
 *   does not validate, `E_IMPORT_TOO_LARGE` past `MAX_ONNX_NODES` nodes or a folded constant past
 *   `MAX_FOLDED_VALUES` values, `E_IMPORT_CYCLE` for a value computed from itself
 *   (`E_IMPORT_FORMAT` for one two nodes compute). Nothing is produced then. A refusal of a file with a fixed batch ends with how to export it
 *   again with a free one (`OnnxError.fix`).
 * @example
 * ```ts
 * const { model } = importOnnx(bytes);
 * const out = inferModel(model, { input: x }, 1, [model.graph.outputs.output]);
 * ```
 */
export function importOnnx(bytes: Uint8Array): OnnxImport {
  const steps = importSteps(bytes);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * `importOnnx` that lets the event loop run every `sliceMs` of work, so a cancel (the protocol's
 * `cancel` of the request) is heard while a large or hostile file is read.
 *
 * @throws OnnxError `E_CANCELLED` once `signal` is aborted; else as `importOnnx`.
 */
export async function importOnnxAsync(bytes: Uint8Array, options: { signal?: AbortSignal; sliceMs?: number } = {}): Promise<OnnxImport> {
  const cancelled = () => new OnnxError('E_CANCELLED', [{ code: 'E_CANCELLED', message: 'The import was cancelled; nothing changed.' }]);
  if (options.signal?.aborted) throw cancelled();
  const steps = importSteps(bytes);
  let since = Date.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (Date.now() - since < (options.sliceMs ?? 20)) continue;
    await new Promise<void>((resolve) => setTimeout(() => resolve(), 0));
    if (options.signal?.aborted) throw cancelled();
    since = Date.now();
  }
}

/** The import, as steps: it yields between nodes, where a caller may pause it (`importOnnxAsync`). */
function* importSteps(bytes: Uint8Array): Generator<void, OnnxImport> {
  let file: OnnxModel;
  try {
    file = decodeModel(bytes);
  } catch (e) {
    throw new OnnxError('E_IMPORT_FORMAT', [{ code: 'E_IMPORT_FORMAT', message: `The file is not an ONNX model (${e instanceof Error ? e.message : String(e)}).` }]);
  }
  if (!file.graph || !(file.graph.node?.length || file.graph.output?.length)) {
    throw new OnnxError('E_IMPORT_FORMAT', [{ code: 'E_IMPORT_FORMAT', message: 'The file is not an ONNX model: it has no graph.' }]);
  }
  const count = file.graph.node?.length ?? 0;
  if (count > MAX_ONNX_NODES) {
    throw new OnnxError('E_IMPORT_TOO_LARGE', [
      { code: 'E_IMPORT_TOO_LARGE', message: `The file has ${count.toLocaleString('en-US')} nodes; Netwright reads ONNX graphs of up to ${MAX_ONNX_NODES.toLocaleString('en-US')} nodes (and holds up to 10,000 on the canvas).` },
    ]);
  }
  yield;
  const malformed = malformedTensors(file.graph);
  if (malformed.length) throw new OnnxError('E_IMPORT_FORMAT', malformed);
  const nodes = nodesInOrder(file.graph);
  yield;
  const opset = file.opset_import?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 1;
  const batch = fixedBatch(file.graph);
  let built: TrainedModel;
  try {
    built = yield* buildGraph(file.graph, nodes, opset, batch);
  } catch (e) {
    if (batch === undefined || !(e instanceof OnnxError) || e.fix || !['E_IMPORT_UNSUPPORTED', 'E_IMPORT_INVALID'].includes(e.code)) throw e;
    throw new OnnxError(e.code, e.diagnostics, dynamicAxesFix(batch));
  }
  yield;
  const warnings: OnnxDiagnostic[] = [];
  if (batch !== undefined) {
    warnings.push({
      code: 'W_IMPORT_BATCH',
      message: `The file fixes the batch size at ${batch} (exported without dynamic_axes); Netwright reads it for any batch size, so it predicts and trains on batches of any size.`,
    });
  }
  warnings.push(...nonFiniteWeights(built));
  const restored = restoreStored(file, built, opset, warnings);
  yield;
  return { model: restored ?? asClassifier(withMetadata(built, file), warnings), restored: restored !== undefined, warnings };
}

/**
 * What a Netwright export wrote beside the nodes, for a file rebuilt from its nodes: the class
 * names, and the input normalisation when the file left it out of the graph (exported with
 * normalisation `none`: the file takes standardised inputs; folded weights need none).
 */
function withMetadata(built: TrainedModel, file: OnnxModel): TrainedModel {
  const meta = new Map((file.metadata_props ?? []).map((p) => [p.key, p.value]));
  const out = { ...built };
  try {
    const names = JSON.parse(meta.get(META.classNames) ?? 'null') as unknown;
    if (Array.isArray(names) && names.length > 0 && names.every((n) => typeof n === 'string')) out.classNames = names as string[];
    const mode = (JSON.parse(meta.get(META.exported) ?? '{}') as { normalization?: OnnxNormalizationMode }).normalization;
    if (!out.normalization && mode === 'none' && meta.has(META.normalization)) out.normalization = JSON.parse(meta.get(META.normalization)!) as Normalization;
  } catch {
    // Metadata that does not parse is ignored: the nodes are the model.
  }
  return out;
}

/**
 * An imported classifier, recognised as one (`findClassifierHead`: K ≥ 2 logits from a Linear
 * or convolution head, perhaps under a Softmax), gets a label Input and a CrossEntropyLoss on its
 * logits: the prediction then reads as class probabilities, and training needs only a dataset.
 * Class names that do not fit K are dropped.
 */
function asClassifier(model: TrainedModel, warnings: OnnxDiagnostic[]): TrainedModel {
  const a = analyzeGraph(model.graph, { batchSize: 1 });
  const head = a.graph && findClassifierHead(a.graph, a.shapes);
  if (!head) return model;
  const graph = analyzeGraph(withClassificationLoss(model.graph, head), { batchSize: 1 }).graph;
  if (!graph) return model;
  const out: TrainedModel = { ...model, graph };
  if (out.classNames && out.classNames.length !== head.classes) delete out.classNames;
  warnings.push({
    code: 'W_IMPORT_CLASSIFIER',
    nodeId: head.head,
    message: `Recognised a classifier of ${head.classes} classes (head "${head.head}"): a label Input and a CrossEntropyLoss on its logits were added, so it predicts class probabilities; remove them if it is not a classifier.`,
  });
  return out;
}

/**
 * The batch size the graph inputs fix (torch.onnx writes the example's batch, e.g. 1, when
 * exported without `dynamic_axes`), or undefined when it is free (`dim_param`).
 */
function fixedBatch(g: OnnxGraph): number | undefined {
  const initializers = new Set((g.initializer ?? []).map((t) => t.name));
  for (const input of g.input ?? []) {
    const first = initializers.has(input.name) ? undefined : input.type?.tensor_type?.shape?.dim?.[0];
    if (first && Number(first.dim_value) > 0) return Number(first.dim_value);
  }
  return undefined;
}

/** The one thing to do about a refused file whose batch is fixed: export it again with a free batch. */
function dynamicAxesFix(batch: number): string {
  return `The file fixes the batch size at ${batch} (exported without dynamic_axes); where that size is why a node was refused, export it again with a free batch: torch.onnx.export(model, x, "model.onnx", input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})`;
}

/** Read the nodes into a Netwright graph; throws with every unsupported node. */
function* buildGraph(g: OnnxGraph, nodes: readonly OnnxNode[], opset: number, staticBatch: number | undefined): Generator<void, TrainedModel> {
  const problems: OnnxDiagnostic[] = [];
  // Values no Netwright node computes because their node (or one before it) was refused.
  const lost = new Set<string>();
  const refuse = (n: OnnxNode | undefined, message: string) => {
    n?.output.forEach((o) => lost.add(o));
    problems.push({ code: 'E_IMPORT_UNSUPPORTED', nodeId: n ? nodeName(n, nodes) : undefined, op: n?.op_type, message });
  };

  // Constants: initializers, Constant nodes, and Identity nodes of either.
  const constants = new Map<string, ConstantValue>();
  // Initializers stored outside the file, by name: where their data is (external_data's location).
  const external = new Map<string, string>();
  for (const t of g.initializer ?? []) {
    const values = tensorValues(t);
    if (values) constants.set(t.name!, { dims: t.dims ?? [], values });
    else external.set(t.name!, t.external_data?.find((e) => e.key === 'location')?.value ?? 'another file');
  }
  const outsideMessage = (v: string) =>
    `its weight "${v}" is stored outside the file (in "${external.get(v)}"); Netwright reads weights stored inside the .onnx file: load the model with onnx.load (which reads the external data) and save it with onnx.save_model(model, "model.onnx", save_as_external_data=False)`;
  const consumed = new Set<OnnxNode>();
  for (const n of nodes) {
    yield;
    if (n.op_type === 'Constant' && (!n.domain || n.domain === 'ai.onnx')) {
      const c = constantNode(n);
      if (c) constants.set(n.output[0], c);
      else refuse(n, 'a Constant that is not a float or int tensor is not supported');
      consumed.add(n);
    } else if (n.op_type === 'Identity' && constants.has(n.input[0])) {
      constants.set(n.output[0], constants.get(n.input[0])!);
      consumed.add(n);
    }
  }

  const producer = new Map<string, OnnxNode>();
  const readers = new Map<string, OnnxNode[]>();
  for (const n of nodes) {
    yield;
    n.output.forEach((o) => o && producer.set(o, n));
    for (const i of n.input) {
      if (!i) continue;
      const list = readers.get(i);
      if (list) list.push(n);
      else readers.set(i, [n]);
    }
  }
  const outputNames = new Set((g.output ?? []).map((o) => o.name));
  // A Shape node reads only its input's shape (folded at import), not its values: no consumer.
  // Known once the constants are: kept, so a value read by many nodes is filtered once.
  const consumerLists = new Map<string, { nodes: OnnxNode[]; graphOutput: boolean }>();
  const consumers = (v: string) => {
    let c = consumerLists.get(v);
    if (!c) consumerLists.set(v, (c = { nodes: (readers.get(v) ?? []).filter((n) => n.op_type !== 'Shape' && (!consumed.has(n) || !isConstantNode(n, constants))), graphOutput: outputNames.has(v) }));
    return c;
  };
  const only = (v: string) => {
    const c = consumers(v);
    return c.nodes.length === 1 && !c.graphOutput ? c.nodes[0] : undefined;
  };

  // Graph inputs (those that are not initializers) become Input nodes.
  const ir: NodeIR[] = [];
  // Each node's module scope, for the groups (torch.onnx names a node `/features/conv0/Conv`).
  const scopes: [string, string[]][] = [];
  const ids = new Set<string>();
  const idCounts = new Map<string, number>();
  const irOf = new Map<string, string>();
  const shapes = new Map<string, number[]>();
  const params: Record<string, Float32Array> = {};
  const buffers: Record<string, Float32Array> = {};
  const initializerNames = new Set((g.initializer ?? []).map((t) => t.name));
  for (const input of g.input ?? []) {
    if (initializerNames.has(input.name)) continue;
    const tensor = input.type?.tensor_type;
    const dims = tensor?.shape?.dim ?? [];
    if (!tensor || tensor.elem_type !== 1) {
      refuse(undefined, `Graph input "${input.name}" is not a float32 tensor; Netwright reads float32 inputs only.`);
      continue;
    }
    if (dims.length < 1 || dims.slice(1).some((d) => !(Number(d.dim_value) > 0))) {
      refuse(undefined, `Graph input "${input.name}" needs a batch dim and fixed sample dims; it has [${dims.map((d) => d.dim_param || d.dim_value || '?').join(', ')}].`);
      continue;
    }
    const id = uniqueId(sanitize(input.name, 'input'), ids, idCounts);
    const shape = dims.slice(1).map((d) => Number(d.dim_value));
    ir.push({ id, op: 'Input', attrs: { shape, source: 'features' }, inputs: [] });
    irOf.set(input.name, id);
    shapes.set(id, [1, ...shape]);
  }

  // A leading Sub / Div by constants on a graph input is the input normalisation.
  let normalization: Normalization | undefined;
  for (const input of ir) {
    const value = [...irOf].find(([, id]) => id === input.id)![0];
    const sub = only(value);
    const div = sub && sub.op_type === 'Sub' && sub.input[0] === value ? only(sub.output[0]) : undefined;
    if (!sub || !div || div.op_type !== 'Div' || div.input[0] !== sub.output[0]) continue;
    const n = readNormalization(constants.get(sub.input[1]), constants.get(div.input[1]), input.attrs.shape as number[]);
    if (!n || normalization) continue;
    normalization = n;
    consumed.add(sub).add(div);
    irOf.set(div.output[0], input.id);
  }

  // Multi-node patterns first (GELU's decompositions), then one rule per node.
  const graphView: FusionGraph = {
    constant: (v) => constants.get(v),
    producer: (v) => producer.get(v),
    only,
    consumers,
    used: (v) => consumers(v).nodes.length > 0 || consumers(v).graphOutput,
  };
  const fusionAt = new Map<OnnxNode, FusionMatch>();
  for (const rule of IMPORT_FUSIONS) {
    for (const n of nodes) {
      yield;
      if (n.op_type !== rule.anchor || consumed.has(n)) continue;
      const f = rule.match(n, graphView);
      if (!f || f.nodes.some((x) => consumed.has(x))) continue;
      f.nodes.forEach((x) => consumed.add(x));
      fusionAt.set(f.nodes.at(-1)!, f);
    }
  }

  const cx: RuleContext = { opset, constant: (v) => constants.get(v), consumers, shape: (v) => shapes.get(irOf.get(v) ?? ''), staticBatch };
  const emit = (source: OnnxNode, lowered: Lowered, output: string) => {
    const inputs: string[] = [];
    for (const v of lowered.inputs) {
      const id = irOf.get(v);
      if (id !== undefined) inputs.push(id);
      else if (external.has(v)) return refuse(source, outsideMessage(v));
      else if (constants.has(v)) return refuse(source, `it reads the constant "${v}" as data, which Netwright cannot represent`);
      else if (!producer.has(v)) return refuse(source, `it reads "${v}", which nothing in the file produces`);
      else return void lost.add(output); // its producer was refused already
    }
    const def = getOp(lowered.op)!;
    const id = uniqueId(sanitize(nodeName(source, nodes), lowered.op.toLowerCase()), ids, idCounts);
    const attrs: Attrs = lowered.attrs ?? {};
    ir.push({ id, op: lowered.op, attrs, inputs });
    scopes.push([id, scopeOf(nodeName(source, nodes))]);
    irOf.set(output, id);
    for (const [k, w] of Object.entries(lowered.params ?? {})) params[`${id}.${k}`] = w;
    for (const [k, w] of Object.entries(lowered.buffers ?? {})) buffers[`${id}.${k}`] = w;
    const inShapes = inputs.map((i) => shapes.get(i));
    if (inShapes.every((s) => s !== undefined)) {
      const full: Attrs = { ...Object.fromEntries(Object.entries(def.attrs).map(([k, s]) => [k, s.default])), ...attrs };
      const r = def.inferShape({ inputs: inShapes as number[][], attrs: full });
      if (r.ok) shapes.set(id, r.shape);
    }
  };

  for (const n of nodes) {
    yield;
    if (consumed.has(n)) {
      const f = fusionAt.get(n);
      if (f) emit(n, { op: f.op, attrs: f.attrs, inputs: [f.input], ...(f.params ? { params: f.params } : {}) }, f.output);
      continue;
    }
    if (n.domain && n.domain !== 'ai.onnx') {
      refuse(n, `ops of the domain "${n.domain}" are not supported`);
      continue;
    }
    // Shape sub-graphs on known dims become constants (the batch stays a marker: see BATCH_DIM).
    const folded = foldShapeNode(n, opset, (v) => constants.get(v), cx.shape);
    if (folded) {
      constants.set(n.output[0], folded);
      continue;
    }
    const outside = n.input.find((v) => external.has(v));
    if (outside !== undefined) {
      refuse(n, outsideMessage(outside));
      continue;
    }
    // After a refused node: the shape sub-graphs reading it, and the nodes Netwright could read
    // but not without their input (its shape), say nothing more; the refused node is the
    // diagnostic. An op Netwright lacks is still listed.
    if (n.input.some((v) => lost.has(v)) && (SHAPE_OPS.has(n.op_type) || (IMPORT_RULES.has(n.op_type) && !IMPORT_RULES.get(n.op_type)!.refusesByForm))) {
      n.output.forEach((o) => lost.add(o));
      continue;
    }
    const rule = IMPORT_RULES.get(n.op_type); // a Map: `__proto__` or `toString` finds no rule
    if (!rule) {
      refuse(n, `${n.op_type} is not an op Netwright can import`);
      continue;
    }
    const r = rule(n, cx);
    if ('unsupported' in r) refuse(n, r.unsupported);
    else if ('alias' in r) {
      const id = irOf.get(r.alias);
      if (id !== undefined) irOf.set(n.output[0], id);
    } else {
      (r.consumes ?? []).forEach((x) => consumed.add(x));
      const last = r.consumes?.at(-1) ?? n;
      emit(last, r, last.output[0]);
    }
  }

  const outputs: Record<string, string> = {};
  for (const o of g.output ?? []) {
    const id = irOf.get(o.name);
    if (id === undefined) {
      if (!producer.has(o.name)) refuse(undefined, `Graph output "${o.name}" is not computed by any node.`);
      continue;
    }
    outputs[RESERVED.has(o.name) ? `${o.name}_` : o.name] = id;
  }
  if (problems.length) throw new OnnxError('E_IMPORT_UNSUPPORTED', problems);
  yield;

  const groups = groupsFromScopes(scopes);
  const graph: GraphIR = { format: GRAPH_FORMAT, version: GRAPH_VERSION, name: g.name || 'Imported ONNX model', nodes: ir, outputs, ...(groups.length ? { groups } : {}) };
  const analysis = analyzeGraph(graph, { batchSize: 1 });
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new OnnxError('E_IMPORT_INVALID', errors.map((d) => ({ code: 'E_IMPORT_INVALID', nodeId: d.nodeId, message: `${d.code}: ${d.message}` })));
  return { graph: analysis.graph!, params, buffers, ...(normalization ? { normalization } : {}) };
}

/** Every initializer and node tensor attribute whose dims or data are malformed (`tensorProblem`), by name. */
function malformedTensors(g: OnnxGraph): OnnxDiagnostic[] {
  const out: OnnxDiagnostic[] = [];
  const check = (t: OnnxTensor, name: string | undefined, op?: string) => {
    const problem = tensorProblem(t);
    if (problem) out.push({ code: 'E_IMPORT_FORMAT', ...(name ? { nodeId: name } : {}), ...(op ? { op } : {}), message: `${problem}; the file is damaged or was not written by an ONNX exporter.` });
  };
  for (const t of g.initializer ?? []) check(t, t.name);
  for (const n of g.node ?? []) for (const a of n.attribute ?? []) if (a.t) check(a.t, n.name || n.output?.[0], n.op_type);
  return out;
}

function isConstantNode(n: OnnxNode, constants: ReadonlyMap<string, ConstantValue>): boolean {
  return n.op_type === 'Constant' || (n.op_type === 'Identity' && constants.has(n.input[0]));
}

function constantNode(n: OnnxNode): ConstantValue | undefined {
  const a: OnnxAttribute | undefined = n.attribute?.[0];
  if (!a) return undefined;
  if (a.name === 'value' && a.t) {
    const values = tensorValues(a.t as OnnxTensor);
    return values && { dims: a.t.dims ?? [], values };
  }
  if (a.name === 'value_float') return { dims: [], values: [a.f ?? 0] };
  if (a.name === 'value_int') return { dims: [], values: [a.i ?? 0] };
  if (a.name === 'value_floats') return { dims: [a.floats?.length ?? 0], values: a.floats ?? [] };
  if (a.name === 'value_ints') return { dims: [a.ints?.length ?? 0], values: a.ints ?? [] };
  return undefined;
}

/** `(x − mean) / std` constants as a Normalization over a sample of `shape`, if they are one. */
function readNormalization(mean: ConstantValue | undefined, std: ConstantValue | undefined, shape: readonly number[]): Normalization | undefined {
  if (!mean || !std) return undefined;
  const size = sizeOf(shape);
  const fits = (c: ConstantValue) => c.values.length === 1 || (c.values.length === size && c.dims.filter((d) => d !== 1).join() === shape.filter((d) => d !== 1).join());
  if (!fits(mean) || !fits(std)) return undefined;
  if (mean.values.length === 1 && std.values.length === 1) return { kind: 'global', mean: [mean.values[0]], std: [std.values[0]] };
  const at = (c: ConstantValue, i: number) => (c.values.length === 1 ? c.values[0] : c.values[i]);
  return { kind: 'per-feature', mean: Array.from({ length: size }, (_, i) => at(mean, i)), std: Array.from({ length: size }, (_, i) => at(std, i)) };
}

/** A node's name, or its first output's when it has none. */
function nodeName(n: OnnxNode, _all: readonly OnnxNode[]): string {
  return n.name || n.output[0] || n.op_type;
}

/** The module scope of a torch.onnx node name: `/features/conv0/Conv` → `['features', 'conv0']`; other names have none. */
function scopeOf(name: string): string[] {
  return name.startsWith('/') ? name.split('/').filter(Boolean).slice(0, -1) : [];
}

/**
 * A canvas id from an ONNX name: torch.onnx's `/fc1/Gemm` becomes `fc1`, Netwright's own names
 * come back unchanged; characters other than letters, digits, `_`, `-` and `/` become `_`.
 */
function sanitize(name: string, fallback: string): string {
  let s = name.replace(/^\/+/, '');
  const parts = s.split('/');
  if (parts.length > 1 && /^[A-Z][A-Za-z]*(_\d+)?$/.test(parts.at(-1)!)) s = parts.slice(0, -1).join('_');
  s = s.replace(/[^A-Za-z0-9_\-/]/g, '_');
  if (s === '' || RESERVED.has(s)) s = fallback;
  if (/^\d+$/.test(s)) s = `${fallback}${s}`;
  return s;
}

/**
 * `base`, or `base_2`, `base_3`… when taken. `next` remembers where each base's count stopped, so
 * a file whose nodes all share one name costs linear time, not quadratic.
 */
function uniqueId(base: string, taken: Set<string>, next: Map<string, number>): string {
  let id = base;
  let k = next.get(base) ?? 2;
  while (taken.has(id)) id = `${base}_${k++}`;
  next.set(base, k);
  taken.add(id);
  return id;
}

/**
 * A Netwright file carries the graph it was exported from. If exporting that graph with the
 * weights just read gives the same nodes and weights as the file, nothing was changed since: return
 * the stored graph (its losses, Dropout and training settings included); else undefined, with a
 * warning when there was a stored graph.
 */
function restoreStored(file: OnnxModel, built: TrainedModel, opset: number, warnings: OnnxDiagnostic[]): TrainedModel | undefined {
  const meta = new Map((file.metadata_props ?? []).map((p) => [p.key, p.value]));
  const storedText = meta.get(META.graph);
  if (!storedText) return undefined;
  try {
    const stored = JSON.parse(storedText) as GraphIR;
    const exported = JSON.parse(meta.get(META.exported) ?? '{}') as { normalization?: OnnxNormalizationMode };
    const mode = exported.normalization ?? 'none';
    const norm = meta.has(META.normalization) ? (JSON.parse(meta.get(META.normalization)!) as Normalization) : undefined;
    const analysis = analyzeGraph(stored, { batchSize: 1 });
    if (!analysis.graph) throw new Error('the stored graph does not validate');
    const keep = weightKeys(analysis.graph, analysis.shapes);
    const pick = (from: Record<string, Float32Array>, keys: readonly string[]) => Object.fromEntries(keys.filter((k) => from[k]).map((k) => [k, from[k]]));
    const candidate: TrainedModel = {
      graph: stored,
      params: pick(built.params, keep.params),
      buffers: pick(built.buffers, keep.buffers),
      // Folded weights already hold the normalisation: the restored model must not apply it again.
      ...(norm && mode !== 'fold' ? { normalization: norm } : {}),
    };
    const classNames = meta.get(META.classNames);
    if (classNames) candidate.classNames = JSON.parse(classNames) as string[];
    const again = decodeModel(exportOnnx(candidate, { opset, normalization: mode === 'fold' ? 'none' : mode }).bytes);
    if (structure(again.graph) === structure(file.graph)) return candidate;
  } catch {
    // fall through: rebuilt from the nodes
  }
  warnings.push({ code: 'W_IMPORT_EDITED', message: 'The file was exported by Netwright and changed since: the graph was rebuilt from its nodes (losses, Dropout and training settings are not restored).' });
  return undefined;
}

/** Keys `nodeId.name` of every parameter and buffer of a (normalised) graph. */
function weightKeys(graph: GraphIR, shapes: Record<string, number[]>): { params: string[]; buffers: string[] } {
  const params: string[] = [];
  const buffers: string[] = [];
  for (const n of graph.nodes) {
    const def = getOp(n.op)!;
    const args = { inputs: n.inputs.map((i) => shapes[i]), attrs: n.attrs };
    if (args.inputs.some((s) => !s)) continue;
    def.params?.(args).forEach((p) => params.push(`${n.id}.${p.name}`));
    def.buffers?.(args).forEach((b) => buffers.push(`${n.id}.${b.name}`));
  }
  return { params, buffers };
}

/** The nodes, initializers (with values), inputs and outputs of a graph, as comparable text. */
function structure(g: OnnxGraph): string {
  const attr = (a: OnnxAttribute) => [a.name, a.type, a.i ?? null, a.f ?? null, a.ints ?? null, a.floats ?? null, a.type === ATTR.STRING ? Array.from(a.s ?? []) : null];
  return JSON.stringify({
    node: (g.node ?? []).map((n) => [n.name, n.op_type, n.input, n.output, (n.attribute ?? []).map(attr)]),
    initializer: (g.initializer ?? []).map((t) => [t.name, t.dims, t.data_type, Array.from(tensorValues(t) ?? [])]),
    input: (g.input ?? []).map((i) => [i.name, JSON.stringify(i.type)]),
    output: (g.output ?? []).map((o) => [o.name, JSON.stringify(o.type)]),
  });
}
