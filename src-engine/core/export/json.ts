import { migrateGraph } from '../../base/ir/migrate';
import { normalizationForGraph, normalizationMetadata } from './safetensors';
import { metricsBySplit } from '../metrics/by-split';
import { GRAPH_FORMAT, type GraphIR } from '../../base/ir/types';
import { ENGINE_VERSION } from '../../base/version';
import type { Normalization } from '../data/normalize';
import { targetNormalizationProblem, type TargetNormalization } from '../data/target-normalization';
import { readTokenizer, type Tokenizer } from '../data/tokenizer';
import { readTableEncoding, type TableEncoding } from '../data/table-encoding';
import { base64ToFloat32, float32ToBase64 } from '../train/checkpoint';
import { base64Into, base64Length } from '../../base/base64';
import { checkModelGraph, ModelError, tensorSpecs, type TrainedModel } from './model';
import { modelCard } from './model-card';
import type { CheckedGraph } from '../analysis/checked';

/** The `format` marker of a Netwright model file (docs/export.md). */
export const MODEL_FORMAT = 'netwright.model';
/** Current model file version; files with a higher one are refused (`E_MODEL_NEWER`). */
export const MODEL_VERSION = 1;

/** One tensor in a model file: its shape and its values as base64 of little-endian float32. */
export interface TensorJSON {
  shape: number[];
  data: string;
}

/**
 * A trained model as JSON (`*.netwright-model.json`, docs/export.md): the graph IR (with its
 * training settings), every parameter and buffer, the input normalisation, the class names, the
 * final metrics and where the weights came from.
 */
export interface ModelFileJSON {
  format: typeof MODEL_FORMAT;
  version: number;
  /** How the tensors are stored: base64 of their bytes, little-endian IEEE-754 float32. */
  encoding: 'base64-float32-le';
  createdBy: string;
  graph: GraphIR;
  params: Record<string, TensorJSON>;
  buffers: Record<string, TensorJSON>;
  /** Per feature or global; an image's per-channel figures as their runs (`{kind: 'per-channel', features, mean, std}`). */
  normalization: Normalization | { kind: 'per-channel'; features: number; mean: number[]; std: number[] } | null;
  /** A regression's target standardisation (`TrainedModel.targetNormalization`): outputs × std + mean are the target's units. */
  targetNormalization?: TargetNormalization;
  classNames: string[];
  /** A text model's tokenizer (core/data/tokenizer.ts): how a text becomes its input. */
  tokenizer?: Tokenizer;
  /** A table model's encoding (core/data/table-encoding.ts): how a row of its columns becomes its input. */
  table?: TableEncoding;
  metrics?: Record<string, Record<string, unknown>>;
  /** The run's baselines (`TrainedModel.baselines`). */
  baselines?: TrainedModel['baselines'];
  origin?: TrainedModel['origin'];
  /** The model card (core/export/model-card.ts), Markdown: written on export, rebuilt from the model on the next; not read back. */
  modelCard?: string;
}

/** A model file's tensors, in the order the file lists them: key, shape, values. */
type FileTensors = [key: string, shape: number[], values: Float32Array][];

/** The model file's fields, its tensors apart (`params` and `buffers` go between `graph` and `normalization`). */
function modelFileParts(model: TrainedModel, known?: CheckedGraph) {
  const params: FileTensors = [];
  const buffers: FileTensors = [];
  for (const t of tensorSpecs(known ?? checkModelGraph(model.graph))) {
    const from = t.kind === 'param' ? model.params : model.buffers;
    const v = from[t.key];
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (!v) throw new ModelError('E_MODEL_WEIGHTS', `The model has no ${t.kind === 'param' ? 'parameter' : 'buffer'} "${t.key}".`);
    if (v.length !== n) throw new ModelError('E_MODEL_WEIGHTS', `"${t.key}" has ${v.length} values; its shape [${t.shape.join(', ')}] needs ${n}.`);
    (t.kind === 'param' ? params : buffers).push([t.key, t.shape, v]);
  }
  const head = {
    format: MODEL_FORMAT as typeof MODEL_FORMAT,
    version: MODEL_VERSION,
    encoding: 'base64-float32-le' as const,
    createdBy: `Netwright ${ENGINE_VERSION}`,
    // Written in the current IR version, so a file reads back to exactly what it was written from.
    graph: migrateGraph(model.graph).json as GraphIR,
  };
  const tail = {
    // An image's per-channel figures as their runs (normalizationMetadata): 100 bytes, not 6 MB for a 3×224×224 input.
    normalization: model.normalization ? (JSON.parse(normalizationMetadata(model.normalization)) as ModelFileJSON['normalization']) : null,
    ...(model.targetNormalization ? { targetNormalization: model.targetNormalization } : {}),
    classNames: model.classNames ?? [],
    ...(model.tokenizer ? { tokenizer: model.tokenizer } : {}),
    ...(model.table ? { table: model.table } : {}),
    ...(model.metrics ? { metrics: model.metrics } : {}),
    ...(model.baselines ? { baselines: model.baselines } : {}),
    ...(model.origin ? { origin: model.origin } : {}),
    modelCard: modelCard(model),
  };
  return { head, params, buffers, tail };
}

