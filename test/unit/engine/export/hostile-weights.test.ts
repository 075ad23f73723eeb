/**
 * Weights files that lie (#57): each is built here, in memory, a few KB to a few MB, and each is
 * refused (coded) or read within a bound of time and memory set by what the file declares and what
 * the design needs — views of one storage, pickle containers by the million, a zip whose central
 * directory lies about a member's size or count, a view of 2,000 unit dimensions — and the legal
 * files the first reader refused (a safetensors header length starting "PK", a stride-0 view) load.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { torchStateDict, zipStore } from '../../../../src-engine/core/export/archive';
import { decodeValues, writeSafetensors } from '../../../../src-engine/core/export/safetensors';
import { loadWeights, loadWeightsAsync, readWeightsFile } from '../../../../src-engine/core/import/state-dict';

const iris = JSON.parse(readFileSync(join(import.meta.dirname, '../../../../examples/iris-mlp.json'), 'utf8')) as GraphIR;
const enc = new TextEncoder();

/** Pickle bytes: text, globals, small ints and tuples, as torch.save's protocol 2 writes them. */
const P = {
  str: (s: string) => [0x58, ...u32(enc.encode(s).length), ...enc.encode(s)],
  global: (m: string, n: string) => [0x63, ...enc.encode(`${m}\n${n}\n`)],
  int: (n: number) => (n < 256 ? [0x4b, n] : [0x4a, ...u32(n)]),
  tuple: (items: number[][]) => [0x28, ...items.flat(), 0x74],
};
function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
}

interface View {
  name: string;
  key: string;
  storage?: string;
  numel: number;
  offset?: number[];
  size: number[];
  stride: number[];
}

/** data.pkl of an OrderedDict of `views` (`offset` as its pickle bytes, BININT1 0 when absent). */
function statePickle(views: readonly View[]): number[] {
  const out = [0x80, 2, ...P.global('collections', 'OrderedDict'), 0x29, 0x52, 0x28];
  for (const v of views) {
    out.push(...P.str(v.name), ...P.global('torch._utils', '_rebuild_tensor_v2'), 0x28);
    out.push(...P.tuple([P.str('storage'), P.global('torch', v.storage ?? 'FloatStorage'), P.str(v.key), P.str('cpu'), P.int(v.numel)]), 0x51);
    out.push(...(v.offset ?? P.int(0)), ...P.tuple(v.size.map(P.int)), ...P.tuple(v.stride.map(P.int)), 0x89, ...P.global('collections', 'OrderedDict'), 0x29, 0x52, 0x74, 0x52);
  }
  out.push(0x75, 0x2e);
  return out;
}

/**
 * Raw deflate of `prefix`, then `unit` (1 to 4 bytes) `times` times, then `suffix`: one block of
 * fixed Huffman codes, the repeats as matches of 258 bytes at the unit's distance (13 bits each:
 * 64 MiB of zeros in 430 KB, written in milliseconds where a compressor takes seconds).
 */
function deflateRepeat(prefix: readonly number[], unit: readonly number[], times: number, suffix: readonly number[] = []): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  const put = (value: number, n: number) => {
    for (let i = 0; i < n; i++) {
      acc |= ((value >> i) & 1) << bits;
      if (++bits === 8) {
        out.push(acc);
        acc = 0;
        bits = 0;
      }
    }
  };
  // Huffman codes go most significant bit first.
  const code = (c: number, n: number) => {
    for (let i = n - 1; i >= 0; i--) put((c >> i) & 1, 1);
  };
  const literal = (b: number) => (b < 144 ? code(0x30 + b, 8) : code(0x190 + b - 144, 9));
  put(1, 1);
  put(1, 2);
  for (const b of [...prefix, ...unit]) literal(b);
  let left = (times - 1) * unit.length;
  for (; left >= 258; left -= 258) {
    code(0xc5, 8); // length 258
    code(unit.length - 1, 5); // distance 1 to 4
  }
  for (let i = 0; i < left; i++) literal(unit[i % unit.length]);
  for (const b of suffix) literal(b);
  code(0, 7);
  if (bits) out.push(acc);
  return Uint8Array.from(out);
}

type Member = { name: string; data: Uint8Array } | { name: string; deflated: Uint8Array; size: number };

