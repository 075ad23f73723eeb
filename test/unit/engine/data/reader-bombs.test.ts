/**
 * Issue #44: the data readers refuse, with a code, what would take the engine past its memory
 * before they allocate it, and follow no link that would relabel or leak an image. Each hostile
 * file is made here, small on disk.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { readImageHeader, type DataError, type SampleSource } from '../../../../src-engine/core/data';
import { UNRESTRICTED } from '../../../../src-engine/node/data-access';
import { scanData } from '../../../../src-engine/node/data-scan';
import { loadDataset, loadSamples } from '../../../../src-engine/node/datasets';
import { IMAGE_DECODERS, type ImageDecoders } from '../../../../src-engine/node/image-decoders';
import { scanImageFolder } from '../../../../src-engine/node/image-folder';
import { loadImageFolderSamples, releaseStreamedFolder } from '../../../../src-engine/node/image-stream';
import { readZip } from '../../../../src-engine/node/npz';
import { cpuMs } from '../../cpu-time';
import { codeOf, encodeJpeg, encodePng } from './user-data-fixtures';

afterEach(() => releaseStreamedFolder());

/**
 * A zip whose `members` central-directory entries all point at one local member: a deflate
 * stream of `unpacked` zero bytes (a few KiB per MiB on disk), each entry declaring that size.
 */
function sharedStreamZip(members: number, unpacked: number): Buffer {
  const body = deflateRawSync(Buffer.alloc(unpacked));
  const name = (i: number) => Buffer.from(i === 0 ? 'x.npy' : i === 1 ? 'y.npy' : `m${i}.npy`);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(body.length, 18);
  local.writeUInt32LE(unpacked, 22);
  local.writeUInt16LE(name(0).length, 26);
  const central = Array.from({ length: members }, (_, i) => {
    const h = Buffer.alloc(46);
    h.writeUInt32LE(0x02014b50, 0);
    h.writeUInt16LE(8, 10);
    h.writeUInt32LE(body.length, 20);
    h.writeUInt32LE(unpacked, 24);
    h.writeUInt16LE(name(i).length, 28);
    h.writeUInt32LE(0, 42); // every entry: the same local member
    return Buffer.concat([h, name(i)]);
  });
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members, 8);
  end.writeUInt16LE(members, 10);
  end.writeUInt32LE(cd.length, 12);
  const at = local.length + name(0).length + body.length;
  end.writeUInt32LE(at, 16);
  return Buffer.concat([local, name(0), body, cd, end]);
}

describe('an .npz whose entries share one deflate stream', () => {
  it('is refused from its headers (DATA_TOO_LARGE) before anything is inflated: loader, CLI and data.scan', async () => {
    // 64 entries × 20 MiB = 1.25 GiB declared, over the 1 GiB an .npz may unpack to; 60 KiB on disk.
    const bomb = sharedStreamZip(64, 20 * 2 ** 20);
    expect(bomb.length).toBeLessThan(100_000);
    const dir = mkdtempSync(path.join(tmpdir(), 'nw-npz-bomb-'));
    const file = path.join(dir, 'bomb.npz');
    writeFileSync(file, bomb);
    const t0 = cpuMs();
    expect(codeOf(() => loadDataset({ name: 'npz', options: { path: file } }))).toBe('DATA_TOO_LARGE');
    const scanned = await scanData({ scanId: 's', path: file }, { access: UNRESTRICTED });
    expect(scanned.problem?.code).toBe('DATA_TOO_LARGE');
    expect(scanned.problem?.message).toMatch(/checked before unpacking/);
    // Inflating even one entry of 20 MiB costs tens of ms; all 64 of them well over a second.
    expect(cpuMs() - t0).toBeLessThan(400);
    rmSync(dir, { recursive: true });
  });

  it('entries sharing bytes are refused even when their sizes fit (DATA_NPY_BAD)', () => {
    const t0 = cpuMs();
    const e = (() => {
      try {
        readZip(sharedStreamZip(64, 2 ** 20), 'shared.npz', 2 ** 30);
      } catch (err) {
        return err as DataError;
      }
    })();
    expect(e?.code).toBe('DATA_NPY_BAD');
    expect(e?.message).toMatch(/share the same bytes/);
    expect(cpuMs() - t0).toBeLessThan(200);
  });
});

