import { ModelError } from './model';
import type { TorchTensor } from './archive';
import type { Normalization } from '../data/normalize';
import type { GraphIR } from '../../base/ir/types';
import { featureInput, inputShape } from '../../base/ir/inputs';
import { MAX_MODEL_CARD_CHARS } from './model-card';

/**
 * safetensors (huggingface/safetensors, docs/export.md "safetensors"): `N` (u64 little-endian),
 * `N` bytes of UTF-8 JSON — `{ name: { dtype, shape, data_offsets: [begin, end] }, …,
 * "__metadata__": { string: string } }`, offsets into the bytes after the header — then the
 * tensors' raw little-endian data, contiguous and in order. No code runs when it is read.
 */

/** A tensor read from a weights file: float32 values (other float types converted), or int64 (a step counter). */
export type ReadTensor = TorchTensor;

/** A weights file's tensors read: by name in file order, and the file's metadata. */
export interface StateDict {
  tensors: Map<string, ReadTensor>;
  metadata: Record<string, string>;
}

/** A tensor of a weights file as the file describes it; nothing of its values is read or allocated until `read`. */
export interface WeightsEntry {
  readonly kind: 'float32' | 'int64';
  readonly shape: readonly number[];
  /** Its values, read from the file and converted, in slices (the generator yields between them). */
  readonly read: () => Generator<void, Float32Array | BigInt64Array>;
}

/** What `indexSafetensors` and `indexTorchStateDict` answer: the tensors described, by name in file order, and the file's metadata. */
export interface WeightsIndex {
  tensors: Map<string, WeightsEntry>;
  metadata: Record<string, string>;
}

/** The most bytes a weights file's tensors are read into, views and inflated storages counted (as the engine's largest model file). */
export const MAX_WEIGHTS_BYTES = 2 * 2 ** 30;

/** How large a weights file's description may be (a torch.save zip's data.pkl, a safetensors JSON header), and how many instructions its pickle may run. */
export interface WeightsLimits {
  readonly descriptionBytes: number;
  readonly pickleOps: number;
  /** How large a safetensors JSON header may be: the description, and the metadata Netwright writes beside it (`weightsLimits`). */
  readonly headerBytes: number;
}

/** The limits when the tensors wanted are not known (the safetensors reference reader reads headers up to 100 MB). */
export const MAX_WEIGHTS_LIMITS: WeightsLimits = { descriptionBytes: 64 * 2 ** 20, pickleOps: 2 ** 20, headerBytes: 64 * 2 ** 20 };

/**
 * The most bytes the model card takes in a header's JSON (model-card.ts): at most
 * `MAX_MODEL_CARD_CHARS` UTF-16 units, each at most 6 bytes as JSON writes it (`\\uXXXX`).
 */
export const MODEL_CARD_HEADER_BYTES = 6 * MAX_MODEL_CARD_CHARS;

/** The most bytes one number takes in JSON text (`-2.2250738585072014e-308`, and its comma). */
const JSON_NUMBER_BYTES = 26;

/**
 * The most a weights file of `tensors` tensors needs, with room for a checkpoint around them (an
 * optimizer's state, its param groups): a tensor takes ~200 bytes of description (its name,
 * dtype, shape; in a pickle the persistent id, the size and stride tuples, the rebuild call) and
 * ~40 pickle instructions, its module's `_metadata` ~50 and ~10; allowed: 16 KiB and 1,024.
 * A safetensors header (`headerBytes`) may also carry the input normalisation Netwright writes
 * into its metadata (`normalizationMetadata`) for a design whose input has `inputFeatures` values:
 * at most a mean and a std per feature, as files written before the per-channel form hold them
 * (5.8 MB for a [3, 224, 224] input), and the model card (`MODEL_CARD_HEADER_BYTES`); a torch.save pickle carries neither.
 */
export function weightsLimits(tensors: number, inputFeatures = 0): WeightsLimits {
  const descriptionBytes = 2 ** 20 + 16_384 * tensors;
  const normalization = 2 * JSON_NUMBER_BYTES * inputFeatures;
  const most = MAX_WEIGHTS_LIMITS;
  return { descriptionBytes: Math.min(most.descriptionBytes, descriptionBytes), pickleOps: Math.min(most.pickleOps, 65_536 + 1024 * tensors), headerBytes: Math.min(most.headerBytes, descriptionBytes + normalization + MODEL_CARD_HEADER_BYTES) };
}

/** The most channels the per-channel form of a normalisation names (more: written per feature). */
const MAX_NORMALIZATION_CHANNELS = 4096;

/**
 * A model's input normalisation as a safetensors header's `normalization` entry (JSON text). A
 * per-feature one whose figures repeat in equal runs — an image's per-channel mean and std,
 * repeated over each channel's pixels — is written as its runs,
 * `{"kind":"per-channel","features":150528,"mean":[3 values],"std":[3 values]}` (each figure
 * stands for `features / mean.length` consecutive features: numpy's `np.repeat(mean, features //
 * len(mean))`), so a [3, 224, 224] input's takes 100 bytes rather than 5.8 MB; any other as it is.
 */