/** A zip of `members`, stored or (given their deflate stream and size) deflated, CRCs left 0 (the reader checks none). */
function zipOf(members: readonly Member[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = enc.encode(m.name);
    const data = 'data' in m ? m.data : m.deflated;
    const size = 'data' in m ? m.data.length : m.size;
    const local = new Uint8Array(30 + name.length);
    const l = new DataView(local.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(8, 'data' in m ? 0 : 8, true);
    l.setUint32(18, data.length, true);
    l.setUint32(22, size, true);
    l.setUint16(26, name.length, true);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const c = new DataView(cd.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(10, 'data' in m ? 0 : 8, true);
    c.setUint32(20, data.length, true);
    c.setUint32(24, size, true);
    c.setUint16(28, name.length, true);
    c.setUint32(42, offset, true);
    cd.set(name, 46);
    parts.push(local, data);
    central.push(cd);
    offset += local.length + data.length;
  }
  const cdSize = central.reduce((a, x) => a + x.length, 0);
  const end = new Uint8Array(22);
  const e = new DataView(end.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, members.length, true);
  e.setUint16(10, members.length, true);
  e.setUint32(12, cdSize, true);
  e.setUint32(16, offset, true);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((a, x) => a + x.length, 0));
  all.reduce((at, x) => (out.set(x, at), at + x.length), 0);
  return out;
}

const MIB_64 = 64 * 2 ** 20;
/** A storage of `bytes` zeros, deflated; its central directory declares `declared`. */
const zeros = (name: string, bytes: number, declared = bytes): Member => ({ name, deflated: deflateRepeat([], [0], bytes), size: declared });
/** A state dict's zip: `pkl` stored, then `storages`. */
const stateZip = (pkl: readonly number[] | Uint8Array, ...storages: Member[]) => zipOf([{ name: 'archive/data.pkl', data: Uint8Array.from(pkl) }, ...storages]);

/** What `f` throws, with the time it took and how far the process's array buffers grew meanwhile. */
function refusal(f: () => unknown): { code?: string; message: string; ms: number; grewMiB: number } {
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  try {
    f();
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message, ms: performance.now() - t0, grewMiB: (process.memoryUsage().arrayBuffers - before) / 2 ** 20 };
  }
  throw new Error('expected a refusal');
}

