import protobuf from 'protobufjs';
import type { GraphIR } from '../../base/ir/types';
import { analyzeGraph } from '../../core/analysis/validate';
import type { Histogram, StoredFrame, TensorStats } from '../../protocol';
import { frameTfRecord } from './records';
import type { TfImage } from './tf-images';
import type { TfText } from './tf-texts';
import type { RunRecord, RunSettings, RunStatus, RunSummary } from './types';

/**
 * A run as TensorBoard reads it (docs/runs.md, "TensorBoard"): `events.out.tfevents.*` beside the
 * run's own log, so `tensorboard --logdir <runs folder>` lists every run, its scalars and its
 * hyperparameters. Each event is one TFRecord (`frameTfRecord`) holding a `tensorflow.Event`.
 *
 * Tags are the app's chart names: `batch loss`, `lr`, `train accuracy (epoch so far)` by step;
 * `train loss`, `val loss`, `train accuracy`, `val accuracy` at each epoch's last step; `test …`
 * when the run ends; a GAN's `discriminator loss`, `generator loss`. The training settings are an
 * HParams session (`_hparams_/session_start_info`, and `…/session_end_info` when the run ends).
 * Each probe frame the app was shown adds the Layers tab's histograms (`activations/<node>`,
 * `weights/<node>.<param>`, `gradients/<node>.<param>`), its gradient flow (`gradient norm/<node>.<param>`) and the Samples
 * tab's images (`samples/…`, tf-images.ts) or a language model's guesses as text (tf-texts.ts) at
 * the frame's step; the design is the file's graph.
 */

/**
 * The fields of TensorBoard's protos that a run writes, with their numbers: tensorflow/core/util/
 * event.proto (`Event`), framework/summary.proto (`Summary`, `Summary.Image`, `SummaryMetadata`),
 * tsl's histogram.proto (`HistogramProto`), framework/tensor.proto and tensor_shape.proto
 * (`TensorProto`, an empty DT_FLOAT or a text's DT_STRING; `TensorShapeProto`), framework/graph.proto, node_def.proto and
 * attr_value.proto (`GraphDef`, `NodeDef`, `AttrValue`), tensorboard/plugins/hparams/
 * plugin_data.proto and api.proto (`HParamsPluginData`, `SessionStartInfo`, `SessionEndInfo`,
 * `Status`) and google/protobuf/struct.proto (`Value`). Names differ where one schema text cannot
 * hold several packages (`StructValue` is `google.protobuf.Value`); the bytes are the same.
 */
const TF_EVENTS_PROTO = `syntax = "proto3";
package nwtb;
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what { string file_version = 3; bytes graph_def = 4; Summary summary = 5; }
}
message Summary {
  message Image { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
  message Value {
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value { float simple_value = 2; Image image = 4; HistogramProto histo = 5; TensorProto tensor = 8; }
  }
  repeated Value value = 1;
}
message HistogramProto {
  double min = 1;
  double max = 2;
  double num = 3;
  double sum = 4;
  double sum_squares = 5;
  repeated double bucket_limit = 6 [packed = true];
  repeated double bucket = 7 [packed = true];
}
message SummaryMetadata {
  message PluginData { string plugin_name = 1; bytes content = 2; }
  PluginData plugin_data = 1;
}
message TensorShapeProto {
  message Dim { int64 size = 1; }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}
message TensorProto { int32 dtype = 1; TensorShapeProto tensor_shape = 2; repeated bytes string_val = 8; }
message GraphDef { repeated NodeDef node = 1; }
message NodeDef { string name = 1; string op = 2; repeated string input = 3; map<string, AttrValue> attr = 5; }
message AttrValue {
  message ListValue {
    repeated bytes s = 2;
    repeated int64 i = 3 [packed = true];
    repeated float f = 4 [packed = true];
    repeated TensorShapeProto shape = 7;
  }
  oneof value { ListValue list = 1; bytes s = 2; int64 i = 3; float f = 4; bool b = 5; }
}
message StructValue { oneof kind { double number_value = 2; string string_value = 3; bool bool_value = 4; } }
message SessionStartInfo { map<string, StructValue> hparams = 1; double start_time_secs = 5; }
message SessionEndInfo { int32 status = 1; double end_time_secs = 2; }
message HParamsPluginData {
  int32 version = 1;
  oneof data { SessionStartInfo session_start_info = 3; SessionEndInfo session_end_info = 4; }
}
`;

