import type { GraphIR } from '../../../base/ir/types';
import { normalizationForGraph } from '../../export/safetensors';
import { checkGraph, type CheckedGraph } from '../../analysis/checked';
import { findClassifierHead, withClassificationLoss } from '../../analysis/classifier';
import { readTokenizer } from '../../data/tokenizer';
import { readTableEncoding } from '../../data/table-encoding';
import { tensorSpecs, type TensorSpec, type TrainedModel } from '../../export/model';
import { OnnxError, type OnnxDiagnostic } from '../../export/onnx/errors';
import { exportOnnx, META, type OnnxNormalizationMode } from '../../export/onnx/export';
import { foldConstants } from './fold';
import { attrsWithDefaults, mapNodes, type MappedModel } from './map';
import { nodesInOrder, nonFiniteWeights } from './structure';
import { ATTR, decodeModel, tensorProblem, tensorValues, type OnnxAttribute, type OnnxGraph, type OnnxModel, type OnnxTensor } from '../../export/onnx/proto';

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
  /**
   * `model.graph`, checked once by the import: what loading the model reads (`LoadedModel`), and
   * what the app opens (`checked.ir`: migrated, validated, defaults filled), neither migrating nor
   * checking it again.
   */
  checked: CheckedGraph;
}

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
 * `cancel` of the request) is heard while a large or hostile file is read. `onStep` is called
 * before each of `importSteps`' steps (the file read, then a node at a time): a count of the work.
 *
 * @throws OnnxError `E_CANCELLED` once `signal` is aborted; else as `importOnnx`.
 */
export async function importOnnxAsync(bytes: Uint8Array, options: { signal?: AbortSignal; sliceMs?: number; onStep?: () => void } = {}): Promise<OnnxImport> {
  const cancelled = () => new OnnxError('E_CANCELLED', [{ code: 'E_CANCELLED', message: 'The import was cancelled; nothing changed.' }]);
  if (options.signal?.aborted) throw cancelled();
  const steps = importSteps(bytes);
  let since = Date.now();
  for (;;) {
    options.onStep?.();
    const step = steps.next();
    if (step.done) return step.value;
    if (Date.now() - since < (options.sliceMs ?? 20)) continue;
    await new Promise<void>((resolve) => setTimeout(() => resolve(), 0));
    if (options.signal?.aborted) throw cancelled();
    since = Date.now();
  }
}

/**
 * The import, as steps: the file read, its constants folded (`foldConstants`), its nodes mapped
 * (`mapNodes`), then the graph that results checked once — the stored graph of an unchanged
 * Netwright file, else the mapped one (with a classifier's loss). It yields between nodes, where a
 * caller may pause it (`importOnnxAsync`).
 */
function* importSteps(bytes: Uint8Array): Generator<void, OnnxImport> {
  const file = readFile(bytes);
  yield;
  const malformed = malformedTensors(file.graph);
  if (malformed.length) throw new OnnxError('E_IMPORT_FORMAT', malformed);
  const nodes = nodesInOrder(file.graph);
  yield;
  const opset = file.opset_import?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 1;
  const batch = fixedBatch(file.graph);
  let mapped: MappedModel;
  try {
    const folded = yield* foldConstants(file.graph, nodes, opset);
    // A Netwright export of a regression learnt standardised ends in the Mul/Add that undo it (#83).
    const targetNormalized = (file.metadata_props ?? []).some((p) => p.key === META.targetNormalization);
    mapped = yield* mapNodes(file.graph, nodes, folded, opset, batch, targetNormalized);
  } catch (e) {
    throw withBatchFix(e, batch);
  }
  yield;
  const warnings: OnnxDiagnostic[] = [];
  if (batch !== undefined) {
    warnings.push({
      code: 'W_IMPORT_BATCH',
      message: `The file fixes the batch size at ${batch} (exported without dynamic_axes); Netwright reads it for any batch size, so it predicts and trains on batches of any size.`,
    });
  }
  warnings.push(...nonFiniteWeights(mapped));
  const readers = metaReaders(new Map((file.metadata_props ?? []).map((p) => [p.key, p.value])), warnings);
  const restored = restoreStored(file, mapped, opset, warnings, readers);
  yield;
  if (restored) return { ...restored, restored: true, warnings };
  try {
    const { shapes, ...model } = mapped;
    return { ...checkedModel(withMetadata(model, file, readers), shapes, warnings), restored: false, warnings };
  } catch (e) {
    throw withBatchFix(e, batch);
  }
}

/**
 * The ONNX model in `bytes`, with a graph of at most `MAX_ONNX_NODES` nodes.
 *
 * @throws OnnxError `E_IMPORT_FORMAT`, `E_IMPORT_TOO_LARGE`.
 */
function readFile(bytes: Uint8Array): OnnxModel & { graph: OnnxGraph } {
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
  return file as OnnxModel & { graph: OnnxGraph };
}