describe('weights files that would take gigabytes', () => {
  it('64 views of one deflated 64 MiB storage (a file of a few hundred KB) are counted at 4 GiB and refused before any storage is inflated', () => {
    const views = Array.from({ length: 64 }, (_, i) => ({ name: `w${i}`, key: '0', numel: 2 ** 24, size: [2 ** 24], stride: [1] }));
    const file = stateZip(statePickle(views), zeros('archive/data/0', MIB_64));
    expect(file.length).toBeLessThan(500_000);
    const all = refusal(() => readWeightsFile(file, 'views.pt'));
    expect(all).toMatchObject({ code: 'E_WEIGHTS_FILE', message: expect.stringContaining('its tensors hold 4.0 GiB of values, past the 2 GiB Netwright reads') });
    expect(all.ms).toBeLessThan(1000);
    expect(all.grewMiB).toBeLessThan(32);
    // Into a design, nothing is read: the tensors are not the design's.
    const design = refusal(() => loadWeights(iris, file, 'views.pt'));
    expect(design).toMatchObject({ code: 'E_WEIGHTS_MISMATCH', message: expect.stringContaining('w0: in the file, but the design has no such tensor') });
    expect(design.ms).toBeLessThan(1000);
    expect(design.grewMiB).toBeLessThan(32);
  });

  it('a storage is inflated once however many views read it, and the views read what they view', () => {
    const floats = Float32Array.from({ length: 12 }, (_, i) => i);
    const views = [
      { name: 'a', key: '0', numel: 12, size: [3, 4], stride: [4, 1] },
      { name: 'b', key: '0', numel: 12, size: [4, 3], stride: [1, 4] },
      { name: 'c', key: '0', numel: 12, offset: P.int(2), size: [2, 2], stride: [4, 1] },
    ];
    const dict = readWeightsFile(stateZip(statePickle(views), { name: 'archive/data/0', data: new Uint8Array(floats.buffer) }), 'views.pt');
    expect(Array.from(dict.tensors.get('a')!.data as Float32Array)).toEqual(Array.from(floats));
    expect(Array.from(dict.tensors.get('b')!.data as Float32Array)).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(Array.from(dict.tensors.get('c')!.data as Float32Array)).toEqual([2, 3, 6, 7]);
  });

  it.each([
    ['EMPTY_DICT', 0x7d],
    ['EMPTY_LIST', 0x5d],
  ])('%s by the million (a file of a few KB) is refused after the containers a state_dict needs, not at V8\'s heap limit', (_, op) => {
    const bomb = (mib: number) => zipOf([{ name: 'archive/data.pkl', deflated: deflateRepeat([0x80, 2], [op], mib * 2 ** 20 - 2), size: mib * 2 ** 20 }]);
    const file = bomb(4);
    expect(file.length).toBeLessThan(30_000);
    const all = refusal(() => readWeightsFile(file, 'bomb.pt'));
    expect(all).toMatchObject({ code: 'E_WEIGHTS_PICKLE', message: expect.stringContaining('makes more than 65536 dicts, lists and tuples') });
    expect(all.ms).toBeLessThan(3000);
    expect(all.grewMiB).toBeLessThan(64);
    // Into a design of 4 tensors: a data.pkl of at most 1 MiB + 16 KiB a tensor, and 4,352 containers (65,536 + 1,024 a tensor instructions, a 16th of them).
    const design = refusal(() => loadWeights(iris, file, 'bomb.pt'));
    expect(design).toMatchObject({ code: 'E_WEIGHTS_FILE', message: expect.stringContaining('its data.pkl is 4194304 bytes, more than a state_dict of the tensors wanted needs (1114112)') });
    expect(design.ms).toBeLessThan(500);
    const small = refusal(() => loadWeights(iris, bomb(1), 'bomb.pt'));
    expect(small).toMatchObject({ code: 'E_WEIGHTS_PICKLE', message: expect.stringContaining('makes more than 4352 dicts, lists and tuples') });
    expect(small.ms).toBeLessThan(1500);
  });

  it('APPENDS of 600,000 items is no stack overflow (a list is not a state_dict); of 2,000,000, past the instructions a state_dict needs', () => {
    const appends = (n: number) => zipOf([{ name: 'archive/data.pkl', deflated: deflateRepeat([0x80, 2, 0x5d, 0x28], [0x4b, 7], n, [0x65, 0x2e]), size: 4 + 2 * n + 2 }]);
    expect(refusal(() => readWeightsFile(appends(600_000), 'list.pt'))).toMatchObject({ code: 'E_WEIGHTS_FILE', message: expect.stringContaining('it holds no dict of tensors') });
    expect(refusal(() => readWeightsFile(appends(2_000_000), 'list.pt'))).toMatchObject({ code: 'E_WEIGHTS_PICKLE', message: expect.stringContaining('runs past 1048576 instructions') });
  });
  it('a safetensors header larger than the design\'s tensors need is refused before it is parsed', () => {
    const file = writeSafetensors([{ name: 'fc.bias', tensor: { kind: 'float32', shape: [3], data: Float32Array.of(1, 2, 3) } }], { pad: 'x'.repeat(2 * 2 ** 20) });
    // 1 MiB + 16 KiB a tensor, 52 bytes a feature of the 4-feature input for its normalisation's mean
    // and std, and 6 bytes a character of the longest model card (32,768 characters: 196,608).
    expect(refusal(() => loadWeights(iris, file, 'big.safetensors'))).toMatchObject({ code: 'E_WEIGHTS_FILE', message: expect.stringMatching(/its header is 2097\d{3} bytes, more than the header of the tensors wanted needs \(1310928\)/) });
    expect(readWeightsFile(file, 'big.safetensors').tensors.get('fc.bias')?.shape).toEqual([3]);
  });
});