let types: { event: protobuf.Type; hparams: protobuf.Type; graph: protobuf.Type } | undefined;

function protoTypes(): { event: protobuf.Type; hparams: protobuf.Type; graph: protobuf.Type } {
  if (!types) {
    const root = protobuf.parse(TF_EVENTS_PROTO, { keepCase: true }).root;
    types = { event: root.lookupType('nwtb.Event'), hparams: root.lookupType('nwtb.HParamsPluginData'), graph: root.lookupType('nwtb.GraphDef') };
  }
  return types;
}

/** One scalar of a run, as TensorBoard plots it. */
export interface TfScalar {
  tag: string;
  step: number;
  value: number;
}

type EventBody = { file_version: string } | { graph_def: Uint8Array } | { summary: { value: Record<string, unknown>[] } };

/**
 * the text as valid UTF-8 will hold it: a lone surrogate (half of a pair, which a node id, a group's
 * name or a cut may hold) becomes U+FFFD, as TextEncoder writes it. protobufjs wrote it as its
 * three-byte form (ED A0 80 for U+D800), which is not UTF-8, and TensorBoard's parser refuses a
 * string field holding it. Every string an event holds goes through this.
 */
export function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** One framed event (a TFRecord) at `wallTime` (seconds since 1970). */
function framedEvent(wallTime: number, step: number, body: EventBody): Uint8Array {
  const t = protoTypes().event;
  return frameTfRecord(t.encode(t.fromObject({ wall_time: wallTime, step, ...body })).finish());
}

/** The first record of every event file: its format version, as TensorFlow's writers start theirs. */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return framedEvent(wallTime, 0, { file_version: 'brain.Event:2' });
}

/** The scalars a run record holds: nothing for frames and events; NaN/Inf (stored as null) left out. */
export function recordScalars(record: RunRecord): TfScalar[] {
  const out: TfScalar[] = [];
  const add = (tag: string, step: number, v: unknown) => {
    if (typeof v === 'number' && Number.isFinite(v)) out.push({ tag, step, value: v });
  };
  if (record.kind === 'step') {
    add('batch loss', record.step, record.loss);
    add('lr', record.step, record.lr);
    for (const [name, v] of Object.entries(record.metrics ?? {})) add(`train ${name} (epoch so far)`, record.step, v);
    for (const [group, v] of Object.entries(record.groupLosses ?? {})) add(`${group} loss`, record.step, v);
  } else if (record.kind === 'epoch') {
    out.push(...splitScalars(record.metrics, record.step));
  }
  return out;
}

/** `train loss`, `val accuracy`, … for metrics by split (a confusion matrix and other non-numbers left out). */
export function splitScalars(metrics: RunSummary['metrics'], step: number): TfScalar[] {
  const out: TfScalar[] = [];
  for (const [split, values] of Object.entries(metrics)) {
    for (const [name, v] of Object.entries(values ?? {})) if (typeof v === 'number' && Number.isFinite(v)) out.push({ tag: `${split} ${name}`, step, value: v });
  }
  return out;
}

/** Scalars as framed events, one event per step (as TensorFlow's writers group a step's summaries). */
export function scalarEvents(scalars: readonly TfScalar[], wallTime: number): Uint8Array[] {
  const bySteps = new Map<number, TfScalar[]>();
  for (const s of scalars) {
    const at = bySteps.get(s.step);
    if (at) at.push(s);
    else bySteps.set(s.step, [s]);
  }
  return [...bySteps].map(([step, list]) => framedEvent(wallTime, step, { summary: { value: list.map((s) => ({ tag: wellFormed(s.tag), simple_value: s.value })) } }));
}

/**
 * The run's hyperparameters as HParams reads them: every number, string and boolean of the
 * training settings under its dotted path (`optimizer.lr`, `dataset.name`, `batchSize`), and the
 * backend. Lists (losses, metrics, groups) are left out: HParams takes scalars only.
 */
