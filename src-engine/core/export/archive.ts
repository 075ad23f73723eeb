/**
 * Binary containers the exporters write: ZIP archives (stored, as
 * `torch.save` writes them and as a browser download of an exported folder), NumPy `.npy`
 * arrays, and PyTorch `.pt` state dicts (`torch.save`'s zip format with a protocol-2 pickle).
 * `zipStore` writes every ZIP the engine makes, with fflate's `zipSync` (its CRC-32 too);
 * `base/zip-read.ts` reads them, fflate's `Inflate` behind its guards: one ZIP implementation.
 */
import { Zip, ZipPassThrough, zipSync, type Zippable } from 'fflate';

/** One file of an archive or an export. */
export interface ArchiveEntry {
  path: string;
  data: Uint8Array;
}

const enc = new TextEncoder();
/** 1980-01-01 00:00 local time, DOS time 0: a fixed time keeps exports byte-for-byte reproducible. */
const DOS_EPOCH = new Date(1980, 0, 1);
/** The extra field PyTorch's writer pads a member's local header with ("FB"). */
const PADDING_FIELD = 0x4246;

/**
 * A ZIP archive of `entries`, stored (no compression), in their order. `align` pads each file's
 * data to a multiple of that many bytes from the archive start (with an extra field, as
 * `torch.save` does with 64) so readers can map tensors in place.
 *
 * NOTE: fflate lays the members out from their offsets alone (local header: 30 bytes + name +
 * extra fields, then the data), so each pad is known before it writes; it repeats the extra field
 * in the central directory, where nothing reads it (PyTorch's writer puts it in the local header only).
 *
 * @throws Error when the archive would pass 4 GiB (no ZIP64), or when a path is listed twice, is
 *   digits alone ("0", "12": an array index) or is "__proto__": fflate takes the files as an object
 *   keyed by path, which would merge, reorder or drop them.
 */
export function zipStore(entries: readonly ArchiveEntry[], align = 1): Uint8Array {
  const files: Zippable = Object.create(null) as Zippable;
  let offset = 0;
  for (const e of entries) {
    if (e.path in files || e.path === '__proto__' || /^\d+$/.test(e.path)) throw new Error(`zipStore: "${e.path}" cannot be a member: every path once, none of digits alone or "__proto__".`);
    const header = 30 + enc.encode(e.path).length;
    const extra = align > 1 ? { [PADDING_FIELD]: new Uint8Array((align - ((offset + header + 4) % align)) % align) } : undefined;
    files[e.path] = [e.data, { level: 0, mtime: DOS_EPOCH, extra }];
    offset += header + (extra ? 4 + extra[PADDING_FIELD].length : 0) + e.data.length;
    if (offset > 0xffffffff) throw new Error('The archive would be larger than 4 GiB, which this ZIP writer does not support.');
  }
  return zipSync(files);
}

/**
 * `zipStore` for an archive too large to hold as one array (a browser download of a 500 MB
 * exported folder): each file given as its parts, the archive answered as parts (the files' own
 * arrays among them, not copied). Stored, at the same fixed time; sizes and CRC-32s follow each
 * file's data (a data descriptor), as streaming ZIP writers write them; no padding.
 */
export function zipStoreParts(entries: readonly { path: string; parts: readonly Uint8Array[] }[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let failed: Error | null = null;
  const zip = new Zip((err, chunk) => {
    if (err) failed = err;
    else out.push(chunk);
  });
  for (const e of entries) {
    const file = new ZipPassThrough(e.path);
    file.mtime = DOS_EPOCH;
    zip.add(file);
    if (e.parts.length === 0) file.push(new Uint8Array(0), true);
    e.parts.forEach((p, i) => file.push(p, i === e.parts.length - 1));
  }
  zip.end();
  if (failed) throw failed;
  return out;
}

/** The bytes of several arrays, one after another. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A typed array's bytes (little-endian on every platform Netwright runs on). */
export function bytesOf(a: Float32Array | Int32Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * A NumPy `.npy` file (format 1.0) of a C-order array: `<f4` for Float32Array, `<i8` for
 * BigInt64Array, `|u1` for Uint8Array.
 */
export function npy(data: Float32Array | BigInt64Array | Uint8Array, shape: readonly number[]): Uint8Array {
  const descr = data instanceof Float32Array ? '<f4' : data instanceof BigInt64Array ? '<i8' : '|u1';
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = new Uint8Array(10);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(head.buffer).setUint16(8, header.length, true);
  return concat([head, enc.encode(header), bytesOf(data)]);
}

/** One tensor of a PyTorch state dict: float32 values, or one int64 (a step counter). */
export type TorchTensor = { kind: 'float32'; shape: readonly number[]; data: Float32Array } | { kind: 'int64'; shape: readonly number[]; data: BigInt64Array };

/** Protocol-2 pickle opcodes, written by hand (docs/export.md). */
class Pickler {
  private readonly out: number[] = [];
  op(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...enc.encode(`${module}\n${name}\n`));
  }
  str(s: string): this {
    const b = enc.encode(s);
    this.op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24);
    for (const x of b) this.out.push(x);
    return this;
  }
  int(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`pickle: ${n} is not a count`);
    if (n < 256) return this.op(0x4b, n);
    if (n < 0x7fffffff) return this.op(0x4a, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
    // LONG1: little-endian two's complement.
    const bytes: number[] = [];
    let v = n;
    while (v > 0) {
      bytes.push(v % 256);
      v = Math.floor(v / 256);
    }
    if (bytes[bytes.length - 1] & 0x80) bytes.push(0);
    return this.op(0x8a, bytes.length, ...bytes);
  }
  ints(a: readonly number[]): this {
    this.op(0x28);
    for (const x of a) this.int(x);
    return this.op(0x74);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

/**
 * A PyTorch state dict as `torch.save(state_dict, path)` writes it (the zip format of PyTorch ≥
 * 1.6: `archive/data.pkl`, `archive/data/<i>` per tensor, `archive/version`), readable by
 * `torch.load` — with `weights_only=True` too: the pickle names only `collections.OrderedDict`,
 * `torch._utils._rebuild_tensor_v2` and `torch.FloatStorage`/`torch.LongStorage`.
 */
export function torchStateDict(tensors: readonly { name: string; tensor: TorchTensor }[]): Uint8Array {
  const p = new Pickler().op(0x80, 2).global('collections', 'OrderedDict').op(0x29, 0x52).op(0x28);
  const files: ArchiveEntry[] = [];
  tensors.forEach(({ name, tensor }, i) => {
    const numel = tensor.shape.reduce((a, b) => a * b, 1);
    if (tensor.data.length !== numel) throw new Error(`state dict: "${name}" has ${tensor.data.length} values for shape [${tensor.shape.join(', ')}]`);
    const strides = tensor.shape.map((_, d) => tensor.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    p.str(name).global('torch._utils', '_rebuild_tensor_v2').op(0x28);
    // persistent id: ('storage', <storage class>, key, location, numel)
    p.op(0x28).str('storage').global('torch', tensor.kind === 'float32' ? 'FloatStorage' : 'LongStorage').str(String(i)).str('cpu').int(numel).op(0x74, 0x51);
    p.int(0).ints(tensor.shape).ints(strides).op(0x89).global('collections', 'OrderedDict').op(0x29, 0x52);
    p.op(0x74, 0x52);
    files.push({ path: `archive/data/${i}`, data: bytesOf(tensor.data) });
  });
  p.op(0x75, 0x2e);
  return zipStore([{ path: 'archive/data.pkl', data: p.bytes() }, ...files, { path: 'archive/version', data: enc.encode('3\n') }], 64);
}