describe('a zip that lies about itself', () => {
  it('a member that inflates past the size its central directory declares (64 MiB said to be 1,000 bytes) is refused at 1,000 bytes', () => {
    const file = stateZip(statePickle([{ name: 'w', key: '0', numel: 10, size: [10], stride: [1] }]), zeros('archive/data/0', MIB_64, 1000));
    const r = refusal(() => readWeightsFile(file, 'lying.pt'));
    expect(r).toMatchObject({ code: 'E_WEIGHTS_FILE', message: expect.stringContaining('"archive/data/0" inflates past the 1000 bytes its central directory declares') });
    expect(r.ms).toBeLessThan(500);
    expect(r.grewMiB).toBeLessThan(64);
    // The pickle too.
    const pickle = statePickle([{ name: 'w', key: '0', numel: 1, size: [1], stride: [1] }]);
    const pkl = zipOf([{ name: 'archive/data.pkl', deflated: deflateRepeat(pickle, [0x2e], 1), size: 20 }, { name: 'archive/data/0', data: new Uint8Array(4) }]);
    expect(refusal(() => readWeightsFile(pkl, 'lying.pt'))).toMatchObject({ code: 'E_WEIGHTS_FILE', message: expect.stringContaining('"archive/data.pkl" inflates past the 20 bytes') });
  });

  it('a ZIP64 end record claiming 100,000,000 members in a file of ~1 KB is refused at once', () => {
    const zip64 = (count: number, cdSize: number) => {
      const body = zipStore([{ path: 'archive/data.pkl', data: Uint8Array.from(statePickle([])) }]);
      const cdEnd = body.length - 22;
      const out = new Uint8Array(cdEnd + 56 + 20 + 22);
      out.set(body.subarray(0, cdEnd));
      const v = new DataView(out.buffer);
      const cdOffset = new DataView(body.buffer).getUint32(body.length - 6, true);
      v.setUint32(cdEnd, 0x06064b50, true);
      v.setBigUint64(cdEnd + 4, 44n, true);
      v.setBigUint64(cdEnd + 24, BigInt(count), true);
      v.setBigUint64(cdEnd + 32, BigInt(count), true);
      v.setBigUint64(cdEnd + 40, BigInt(cdSize), true);
      v.setBigUint64(cdEnd + 48, BigInt(cdOffset), true);
      v.setUint32(cdEnd + 56, 0x07064b50, true);
      v.setBigUint64(cdEnd + 64, BigInt(cdEnd), true);
      v.setUint32(cdEnd + 72, 1, true);
      const e = cdEnd + 76;
      v.setUint32(e, 0x06054b50, true);
      v.setUint16(e + 8, 0xffff, true);
      v.setUint16(e + 10, 0xffff, true);
      v.setUint32(e + 12, 0xffffffff, true);
      v.setUint32(e + 16, 0xffffffff, true);
      return out;
    };
    const t0 = performance.now();
    const small = zip64(1e8, 62);
    expect(small.length).toBeLessThan(2000);
    expect(refusal(() => readWeightsFile(small, 'many.pt'))).toMatchObject({ code: 'E_WEIGHTS_FILE', message: expect.stringContaining('it claims 100000000 members in a central directory of 62 bytes') });
    expect(refusal(() => readWeightsFile(zip64(1e8, 46e8), 'many.pt'))).toMatchObject({ code: 'E_WEIGHTS_FILE', message: expect.stringContaining('its central directory passes the end of the file') });
    expect(performance.now() - t0).toBeLessThan(200);
    // The same record honestly counting its one member reads on (to the empty dict it holds).
    expect(refusal(() => readWeightsFile(zip64(1, 46 + 'archive/data.pkl'.length), 'one.pt'))).toMatchObject({ code: 'E_WEIGHTS_FILE', message: expect.stringContaining('it holds no dict of tensors') });
  });
});

