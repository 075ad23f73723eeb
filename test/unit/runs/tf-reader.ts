import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/*
 * A reader of TensorBoard event files written from the formats' specs, sharing no code with the
 * writer: TFRecord framing (tensorflow/core/lib/io/record_writer.cc: uint64 length, masked CRC-32C
 * of the length, data, masked CRC-32C of the data), and the protobuf wire format decoded by hand
 * for tensorflow.Event (event.proto: wall_time 1 double, step 2 int64, file_version 3, graph_def 4
 * bytes, summary 5), Summary.Value (summary.proto: tag 1, simple_value 2 float, image 4, histo 5,
 * tensor 8, metadata 9 → plugin_data 1 → plugin_name 1, content 2), Summary.Image (height 1,
 * width 2, colorspace 3, encoded_image_string 4), HistogramProto (histogram.proto: min 1, max 2,
 * num 3, sum 4, sum_squares 5 doubles; bucket_limit 6, bucket 7 packed doubles), GraphDef
 * (graph.proto: node 1) → NodeDef (node_def.proto: name 1, op 2, input 3, attr 5 map<string,
 * AttrValue>) → AttrValue (attr_value.proto: list 1 → s 2, i 3 packed, f 4 packed, shape 7; s 2,
 * i 3, f 4 float, b 5) → TensorShapeProto (tensor_shape.proto: dim 2 → size 1), HParamsPluginData
 * (plugin_data.proto: session_start_info 3 → hparams 1 map<string, google.protobuf.Value>;
 * session_end_info 4 → status 1), and a PNG's header (PNG spec 11.2.2: the 8-byte signature, then
 * the IHDR chunk's width and height, big-endian, bit depth and colour type).
 */

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC32C_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const masked = (data: Uint8Array) => {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
};

/** Every whole record; `torn` is the bytes left after the last one (a record cut short). A bad CRC throws. */
export function readTfRecords(bytes: Uint8Array): { records: Uint8Array[]; torn: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 12) break;
    const length = Number(view.getBigUint64(at, true));
    if (view.getUint32(at + 8, true) !== masked(bytes.subarray(at, at + 8))) throw new Error(`bad length CRC at ${at}`);
    if (at + 12 + length + 4 > bytes.length) break;
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (view.getUint32(at + 12 + length, true) !== masked(data)) throw new Error(`bad data CRC at ${at}`);
    records.push(data);
    at += 16 + length;
  }
  return { records, torn: bytes.length - at };
}

export type Field = { wire: 0; n: bigint } | { wire: 1 | 5; bytes: Uint8Array } | { wire: 2; bytes: Uint8Array };

/** A protobuf message's fields by number, in order (wire types 0, 1, 2, 5). */
export function fields(buf: Uint8Array): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let at = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = buf[at++];
      if (b === undefined) throw new Error('varint past the end');
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const num = key >>> 3;
    const wire = key & 7;
    let f: Field;
    if (wire === 0) f = { wire, n: varint() };
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      f = { wire, bytes: buf.subarray(at, at + size) };
      at += size;
    } else if (wire === 2) {
      const len = Number(varint());
      f = { wire, bytes: buf.subarray(at, at + len) };
      at += len;
    } else throw new Error(`wire type ${wire}`);
    if (at > buf.length) throw new Error('field past the end');
    out.set(num, [...(out.get(num) ?? []), f]);
  }
  return out;
}

export const bytesOf = (f: Field | undefined) => (f && f.wire !== 0 ? f.bytes : new Uint8Array(0));
export const text = (f: Field | undefined) => new TextDecoder().decode(bytesOf(f));
export const f64 = (f: Field | undefined) => (f ? new DataView(bytesOf(f).buffer, bytesOf(f).byteOffset, 8).getFloat64(0, true) : 0);
export const f32 = (f: Field | undefined) => new DataView(bytesOf(f).buffer, bytesOf(f).byteOffset, 4).getFloat32(0, true);
export const int = (f: Field | undefined) => (f && f.wire === 0 ? Number(f.n) : 0);

/** A HistogramProto's fields. */
export interface ReadHisto {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}

export interface ReadValue {
  tag: string;
  simple?: number;
  plugin?: string;
  content?: Uint8Array;
  tensor: boolean;
  /** A tensor's dtype and its `string_val`s (a text summary's). */
  dtype?: number;
  strings?: string[];
  histo?: ReadHisto;
  image?: { height: number; width: number; colorspace: number; encoded: Uint8Array };
}

export interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  /** A serialized GraphDef (`decodeGraphDef`). */
  graphDef?: Uint8Array;
  values: ReadValue[];
}

/** Repeated doubles, packed (one length-delimited field) or not (one fixed64 field each). */
export function doubles(fs: readonly Field[] | undefined): number[] {
  const out: number[] = [];
  for (const f of fs ?? []) {
    const b = bytesOf(f);
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let at = 0; at + 8 <= b.byteLength; at += 8) out.push(view.getFloat64(at, true));
  }
  return out;
}

/** Repeated int64s, packed or not (zig-zag is not used by int64; negative numbers are 10-byte two's complement). */
export function int64s(fs: readonly Field[] | undefined): number[] {
  const out: number[] = [];
  for (const f of fs ?? []) {
    if (f.wire === 0) out.push(Number(BigInt.asIntN(64, f.n)));
    else {
      const b = bytesOf(f);
      let at = 0;
      while (at < b.length) {
        let v = 0n;
        for (let shift = 0n; ; shift += 7n) {
          const x = b[at++];
          v |= BigInt(x & 0x7f) << shift;
          if (!(x & 0x80)) break;
        }
        out.push(Number(BigInt.asIntN(64, v)));
      }
    }
  }
  return out;
}

