/**
 * How a message travels over a byte stream that has no structured clone (web mode's WebSocket):
 * JSON text when it holds no typed arrays, else one binary frame —
 *
 *   "NWB1" · u32 header length · header (UTF-8 JSON) · zero padding to 8 · the arrays' bytes
 *
 * where each typed array in the header is replaced by `{"$ta": [kind, byteOffset, length]}`
 * pointing into the payload (little-endian, each array 8-byte aligned). Electron's MessagePorts
 * and Node IPC with `serialization: 'advanced'` carry typed arrays as they are and need none of this.
 */
const MAGIC = 0x3142574e; // "NWB1" little-endian
type Kind = 'f32' | 'f64' | 'u8' | 'u16' | 'u32' | 'i32';
const CTORS: Record<Kind, { new (buffer: ArrayBuffer, offset: number, length: number): ArrayBufferView; BYTES_PER_ELEMENT: number }> = {
  f32: Float32Array,
  f64: Float64Array,
  u8: Uint8Array,
  u16: Uint16Array,
  u32: Uint32Array,
  i32: Int32Array,
};
/** A frame bigger than this is refused before decoding (the host's WebSocket limit is 64 MiB too). */
export const MAX_WIRE_BYTES = 64 << 20;
/** Nesting deeper than this is refused (protocol messages are a few levels deep). */
const MAX_DEPTH = 64;

function kindOf(v: unknown): Kind | null {
  if (v instanceof Float32Array) return 'f32';
  if (v instanceof Float64Array) return 'f64';
  if (v instanceof Uint8Array) return 'u8';
  if (v instanceof Uint16Array) return 'u16';
  if (v instanceof Uint32Array) return 'u32';
  if (v instanceof Int32Array) return 'i32';
  return null;
}

/** A malformed binary frame: the receiver drops it and logs why (it never reaches a handler). */
export class WireError extends Error {
  readonly code = 'E_PROTOCOL_BAD_FRAME';
}

/** Encode `message` for a byte stream: a string when it holds no typed arrays, else a binary frame. */
export function encodeWire(message: unknown): string | Uint8Array {
  const arrays: ArrayBufferView[] = [];
  const header = JSON.stringify(message, function (this: Record<string, unknown>, key, value: unknown) {
    // The holder's own value, not `value`: JSON.stringify has already applied toJSON, which turns
    // a Node Buffer (a Uint8Array, as protobufjs and fs return) into `{type: 'Buffer', data: [...]}`.
    const raw = this[key];
    const kind = kindOf(raw);
    if (!kind) return value;
    arrays.push(raw as ArrayBufferView);
    return { $ta: [kind, -1, (raw as ArrayLike<number>).length] };
  });
  if (arrays.length === 0) return header;
  // Lay out the payload, then write the offsets into the header's placeholders (in order).
  const offsets: number[] = [];
  let payload = 0;
  for (const a of arrays) {
    offsets.push(payload);
    payload += Math.ceil(a.byteLength / 8) * 8;
  }
  let k = 0;
  const fixed = header.replace(/\{"\$ta":\["(f32|f64|u8|u16|u32|i32)",-1,/g, (_m, kind: string) => `{"$ta":["${kind}",${offsets[k++]},`);
  const head = new TextEncoder().encode(fixed);
  const start = Math.ceil((8 + head.length) / 8) * 8;
  const out = new Uint8Array(start + payload);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, head.length, true);
  out.set(head, 8);
  arrays.forEach((a, i) => out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), start + offsets[i]));
  return out;
}

/** Decode what `encodeWire` produced (a string, or the bytes of a binary frame). Throws WireError when malformed. */
export function decodeWire(data: string | ArrayBuffer | Uint8Array): unknown {
  if (typeof data === 'string') return JSON.parse(data);
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.length > MAX_WIRE_BYTES) throw new WireError(`A binary message of ${bytes.length} bytes is over the ${MAX_WIRE_BYTES}-byte limit.`);
  if (bytes.length < 8) throw new WireError('A binary message is shorter than its header.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new WireError('A binary message does not start with NWB1.');
  const headLength = view.getUint32(4, true);
  if (8 + headLength > bytes.length) throw new WireError('A binary message is cut short inside its header.');
  const start = Math.ceil((8 + headLength) / 8) * 8;
  // Own copy of the payload, 8-byte aligned, so every typed array can be a view of it.
  const payload = bytes.slice(Math.min(start, bytes.length)).buffer;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headLength)));
  } catch (e) {
    throw new WireError(`A binary message's header is not JSON (${(e as Error).message}).`);
  }
  const revive = (v: unknown, depth: number): unknown => {
    if (depth > MAX_DEPTH) throw new WireError('A binary message is nested too deeply.');
    if (Array.isArray(v)) return v.map((x) => revive(x, depth + 1));
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if ('$ta' in o) {
      const [kind, offset, length] = (Array.isArray(o.$ta) ? o.$ta : []) as [unknown, unknown, unknown];
      const ctor = typeof kind === 'string' && Object.hasOwn(CTORS, kind) ? CTORS[kind as Kind] : undefined;
      if (!ctor || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || (offset as number) < 0 || (length as number) < 0 || (offset as number) % 8 !== 0) {
        throw new WireError('A binary message names a typed array it does not describe.');
      }
      if ((offset as number) + (length as number) * ctor.BYTES_PER_ELEMENT > payload.byteLength) throw new WireError('A binary message is cut short inside its arrays.');
      return new ctor(payload, offset as number, length as number);
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) if (k !== '__proto__') out[k] = revive(x, depth + 1);
    return out;
  };
  return revive(header, 0);
}
