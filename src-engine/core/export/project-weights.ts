import type { CheckedGraph } from '../analysis/checked';
import { modelFileSplit, modelFromJSON, type ModelTensorValues } from './json';
import { ModelError, type TrainedModel } from './model';
import { MAX_WEIGHTS_LIMITS } from './safetensors';

/**
 * A project's trained weights as the file kept beside it (docs/export.md "Weights kept with the
 * project"): safetensors (a u64 little-endian header size, the JSON header padded with spaces to a
 * multiple of 8, then each tensor's float32 bytes in order: huggingface/safetensors), the model's
 * params as `params.<key>` and buffers as `buffers.<key>`, in the order the JSON model lists them.
 * The engine makes the file and takes it back in parts, so no message ever carries the model whole
 * (a model ten times a resnet18 is 470 MB of float32; as JSON it passed every channel's limit).
 */
export const PROJECT_WEIGHTS_METADATA = { format: 'netwright.project-weights', encoding: 'float32-le' } as const;

/** A model split as a project keeps it: its model file without the tensors' values, and their safetensors file, read in parts. */
export interface ProjectWeightsFile {
  /** The `netwright.model` object the project file holds (`params` and `buffers` empty). */
  model: Record<string, unknown>;
  /** The weights file's size in bytes. */
  bytes: number;
  /** A copy of the file's bytes from `offset`, at most `length` of them (fewer at its end). */
  read(offset: number, length: number): Uint8Array;
}

const utf8 = new TextEncoder();

/**
 * `model` as a project keeps it. The weights file is never built whole: `read` copies each part
 * from the header and the model's own tensors (a run's snapshot or a loaded model's, which nothing
 * writes to), so the engine holds the model once, not twice.
 *
 * @throws ModelError `E_MODEL_WEIGHTS` when a weight is missing or mis-sized for the graph.
 */
export function projectWeightsFile(model: TrainedModel, known?: CheckedGraph): ProjectWeightsFile {
  const split = modelFileSplit(model, known);
  const tensors = [...split.params.map(([key, shape, v]) => ({ name: `params.${key}`, shape, v })), ...split.buffers.map(([key, shape, v]) => ({ name: `buffers.${key}`, shape, v }))];
  const header: Record<string, unknown> = { __metadata__: PROJECT_WEIGHTS_METADATA };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.v.byteLength] };
    offset += t.v.byteLength;
  }
  const json = utf8.encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  // The file as segments: the header, then each tensor's bytes; `starts[i]` is where segment i begins.
  const segments = [head, ...tensors.map((t) => new Uint8Array(t.v.buffer, t.v.byteOffset, t.v.byteLength))];
  const starts: number[] = [];
  let total = 0;
  for (const s of segments) {
    starts.push(total);
    total += s.length;
  }
  return {
    model: split.json as unknown as Record<string, unknown>,
    bytes: total,
    read(from, length) {
      const end = Math.min(total, from + Math.max(0, length));
      const out = new Uint8Array(Math.max(0, end - from));
      // The last segment starting at or before `from` (binary search), then forward.
      let lo = 0;
      let hi = segments.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= from) lo = mid;
        else hi = mid - 1;
      }
      for (let i = lo, at = from; at < end && i < segments.length; i++) {
        const s = segments[i];
        const a = Math.max(0, at - starts[i]);
        const b = Math.min(s.length, end - starts[i]);
        if (b <= a) continue;
        out.set(s.subarray(a, b), at - from);
        at += b - a;
      }
      return out;
    },
  };
}

const bad = (why: string) => new ModelError('E_WEIGHTS_FILE', `The project's weights file is not one Netwright wrote: ${why}. Open the project again; if it repeats, the file beside it is damaged (train again, or open a copy).`);

/**
 * A project's weights file taken back in parts, in order, each copied straight into its tensor
 * (no buffer of the whole file: the engine holds the weights once, plus one part). The header is
 * checked as the safetensors reader checks one (float32 tensors named `params.…`/`buffers.…`,
 * data covering the file exactly, a header of at most `headerBytes`) before anything is allocated.
 */
export class ProjectWeightsReceiver {
  private received = 0;
  private head: Uint8Array | undefined = new Uint8Array(0);
  private dataStart = 0;
  private tensors: { group: 'params' | 'buffers'; key: string; shape: number[]; values: Float32Array; bytes: Uint8Array; begin: number }[] = [];

  constructor(
    readonly bytes: number,
    private readonly headerBytes = MAX_WEIGHTS_LIMITS.headerBytes,
  ) {}

  /** Whether every byte arrived. */
  get complete(): boolean {
    return this.received === this.bytes && this.head === undefined;
  }

  /** How many bytes arrived. */
  get at(): number {
    return this.received;
  }