/** A folder of class folders `a` and `b`, each with `perClass` 4×4 grey PNGs; returns its path. */
function smallFolder(perClass: number): string {
  const root = mkdtempSync(path.join(tmpdir(), 'nw-folder-'));
  for (const [c, v] of [['a', 40], ['b', 200]] as const) {
    mkdirSync(path.join(root, c));
    for (let i = 0; i < perClass; i++) writeFileSync(path.join(root, c, `${i}.png`), encodePng(new Uint8Array(16).fill(v + i), 4, 4, 1));
  }
  return root;
}

/** A JPEG of 8 × 8 pixels whose frame header declares `width × height` (what the loader sees before decoding). */
let smallJpeg: Buffer | undefined;
function jpegDeclaring(width: number, height: number): Buffer {
  // jpeg-js's encoder builds its tables per call (~0.1 s): one image, patched per copy.
  const b = Buffer.from((smallJpeg ??= encodeJpeg(new Uint8Array(8 * 8 * 3).fill(128), 8, 8)));
  const sof = b.indexOf(Buffer.from([0xff, 0xc0]));
  b.writeUInt16BE(height, sof + 5);
  b.writeUInt16BE(width, sof + 7);
  return b;
}

/** Decoders that record the pixels each image declared, decoding the small ones with the real ones (a large one throws, as a damaged file would). */
function spyDecoders(seen: number[]): ImageDecoders {
  const note = (bytes: Uint8Array) => {
    const h = readImageHeader(bytes, Infinity);
    seen.push(typeof h === 'string' ? -1 : h.width * h.height);
    if (seen[seen.length - 1] > 64) throw new Error('not decoded by this spy');
  };
  return {
    png: (b) => (note(b), IMAGE_DECODERS.png(b)),
    jpeg: (b) => (note(b), IMAGE_DECODERS.jpeg(b)),
    webp: (b) => (note(b), IMAGE_DECODERS.webp(b)),
  };
}

const readAll = (s: SampleSource) => {
  const fs = s.featureShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(s.count * fs);
  s.read(Int32Array.from({ length: s.count }, (_, i) => i), out);
  return out;
};

describe('a streamed image folder stays within its memory budget', () => {
  it('an Input shape whose few samples are over the limit is refused (DATA_TOO_LARGE) before one is decoded', () => {
    const root = smallFolder(6);
    const t0 = cpuMs();
    // 12 images at [4, 4096, 4096]: 3 GiB as float32, so streamed; 8 samples of a preview are 2 GiB.
    expect(codeOf(() => loadSamples({ name: 'image-folder', options: { path: root, shape: [4, 4096, 4096] } }))).toBe('DATA_TOO_LARGE');
    expect(cpuMs() - t0).toBeLessThan(300);
    // At a quarter of that (8 samples: 512 MiB, the in-memory limit) the folder still streams.
    const ok = loadSamples({ name: 'image-folder', options: { path: root, shape: [1, 4096, 4096], memoryBudget: 1 } });
    expect(ok.memoryBudget).toBe(2 ** 20);
    expect(ok.train.count).toBe(12);
    rmSync(root, { recursive: true });
  });

  it('an image whose decoding alone is over the budget is refused from its header; fewer threads decode large ones', () => {
    const root = smallFolder(2);
    // 16 JPEGs declaring 8000 × 8000 (each ~2.2 GB to decode with jpeg-js), 700 bytes each on disk.
    for (let i = 0; i < 16; i++) writeFileSync(path.join(root, i % 2 ? 'a' : 'b', `huge-${i}.jpg`), jpegDeclaring(8000, 8000));
    // Two of 3000 × 3000 (~320 MB each): kept, but only one decoding thread fits them.
    for (const c of ['a', 'b']) writeFileSync(path.join(root, c, 'mid.jpg'), jpegDeclaring(3000, 3000));
    const seen: number[] = [];
    const t0 = cpuMs();
    const loaded = loadImageFolderSamples(root, { shape: [1, 4, 4], budgetBytes: 1, workers: 4, decoders: spyDecoders(seen) });
    const huge = loaded.report!.skipped.filter((s) => s.path.includes('huge-'));
    expect(huge).toHaveLength(16);
    expect(huge[0].reason).toMatch(/8000 × 8000 JPEG takes about .* to decode, over the 512 MiB the memory budget leaves for decoding/);
    expect(loaded.report!.notes.join(' ')).toMatch(/decoded in 1 worker thread,/);
    expect(loaded.train.count).toBe(6);
    const source = loaded.train as SampleSource;
    readAll(source);
    expect(Math.max(...seen)).toBeLessThanOrEqual(3000 * 3000);
    expect(cpuMs() - t0).toBeLessThan(1500);
    rmSync(root, { recursive: true });
  });

  it('a folder of nothing but such images is refused with its code from the headers, nothing decoded', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'nw-folder-'));
    for (const c of ['a', 'b']) {
      mkdirSync(path.join(root, c));
      for (let i = 0; i < 3; i++) writeFileSync(path.join(root, c, `${i}.jpg`), jpegDeclaring(8000, 8000));
    }
    const t0 = cpuMs();
    expect(codeOf(() => loadImageFolderSamples(root, { shape: [1, 4, 4], budgetBytes: 1 }))).toBe('DATA_IMAGES_EMPTY');
    // No shape given: the first image's, from its header ([3, 8000, 8000]: too large to stream).
    expect(codeOf(() => loadImageFolderSamples(root, { budgetBytes: 1 }))).toBe('DATA_TOO_LARGE');
    expect(cpuMs() - t0).toBeLessThan(300);
    rmSync(root, { recursive: true });
  });
});