function decodeHisto(b: Uint8Array): ReadHisto {
  const h = fields(b);
  return { min: f64(h.get(1)?.[0]), max: f64(h.get(2)?.[0]), num: f64(h.get(3)?.[0]), sum: f64(h.get(4)?.[0]), sumSquares: f64(h.get(5)?.[0]), bucketLimit: doubles(h.get(6)), bucket: doubles(h.get(7)) };
}

export function decodeEvent(data: Uint8Array): ReadEvent {
  const e = fields(data);
  const summary = e.get(5)?.[0];
  const values = summary
    ? (fields(bytesOf(summary)).get(1) ?? []).map((v): ReadValue => {
        const m = fields(bytesOf(v));
        const plugin = m.get(9) ? fields(bytesOf(fields(bytesOf(m.get(9)![0])).get(1)?.[0])) : undefined;
        const image = m.get(4) ? fields(bytesOf(m.get(4)![0])) : undefined;
        return {
          tag: text(m.get(1)?.[0]),
          ...(m.get(2) ? { simple: f32(m.get(2)![0]) } : {}),
          ...(plugin ? { plugin: text(plugin.get(1)?.[0]), content: bytesOf(plugin.get(2)?.[0]) } : {}),
          ...(m.get(5) ? { histo: decodeHisto(bytesOf(m.get(5)![0])) } : {}),
          ...(image ? { image: { height: int(image.get(1)?.[0]), width: int(image.get(2)?.[0]), colorspace: int(image.get(3)?.[0]), encoded: bytesOf(image.get(4)?.[0]) } } : {}),
          tensor: m.has(8),
          ...(m.get(8) ? (({ t }) => ({ dtype: int(t.get(1)?.[0]), strings: (t.get(8) ?? []).map(text) }))({ t: fields(bytesOf(m.get(8)![0])) }) : {}),
        };
      })
    : [];
  return {
    wallTime: f64(e.get(1)?.[0]),
    step: int(e.get(2)?.[0]),
    ...(e.get(3) ? { fileVersion: text(e.get(3)![0]) } : {}),
    ...(e.get(4) ? { graphDef: bytesOf(e.get(4)![0]) } : {}),
    values,
  };
}

/** One NodeDef: an attribute's value is its AttrValue's fields (`attrShapes` reads `_output_shapes`). */
export interface ReadNode {
  name: string;
  op: string;
  inputs: string[];
  attr: Map<string, Map<number, Field[]>>;
}

export function decodeGraphDef(b: Uint8Array): ReadNode[] {
  return (fields(b).get(1) ?? []).map((nf) => {
    const n = fields(bytesOf(nf));
    const attr = new Map(
      (n.get(5) ?? []).map((entry) => {
        const kv = fields(bytesOf(entry));
        return [text(kv.get(1)?.[0]), fields(bytesOf(kv.get(2)?.[0]))] as const;
      }),
    );
    return { name: text(n.get(1)?.[0]), op: text(n.get(2)?.[0]), inputs: (n.get(3) ?? []).map((f) => text(f)), attr };
  });
}

/** An AttrValue as a plain value: `s` text, `i` / `f` / `b`, `list.i` / `list.f` as arrays, `list.shape` as arrays of dims. */
export function attrOf(v: Map<number, Field[]> | undefined): unknown {
  if (!v) return undefined;
  if (v.has(2)) return text(v.get(2)![0]);
  if (v.has(3)) return int64s(v.get(3))[0];
  if (v.has(4)) return f32(v.get(4)![0]);
  if (v.has(5)) return int(v.get(5)![0]) === 1;
  const list = v.get(1) ? fields(bytesOf(v.get(1)![0])) : undefined;
  if (!list) return undefined;
  if (list.has(7)) return list.get(7)!.map((s) => (fields(bytesOf(s)).get(2) ?? []).map((d) => int64s(fields(bytesOf(d)).get(1))[0] ?? 0));
  if (list.has(3)) return int64s(list.get(3));
  if (list.has(4)) {
    const out: number[] = [];
    for (const f of list.get(4)!) {
      const b = bytesOf(f);
      for (let at = 0; at + 4 <= b.length; at += 4) out.push(new DataView(b.buffer, b.byteOffset + at, 4).getFloat32(0, true));
    }
    return out;
  }
  return [];
}

/** A PNG's size, colour type and bit depth from its signature and IHDR chunk; throws when it is no PNG. */
export function pngHeader(b: Uint8Array): { width: number; height: number; bitDepth: number; colourType: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (signature.some((x, i) => b[i] !== x)) throw new Error('not a PNG: no signature');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (view.getUint32(8) !== 13 || new TextDecoder().decode(b.subarray(12, 16)) !== 'IHDR') throw new Error('not a PNG: no IHDR first');
  return { width: view.getUint32(16), height: view.getUint32(20), bitDepth: b[24], colourType: b[25] };
}

/** A run's event file: its events, and the bytes of a torn last record. */
export function readRunEvents(folder: string): { events: ReadEvent[]; torn: number; name: string } {
  const names = readdirSync(folder).filter((f) => f.startsWith('events.out.tfevents.'));
  expect(names).toHaveLength(1);
  const { records, torn } = readTfRecords(readFileSync(join(folder, names[0])));
  return { events: records.map(decodeEvent), torn, name: names[0] };
}

/** `tag` → [step, value] in file order. */
export function scalars(events: readonly ReadEvent[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const e of events) for (const v of e.values) if (v.simple !== undefined) out.set(v.tag, [...(out.get(v.tag) ?? []), [e.step, v.simple]]);
  return out;
}