const tensorRecord = (tensors: FileTensors): Record<string, TensorJSON> => Object.fromEntries(tensors.map(([key, shape, v]) => [key, { shape, data: float32ToBase64(v) }]));

/**
 * The model file for a model. Tensors keep their exact bits (NaN payloads included), so
 * `modelFromJSON(modelToJSON(m))` predicts bit-identically to `m`. `known`: `model.graph` when the
 * caller checked it already (an ONNX import's `checked`).
 *
 * @throws ModelError when a weight is missing or mis-sized for the graph (`E_MODEL_WEIGHTS`).
 */
export function modelToJSON(model: TrainedModel, known?: CheckedGraph): ModelFileJSON {
  const { head, params, buffers, tail } = modelFileParts(model, known);
  return { ...head, params: tensorRecord(params), buffers: tensorRecord(buffers), ...tail };
}

/**
 * The model file without its tensors' values (`json`: `params` and `buffers` empty) and the
 * tensors apart, in the order the file lists them: a project keeps them beside it as safetensors
 * (core/export/project-weights.ts), and no string of them is made.
 */
export function modelFileSplit(model: TrainedModel, known?: CheckedGraph): { json: ModelFileJSON; params: FileTensors; buffers: FileTensors } {
  const { head, params, buffers, tail } = modelFileParts(model, known);
  return { json: { ...head, params: {}, buffers: {}, ...tail }, params, buffers };
}

/** A model file's tensors given as values (`modelFromJSON`'s `weights`), by group and key. */
export type ModelTensorValues = Record<'params' | 'buffers', Record<string, { shape: number[]; values: Float32Array }>>;

/** The model file as text (one line per top-level field would gain nothing: tensors dominate). */
export function modelToJSONText(model: TrainedModel): string {
  return JSON.stringify(modelToJSON(model)) + '\n';
}

/**
 * The model file's bytes (UTF-8), the same as `modelToJSONText`'s, written with each tensor's
 * base64 put straight into the one output buffer: no string of a tensor, of the file or of its
 * bytes in between.
 * NOTE: the text way held the weights about five times over at its peak (each tensor's base64
 * string, the file's string, its UTF-8 bytes: 1⅓ the weights each) and cannot exceed V8's longest
 * string (~512 M characters: a model of ~380 MB); here the peak is the weights and the file's bytes.
 */
export function modelToJSONBytes(model: TrainedModel, known?: CheckedGraph): Uint8Array {
  const { head, params, buffers, tail } = modelFileParts(model, known);
  const utf8 = new TextEncoder();
  // The text JSON.stringify writes for the whole object, cut where the tensors' data go.
  const pieces: (Uint8Array | Float32Array)[] = [];
  const text = (t: string) => pieces.push(utf8.encode(t));
  const tensors = (name: string, list: FileTensors) => {
    text(`,${JSON.stringify(name)}:{`);
    list.forEach(([key, shape, v], i) => {
      text(`${i ? ',' : ''}${JSON.stringify(key)}:{"shape":${JSON.stringify(shape)},"data":"`);
      pieces.push(v);
      text('"}');
    });
    text('}');
  };
  text(JSON.stringify(head).slice(0, -1));
  tensors('params', params);
  tensors('buffers', buffers);
  text(`,${JSON.stringify(tail).slice(1)}\n`);
  const size = pieces.reduce((n, p) => n + (p instanceof Float32Array ? base64Length(p.byteLength) : p.length), 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of pieces) {
    if (p instanceof Float32Array) at = base64Into(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), out, at);
    else {
      out.set(p, at);
      at += p.length;
    }
  }
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (message: string) => new ModelError('E_MODEL_FORMAT', message);

