import { PROJECT_LIMITS } from '../../../src-contracts/files';
import type { HostFiles } from '../../../src-contracts/host';
import { base64ToBytes } from '../../../src-engine/facade';

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
 * A project's weights file as it is read, part by part: its size, and the part from `offset` (a
 * multiple of `partBytes`; the part is `partBytes` long, or what is left), asked for in order. The engine's
 * (`engineWeights` in training/export.ts: the run's or loaded model's, made by the engine), the
 * host's (`hostWeights`: the file beside a project) or a model's JSON's (`jsonWeights`).
 */
export interface WeightsSource {
  readonly bytes: number;
  /** How long every part but the last is (so the next can be asked for before this one arrives). */
  readonly partBytes: number;
  part(offset: number): Promise<Uint8Array>;
  /** Done with it (the engine lets go of what it held). */
  close(): void;
}

/**
 * The trained model Save keeps with a project: its `netwright.model` object — whole (tensors
 * inside, as a project saved before #82 opens), or with `params` and `buffers` empty when
 * `weights` carries them as the safetensors file kept beside the project.
 */
export interface ProjectModel {
  model: Record<string, unknown>;
  weights?: WeightsSource;
}

/** A model's JSON (tensors inside) as a source of its weights file (`modelWeightsFile`), undefined without tensors. */
export function jsonWeights(model: Record<string, unknown>): Required<ProjectModel> | undefined {
  const file = modelWeightsFile(model);
  if (!file) return undefined;
  const max = PROJECT_LIMITS.chunkBytes;
  let parts = file.parts(max);
  let at = 0;
  return {
    model: file.rest,
    weights: {
      bytes: file.bytes,
      partBytes: max,
      async part(offset) {
        // Read in order; asked from the start again (a save that asks to replace a file, then sends again), begun again.
        if (offset < at || offset === 0) [parts, at] = [file.parts(max), 0];
        for (;;) {
          const next = parts.next();
          if (next.done) return new Uint8Array(0);
          at += next.value.length;
          if (at > offset) return next.value.subarray(next.value.length - (at - offset));
        }
      },
      close() {},
    },
  };
}

/** How many parts of a weights file are asked for ahead of the one being sent on (the page then holds at most this many, 16 MiB). */
export const WEIGHTS_READ_AHEAD = 3;

/**
 * The parts of `source` in order with their offsets, up to `depth` asked for at once: the next
 * reads travel while this part is sent on (a read's round trip is not waited out each time), and
 * no more are asked for until the caller takes one (back-pressure). A part of another length than
 * due ends it.
 */
export async function* weightsParts(source: WeightsSource, depth: number = WEIGHTS_READ_AHEAD): AsyncGenerator<{ offset: number; data: Uint8Array }> {
  const asked: { offset: number; data: Promise<Uint8Array> }[] = [];
  let next = 0;
  const ask = () => {
    while (asked.length < depth && next < source.bytes) {
      const data = source.part(next);
      // Failed while another is awaited: heard when its turn comes, never left unhandled.
      data.catch(() => {});
      asked.push({ offset: next, data });
      next = Math.min(source.bytes, next + source.partBytes);
    }
  };
  ask();
  while (asked.length > 0) {
    const { offset, data } = asked.shift()!;
    const part = await data;
    const due = Math.min(source.partBytes, source.bytes - offset);
    if (part.length !== due) throw new Error(`the weights' part at byte ${offset} came with ${part.length} bytes where ${due} were due`);
    ask();
    yield { offset, data: part };
  }
}

/**
 * Send a project's weights to the host for a save of `path` (in parts as large as the host takes,
 * `partBytes`, at most PROJECT_LIMITS.chunkBytes): each part of `source` goes on as bytes,
 * numbered, sent once the last is answered (none overtaking another), while the next are read
 * (`weightsParts`: at most WEIGHTS_READ_AHEAD in the page). Answers the model as the project file keeps it (naming its weights,
 * `model.weights`) and the id `write` takes; undefined where the host keeps weights inside the file
 * (no `beginWeights`).
 */
export async function sendModelWeights(files: HostFiles, path: string, pm: ProjectModel): Promise<{ model: Record<string, unknown>; id: string } | undefined> {
  if (!files.beginWeights || !files.appendWeights) return undefined;
  const json = pm.weights ? undefined : jsonWeights(pm.model);
  const source = pm.weights ?? json?.weights;
  if (!source) return undefined;
  const { id, partBytes } = await files.beginWeights(path, source.bytes);
  const chunkBytes = Math.min(partBytes, PROJECT_LIMITS.chunkBytes);
  let sha256: string | null = null;
  let seq = 0;
  for await (const { data } of weightsParts(source)) {
    for (let i = 0; i < data.length; i += chunkBytes) sha256 = (await files.appendWeights(id, seq++, data.subarray(i, i + chunkBytes))).sha256;
  }
  if (!sha256) throw new Error('the host did not confirm the weights');
  const weights: WeightsRef = { format: 'safetensors', sha256, bytes: source.bytes };
  return { model: { ...(json?.model ?? pm.model), weights }, id };
}

/** The weights a project file names (`model.weights`), or undefined where its model keeps them inside. */
export function weightsRefOf(model: Record<string, unknown>): WeightsRef | undefined {
  const w = model.weights;
  return isRecord(w) && w.format === 'safetensors' && typeof w.sha256 === 'string' && typeof w.bytes === 'number' ? (w as unknown as WeightsRef) : undefined;
}

/**
 * The weights the project at `path` names (`ref`), read from the host part by part as they are
 * asked for. The first part is read at once (the host checks the whole file against `ref.sha256`
 * then): a missing or changed file is refused before anything is sent on.
 */
export async function hostWeights(files: HostFiles, path: string, ref: WeightsRef): Promise<WeightsSource> {
  const readWeights = files.readWeights?.bind(files);
  if (!readWeights) throw new Error('this host cannot read weights kept beside a project');
  const read = async (offset: number) => {
    const { data, total } = await readWeights(path, ref.sha256, offset);
    if (total !== ref.bytes) throw new Error(`the weights file holds ${total} bytes; the project names ${ref.bytes}`);
    if (data.length === 0 && offset < ref.bytes) throw new Error(`the weights file ended after ${offset} of ${ref.bytes} bytes`);
    return data;
  };
  let first: Uint8Array | undefined = await read(0);
  return {
    bytes: ref.bytes,
    // The host answers parts of one size (its own), the last shorter.
    partBytes: Math.max(1, first.length),
    part(offset) {
      const ahead = offset === 0 ? first : undefined;
      first = undefined;
      return ahead ? Promise.resolve(ahead) : read(offset);
    },
    close() {
      first = undefined;
    },
  };
}