/** A refusal of a file whose batch is fixed, ending with how to export it with a free one (`OnnxError.fix`); other errors as they are. */
function withBatchFix(e: unknown, batch: number | undefined): unknown {
  if (batch === undefined || !(e instanceof OnnxError) || e.fix || !['E_IMPORT_UNSUPPORTED', 'E_IMPORT_INVALID'].includes(e.code)) return e;
  return new OnnxError(e.code, e.diagnostics, dynamicAxesFix(batch));
}

/**
 * How the model reads raw input, from the metadata: a text model's tokenizer (`netwright.tokenizer`)
 * and a table model's encoding (`netwright.table`). One that does not read is left out (the model
 * then takes encoded inputs only, or tables of numbers), with a `W_IMPORT_METADATA` warning in
 * `warnings` saying which and why: the user sees that typed text (or a table's named columns)
 * will not be read, rather than finding out at the first prediction.
 */
function metaReaders(meta: Map<string, string>, warnings: OnnxDiagnostic[]): Pick<TrainedModel, 'tokenizer' | 'table'> {
  const read = <T>(key: string, what: string, parse: (json: unknown) => T): T | undefined => {
    const text = meta.get(key);
    if (text === undefined) return undefined;
    try {
      return parse(JSON.parse(text));
    } catch (e) {
      const why = e instanceof SyntaxError ? 'it is not valid JSON' : (e as Error).message.replace(/\.$/, '');
      warnings.push({
        code: 'W_IMPORT_METADATA',
        message: `The file's ${what} (metadata "${key}") is damaged and was left out (${why.slice(0, 600)}): the model takes ${what === 'tokenizer' ? 'encoded token ids or counts only, not typed text' : 'tables of numbers only, not named columns'}. Export it again from the run that trained it.`,
      });
      return undefined;
    }
  };
  const tokenizer = read(META.tokenizer, 'tokenizer', (j) => readTokenizer(j, 'the tokenizer'));
  const table = read(META.table, 'table encoding', (j) => readTableEncoding(j, 'the table encoding'));
  return { ...(tokenizer ? { tokenizer } : {}), ...(table ? { table } : {}) };
}

/**
 * What a Netwright export wrote beside the nodes, for a file rebuilt from its nodes: the class
 * names, the tokenizer, the table encoding, and the input normalisation when the file left it out of the graph (exported with
 * normalisation `none`: the file takes standardised inputs; folded weights need none).
 */
function withMetadata(built: TrainedModel, file: OnnxModel, readers: Pick<TrainedModel, 'tokenizer' | 'table'>): TrainedModel {
  const meta = new Map((file.metadata_props ?? []).map((p) => [p.key, p.value]));
  const out = { ...built };
  try {
    const names = JSON.parse(meta.get(META.classNames) ?? 'null') as unknown;
    if (Array.isArray(names) && names.length > 0 && names.every((n) => typeof n === 'string')) out.classNames = names as string[];
    const mode = (JSON.parse(meta.get(META.exported) ?? '{}') as { normalization?: OnnxNormalizationMode }).normalization;
    if (!out.normalization && mode === 'none' && meta.has(META.normalization)) {
      const norm = normalizationForGraph(meta.get(META.normalization), out.graph);
      if (norm) out.normalization = norm;
    }
    Object.assign(out, readers);
  } catch {
    // Metadata that does not parse is ignored: the nodes are the model.
  }
  return out;
}

/**
 * The mapped model with its graph checked, once (`checkGraph`): the graph normalised (defaults
 * filled). An imported classifier, recognised as one on the shapes the mapping inferred
 * (`findClassifierHead`: K ≥ 2 logits from a Linear or convolution head, perhaps under a
 * Softmax), gets a label Input and a CrossEntropyLoss on its logits before the check: the
 * prediction then reads as class probabilities, and training needs only a dataset. Class names
 * that do not fit K are dropped.
 *
 * @throws OnnxError `E_IMPORT_INVALID` with the graph's errors.
 */