describe('links in an image folder', () => {
  it('a link inside class a to class b\'s images is not followed (b keeps its label); nor a class folder linked to another', () => {
    const root = smallFolder(2);
    symlinkSync(path.join(root, 'b', '0.png'), path.join(root, 'a', 'stolen.png'));
    symlinkSync(path.join(root, 'b'), path.join(root, 'a', 'more'));
    symlinkSync(path.join(root, 'b'), path.join(root, 'c'));
    // A link that stays inside its class folder is still followed.
    symlinkSync(path.join(root, 'a', '0.png'), path.join(root, 'a', 'again.png'));
    const index = scanImageFolder(root);
    expect(index.classNames).toEqual(['a', 'b']);
    const asA = index.entries.filter((e) => e.label === 0).map((e) => e.rel).sort();
    expect(asA).toEqual(['a/0.png', 'a/1.png', 'a/again.png']);
    expect(index.entries.filter((e) => e.label === 1)).toHaveLength(2);
    const reasons = Object.fromEntries(index.skipped.map((s) => [s.path, s.reason]));
    expect(reasons['a/stolen.png']).toMatch(/out of its class folder/);
    expect(reasons['a/more']).toMatch(/out of its class folder/);
    expect(reasons.c).toMatch(/link to the folder of class "b"/);
    rmSync(root, { recursive: true });
  });

  it('a streamed folder does not follow a link planted after the scan (the image is fed as zeros and reported)', async () => {
    const root = smallFolder(3);
    const outside = mkdtempSync(path.join(tmpdir(), 'nw-outside-'));
    writeFileSync(path.join(outside, 'secret.png'), encodePng(new Uint8Array(16).fill(255), 4, 4, 1));
    for (const workers of [0, 1]) {
      releaseStreamedFolder();
      const loaded = loadImageFolderSamples(root, { shape: [1, 4, 4], budgetBytes: 1, workers });
      const source = loaded.train as SampleSource;
      const victim = source.files!.paths.indexOf('a/0.png');
      const file = path.join(root, 'a', '0.png');
      rmSync(file);
      symlinkSync(path.join(outside, 'secret.png'), file);
      if (source.load) await source.load(Int32Array.from({ length: source.count }, (_, i) => i));
      const out = readAll(source);
      expect(Array.from(out.subarray(victim * 16, victim * 16 + 16))).toEqual(new Array(16).fill(0));
      expect(source.skipped?.find((s) => s.path === 'a/0.png')).toMatchObject({ code: 'DATA_IMAGE_UNREADABLE', reason: expect.stringMatching(/became a link/) as unknown });
      rmSync(file);
      writeFileSync(file, encodePng(new Uint8Array(16).fill(40), 4, 4, 1));
    }
    rmSync(root, { recursive: true });
    rmSync(outside, { recursive: true });
  });
});