describe('any damage', () => {
  it('every byte of a state dict set to 255 or flipped, and every truncation, is read or refused with a code, never another error', () => {
    const file = torchStateDict([{ name: 'w', tensor: { kind: 'float32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) } }]);
    const uncoded: string[] = [];
    const read = (f: Uint8Array) => {
      try {
        readWeightsFile(f, 'damaged.pt');
      } catch (e) {
        if (!(e as { code?: string }).code) uncoded.push(`${(e as Error).name}: ${(e as Error).message}`);
      }
    };
    for (let i = 0; i < file.length; i++) {
      for (const v of [0xff, file[i] ^ 1]) {
        const f = file.slice();
        f[i] = v;
        read(f);
      }
      read(file.subarray(0, i));
    }
    expect(uncoded).toEqual([]);
  });
});

describe('views and values', () => {
  it('a tensor of 4M values with 2,000 extra unit dimensions is refused at once; a transposed one with 40 reads at the speed of its values', () => {
    const storage = new Uint8Array(16 * 2 ** 20);
    const view = (units: number) => ({ name: 'w', key: '0', numel: 2 ** 22, size: [2 ** 11, ...Array<number>(units).fill(1), 2 ** 11], stride: [1, ...Array<number>(units).fill(1), 2 ** 11] });
    const file = stateZip(statePickle([view(2000)]), { name: 'archive/data/0', data: storage });
    const many = refusal(() => readWeightsFile(file, 'dims.pt'));
    expect(many).toMatchObject({ code: 'E_WEIGHTS_FILE', message: expect.stringContaining('"w" has 2002 dimensions; no tensor Netwright reads has more than 64') });
    expect(many.ms).toBeLessThan(500);
    const forty = zipStore([{ path: 'a/data.pkl', data: Uint8Array.from(statePickle([view(40)])) }, { path: 'a/data/0', data: storage }], 64);
    const t0 = performance.now();
    const w = readWeightsFile(forty, 'dims.pt').tensors.get('w')!;
    expect(w.shape).toHaveLength(42);
    expect(w.data).toHaveLength(2 ** 22);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a stride-0 view (as expand makes) reads its repeated values; a bias of 16 from one float loads into the design', () => {
    const floats = Float32Array.of(1.5, 2.5, 3.5, 4.5);
    const dict = readWeightsFile(stateZip(statePickle([{ name: 'rows', key: '0', numel: 4, size: [3, 4], stride: [0, 1] }]), { name: 'archive/data/0', data: new Uint8Array(floats.buffer) }), 'expand.pt');
    expect(Array.from(dict.tensors.get('rows')!.data as Float32Array)).toEqual([1.5, 2.5, 3.5, 4.5, 1.5, 2.5, 3.5, 4.5, 1.5, 2.5, 3.5, 4.5]);
    const views = [
      { name: 'fc1.weight', key: '0', numel: 64, size: [16, 4], stride: [4, 1] },
      { name: 'fc1.bias', key: '1', numel: 1, size: [16], stride: [0] },
      { name: 'fc2.weight', key: '0', numel: 64, size: [3, 16], stride: [16, 1] },
      { name: 'fc2.bias', key: '1', numel: 1, size: [3], stride: [0] },
    ];
    const members = [
      { path: 'a/data.pkl', data: Uint8Array.from(statePickle(views)) },
      { path: 'a/data/0', data: new Uint8Array(Float32Array.from({ length: 64 }, (_, i) => i / 64).buffer) },
      { path: 'a/data/1', data: new Uint8Array(Float32Array.of(0.25).buffer) },
    ];
    // Aligned as torch.save writes it, and not (a storage at an odd offset), in a Node Buffer as the CLI reads it (its slice is no copy).
    for (const file of [zipStore(members, 64), Buffer.concat([Buffer.of(0), zipStore(members)]).subarray(1)]) {
      const model = loadWeights(iris, file, 'expand.pt');
      expect(Array.from(Object.values(model.params).find((p) => p.length === 16)!)).toEqual(Array<number>(16).fill(0.25));
      expect(Array.from(Object.values(model.params).find((p) => p.length === 64)!)).toEqual(Array.from({ length: 64 }, (_, i) => Math.fround(i / 64)));
    }
  });

  it('a negative storage offset is refused, coded (not "Cannot convert undefined to a BigInt")', () => {
    const minusOne = [0x8a, 8, ...Array<number>(8).fill(0xff)];
    const r = refusal(() => readWeightsFile(stateZip(statePickle([{ name: 'n', key: '0', storage: 'LongStorage', numel: 1, offset: minusOne, size: [1], stride: [1] }]), { name: 'archive/data/0', data: new Uint8Array(8) }), 'neg.pt'));
    expect(r).toMatchObject({ code: 'E_WEIGHTS_PICKLE', message: expect.stringContaining('rebuilds a tensor from arguments that are not a storage, offset, size and stride') });
  });

  it('bfloat16, float16 and float64 convert exactly, aligned or not', () => {
    const halves = Uint16Array.of(0x0000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x3555);
    const wantHalf = [0, 1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, Infinity, -Infinity, 0.333251953125];
    const bf = Uint16Array.of(0x3f80, 0xc040, 0x4049, 0x0001);
    const wantBf = [1, -3, 3.140625, new Float32Array(new Uint32Array([0x00010000]).buffer)[0]];
    const drain = <T>(g: Generator<void, T>): T => {
      for (;;) {
        const s = g.next();
        if (s.done) return s.value;
      }
    };
    for (const shift of [0, 1]) {
      const at = (a: Uint16Array | Float64Array) => {
        const b = new Uint8Array(a.byteLength + 1);
        b.set(new Uint8Array(a.buffer), shift);
        return b.subarray(shift, shift + a.byteLength);
      };
      expect(Array.from(drain(decodeValues(at(halves), 'F16')) as Float32Array)).toEqual(wantHalf);
      expect(Array.from(drain(decodeValues(at(bf), 'BF16')) as Float32Array)).toEqual(wantBf);
      expect(Array.from(drain(decodeValues(at(Float64Array.of(0.1, -2)), 'F64')) as Float32Array)).toEqual([Math.fround(0.1), -2]);
    }
  });
});

describe('formats told apart', () => {
  it('a safetensors file whose header length starts with the bytes "PK" (19,280) reads as safetensors', () => {
    const tensors = [{ name: 'fc.bias', tensor: { kind: 'float32' as const, shape: [3], data: Float32Array.of(1, 2, 3) } }];
    // The writer pads its JSON with spaces to a multiple of 8, and 19,280 is one.
    const json = JSON.stringify({ __metadata__: { design: '' }, 'fc.bias': { dtype: 'F32', shape: [3], data_offsets: [0, 12] } });
    const file = writeSafetensors(tensors, { design: 'x'.repeat(19280 - json.length) });
    expect([...file.subarray(0, 4)]).toEqual([0x50, 0x4b, 0, 0]);
    expect(Array.from(readWeightsFile(file, 'pk.safetensors').tensors.get('fc.bias')!.data as Float32Array)).toEqual([1, 2, 3]);
  });
});

describe('loadWeightsAsync (the engine\'s model.loadWeights)', () => {
  it('gives the event loop turns while it reads, and stops at a cancel', async () => {
    // The design's four tensors are views of one deflated 16 MiB storage: inflating it takes a while.
    const views = [
      { name: 'fc1.weight', key: '0', numel: 2 ** 22, size: [16, 4], stride: [4, 1] },
      { name: 'fc1.bias', key: '0', numel: 2 ** 22, size: [16], stride: [1] },
      { name: 'fc2.weight', key: '0', numel: 2 ** 22, size: [3, 16], stride: [16, 1] },
      { name: 'fc2.bias', key: '0', numel: 2 ** 22, size: [3], stride: [1] },
    ];
    const file = stateZip(statePickle(views), zeros('archive/data/0', 16 * 2 ** 20));
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    try {
      const model = await loadWeightsAsync(iris, file, 'slow.pt', { sliceMs: 1 });
      expect(Object.values(model.params).map((p) => p.length).sort((a, b) => a - b)).toEqual([3, 16, 48, 64]);
      expect(turns).toBeGreaterThan(2);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 1);
      await expect(loadWeightsAsync(iris, file, 'slow.pt', { sliceMs: 1, signal: controller.signal })).rejects.toMatchObject({ code: 'E_CANCELLED', message: 'Loading slow.pt was cancelled; nothing changed.' });
    } finally {
      clearInterval(timer);
    }
  });
});

describe('model.loadWeights in the engine', () => {
  it('answers another request while a file is read, and a cancel stops the read (the model loaded before stays)', async () => {
    const { setupEngine } = await import('../../session/fixtures');
    const { client, service } = setupEngine();
    try {
      const views = ['fc1.weight:16,4', 'fc1.bias:16', 'fc2.weight:3,16', 'fc2.bias:3'].map((v) => {
        const [name, dims] = v.split(':');
        const size = dims.split(',').map(Number);
        return { name, key: '0', numel: 2 ** 22, size, stride: size.length === 2 ? [size[1], 1] : [1] };
      });
      const data = stateZip(statePickle(views), zeros('archive/data/0', 16 * 2 ** 20));
      const t0 = performance.now();
      let loadedAt = 0;
      const load = client.request('model.loadWeights', { graph: iris, name: 'slow.pt', data }).then((info) => ((loadedAt = performance.now() - t0), info));
      const formats = await client.request('model.formats', {});
      const answeredAt = performance.now() - t0;
      expect(formats.formats.length).toBeGreaterThan(0);
      const { runId } = await load;
      expect(answeredAt).toBeLessThan(loadedAt);
      // Cancelled, the read stops: it never replaces the model loaded first, which still predicts.
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      await expect(client.request('model.loadWeights', { graph: iris, name: 'slow.pt', data }, { signal: controller.signal })).rejects.toMatchObject({ code: 'E_CANCELLED' });
      await new Promise((resolve) => setTimeout(resolve, loadedAt * 1.5));
      await expect(client.request('model.predict', { runId, input: [1, 2, 3, 4] })).resolves.toMatchObject({ kind: 'probabilities' });
    } finally {
      service.dispose();
    }
  }, 60_000);
});