export function runHparams(settings: RunSettings): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = { backend: settings.backend };
  const walk = (v: unknown, path: string, depth: number) => {
    if (typeof v === 'number' ? Number.isFinite(v) : typeof v === 'string' || typeof v === 'boolean') out[wellFormed(path)] = typeof v === 'string' ? wellFormed(v.slice(0, /[\uD800-\uDBFF]/.test(v.charAt(499)) ? 499 : 500)) : (v as number | boolean);
    else if (v && typeof v === 'object' && !Array.isArray(v) && depth < 4) for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, depth + 1);
  };
  walk(settings.training, '', 0);
  return out;
}

/** A summary of the HParams plugin (its `content`: an `HParamsPluginData`) under `tag`. */
function hparamsEvent(wallTime: number, tag: string, data: Record<string, unknown>): Uint8Array {
  const h = protoTypes().hparams;
  const content = h.encode(h.fromObject({ version: 0, ...data })).finish();
  // The value is an empty DT_FLOAT tensor (dtype 1), as TensorBoard's own hparams summaries are.
  return framedEvent(wallTime, 0, { summary: { value: [{ tag, metadata: { plugin_data: { plugin_name: 'hparams', content } }, tensor: { dtype: 1, tensor_shape: {} } }] } });
}

/** The run's start as an HParams session: its hyperparameters (`runHparams`) and start time. */
export function hparamsStartEvent(settings: RunSettings, wallTime: number): Uint8Array {
  const hparams = Object.fromEntries(
    Object.entries(runHparams(settings)).map(([k, v]) => [k, typeof v === 'number' ? { number_value: v } : typeof v === 'string' ? { string_value: v } : { bool_value: v }]),
  );
  return hparamsEvent(wallTime, '_hparams_/session_start_info', { session_start_info: { hparams, start_time_secs: wallTime } });
}

/** HParams' `Status` for how a run ended: success (1) when done or stopped by the user, failure (2) otherwise. */
const END_STATUS: Record<Exclude<RunStatus, 'running' | 'crashed'>, number> = { done: 1, stopped: 1, diverged: 2, failed: 2 };

/** The run's end as an HParams session's. */
export function hparamsEndEvent(status: Exclude<RunStatus, 'running' | 'crashed'>, wallTime: number): Uint8Array {
  return hparamsEvent(wallTime, '_hparams_/session_end_info', { session_end_info: { status: END_STATUS[status], end_time_secs: wallTime } });
}

/** `events.out.tfevents.<seconds>.<host>.<pid>.0`, as TensorFlow's writers name theirs (TensorBoard looks for `tfevents`). */
export function tfEventsFileName(now: Date, host: string, pid: number): string {
  const safeHost = host.replace(/[^A-Za-z0-9-]/g, '_').slice(0, 64) || 'host';
  return `events.out.tfevents.${Math.floor(now.getTime() / 1000)}.${safeHost}.${pid}.0`;
}

/**
 * A probe histogram as TensorBoard's `HistogramProto`: the probe's own bins (`counts.length` equal
 * bins over `[hist.min, hist.max]`), each bucket's upper edge its limit; `min`, `max`, `num`, `sum`
 * and `sum_squares` from the tensor's statistics (its finite values; `std` is the population one).
 * TensorBoard draws bucket i from limit i − 1 to limit i, the first non-empty one from `min` and
 * the last from `max` (data_compat.py).
 */
export function histogramProto(hist: Histogram, stats: TensorStats) {
  const n = hist.counts.length;
  const width = (hist.max - hist.min) / n;
  return {
    min: stats.min,
    max: stats.max,
    num: stats.count,
    sum: stats.mean * stats.count,
    sum_squares: (stats.std * stats.std + stats.mean * stats.mean) * stats.count,
    bucket_limit: Array.from({ length: n }, (_, i) => (i === n - 1 ? hist.max : hist.min + (i + 1) * width)),
    bucket: Array.from(hist.counts),
  };
}

