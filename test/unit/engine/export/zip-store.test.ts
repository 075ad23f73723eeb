/**
 * The engine's one ZIP writer (`zipStore`, fflate's `zipSync` storing): a state dict laid out as
 * `torch.save` lays it out (each storage's data at a multiple of 64 bytes, padded by an "FB" extra
 * field), an exported folder as a browser downloads it; both read back by our reader, by Python's
 * zipfile (CRCs, names, dates) and by `torch.load(weights_only=True)`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { zipMemberBytes, zipMembers } from '../../../../src-engine/base/zip-read';
import { torchStateDict, zipStore, type TorchTensor } from '../../../../src-engine/core/export/archive';
import { readWeightsFile } from '../../../../src-engine/core/import/state-dict';
import { HAS_TORCH, tempDir, torchProcess } from './torch-harness';

const enc = new TextEncoder();
const bad = (why: string) => new Error(why);

/** Tensors of every size class a layout can trip on: empty, one value, odd counts, a long name, an int64 counter. */
const TENSORS: { name: string; tensor: TorchTensor }[] = [
  { name: 'a', tensor: { kind: 'float32', shape: [3], data: Float32Array.of(1, -2, 3.5) } },
  { name: 'empty.weight', tensor: { kind: 'float32', shape: [0, 4], data: new Float32Array(0) } },
  { name: 'bn.num_batches_tracked', tensor: { kind: 'int64', shape: [], data: BigInt64Array.of(12345n) } },
  { name: `block.${'x'.repeat(61)}.bias`, tensor: { kind: 'float32', shape: [7, 1], data: Float32Array.from({ length: 7 }, (_, i) => i / 7) } },
  { name: 'conv.weight', tensor: { kind: 'float32', shape: [5, 3, 3, 3], data: Float32Array.from({ length: 135 }, (_, i) => Math.sin(i)) } },
];

/** A folder as the renderer downloads it: paths under the export's name, one of them not ASCII. */
const FOLDER = [
  { path: 'réseau/model.py', data: enc.encode('import torch\n') },
  { path: 'réseau/data/empty.txt', data: new Uint8Array(0) },
  { path: 'réseau/weights.bin', data: Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff) },
];

describe('zipStore', () => {
  it("lays out a state dict as torch.save does: each member's data 64-byte aligned behind an FB extra field, read back by our reader", () => {
    const file = torchStateDict(TENSORS);
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const members = [...zipMembers(file, bad).values()];
    expect(members.map((m) => m.name)).toEqual(['archive/data.pkl', ...TENSORS.map((_, i) => `archive/data/${i}`), 'archive/version']);
    for (const m of members) {
      expect({ name: m.name, start: m.start % 64 }).toEqual({ name: m.name, start: 0 });
      const nameEnd = m.header + 30 + view.getUint16(m.header + 26, true);
      expect(view.getUint16(nameEnd, true)).toBe(0x4246);
      expect(4 + view.getUint16(nameEnd + 2, true)).toBe(view.getUint16(m.header + 28, true));
      expect(m.method).toBe(0);
    }
    const read = readWeightsFile(file, 'layout.pt');
    for (const { name, tensor } of TENSORS) {
      expect(read.tensors.get(name)?.shape).toEqual(tensor.shape);
      expect(Array.from(read.tensors.get(name)!.data as ArrayLike<number | bigint>)).toEqual(Array.from(tensor.data as ArrayLike<number | bigint>));
    }
    // Unaligned, no extra field at all: the data follows the name.
    const plain = zipStore(FOLDER);
    for (const m of zipMembers(plain, bad).values()) {
      expect(m.start).toBe(m.header + 30 + enc.encode(m.name).length);
      const drain = zipMemberBytes(plain, m, bad);
      let s = drain.next();
      while (!s.done) s = drain.next();
      expect(s.value).toEqual(FOLDER.find((f) => f.path === m.name)!.data);
    }
  });

  it('refuses a path twice, an array index and "__proto__", which an object keyed by path would merge, reorder or lose', () => {
    const one = (path: string) => ({ path, data: Uint8Array.of(1) });
    expect(() => zipStore([one('a/x'), one('a/x')])).toThrow(/every path once/);
    expect(() => zipStore([one('b'), one('0')])).toThrow(/every path once/);
    expect(() => zipStore([one('__proto__')])).toThrow(/every path once/);
    expect(zipMembers(zipStore([one('0.5'), one('-1')]), bad).size).toBe(2);
  });

  it.skipIf(!HAS_TORCH)("reads in Python's zipfile (CRCs, UTF-8 names, 1980 dates) and in torch.load(weights_only=True), aligned as torch maps it", async () => {
    const dir = tempDir('zip-store');
    writeFileSync(join(dir, 'weights.pt'), torchStateDict(TENSORS));
    writeFileSync(join(dir, 'folder.zip'), zipStore(FOLDER));
    const script = [
      'import json, struct, sys, zipfile, torch',
      'out = {}',
      "for f in ('weights.pt', 'folder.zip'):",
      '    z = zipfile.ZipFile(f)',
      "    raw = open(f, 'rb').read()",
      '    def start(i):',
      "        n, e = struct.unpack('<HH', raw[i.header_offset + 26:i.header_offset + 30])",
      '        return i.header_offset + 30 + n + e',
      "    out[f] = {'bad': z.testzip(), 'names': z.namelist(), 'dates': sorted({str(i.date_time) for i in z.infolist()}),",
      "              'aligned': all(start(i) % 64 == 0 for i in z.infolist()), 'sizes': [len(z.read(n)) for n in z.namelist()]}",
      "sd = torch.load('weights.pt', weights_only=True)",
      "out['state'] = {k: [list(v.shape), str(v.dtype), v.flatten().tolist()] for k, v in sd.items()}",
      'print(json.dumps(out))',
    ].join('\n');
    const r = await torchProcess(['-c', script], dir);
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout) as Record<string, { bad: null; names: string[]; dates: string[]; aligned: boolean; sizes: number[] }> & { state: Record<string, [number[], string, number[]]> };
    expect(got['weights.pt']).toMatchObject({ bad: null, dates: ['(1980, 1, 1, 0, 0, 0)'], aligned: true });
    expect(got['folder.zip']).toMatchObject({ bad: null, names: FOLDER.map((f) => f.path), dates: ['(1980, 1, 1, 0, 0, 0)'], sizes: [13, 0, 1000] });
    for (const { name, tensor } of TENSORS) {
      const values = Array.from(tensor.data as ArrayLike<number | bigint>, Number);
      expect(got.state[name]).toEqual([tensor.shape, tensor.kind === 'int64' ? 'torch.int64' : 'torch.float32', values.map((v) => Math.fround(v))]);
    }
  });
});