function checkedModel(model: TrainedModel, shapes: ReadonlyMap<string, readonly number[]>, warnings: OnnxDiagnostic[]): { model: TrainedModel; checked: CheckedGraph } {
  const filled = { ...model.graph, nodes: model.graph.nodes.map((n) => ({ ...n, attrs: attrsWithDefaults(n.op, n.attrs) })) };
  let head = findClassifierHead(filled, Object.fromEntries(shapes));
  let r = checkGraph(head ? withClassificationLoss(model.graph, head) : model.graph, { batchSize: 1 });
  if (head && !r.graph) {
    // The loss does not fit after all: the graph as read, without it.
    head = undefined;
    r = checkGraph(model.graph, { batchSize: 1 });
  }
  if (!r.graph) {
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    throw new OnnxError('E_IMPORT_INVALID', errors.map((d) => ({ code: 'E_IMPORT_INVALID', nodeId: d.nodeId, message: `${d.code}: ${d.message}` })));
  }
  const out: TrainedModel = { ...model, graph: r.graph.ir };
  if (!head) return { model: out, checked: r.graph };
  if (out.classNames && out.classNames.length !== head.classes) delete out.classNames;
  warnings.push({
    code: 'W_IMPORT_CLASSIFIER',
    nodeId: head.head,
    message: `Recognised a classifier of ${head.classes} classes (head "${head.head}"): a label Input and a CrossEntropyLoss on its logits were added, so it predicts class probabilities; remove them if it is not a classifier.`,
  });
  return { model: out, checked: r.graph };
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

/**
 * A Netwright file carries the graph it was exported from. If exporting that graph with the
 * weights just read gives the same nodes and weights as the file, nothing was changed since: return
 * the stored graph (its losses, Dropout and training settings included); else undefined, with a
 * warning when there was a stored graph.
 */
function restoreStored(file: OnnxModel, built: Pick<TrainedModel, 'params' | 'buffers'>, opset: number, warnings: OnnxDiagnostic[], readers: Pick<TrainedModel, 'tokenizer' | 'table'>): { model: TrainedModel; checked: CheckedGraph } | undefined {
  const meta = new Map((file.metadata_props ?? []).map((p) => [p.key, p.value]));
  const storedText = meta.get(META.graph);
  if (!storedText) return undefined;
  try {
    const stored = JSON.parse(storedText) as GraphIR;
    const exported = JSON.parse(meta.get(META.exported) ?? '{}') as { normalization?: OnnxNormalizationMode };
    const mode = exported.normalization ?? 'none';
    const norm = normalizationForGraph(meta.get(META.normalization), stored);
    const checked = checkGraph(stored, { batchSize: 1 }).graph;
    if (!checked) throw new Error('the stored graph does not validate');
    const keys = tensorSpecs(checked);
    const pick = (from: Record<string, Float32Array>, kind: TensorSpec['kind']) => Object.fromEntries(keys.filter((t) => t.kind === kind && from[t.key]).map((t) => [t.key, from[t.key]]));
    const candidate: TrainedModel = {
      graph: stored,
      params: pick(built.params, 'param'),
      buffers: pick(built.buffers, 'buffer'),
      // Folded weights already hold the normalisation: the restored model must not apply it again.
      ...(norm && mode !== 'fold' ? { normalization: norm } : {}),
    };
    const classNames = meta.get(META.classNames);
    if (classNames) candidate.classNames = JSON.parse(classNames) as string[];
    // The trailing Mul/Add undo the target's standardisation: the restored model keeps it as such (re-exported, the same nodes).
    const targetNormalization = meta.get(META.targetNormalization);
    if (targetNormalization) candidate.targetNormalization = JSON.parse(targetNormalization) as NonNullable<TrainedModel['targetNormalization']>;
    Object.assign(candidate, readers);
    const again = decodeModel(exportOnnx(candidate, { opset, normalization: mode === 'fold' ? 'none' : mode, checked }).bytes);
    if (structure(again.graph) === structure(file.graph) && sameValues(again.graph, file.graph)) return { model: candidate, checked };
  } catch {
    // fall through: rebuilt from the nodes
  }
  warnings.push({ code: 'W_IMPORT_EDITED', message: 'The file was exported by Netwright and changed since: the graph was rebuilt from its nodes (losses, Dropout and training settings are not restored).' });
  return undefined;
}

/** The nodes, initializers (names, dims and types: their values are `sameValues`'), inputs and outputs of a graph, as comparable text. */
function structure(g: OnnxGraph): string {
  const attr = (a: OnnxAttribute) => [a.name, a.type, a.i ?? null, a.f ?? null, a.ints ?? null, a.floats ?? null, a.type === ATTR.STRING ? Array.from(a.s ?? []) : null];
  return JSON.stringify({
    node: (g.node ?? []).map((n) => [n.name, n.op_type, n.input, n.output, (n.attribute ?? []).map(attr)]),
    initializer: (g.initializer ?? []).map((t) => [t.name, t.dims, t.data_type]),
    input: (g.input ?? []).map((i) => [i.name, JSON.stringify(i.type)]),
    output: (g.output ?? []).map((o) => [o.name, JSON.stringify(o.type)]),
  });
}

/**
 * Whether two graphs' initializers, in order, hold the same values: number by number, NaN and
 * ±Infinity alike (as the JSON text this replaced read them). NOTE (why not text): the text of
 * every weight, twice, took 1.1 GB of JavaScript heap for resnet18 (11.7 M weights) and seconds
 * at every read of a Netwright ONNX file; predict on one peaked 0.8 GiB above its model JSON.
 */
function sameValues(a: OnnxGraph, b: OnnxGraph): boolean {
  const x = a.initializer ?? [];
  const y = b.initializer ?? [];
  if (x.length !== y.length) return false;
  for (let k = 0; k < x.length; k++) {
    const u = tensorValues(x[k]) ?? [];
    const v = tensorValues(y[k]) ?? [];
    if (u.length !== v.length) return false;
    for (let i = 0; i < u.length; i++) if (u[i] !== v[i] && (Number.isFinite(u[i]) || Number.isFinite(v[i]))) return false;
  }
  return true;
}
