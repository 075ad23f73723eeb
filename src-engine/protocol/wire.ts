/**
 * How a message travels over a byte stream that has no structured clone (web mode's WebSocket):
 * JSON text when it holds no typed arrays, else one binary frame —
 *
 *   "NWB1" · u32 header length · header (UTF-8 JSON) · zero padding to 8 · the arrays' bytes
 *
 * where each typed array in the header is replaced by `{"$ta": [kind, byteOffset, length]}`
 * pointing into the payload (little-endian, each array 8-byte aligned). Electron's MessagePorts
 * and Node IPC with `serialization: 'advanced'` carry typed arrays as they are and need none of this.
 *
 * A message larger than one frame may be (an export of a large model, an imported ONNX file) goes
 * as chunk frames (`encodeWireFrames`), each
 *
 *   "NWC1" · u32 stream id · u32 index · u32 count · u32 kind (0 text, 1 binary frame) · u32 0 · bytes
 *
 * and a `WireReassembler` on the other side puts them back together, in order, up to a total it
 * is given: no frame is over the WebSocket's limit, and no message is dropped for its size.
 */
const MAGIC = 0x3142574e; // "NWB1" little-endian
const CHUNK_MAGIC = 0x3143574e; // "NWC1" little-endian
const CHUNK_HEAD = 24;
/** Bytes of a chunk frame's data (with its header, well under every WebSocket limit of the hosts). */
export const WIRE_CHUNK_BYTES = 4 << 20;
/** The largest message reassembled from chunks (a JSON text is kept under V8's longest string). */
export const MAX_MESSAGE_BYTES = 256 << 20;
/** The smallest chunk a sender makes (but the last): bounds how many chunks one message may come in. */
export const MIN_CHUNK_BYTES = 64 << 10;
const maxChunks = (maxBytes: number) => Math.max(1, Math.ceil(maxBytes / MIN_CHUNK_BYTES));
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

/**
 * A malformed or refused message: the receiver drops it and logs why (it never reaches a handler).
 * `requestId`: the request it carried, where that could still be read (a frame whose header is
 * intact, a chunked message's first chunk), so the receiver can answer it with the error instead
 * of leaving the sender waiting; `responseId`: likewise the request a refused response answered,
 * so the receiver can fail that request instead of waiting for it forever; `tooLarge` when it was
 * refused for its size.
 */
export class WireError extends Error {
  readonly code = 'E_PROTOCOL_BAD_FRAME';
  constructor(
    message: string,
    readonly requestId?: number,
    readonly tooLarge = false,
    readonly responseId?: number,
  ) {
    super(message);
  }
}

/**
 * The request id a message's text starts with: `rpc.ts` writes `{"kind":"request","id":N,…` (the
 * id before the method and params), so it can be read off a text that does not parse or is cut.
 */