export function normalizationMetadata(norm: Normalization): string {
  const runs = normalizationRuns(norm);
  return JSON.stringify(runs ? { kind: 'per-channel', ...runs } : norm);
}

/**
 * A per-feature normalisation whose figures repeat in equal runs (an image's per-channel mean and
 * std, repeated over each channel's pixels) as its runs: one figure per run, each standing for
 * `features / mean.length` consecutive features; undefined for any other (global, or figures that
 * do not repeat so, or more than 4,096 runs).
 */
export function normalizationRuns(norm: Normalization): { features: number; mean: number[]; std: number[] } | undefined {
  const n = norm.mean.length;
  if (norm.kind !== 'per-feature' || n <= 1 || norm.std.length !== n) return undefined;
  let run = 1;
  while (run < n && norm.mean[run] === norm.mean[0] && norm.std[run] === norm.std[0]) run++;
  const channels = n / run;
  const repeats = (a: readonly number[]) => a.every((v, i) => v === a[i - (i % run)]);
  if (run <= 1 || !Number.isInteger(channels) || channels > MAX_NORMALIZATION_CHANNELS || !repeats(norm.mean) || !repeats(norm.std)) return undefined;
  const every = (a: readonly number[]) => Array.from({ length: channels }, (_, c) => a[c * run]);
  return { features: n, mean: every(norm.mean), std: every(norm.std) };
}

/**
 * The normalisation `normalizationMetadata` wrote (either form), for `graph`'s features Input:
 * what the JSON model and ONNX readers call, so a per-channel entry is spread only over the
 * design's own input size. Undefined when it does not parse or does not fit.
 */
export function normalizationForGraph(text: string | undefined, graph: Pick<GraphIR, 'nodes'>): Normalization | undefined {
  const input = featureInput(graph);
  const features = input ? inputShape(input).reduce((a, b) => a * b, 1) : 0;
  return normalizationFromMetadata(text, features);
}

/**
 * The normalisation a safetensors header's `normalization` entry holds (`normalizationMetadata`'s
 * either form), for a design whose input has `features` values; undefined when it does not parse,
 * or its per-channel form does not cover exactly `features` values (nothing is allocated for a
 * count the file alone says).
 */
export function normalizationFromMetadata(text: string | undefined, features: number): Normalization | undefined {
  let v: unknown;
  try {
    v = text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
  const n = v as { kind?: unknown; features?: unknown; mean?: unknown; std?: unknown } | undefined;
  if (!n || typeof n !== 'object' || !Array.isArray(n.mean) || !Array.isArray(n.std)) return undefined;
  if (n.kind !== 'per-channel') return n as Normalization;
  const channels = n.mean.length;
  if (n.features !== features || channels === 0 || n.std.length !== channels || features % channels) return undefined;
  const run = features / channels;
  const spread = (a: readonly unknown[]) => Array.from({ length: features }, (_, i) => a[Math.floor(i / run)] as number);
  return { kind: 'per-feature', mean: spread(n.mean), std: spread(n.std) };
}

/** The most dimensions a tensor read may have (a layer's have at most 5; a view's extra unit dimensions address nothing). */
export const MAX_WEIGHTS_RANK = 64;

export const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8 };
const enc = new TextEncoder();

/**
 * A safetensors file of `tensors` (float32 as `F32`, int64 as `I64`) with `metadata`. The header is
 * padded with spaces to a multiple of 8 bytes, so every tensor's data is 8-byte aligned.
 *
 * @example
 * ```ts
 * const bytes = writeSafetensors([{ name: 'fc1.weight', tensor: { kind: 'float32', shape: [4, 2], data } }], { format: 'pt' });
 * ```
 */
export function writeSafetensors(tensors: readonly { name: string; tensor: TorchTensor }[], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const { name, tensor } of tensors) {
    const bytes = tensor.data.byteLength;
    header[name] = { dtype: tensor.kind === 'float32' ? 'F32' : 'I64', shape: [...tensor.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const length = enc.encode(json).length;
  json += ' '.repeat((8 - (length % 8)) % 8);
  const head = enc.encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const { tensor } of tensors) {
    out.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), at);
    at += tensor.data.byteLength;
  }
  return out;
}

/**
 * The tensors of a safetensors file, described; their values are read when asked
 * (`WeightsEntry.read`). F32, F64, F16 and BF16 are read as float32; I64 as int64.
 *
 * @throws ModelError `E_WEIGHTS_FILE`: not a safetensors file (the header's length or JSON), a
 *   header larger than `limits.headerBytes`, a tensor of another dtype or of more than
 *   `MAX_WEIGHTS_RANK` dimensions, or data offsets that
 *   overlap, leave gaps or pass the file's end.
 */
