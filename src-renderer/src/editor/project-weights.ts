import { PROJECT_LIMITS } from '../../../src-contracts/files';
import type { HostFiles } from '../../../src-contracts/host';
import { base64ToBytes, bytesToBase64 } from '../../../src-engine/facade';

/**
 * What a project file says of its trained weights kept beside it (`model.weights`, docs/export.md
 * "Weights kept with the project"): a safetensors file of `bytes` bytes whose SHA-256 is `sha256`.
 * The model's `params` and `buffers` are then empty in the file.
 */
export interface WeightsRef {
  format: 'safetensors';
  sha256: string;
  bytes: number;
}

/** A tensor of a `netwright.model` object: its shape and base64 of its little-endian float32 values. */
interface TensorJSON {
  shape: number[];
  data: string;
}

const GROUPS = ['params', 'buffers'] as const;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTensor = (v: unknown): v is TensorJSON => isRecord(v) && Array.isArray(v.shape) && typeof v.data === 'string';
/** Bytes of base64 text of `chars` characters ending in `pad` `=`. */
const decodedBytes = (s: string) => {
  let pad = 0;
  while (pad < 2 && s.length > pad && s.charCodeAt(s.length - 1 - pad) === 61) pad++;
  return (s.length / 4) * 3 - pad;
};

/**
 * A `netwright.model` object's tensors as a safetensors file (a u64 little-endian header size, the
 * JSON header, then each tensor's float32 bytes in order: huggingface/safetensors), named
 * `params.<key>` and `buffers.<key>`; and the model without them (`rest`, empty `params` and
 * `buffers`), which the project file keeps. The file is never built whole: `parts` yields it in
 * pieces of at most `max` bytes, each tensor decoded from its base64 when its turn comes.
 * Undefined for a model with no tensors (nothing to keep beside the project).
 */
export function modelWeightsFile(model: Record<string, unknown>): { rest: Record<string, unknown>; bytes: number; parts(max: number): Generator<Uint8Array> } | undefined {
  const tensors: { name: string; tensor: TensorJSON; bytes: number }[] = [];
  for (const group of GROUPS) {
    const map = model[group];
    if (!isRecord(map)) continue;
    for (const [key, t] of Object.entries(map)) if (isTensor(t)) tensors.push({ name: `${group}.${key}`, tensor: t, bytes: decodedBytes(t.data) });
  }
  if (tensors.length === 0) return undefined;
  const header: Record<string, unknown> = { __metadata__: { format: 'netwright.project-weights', encoding: 'float32-le' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.tensor.shape, data_offsets: [offset, offset + t.bytes] };
    offset += t.bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Padded with spaces to a multiple of 8 bytes (the format allows it), so the data is 8-byte aligned.
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  padded.set(json);
  json = padded;
  const head = new Uint8Array(8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(json.length), true);
  head.set(json, 8);
  const rest = { ...model, params: {}, buffers: {} };
  return {
    rest,
    bytes: head.length + offset,
    *parts(max: number) {
      let part = new Uint8Array(max);
      let filled = 0;
      function* put(bytes: Uint8Array): Generator<Uint8Array> {
        for (let at = 0; at < bytes.length; ) {
          const n = Math.min(max - filled, bytes.length - at);
          part.set(bytes.subarray(at, at + n), filled);
          filled += n;
          at += n;
          if (filled === max) {
            yield part;
            part = new Uint8Array(max);
            filled = 0;
          }
        }
      }
      yield* put(head);
      for (const t of tensors) yield* put(base64ToBytes(t.tensor.data));
      if (filled > 0) yield part.subarray(0, filled);
    },
  };
}

/**
 * The model a project file names weights for (`rest`, as the file holds it) with its tensors
 * back from their safetensors file (`bytes`, as `modelWeightsFile` wrote it): each tensor's base64
 * as it was. Throws when the file does not describe float32 tensors inside it.
 */
export function modelWithWeights(rest: Record<string, unknown>, bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length < 8) throw new Error('the weights file is too short');
  const size = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (size > bytes.length - 8) throw new Error('the weights file\'s header runs past its end');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + size))) as Record<string, unknown>;
  const data = bytes.subarray(8 + size);
  const out: Record<string, Record<string, TensorJSON>> = { params: {}, buffers: {} };
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const dot = name.indexOf('.');
    const group = name.slice(0, dot) as (typeof GROUPS)[number];
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const [begin, end] = Array.isArray(e.data_offsets) ? (e.data_offsets as number[]) : [];
    if (!GROUPS.includes(group) || e.dtype !== 'F32' || !Array.isArray(e.shape) || !(Number.isInteger(begin) && Number.isInteger(end) && begin >= 0 && begin <= end && end <= data.length)) {
      throw new Error(`the weights file's entry "${name}" is not a float32 tensor inside it`);
    }
    out[group][name.slice(dot + 1)] = { shape: e.shape as number[], data: bytesToBase64(data.subarray(begin, end)) };
  }
  return { ...rest, params: out.params, buffers: out.buffers };
}

/**
 * Send a model's tensors to the host for a save of `path`, in parts, each once the last is
 * answered: answers the model as the project file keeps it (naming its weights, `model.weights`)
 * and the id `write` takes; undefined where the host keeps weights inside the file (no
 * `beginWeights`) or the model has none.
 */
export async function sendModelWeights(files: HostFiles, path: string, model: Record<string, unknown>): Promise<{ model: Record<string, unknown>; id: string } | undefined> {
  const file = files.beginWeights && files.appendWeights ? modelWeightsFile(model) : undefined;
  if (!file) return undefined;
  const { id } = await files.beginWeights!(path, file.bytes);
  let sha256: string | null = null;
  let seq = 0;
  for (const part of file.parts(PROJECT_LIMITS.chunkBytes)) sha256 = (await files.appendWeights!(id, seq++, bytesToBase64(part))).sha256;
  if (!sha256) throw new Error('the host did not confirm the weights');
  const weights: WeightsRef = { format: 'safetensors', sha256, bytes: file.bytes };
  return { model: { ...file.rest, weights }, id };
}

/** The weights a project file names (`model.weights`), or undefined where its model keeps them inside. */
export function weightsRefOf(model: Record<string, unknown>): WeightsRef | undefined {
  const w = model.weights;
  return isRecord(w) && w.format === 'safetensors' && typeof w.sha256 === 'string' && typeof w.bytes === 'number' ? (w as unknown as WeightsRef) : undefined;
}

/** The model of the project at `path` with the weights it names read back from beside it, in parts. */
export async function readModelWeights(files: HostFiles, path: string, model: Record<string, unknown>, ref: WeightsRef): Promise<Record<string, unknown>> {
  if (!files.readWeights) throw new Error('this host cannot read weights kept beside a project');
  const bytes = new Uint8Array(ref.bytes);
  let at = 0;
  while (at < ref.bytes) {
    const { data, total } = await files.readWeights(path, ref.sha256, at);
    if (total !== ref.bytes) throw new Error(`the weights file holds ${total} bytes; the project names ${ref.bytes}`);
    const part = base64ToBytes(data);
    if (part.length === 0 || at + part.length > ref.bytes) break;
    bytes.set(part, at);
    at += part.length;
  }
  if (at !== ref.bytes) throw new Error(`the weights file ended after ${at} of ${ref.bytes} bytes`);
  const { weights: _, ...rest } = model;
  return modelWithWeights(rest, bytes);
}