function requestIdIn(text: string): number | undefined {
  const m = /^\{"kind":"request","id":(\d{1,15}),/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The request id a response's text answers: `rpc.ts` writes `{"kind":"response","id":N,…`. */
function responseIdIn(text: string): number | undefined {
  const m = /^\{"kind":"response","id":(\d{1,15}),/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The start of a frame's header (where a request or response id is), if it is a frame. */
function frameHead(bytes: Uint8Array): string {
  if (bytes.length < 8) return '';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) return '';
  const headLength = view.getUint32(4, true);
  return new TextDecoder().decode(bytes.subarray(8, Math.min(bytes.length, 8 + Math.min(headLength, 256))));
}

/** A frame's request id from its header, if the header is intact JSON with one. */
const frameRequestId = (bytes: Uint8Array): number | undefined => requestIdIn(frameHead(bytes));

/** Encode `message` for a byte stream: a string when it holds no typed arrays, else a binary frame. */
export function encodeWire(message: unknown): string | Uint8Array<ArrayBuffer> {
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

/**
 * `encodeWire`'s text or frame when it fits in `chunkBytes`, else chunk frames of at most that
 * much data each (stream `id`: any number the sender does not reuse while a message is in flight).
 */
export function encodeWireFrames(message: unknown, id: number, chunkBytes = WIRE_CHUNK_BYTES): (string | Uint8Array<ArrayBuffer>)[] {
  const whole = encodeWire(message);
  const text = typeof whole === 'string';
  if ((text ? whole.length * 3 : whole.length) <= chunkBytes) return [whole];
  const bytes = text ? new TextEncoder().encode(whole) : whole;
  if (bytes.length <= chunkBytes) return [whole];
  const count = Math.ceil(bytes.length / chunkBytes);
  const frames: Uint8Array<ArrayBuffer>[] = [];
  for (let i = 0; i < count; i++) {
    const part = bytes.subarray(i * chunkBytes, Math.min(bytes.length, (i + 1) * chunkBytes));
    const frame = new Uint8Array(CHUNK_HEAD + part.length);
    const view = new DataView(frame.buffer);
    view.setUint32(0, CHUNK_MAGIC, true);
    view.setUint32(4, id >>> 0, true);
    view.setUint32(8, i, true);
    view.setUint32(12, count, true);
    view.setUint32(16, text ? 0 : 1, true);
    frame.set(part, CHUNK_HEAD);
    frames.push(frame);
  }
  return frames;
}

/**
 * Receives what `encodeWireFrames` sent: whole texts and frames are decoded at once; chunks are
 * kept until their message is complete (in order, one message at a time, at most `maxBytes` in
 * all), then decoded. `push` answers the message, or undefined while chunks are still missing.
 * Throws WireError for a malformed frame or chunk, and forgets the message it belonged to.
 */
export class WireReassembler {
  private stream: { id: number; count: number; kind: number; parts: Uint8Array[]; bytes: number; requestId?: number; responseId?: number } | null = null;
  /**
   * The stream refused last: its later chunks are dropped without a word (the refusal was
   * reported once), not each refused as "out of order" — a 507 MB export refused at 256 MiB
   * logged 62 of those after the one refusal that mattered.
   */
  private refused: { id: number; count: number } | null = null;

  constructor(private readonly maxBytes = MAX_MESSAGE_BYTES) {}

  push(data: string | ArrayBuffer | Uint8Array): unknown {
    if (typeof data === 'string') return decodeWire(data);
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    if (bytes.length < 4 || new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true) !== CHUNK_MAGIC) return decodeWire(bytes);
    if (bytes.length < CHUNK_HEAD) throw this.fail('A chunk is shorter than its header.');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const [id, index, count, kind] = [view.getUint32(4, true), view.getUint32(8, true), view.getUint32(12, true), view.getUint32(16, true)];
    if (index === 0) {
      // The request the message carries or answers, read off its first chunk (a text's start, a frame's header).
      const first = bytes.subarray(CHUNK_HEAD);
      const head = kind === 0 ? new TextDecoder().decode(first.subarray(0, 256)) : frameHead(first);
      const [requestId, responseId] = [requestIdIn(head), responseIdIn(head)];
      this.refused = null;
      this.stream = { id, count, kind, parts: [], bytes: 0, ...(requestId !== undefined ? { requestId } : {}), ...(responseId !== undefined ? { responseId } : {}) };
    } else if (this.refused && !this.stream && this.refused.id === id && this.refused.count === count && index < count) {
      if (index === count - 1) this.refused = null;
      return undefined;
    }
    const s = this.stream;
    if (!s || s.id !== id || s.count !== count || s.kind !== kind || index !== s.parts.length || count === 0 || kind > 1) throw this.fail('A chunk arrived out of order or does not belong to the message being received.');
    // Every chunk but the last carries data, and no message has more chunks than its bytes allow:
    // empty chunks must not pile up bookkeeping without ever reaching the byte limit.
    if (count > maxChunks(this.maxBytes)) throw this.fail(`A message in ${count} chunks was refused (at most ${maxChunks(this.maxBytes)}).`, true);
    if (bytes.length === CHUNK_HEAD && index < count - 1) throw this.fail('A chunk before the last one is empty.');
    s.bytes += bytes.length - CHUNK_HEAD;
    if (s.bytes > this.maxBytes) throw this.fail(`A message of more than ${this.maxBytes} bytes was refused.`, true);
    s.parts.push(bytes.slice(CHUNK_HEAD));
    if (s.parts.length < s.count) return undefined;
    this.stream = null;
    const all = new Uint8Array(s.bytes);
    let at = 0;
    for (const p of s.parts) {
      all.set(p, at);
      at += p.length;
    }
    return s.kind === 0 ? decodeWire(new TextDecoder().decode(all)) : decodeWire(all, this.maxBytes);
  }

  private fail(why: string, tooLarge = false): WireError {
    const s = this.stream;
    this.refused = s ? { id: s.id, count: s.count } : null;
    this.stream = null;
    return new WireError(why, s?.requestId, tooLarge, s?.responseId);
  }
}

/** Decode what `encodeWire` produced (a string, or the bytes of a binary frame). Throws WireError when malformed. */
export function decodeWire(data: string | ArrayBuffer | Uint8Array, maxBytes = MAX_WIRE_BYTES): unknown {
  if (typeof data === 'string') {
    try {
      return JSON.parse(data);
    } catch (e) {
      throw new WireError(`A message is not JSON (${(e as Error).message}).`, requestIdIn(data.slice(0, 256)));
    }
  }
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  try {
    return decodeFrame(bytes, maxBytes);
  } catch (e) {
    if (e instanceof WireError && e.requestId === undefined) throw new WireError(e.message, frameRequestId(bytes), e.tooLarge);
    throw e;
  }
}

function decodeFrame(bytes: Uint8Array, maxBytes: number): unknown {
  if (bytes.length > maxBytes) throw new WireError(`A binary message of ${bytes.length} bytes is over the ${maxBytes}-byte limit.`, undefined, true);
  if (bytes.length < 8) throw new WireError('A binary message is shorter than its header.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new WireError('A binary message does not start with NWB1.');
  const headLength = view.getUint32(4, true);
  if (8 + headLength > bytes.length) throw new WireError('A binary message is cut short inside its header.');
  const start = Math.ceil((8 + headLength) / 8) * 8;
  // Own copy of the payload, 8-byte aligned, so every typed array can be a view of it. NOTE: a
  // Node Buffer's own `slice` is a view into its (pooled) memory, not a copy: Uint8Array's copies.
  const payload = Uint8Array.prototype.slice.call(bytes, Math.min(start, bytes.length)).buffer;
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
