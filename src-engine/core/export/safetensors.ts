import { ModelError } from './model';
import type { TorchTensor } from './archive';

/**
 * safetensors (huggingface/safetensors, docs/export.md "safetensors"): `N` (u64 little-endian),
 * `N` bytes of UTF-8 JSON — `{ name: { dtype, shape, data_offsets: [begin, end] }, …,
 * "__metadata__": { string: string } }`, offsets into the bytes after the header — then the
 * tensors' raw little-endian data, contiguous and in order. No code runs when it is read.
 */

/** A tensor read from a weights file: float32 values (other float types converted), or int64 (a step counter). */
export type ReadTensor = TorchTensor;

/** What `readSafetensors` and `readTorchStateDict` answer: tensors by name in file order, and the file's metadata. */
export interface StateDict {
  tensors: Map<string, ReadTensor>;
  metadata: Record<string, string>;
}

/** The longest header read (as the reference implementation's limit). */
const MAX_HEADER_BYTES = 100_000_000;
const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8 };
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
 * The tensors of a safetensors file. F32, F64, F16 and BF16 are read as float32; I64 as int64.
 *
 * @throws ModelError `E_WEIGHTS_FILE`: not a safetensors file (the header's length or JSON), a
 *   tensor of another dtype, or data offsets that overlap, leave gaps or pass the file's end.
 */
export function readSafetensors(bytes: Uint8Array, file = 'the file'): StateDict {
  const bad = (why: string) => new ModelError('E_WEIGHTS_FILE', `${file} is not a safetensors file Netwright reads: ${why}.`);
  if (bytes.length < 8) throw bad('it is shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) throw bad(`its header length (${n} bytes) passes the end of the file`);
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
  const tensors = new Map<string, ReadTensor>();
  for (const e of entries) tensors.set(e.name, decodeTensor(data.subarray(e.begin, e.end), e.dtype, e.shape));
  return { tensors, metadata };
}

/** Raw little-endian values of `dtype` as a tensor (copied: aligned, and apart from the file's bytes). */
export function decodeTensor(raw: Uint8Array, dtype: string, shape: readonly number[]): ReadTensor {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.length / DTYPE_BYTES[dtype];
  if (dtype === 'I64') {
    const data = new BigInt64Array(n);
    for (let i = 0; i < n; i++) data[i] = view.getBigInt64(8 * i, true);
    return { kind: 'int64', shape, data };
  }
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (dtype === 'F32') data[i] = view.getFloat32(4 * i, true);
    else if (dtype === 'F64') data[i] = view.getFloat64(8 * i, true);
    else if (dtype === 'BF16') data[i] = new Float32Array(new Uint32Array([view.getUint16(2 * i, true) << 16]).buffer)[0];
    else data[i] = halfToFloat(view.getUint16(2 * i, true));
  }
  return { kind: 'float32', shape, data };
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