/**
 * Seconds between two frames whose sample images a run's TensorBoard file keeps (the first frame's
 * is kept, and the last frame's when the run ends): a frame's PNGs are most of its bytes (an
 * MNIST autoencoder's grid, 8 samples × clean, fed and output, is ~10 KB, its 14 histograms ~9 KB),
 * and TensorBoard shows 10 images of a tag at most (its `samples_per_plugin` default).
 */
export const TF_IMAGE_EVERY_S = 10;

/** RGBA pixels as PNG bytes, one grey channel when `grey` (the run store passes pngjs': the engine's app layer stays free of Node's zlib). */
export type PngEncoder = (rgba: Uint8Array, width: number, height: number, grey: boolean) => Uint8Array;

/**
 * A probe frame as one event at its step: a histogram per layer's activation, per parameter's
 * weights and per parameter's gradient (the Layers tab's, binned alike; tensors without a finite
 * value, frozen parameters and frames kept before gradient histograms left out) and each
 * parameter's gradient norm ‖∇W‖₂ as a scalar (the gradient-flow bars, which TensorBoard plots
 * over steps; frozen ones and non-finite norms left out); undefined for a frame with none of
 * these. Its sample images are `imagesEvent`'s.
 */
export function frameEvent(frame: Pick<StoredFrame, 'step' | 'layers' | 'params'>, wallTime: number): Uint8Array | undefined {
  const value: Record<string, unknown>[] = [];
  for (const l of frame.layers) if (l.stats.count > 0) value.push({ tag: wellFormed(`activations/${l.nodeId}`), histo: histogramProto(l.hist, l.stats) });
  for (const p of frame.params) if (p.weightStats.count > 0) value.push({ tag: wellFormed(`weights/${p.nodeId}.${p.name}`), histo: histogramProto(p.weightHist, p.weightStats) });
  for (const p of frame.params) if (p.gradHist && p.gradStats && p.gradStats.count > 0) value.push({ tag: wellFormed(`gradients/${p.nodeId}.${p.name}`), histo: histogramProto(p.gradHist, p.gradStats) });
  for (const p of frame.params) if (!p.frozen && p.gradNorm !== null && Number.isFinite(p.gradNorm)) value.push({ tag: wellFormed(`gradient norm/${p.nodeId}.${p.name}`), simple_value: p.gradNorm });
  return value.length ? framedEvent(wallTime, frame.step, { summary: { value } }) : undefined;
}

/** A frame's sample images (tf-images.ts's `frameImages`) as one event at `step`: PNGs, `colorspace` 1 (grey) or 3 (RGB). */
export function imagesEvent(images: readonly TfImage[], step: number, wallTime: number, encodePng: PngEncoder): Uint8Array | undefined {
  const value = images.map((img) => ({ tag: img.tag, image: { height: img.height, width: img.width, colorspace: img.grey ? 1 : 3, encoded_image_string: encodePng(img.rgba, img.width, img.height, img.grey) } }));
  return value.length ? framedEvent(wallTime, step, { summary: { value } }) : undefined;
}

/** tensorflow/core/framework/types.proto's DT_STRING: a text summary's tensor (its `string_val`). */
const DT_STRING = 7;

/** A frame's texts (tf-texts.ts's `frameTexts`) as one event at `step`: the text plugin's scalar DT_STRING tensors, markdown. */
export function textsEvent(texts: readonly TfText[], step: number, wallTime: number): Uint8Array | undefined {
  const encoder = new TextEncoder();
  const value = texts.map((t) => ({ tag: t.tag, metadata: { plugin_data: { plugin_name: 'text' } }, tensor: { dtype: DT_STRING, tensor_shape: {}, string_val: [encoder.encode(t.markdown)] } }));
  return value.length ? framedEvent(wallTime, step, { summary: { value } }) : undefined;
}

/** A node's attributes as `AttrValue`s: whole numbers `i`, others `f`, strings `s`, booleans `b`, lists `list.i` / `list.f`. */
function attrValue(v: GraphIR['nodes'][number]['attrs'][string]): Record<string, unknown> {
  if (typeof v === 'boolean') return { b: v };
  if (typeof v === 'string') return { s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER ? { i: v } : { f: v };
  return v.every((x) => Number.isInteger(x)) ? { list: { i: [...v] } } : { list: { f: [...v] } };
}

/**
 * A node or group name as a `NodeDef` name may be (`[A-Za-z0-9.][A-Za-z0-9_>./]*`, node_def.proto),
 * other characters `_` (a `:` or `^` in an input would read as an output index or a control input).
 * A `/` is kept, and reads as a scope.
 */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.>/-]/g, '_') || '_';
}