export function indexSafetensors(bytes: Uint8Array, file = 'the file', limits = MAX_WEIGHTS_LIMITS): WeightsIndex {
  const bad = (why: string) => new ModelError('E_WEIGHTS_FILE', `${file} is not a safetensors file Netwright reads: ${why}.`);
  if (bytes.length < 8) throw bad('it is shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) throw bad(`its header length (${n} bytes) passes the end of the file`);
  if (n > limits.headerBytes) throw bad(`its header is ${n} bytes, more than the header of the tensors wanted needs (${limits.headerBytes})`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(n))));
  } catch {
    throw bad('its header is not UTF-8 JSON');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('its header is not a JSON object');
  const data = bytes.subarray(8 + Number(n));
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      for (const [k, x] of Object.entries((v ?? {}) as Record<string, unknown>)) if (typeof x === 'string') metadata[k] = x;
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const shape = t?.shape;
    const offsets = t?.data_offsets;
    if (typeof t?.dtype !== 'string' || !Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0) || !Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw bad(`"${name}" has no dtype, shape and data_offsets`);
    }
    const size = DTYPE_BYTES[t.dtype];
    if (!size) throw bad(`"${name}" is ${t.dtype}; Netwright reads F32, F64, F16, BF16 and I64 tensors`);
    if (shape.length > MAX_WEIGHTS_RANK) throw bad(`"${name}" has ${shape.length} dimensions; no tensor Netwright reads has more than ${MAX_WEIGHTS_RANK}`);
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * size) throw bad(`"${name}" has ${end - begin} bytes of data for shape [${(shape as number[]).join(', ')}] of ${t.dtype}`);
    entries.push({ name, dtype: t.dtype, shape: shape as number[], begin, end });
  }
  // As the reference reader: the tensors' data covers the buffer exactly, without overlaps.
  let covered = 0;
  for (const e of [...entries].sort((a, b) => a.begin - b.begin)) {
    if (e.begin !== covered) throw bad(`"${e.name}" ${e.begin < covered ? 'overlaps the tensor before it' : 'leaves a gap before it'}`);
    covered = e.end;
  }
  if (covered !== data.length) throw bad(`its tensors hold ${covered} bytes but the file has ${data.length} after the header`);
  const tensors = new Map<string, WeightsEntry>();
  for (const e of entries) tensors.set(e.name, { kind: e.dtype === 'I64' ? 'int64' : 'float32', shape: e.shape, read: () => decodeValues(data.subarray(e.begin, e.end), e.dtype) });
  return { tensors, metadata };
}

/** Values converted between two turns given to the caller. */
const VALUES_SLICE = 1 << 20;
let halfTable: Float32Array | undefined;

/**
 * Raw little-endian values of `dtype` (`F32`, `F64`, `F16`, `BF16`, `I64`) as float32 (int64 for
 * `I64`), copied (aligned, and apart from the file's bytes), a slice of `VALUES_SLICE` values at a
 * time: the generator yields between slices.
 *
 * NOTE: the typed arrays read the host's byte order; every platform Node and Electron ship for is
 * little-endian, as the files are. bfloat16 is the high half of a float32 (a shift); a float16 is
 * looked up in a table of all 65536 (built once, 256 KiB): both exact.
 */
export function* decodeValues(raw: Uint8Array, dtype: string): Generator<void, Float32Array | BigInt64Array> {
  const size = DTYPE_BYTES[dtype];
  const n = Math.floor(raw.length / size);
  const out = dtype === 'I64' ? new BigInt64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i += VALUES_SLICE) {
    const m = Math.min(VALUES_SLICE, n - i);
    let part = raw.subarray(i * size, (i + m) * size);
    // A copy (new Uint8Array, not slice: a Node Buffer's slice is a view at the same offset).
    if (part.byteOffset % size) part = new Uint8Array(part);
    const at = (T: { new (b: ArrayBufferLike, o: number, l: number): ArrayLike<number | bigint> }) => new T(part.buffer, part.byteOffset, m);
    if (dtype === 'I64') (out as BigInt64Array).set(at(BigInt64Array) as BigInt64Array, i);
    else if (dtype === 'F32') (out as Float32Array).set(at(Float32Array) as Float32Array, i);
    else if (dtype === 'F64') (out as Float32Array).set(at(Float64Array) as Float64Array, i);
    else if (dtype === 'BF16') {
      const h = at(Uint16Array) as Uint16Array;
      const o = new Uint32Array(out.buffer, i * 4, m);
      for (let j = 0; j < m; j++) o[j] = h[j] << 16;
    } else {
      const h = at(Uint16Array) as Uint16Array;
      const table = (halfTable ??= Float32Array.from({ length: 65536 }, (_, x) => halfToFloat(x)));
      const o = out as Float32Array;
      for (let j = 0; j < m; j++) o[i + j] = table[h[j]];
    }
    if (i + m < n) yield;
  }
  return out;
}

/** IEEE 754 binary16 → number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
