import { describe, expect, it } from 'vitest';
import { ProbeFrame } from '../../../src-engine/protocol';
import { MAX_WIRE_BYTES, WIRE_CHUNK_BYTES, WireError, WireReassembler, decodeWire, encodeWire, encodeWireFrames } from '../../../src-engine/protocol/wire';

const caught = (f: () => unknown): WireError => {
  try {
    f();
  } catch (e) {
    return e as WireError;
  }
  throw new Error('did not throw');
};

describe('wire: typed arrays over a byte stream (web mode)', () => {
  it('a message without typed arrays stays JSON text', () => {
    const m = { kind: 'event', event: 'train.progress', data: { step: 3, loss: 0.5 } };
    expect(encodeWire(m)).toBe(JSON.stringify(m));
    expect(decodeWire(JSON.stringify(m))).toEqual(m);
  });

  it('round-trips every typed array kind bit for bit, at any offset and length', () => {
    const m = {
      a: Float32Array.of(1.5, -0, NaN, Infinity, 3.4028234663852886e38, 1e-45),
      nested: { b: [Uint32Array.of(0, 4294967295), Int32Array.of(-2147483648, 7)], c: 'text with {"$ta":["f32",-1, inside' },
      d: new Uint8Array([1, 2, 3]),
      e: Uint16Array.of(65535),
      f: Float64Array.of(Math.PI),
      g: new Float32Array(new ArrayBuffer(64), 4, 5).fill(2.25), // a view that does not start at 0
      empty: new Float32Array(0),
    };
    const wire = encodeWire(m);
    expect(wire).toBeInstanceOf(Uint8Array);
    const back = decodeWire(wire) as typeof m;
    expect(back.a).toBeInstanceOf(Float32Array);
    expect(new Uint8Array(back.a.buffer, back.a.byteOffset, back.a.byteLength)).toEqual(new Uint8Array(m.a.buffer));
    expect(back.nested.b[0]).toEqual(m.nested.b[0]);
    expect(back.nested.b[1]).toEqual(m.nested.b[1]);
    expect(back.nested.c).toBe(m.nested.c);
    expect(back.d).toEqual(m.d);
    expect(back.e).toEqual(m.e);
    expect(back.f).toEqual(m.f);
    expect(back.g).toEqual(m.g);
    expect(back.empty).toEqual(new Float32Array(0));
    // An ArrayBuffer (what a browser's WebSocket hands over) decodes the same.
    const bytes = wire as Uint8Array;
    expect(decodeWire(bytes.slice().buffer)).toEqual(back);
  });

  it('a Node Buffer (what protobufjs and fs return) travels as a Uint8Array, not as its toJSON form', () => {
    const m = { files: [{ path: 'model.onnx', data: Buffer.from([8, 7, 6, 5]) }] };
    const back = decodeWire(encodeWire(m)) as { files: { data: unknown }[] };
    expect(back.files[0].data).toBeInstanceOf(Uint8Array);
    expect(Array.from(back.files[0].data as Uint8Array)).toEqual([8, 7, 6, 5]);
  });

  it('a frame received as a Node Buffer inside a larger one (what the ws server hands the host) decodes its arrays from the frame itself', () => {
    const m = { kind: 'request', id: 1, method: 'model.read', params: { format: 'onnx', data: Uint8Array.of(8, 1, 18, 4, 116, 111, 114, 99) } };
    const frame = encodeWire(m) as Uint8Array;
    // A pooled Buffer: the frame at an offset of other bytes (Buffer#slice is a view there, not a copy).
    const pool = Buffer.alloc(frame.length + 24, 0xee);
    pool.set(frame, 13);
    const received = pool.subarray(13, 13 + frame.length);
    expect(received.byteOffset).toBe(13);
    expect(decodeWire(received)).toEqual(m);
    expect(new WireReassembler().push(received)).toEqual(m);
  });

  it('a probe frame with typed arrays passes the protocol schema after the trip', () => {
    const hist = { min: 0, max: 1, counts: Uint32Array.of(1, 2, 3) };
    const stats = { count: 6, mean: 0.5, std: 0.1, min: 0, max: 1, nonFinite: 0, zeroFrac: 0 };
    const frame = {
      runId: 'run-1',
      seq: 0,
      step: 1,
      epoch: 1,
      loss: 0.7,
      layers: [{ nodeId: 'fc', op: 'Linear', shape: [3], hist, stats }],
      params: [],
      samples: { kind: 'reconstruction', outputs: [Float32Array.of(0.1, 0.2)], shape: [2] },
      boundary: { x: [0, 1], y: [0, 1], width: 1, height: 2, classes: Int32Array.of(0, 1), confidence: Float32Array.of(0.9, 0.8) },
      health: [],
      costMs: 1,
    };
    const parsed = ProbeFrame.safeParse(decodeWire(encodeWire(frame)));
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
    // A typed array of the wrong kind, or a non-finite float, is refused.
    expect(ProbeFrame.safeParse({ ...frame, boundary: { ...frame.boundary, confidence: Float64Array.of(0.9, 0.8) } }).success).toBe(false);
    expect(ProbeFrame.safeParse({ ...frame, samples: { ...frame.samples, outputs: [Float32Array.of(NaN)] } }).success).toBe(false);
  });

  it('every truncation and a damaged header or descriptor is a coded error, never a crash or a bad array', () => {
    const wire = encodeWire({ a: Float32Array.of(1, 2, 3, 4), b: 'x' }) as Uint8Array;
    for (let cut = 0; cut < wire.length; cut++) {
      let r: unknown;
      try {
        r = decodeWire(wire.subarray(0, cut));
      } catch (e) {
        expect(e).toBeInstanceOf(WireError);
        expect((e as WireError).code).toBe('E_PROTOCOL_BAD_FRAME');
        continue;
      }
      // Only a cut inside the trailing padding can still decode, and then to the whole message.
      expect(r).toEqual({ a: Float32Array.of(1, 2, 3, 4), b: 'x' });
    }
    const bad = wire.slice();
    bad[0] ^= 1;
    expect(() => decodeWire(bad)).toThrow(/NWB1/);
    const lie = encodeWire({ a: Float32Array.of(1) }) as Uint8Array;
    const text = new TextDecoder().decode(lie).replace('"$ta":["f32",0,1]', '"$ta":["f32",0,9]');
    expect(() => decodeWire(new TextEncoder().encode(text))).toThrow(/cut short inside its arrays/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(0, 0x3142574e, true);
    new DataView(huge.buffer).setUint32(4, 0xffffffff, true);
    expect(() => decodeWire(huge)).toThrow(WireError);
    expect(MAX_WIRE_BYTES).toBeGreaterThan(1 << 20);
  });

  it('a prototype key in a binary header does not reach the decoded object', () => {
    // A hand-made frame: header JSON, padded to 8, then one float32.
    const head = new TextEncoder().encode('{"a":{"$ta":["f32",0,1]},"p":{"__proto__":{"x":1}}}');
    const start = Math.ceil((8 + head.length) / 8) * 8;
    const bytes = new Uint8Array(start + 8);
    new DataView(bytes.buffer).setUint32(0, 0x3142574e, true);
    new DataView(bytes.buffer).setUint32(4, head.length, true);
    bytes.set(head, 8);
    new DataView(bytes.buffer).setFloat32(start, 1, true);
    const r = decodeWire(bytes) as { a: Float32Array; p: Record<string, unknown> };
    expect(r.a).toEqual(Float32Array.of(1));
    expect(Object.getPrototypeOf(r.p)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('a message over the 64 MiB frame limit goes as chunks and comes back whole; text too', () => {
    const big = new Uint8Array(MAX_WIRE_BYTES + 5_000_001).map((_, i) => i * 7);
    const message = { kind: 'response', id: 3, ok: true, result: { files: [{ path: 'model.json', data: big }] } };
    expect(() => decodeWire(encodeWire(message) as Uint8Array)).toThrow(WireError);
    const frames = encodeWireFrames(message, 9);
    expect(frames.length).toBe(Math.ceil((encodeWire(message) as Uint8Array).length / WIRE_CHUNK_BYTES));
    const r = new WireReassembler();
    const out = frames.map((f) => r.push(f));
    expect(out.slice(0, -1).every((m) => m === undefined)).toBe(true);
    const back = out.at(-1) as typeof message;
    // (Buffer.equals: vitest's deep equality walks 69 M elements one by one.)
    expect(Buffer.from(back.result.files[0].data).equals(Buffer.from(big))).toBe(true);

    const text = { kind: 'request', id: 4, method: 'model.import', params: { format: 'onnx', data: 'QUJD'.repeat(3_000_000) } };
    const textFrames = encodeWireFrames(text, 10);
    expect(textFrames.length).toBeGreaterThan(1);
    expect(textFrames.map((f) => r.push(f)).at(-1)).toEqual(text);
    // Small messages are one frame as before: a string, or a binary frame.
    expect(encodeWireFrames({ a: 1 }, 11)).toEqual(['{"a":1}']);
  });

  it('chunks out of order, from another message, or over the total are refused, and the next message still arrives', () => {
    const message = { data: new Uint8Array(3 * WIRE_CHUNK_BYTES) };
    const all = encodeWireFrames(message, 1) as Uint8Array[];
    const [a, b, c] = all;
    const [x] = encodeWireFrames(message, 2) as Uint8Array[];
    const r = new WireReassembler();
    expect(r.push(a)).toBeUndefined();
    expect(() => r.push(c)).toThrow(/out of order/);
    // The rest of a refused message is dropped without another refusal (issue #82: one refusal, not 62).
    expect(r.push(b)).toBeUndefined();
    r.push(x);
    expect(() => r.push(b)).toThrow(/out of order/);
    expect(() => new WireReassembler(2 * WIRE_CHUNK_BYTES).push(a) ?? new WireReassembler(WIRE_CHUNK_BYTES - 1).push(a)).toThrow(/more than/);
    const small = new WireReassembler(2 * WIRE_CHUNK_BYTES);
    small.push(a);
    expect(() => small.push(b)).not.toThrow();
    expect(() => small.push(c)).toThrow(/more than/);
    expect(() => r.push(new Uint8Array([0x4e, 0x57, 0x43, 0x31, 0]))).toThrow(/shorter than its header/);
    const whole = all.map((f) => r.push(f)).at(-1) as typeof message;
    expect(whole.data.length).toBe(message.data.length);
  });

  it('a refused message names the request it carried where that can still be read, so it can be answered', () => {
    // A text cut short, as rpc.ts writes a request (the id before the params).
    expect(caught(() => decodeWire('{"kind":"request","id":42,"method":"model.read","params":{')).requestId).toBe(42);
    expect(caught(() => decodeWire('{"id":42')).requestId).toBeUndefined();
    // A frame whose arrays are cut short: its header still names the request.
    const frame = encodeWire({ kind: 'request', id: 43, method: 'model.read', params: { data: new Uint8Array(40) } }) as Uint8Array;
    const cut = caught(() => decodeWire(frame.subarray(0, frame.length - 16)));
    expect([cut.requestId, cut.tooLarge, cut.message]).toEqual([43, false, expect.stringMatching(/cut short/)]);
    // A chunked request over the reassembler's total: refused for its size, its id from the first chunk.
    const big = { kind: 'request', id: 44, method: 'model.read', params: { data: new Uint8Array(3 * WIRE_CHUNK_BYTES) } };
    const [a, b] = encodeWireFrames(big, 3) as Uint8Array[];
    const r = new WireReassembler(WIRE_CHUNK_BYTES + 100);
    r.push(a);
    const over = caught(() => r.push(b));
    expect([over.requestId, over.tooLarge]).toEqual([44, true]);
    const textBig = { kind: 'request', id: 45, method: 'model.import', params: { data: 'QUJD'.repeat(2_000_000) } };
    const [t0, t1] = encodeWireFrames(textBig, 4) as Uint8Array[];
    const rt = new WireReassembler(WIRE_CHUNK_BYTES + 100);
    rt.push(t0);
    expect(caught(() => rt.push(t1)).requestId).toBe(45);
  });

  it('a response refused for its size names the request it answers, and its later chunks are dropped quietly (issue #82)', () => {
    // A 507 MB export refused at 256 MiB was followed by 62 "out of order" refusals, one per chunk
    // left, and the request it answered waited forever: the page left Export disabled.
    const response = { kind: 'response', id: 7, ok: true, result: { files: [{ path: 'model.pt', data: new Uint8Array(6 * WIRE_CHUNK_BYTES) }] } };
    const frames = encodeWireFrames(response, 9) as Uint8Array[];
    const r = new WireReassembler(2 * WIRE_CHUNK_BYTES);
    const errors: WireError[] = [];
    for (const f of frames) {
      try {
        expect(r.push(f)).toBeUndefined();
      } catch (e) {
        errors.push(e as WireError);
      }
    }
    expect(errors.map((e) => [e.tooLarge, e.responseId, e.requestId])).toEqual([[true, 7, undefined]]);
    expect(r.push(encodeWireFrames({ kind: 'response', id: 8, ok: true, result: {} }, 10)[0])).toEqual({ kind: 'response', id: 8, ok: true, result: {} });
  });

  it('empty chunks cannot pile up: a message in more chunks than its bytes allow, or with an empty chunk before its last, is refused at once (issue #44)', () => {
    const chunk = (index: number, count: number, data = 0) => {
      const f = new Uint8Array(24 + data);
      const v = new DataView(f.buffer);
      [0x3143574e, 7, index, count, 0, 0].forEach((x, i) => v.setUint32(4 * i, x, true));
      return f;
    };
    // Two million empty chunks of one message used to be kept, one array each, hundreds of MiB.
    const r = new WireReassembler();
    expect(caught(() => r.push(chunk(0, 2_000_000)))).toMatchObject({ tooLarge: true, message: expect.stringMatching(/2000000 chunks was refused/) });
    expect(caught(() => r.push(chunk(0, 3)))).toMatchObject({ message: expect.stringMatching(/empty/) });
    // A real message in chunks still arrives whole, its last chunk as short as it is.
    const text = JSON.stringify({ kind: 'event', event: 'x', data: 'y'.repeat(3 * WIRE_CHUNK_BYTES + 5) });
    const frames = encodeWireFrames(text, 8);
    expect(frames.length).toBe(4);
    const ok = new WireReassembler();
    expect(frames.map((f) => ok.push(f)).at(-1)).toBe(text);
  });
});