/**
 * Each node's `NodeDef` name: its scope and id, `safeName`d, empty scope parts left out (a group
 * or id with a `/` at either end, or two together, would give TensorBoard a nameless scope), a
 * first character `[A-Za-z0-9.]` as node_def.proto asks (else `n` before it), and unique, as a
 * GraphDef's names must be: ids that differ only where `safeName` wrote `_` (`fc 1`, `fc:1` and
 * `fc_1`; or two groups `block 1` and `block_1` holding an `fc` each) would give one name to two
 * nodes, and TensorBoard refuses the graph. A node whose name needed no change keeps it (the first
 * such, where two scopes read alike); the others take the first of `_2`, `_3`, … that no node has.
 */
function nodeDefNames(ids: readonly string[], scope: ReadonlyMap<string, string>): Map<string, string> {
  const wanted = ids.map((id) => {
    const raw = scope.get(id) ? `${scope.get(id)}/${id}` : id;
    let name = safeName(raw).split('/').filter(Boolean).join('/') || '_';
    if (!/^[A-Za-z0-9.]/.test(name)) name = `n${name}`;
    return { id, name, exact: name === raw };
  });
  const taken = new Set<string>();
  const out = new Map<string, string>();
  for (const w of wanted) {
    if (!w.exact || taken.has(w.name)) continue;
    taken.add(w.name);
    out.set(w.id, w.name);
  }
  for (const w of wanted) {
    if (out.has(w.id)) continue;
    let name = w.name;
    for (let k = 2; taken.has(name); k++) name = `${w.name}_${k}`;
    taken.add(name);
    out.set(w.id, name);
  }
  return out;
}

/**
 * The design as TensorBoard's graph plugin reads it: a `GraphDef` with a `NodeDef` per IR node
 * (its id as the name, under its groups' names as scopes — `features/denseblock1/conv1` — so
 * TensorBoard folds them as the canvas does; its op; its inputs, in the op's order; its
 * attributes, `frozen` for a frozen node, and `_output_shapes` as the analyzer infers them, batch
 * −1), in an event at step 0.
 */
export function graphEvent(graph: GraphIR, wallTime: number): Uint8Array {
  const scope = new Map<string, string>();
  const groups = new Map((graph.groups ?? []).map((g) => [g.id, g]));
  const path = (id: string | undefined, depth = 0): string[] => {
    const g = id === undefined ? undefined : groups.get(id);
    return g && depth < 64 ? [...path(g.parent, depth + 1), safeName(g.name)] : [];
  };
  // The innermost group of each node: groups list their sub-groups' nodes too, so the deepest wins.
  const depth = new Map<string, number>();
  for (const g of graph.groups ?? []) {
    const p = path(g.id);
    for (const id of g.nodes) {
      if ((depth.get(id) ?? -1) < p.length) {
        depth.set(id, p.length);
        scope.set(id, p.join('/'));
      }
    }
  }
  const names = nodeDefNames(graph.nodes.map((n) => n.id), scope);
  const name = (id: string) => names.get(id) ?? safeName(id);
  const shapes = analyzeGraph(graph).shapes;
  const node = graph.nodes.map((n) => {
    const attr: Record<string, unknown> = Object.fromEntries(Object.entries(n.attrs).map(([k, v]) => [wellFormed(k), attrValue(v)]));
    if (n.frozen) attr.frozen = { b: true };
    const shape = shapes[n.id];
    if (shape) attr._output_shapes = { list: { shape: [{ dim: shape.map((size) => ({ size })) }] } };
    return { name: name(n.id), op: wellFormed(n.op), input: n.inputs.map(name), attr };
  });
  const g = protoTypes().graph;
  return framedEvent(wallTime, 0, { graph_def: g.encode(g.fromObject({ node })).finish() });
}