/** A field the file may leave out, read by `read` (which checks it), a damaged one refused as the file's (`E_MODEL_FORMAT`). */
function optionalField<T>(value: unknown, read: (value: unknown, what: string) => T, what: string): T | undefined {
  if (value === undefined) return undefined;
  try {
    return read(value, what);
  } catch (e) {
    throw bad((e as Error).message);
  }
}

/**
 * Read a model file (text or parsed JSON). Checks everything before it believes it: the format
 * and version, the graph (migrated from older IR versions and validated), that every tensor the
 * graph needs is there with the right shape and size and no other, the normalisation and class
 * names. `weights`: the tensors as values, in place of the file's `params` and `buffers` (a
 * project's weights file, read by core/export/project-weights.ts), checked the same way.
 *
 * @throws ModelError `E_MODEL_FORMAT` (not a model file, damaged), `E_MODEL_NEWER`,
 *   `E_MODEL_GRAPH` (the graph does not validate), with a message for the user.
 */
export function modelFromJSON(input: string | unknown, weights?: ModelTensorValues): TrainedModel {
  let json: unknown = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (e) {
      throw bad(`This is not a Netwright model file: it is not valid JSON (${(e as Error).message}).`);
    }
  }
  if (!isRecord(json)) throw bad('This is not a Netwright model file: it holds no object.');
  if (json.format !== MODEL_FORMAT) {
    throw bad(`This is not a Netwright model file (its format is ${json.format === undefined ? 'not stated' : JSON.stringify(json.format)}; expected "${MODEL_FORMAT}").`);
  }
  if (typeof json.version !== 'number' || !Number.isInteger(json.version) || json.version < 1) throw bad('The model file is damaged: its "version" is missing or not a whole number.');
  if (json.version > MODEL_VERSION) throw new ModelError('E_MODEL_NEWER', `This model was saved by a newer Netwright (model version ${json.version}; this one reads up to ${MODEL_VERSION}). Update Netwright to open it.`);
  if (json.encoding !== undefined && json.encoding !== 'base64-float32-le') throw bad(`The model file stores its tensors as ${JSON.stringify(json.encoding)}; this version reads base64-float32-le.`);
  if (!isRecord(json.graph) || json.graph.format !== GRAPH_FORMAT) throw bad('The model file is damaged: "graph" is missing or not a Netwright graph.');
  const migrated = migrateGraph(json.graph);
  const migrateError = migrated.diagnostics.find((d) => d.severity === 'error');
  if (migrateError) throw new ModelError('E_MODEL_GRAPH', `The model's graph cannot be read: ${migrateError.message}`);
  const graph = migrated.json as GraphIR;
  const specs = tensorSpecs(checkModelGraph(graph));

  const read = (field: 'params' | 'buffers'): Record<string, Float32Array> => {
    const raw: unknown = weights ? weights[field] : (json[field] ?? {});
    if (!isRecord(raw)) throw bad(`The model file is damaged: "${field}" is not an object.`);
    const kind = field === 'params' ? 'param' : 'buffer';
    const wanted = specs.filter((s) => s.kind === kind);
    const extra = Object.keys(raw).find((k) => !wanted.some((s) => s.key === k));
    if (extra !== undefined) throw new ModelError('E_MODEL_WEIGHTS', `The model file has a tensor "${extra}" that its graph does not use; the file and its graph do not belong together.`);
    const out: Record<string, Float32Array> = {};
    for (const s of wanted) {
      const t = raw[s.key];
      if (t === undefined) throw new ModelError('E_MODEL_WEIGHTS', `The model file has no weights for "${s.key}".`);
      const given = isRecord(t) && t.values instanceof Float32Array ? t.values : undefined;
      if (!isRecord(t) || (typeof t.data !== 'string' && !given) || !Array.isArray(t.shape)) throw bad(`The model file is damaged: tensor "${s.key}" needs "shape" and "data".`);
      if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
        throw new ModelError('E_MODEL_WEIGHTS', `Tensor "${s.key}" has shape [${t.shape.join(', ')}] but the graph needs [${s.shape.join(', ')}].`);
      }
      let v: Float32Array;
      try {
        v = given ?? base64ToFloat32(t.data as string);
      } catch {
        throw bad(`The model file is damaged: tensor "${s.key}" is not valid base64 float32 data.`);
      }
      const n = s.shape.reduce((a, b) => a * b, 1);
      if (v.length !== n) throw bad(`The model file is damaged: tensor "${s.key}" holds ${v.length} values; its shape needs ${n}.`);
      out[s.key] = v;
    }
    return out;
  };
  const params = read('params');
  const buffers = read('buffers');

  let normalization: Normalization | undefined;
  if (json.normalization !== undefined && json.normalization !== null) {
    const n = json.normalization;
    const nums = (a: unknown) => Array.isArray(a) && a.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!isRecord(n) || (n.kind !== 'per-feature' && n.kind !== 'global' && n.kind !== 'per-channel') || !nums(n.mean) || !nums(n.std) || (n.mean as number[]).length !== (n.std as number[]).length) {
      throw bad('The model file is damaged: "normalization" needs a kind (per-feature, per-channel or global) and as many means as standard deviations.');
    }
    if (n.kind === 'per-channel') {
      // Spread over the design's own input only (never a count the file alone says).
      normalization = normalizationForGraph(JSON.stringify(n), graph);
      if (!normalization) throw bad('The model file is damaged: its per-channel "normalization" does not cover the input of its graph.');
    } else normalization = { kind: n.kind, mean: [...(n.mean as number[])], std: [...(n.std as number[])] };
  }
  let targetNormalization: TargetNormalization | undefined;
  if (json.targetNormalization !== undefined && json.targetNormalization !== null) {
    const problem = targetNormalizationProblem(json.targetNormalization);
    if (problem) throw bad(`The model file is damaged: "targetNormalization": ${problem}.`);
    const t = json.targetNormalization as TargetNormalization;
    targetNormalization = { mean: [...t.mean], std: [...t.std] };
  }
  const classNames = json.classNames ?? [];
  if (!Array.isArray(classNames) || !classNames.every((c) => typeof c === 'string')) throw bad('The model file is damaged: "classNames" is not a list of names.');
  const tokenizer = optionalField(json.tokenizer, readTokenizer, 'The model file\'s "tokenizer"');
  const table = optionalField(json.table, readTableEncoding, 'The model file\'s "table"');
  const metrics = metricsBySplit(json.metrics);
  const origin = isRecord(json.origin) ? (json.origin as TrainedModel['origin']) : undefined;
  const baselines = readBaselines(json.baselines);
  return {
    graph,
    params,
    buffers,
    ...(normalization ? { normalization } : {}),
    ...(targetNormalization ? { targetNormalization } : {}),
    ...(classNames.length ? { classNames: [...(classNames as string[])] } : {}),
    ...(tokenizer ? { tokenizer } : {}),
    ...(table ? { table } : {}),
    ...(metrics ? { metrics } : {}),
    ...(baselines ? { baselines } : {}),
    ...(origin ? { origin } : {}),
  };
}

/** A file's `baselines`: each a `{ test: { metric: number }, val?, note? }`; anything else is left out (they only inform the card). */
function readBaselines(v: unknown): TrainedModel['baselines'] {
  if (!isRecord(v)) return undefined;
  const scores = (s: unknown) => (isRecord(s) ? Object.fromEntries(Object.entries(s).filter(([, x]) => typeof x === 'number')) : undefined);
  const out: NonNullable<TrainedModel['baselines']> = {};
  for (const [name, b] of Object.entries(v)) {
    const test = isRecord(b) ? scores(b.test) : undefined;
    if (!isRecord(b) || !test) continue;
    const val = scores(b.val);
    out[name] = { test, ...(val ? { val } : {}), ...(typeof b.note === 'string' ? { note: b.note } : {}) };
  }
  return Object.keys(out).length ? out : undefined;
}
