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

/**
 * The model file for a model. Tensors keep their exact bits (NaN payloads included), so
 * `modelFromJSON(modelToJSON(m))` predicts bit-identically to `m`. `known`: `model.graph` when the
 * caller checked it already (an ONNX import's `checked`).
 *
 * @throws ModelError when a weight is missing or mis-sized for the graph (`E_MODEL_WEIGHTS`).
 */
export function modelToJSON(model: TrainedModel, known?: CheckedGraph): ModelFileJSON {
  const params: Record<string, TensorJSON> = {};
  const buffers: Record<string, TensorJSON> = {};
  for (const t of tensorSpecs(known ?? checkModelGraph(model.graph))) {
    const from = t.kind === 'param' ? model.params : model.buffers;
    const v = from[t.key];
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (!v) throw new ModelError('E_MODEL_WEIGHTS', `The model has no ${t.kind === 'param' ? 'parameter' : 'buffer'} "${t.key}".`);
    if (v.length !== n) throw new ModelError('E_MODEL_WEIGHTS', `"${t.key}" has ${v.length} values; its shape [${t.shape.join(', ')}] needs ${n}.`);
    (t.kind === 'param' ? params : buffers)[t.key] = { shape: t.shape, data: float32ToBase64(v) };
  }
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    encoding: 'base64-float32-le',
    createdBy: `Netwright ${ENGINE_VERSION}`,
    // Written in the current IR version, so a file reads back to exactly what it was written from.
    graph: migrateGraph(model.graph).json as GraphIR,
    params,
    buffers,
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
}

/** The model file as text (one line per top-level field would gain nothing: tensors dominate). */
export function modelToJSONText(model: TrainedModel): string {
  return JSON.stringify(modelToJSON(model)) + '\n';
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
 * names.
 *
 * @throws ModelError `E_MODEL_FORMAT` (not a model file, damaged), `E_MODEL_NEWER`,
 *   `E_MODEL_GRAPH` (the graph does not validate), with a message for the user.
 */
export function modelFromJSON(input: string | unknown): TrainedModel {
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
    const raw = json[field] ?? {};
    if (!isRecord(raw)) throw bad(`The model file is damaged: "${field}" is not an object.`);
    const kind = field === 'params' ? 'param' : 'buffer';
    const wanted = specs.filter((s) => s.kind === kind);
    const extra = Object.keys(raw).find((k) => !wanted.some((s) => s.key === k));
    if (extra !== undefined) throw new ModelError('E_MODEL_WEIGHTS', `The model file has a tensor "${extra}" that its graph does not use; the file and its graph do not belong together.`);
    const out: Record<string, Float32Array> = {};
    for (const s of wanted) {
      const t = raw[s.key];
      if (t === undefined) throw new ModelError('E_MODEL_WEIGHTS', `The model file has no weights for "${s.key}".`);
      if (!isRecord(t) || typeof t.data !== 'string' || !Array.isArray(t.shape)) throw bad(`The model file is damaged: tensor "${s.key}" needs "shape" and "data".`);
      if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
        throw new ModelError('E_MODEL_WEIGHTS', `Tensor "${s.key}" has shape [${t.shape.join(', ')}] but the graph needs [${s.shape.join(', ')}].`);
      }
      let v: Float32Array;
      try {
        v = base64ToFloat32(t.data);
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