  /** The next part, which must start where the last ended (`offset`); coded `E_WEIGHTS_STREAM` otherwise. */
  push(offset: number, data: Uint8Array): void {
    if (offset !== this.received) throw Object.assign(new Error(`Part of the project's weights came at byte ${offset} where byte ${this.received} was expected; nothing was loaded. Open the project again.`), { code: 'E_WEIGHTS_STREAM' as const });
    if (this.received + data.length > this.bytes) throw Object.assign(new Error(`The project's weights came larger than the ${this.bytes} bytes announced; nothing was loaded. Open the project again.`), { code: 'E_WEIGHTS_STREAM' as const });
    let rest = data;
    if (this.head) {
      rest = this.takeHeader(data);
      if (this.head) {
        this.received += data.length;
        return;
      }
    }
    const at = this.received + (data.length - rest.length);
    this.copy(at - this.dataStart, rest);
    this.received += data.length;
  }

  /** The tensors, once complete, by group and key (`ModelTensorValues`). */
  values(): ModelTensorValues {
    if (!this.complete) throw Object.assign(new Error(`The project's weights ended after ${this.received} of ${this.bytes} bytes; nothing was loaded. Open the project again.`), { code: 'E_WEIGHTS_STREAM' as const });
    const out: ModelTensorValues = { params: {}, buffers: {} };
    for (const t of this.tensors) out[t.group][t.key] = { shape: t.shape, values: t.values };
    return out;
  }

  /** Collect the header from `data` (the start of the file); answers what of `data` lies past it. */
  private takeHeader(data: Uint8Array): Uint8Array {
    const had = this.head!;
    const joined = new Uint8Array(had.length + data.length);
    joined.set(had);
    joined.set(data, had.length);
    if (joined.length < 8) {
      this.head = joined;
      return data.subarray(data.length);
    }
    const n = new DataView(joined.buffer).getBigUint64(0, true);
    if (n > BigInt(this.headerBytes)) throw bad(`its header is ${n} bytes, more than the ${this.headerBytes} Netwright reads`);
    if (n > BigInt(this.bytes - 8)) throw bad(`its header length (${n} bytes) passes the end of the file`);
    const end = 8 + Number(n);
    if (joined.length < end) {
      this.head = joined;
      return data.subarray(data.length);
    }
    this.parseHeader(joined.subarray(8, end));
    this.dataStart = end;
    this.head = undefined;
    return joined.subarray(end);
  }

  private parseHeader(text: Uint8Array): void {
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder().decode(text));
    } catch {
      throw bad('its header is not UTF-8 JSON');
    }
    if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('its header is not a JSON object');
    const entries: { group: 'params' | 'buffers'; key: string; shape: number[]; begin: number; end: number }[] = [];
    for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') continue;
      const dot = name.indexOf('.');
      const group = name.slice(0, dot);
      const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
      const shape = t?.shape;
      const offsets = t?.data_offsets;
      if ((group !== 'params' && group !== 'buffers') || t?.dtype !== 'F32') throw bad(`"${name}" is not a float32 tensor of the model's params or buffers`);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0) || !Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) throw bad(`"${name}" has no shape and data_offsets`);
      const [begin, end] = offsets as [number, number];
      const count = (shape as number[]).reduce((a, b) => a * b, 1);
      if (end - begin !== count * 4) throw bad(`"${name}" has ${end - begin} bytes of data for shape [${shape.join(', ')}]`);
      entries.push({ group, key: name.slice(dot + 1), shape: shape as number[], begin, end });
    }
    let covered = 0;
    for (const e of [...entries].sort((a, b) => a.begin - b.begin)) {
      if (e.begin !== covered) throw bad(`"${e.group}.${e.key}" ${e.begin < covered ? 'overlaps the tensor before it' : 'leaves a gap before it'}`);
      covered = e.end;
    }
    const dataBytes = this.bytes - 8 - text.length;
    if (covered !== dataBytes) throw bad(`its tensors hold ${covered} bytes but the file has ${dataBytes} after the header`);
    this.tensors = entries
      .sort((a, b) => a.begin - b.begin)
      .map((e) => {
        const values = new Float32Array((e.end - e.begin) / 4);
        return { group: e.group, key: e.key, shape: e.shape, values, bytes: new Uint8Array(values.buffer), begin: e.begin };
      });
  }

  /** Copy `data`, which starts at byte `at` of the tensors' data, into the tensors it covers. */
  private copy(at: number, data: Uint8Array): void {
    if (data.length === 0) return;
    let lo = 0;
    let hi = this.tensors.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.tensors[mid].begin <= at) lo = mid;
      else hi = mid - 1;
    }
    for (let i = lo, done = 0; done < data.length && i < this.tensors.length; i++) {
      const t = this.tensors[i];
      const into = at + done - t.begin;
      const n = Math.min(t.bytes.length - into, data.length - done);
      if (n <= 0) continue;
      t.bytes.set(data.subarray(done, done + n), into);
      done += n;
    }
  }
}

/** The model a project file holds (`model`, its tensors' values left out) with the weights received beside it. */
export function modelFromProjectWeights(model: Record<string, unknown>, weights: ProjectWeightsReceiver): TrainedModel {
  const { weights: _ref, ...rest } = model;
  return modelFromJSON(rest, weights.values());
}
