import protobuf from 'protobufjs';
import { frameTfRecord } from './records';
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
 */

/**
 * The fields of TensorBoard's protos that a run writes, with their numbers: tensorflow/core/util/
 * event.proto (`Event`), framework/summary.proto (`Summary`, `SummaryMetadata`), framework/
 * tensor.proto (`TensorProto`, an empty DT_FLOAT), tensorboard/plugins/hparams/plugin_data.proto
 * and api.proto (`HParamsPluginData`, `SessionStartInfo`, `SessionEndInfo`, `Status`) and
 * google/protobuf/struct.proto (`Value`). Names differ where one schema text cannot hold several
 * packages (`StructValue` is `google.protobuf.Value`); the bytes are the same.
 */
const TF_EVENTS_PROTO = `syntax = "proto3";
package nwtb;
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what { string file_version = 3; Summary summary = 5; }
}
message Summary {
  message Value {
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value { float simple_value = 2; TensorProto tensor = 8; }
  }
  repeated Value value = 1;
}
message SummaryMetadata {
  message PluginData { string plugin_name = 1; bytes content = 2; }
  PluginData plugin_data = 1;
}
message TensorShapeProto {}
message TensorProto { int32 dtype = 1; TensorShapeProto tensor_shape = 2; }
message StructValue { oneof kind { double number_value = 2; string string_value = 3; bool bool_value = 4; } }
message SessionStartInfo { map<string, StructValue> hparams = 1; double start_time_secs = 5; }
message SessionEndInfo { int32 status = 1; double end_time_secs = 2; }
message HParamsPluginData {
  int32 version = 1;
  oneof data { SessionStartInfo session_start_info = 3; SessionEndInfo session_end_info = 4; }
}
`;

let types: { event: protobuf.Type; hparams: protobuf.Type } | undefined;

function protoTypes(): { event: protobuf.Type; hparams: protobuf.Type } {
  if (!types) {
    const root = protobuf.parse(TF_EVENTS_PROTO, { keepCase: true }).root;
    types = { event: root.lookupType('nwtb.Event'), hparams: root.lookupType('nwtb.HParamsPluginData') };
  }
  return types;
}

/** One scalar of a run, as TensorBoard plots it. */
export interface TfScalar {
  tag: string;
  step: number;
  value: number;
}

type EventBody = { file_version: string } | { summary: { value: Record<string, unknown>[] } };

/**
 * `text` as valid UTF-8 will hold it: a lone surrogate (half of a pair, which a node id, a group's
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
