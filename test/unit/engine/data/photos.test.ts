/**
 * Photos as PyTorch sees them (#46 item 5): JPEGs at 4:4:4, 4:2:2 and 4:2:0 (baseline,
 * progressive, grey) and WebPs (lossy, with alpha, lossless) of photographic content, made at test
 * time by Pillow (photos.py), decode to Pillow's pixels; every resize equals Pillow's
 * `Image.resize((w, h), Image.BILINEAR)` (torchvision's `Resize` on a PIL image) in L, RGB and
 * RGBA, shrinking (antialiased), stretching and one axis at a time; the decoding threads of a
 * streamed folder give the same samples; file to tensor equals torchvision's transforms on the same
 * file; damaged files are skipped with their coded reason.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageToSample, readImageHeader } from '../../../../src-engine/core/data/image';
import type { SampleSource } from '../../../../src-engine/core/data';
import { IMAGE_DECODERS } from '../../../../src-engine/node/image-decoders';
import { loadImageFolder } from '../../../../src-engine/node/image-folder';
import { loadImageFolderSamples, releaseStreamedFolder } from '../../../../src-engine/node/image-stream';
import { HAS_PILLOW, PILLOW_PYTHON, PILLOW_VERSION, photoFixtures, type PhotoFixture } from './photos';

const CHANNELS = { L: 1, RGB: 3, RGBA: 4 } as const;
const formatOf = (file: string) => (file.endsWith('.webp') ? 'webp' : file.endsWith('.png') ? 'png' : 'jpeg');

/** The largest |a − b| over two equal-length byte arrays, and how many differ. */
function diff(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; differ: number } {
  expect(a.length).toBe(b.length);
  let max = 0;
  let differ = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > 0) differ++;
    if (d > max) max = d;
  }
  return { max, differ };
}

describe.skipIf(!HAS_PILLOW)('photos decoded and resized as Pillow does', () => {
  let dir: string;
  let files: PhotoFixture[];
  beforeAll(() => ({ dir, files } = photoFixtures()));
  afterAll(() => releaseStreamedFolder());

  it('JPEG (4:4:4, 4:2:2, 4:2:0, progressive, grey, CMYK) and WebP (lossy, alpha, lossless) decode to Pillow\'s pixels within 1/255', () => {
    const table: Record<string, { max: number; differ: string }> = {};
    for (const f of files.filter((f) => !f.file.endsWith('.png'))) {
      const bytes = readFileSync(join(dir, f.file));
      const header = readImageHeader(bytes);
      expect(header, f.file).toMatchObject({ format: formatOf(f.file), width: f.width, height: f.height });
      const image = IMAGE_DECODERS[formatOf(f.file)](bytes);
      expect([image.width, image.height], f.file).toEqual([f.width, f.height]);
      const d = diff(image.data, readFileSync(join(dir, f.decoded)));
      table[f.file] = { max: d.max, differ: `${((100 * d.differ) / image.data.length).toFixed(2)} %` };
    }
    console.log('max |Δ| (of 255) against Pillow', PILLOW_VERSION, table);
    for (const [file, d] of Object.entries(table)) expect(d.max, file).toBeLessThanOrEqual(1);
    expect(Object.keys(table).filter((f) => /-(444|422|420)-\d/.test(f))).toHaveLength(6);
    expect(table['photo-cmyk-128x96.jpg']).toBeDefined();
  });

  it('every resize is Pillow\'s bilinear (antialiased when shrinking) in L, RGB and RGBA, to the bit', () => {
    let checked = 0;
    for (const f of files) {
      // Pillow's own decode as the input: what is compared here is the conversion alone.
      const image = { width: f.width, height: f.height, data: new Uint8Array(readFileSync(join(dir, f.decoded))) };
      for (const r of f.resized) {
        const c = CHANNELS[r.mode];
        const out = new Float32Array(c * r.width * r.height);
        imageToSample(image, [c, r.height, r.width], out);
        const ref = readFileSync(join(dir, r.file));
        const plane = r.width * r.height;
        // Pillow's bytes / 255 as float32, channel planes: what ToTensor() makes of them.
        const want = Float32Array.from({ length: out.length }, (_, i) => ref[(i % plane) * c + Math.floor(i / plane)] / 255);
        expect(diff(out, want).differ, `${f.file} ${r.mode} ${r.width}×${r.height}`).toBe(0);
        checked++;
      }
    }
    expect(checked).toBe(7 * 3 + 2 * 2);
  });

  it('file to tensor, as torchvision\'s transforms make it from the same file (Grayscale, Resize, ToTensor), bit for bit', (ctx) => {
    const cases = [
      ['photo-420-257x193.jpg', 3, 48, 64],
      ['photo-422-257x193.jpg', 1, 32, 32],
      ['photo-444-128x96.jpg', 3, 120, 160],
      ['photo-lossy-200x150.webp', 3, 30, 100],
    ] as const;
    const out = mkdtempSync(join(tmpdir(), 'nw-photos-tv-'));
    const script = `import sys, json, numpy as np, torchvision.transforms as T
from PIL import Image
for i, (f, c, h, w) in enumerate(json.loads(sys.argv[1])):
    t = T.Compose(([T.Grayscale()] if c == 1 else []) + [T.Resize((h, w)), T.ToTensor()])
    with Image.open(sys.argv[2] + '/' + f) as im:
        t(im.convert('RGB')).numpy().astype(np.float32).tofile(sys.argv[3] + f'/{i}.f32')`;
    const r = spawnSync(PILLOW_PYTHON, ['-c', script, JSON.stringify(cases), dir, out], { encoding: 'utf8', timeout: 60_000 });
    // No torchvision here (a test tool, never a runtime dependency): nothing to compare with.
    if (/No module named '(torchvision|torch)'/.test(r.stderr)) return ctx.skip();
    expect(r.status, r.stderr).toBe(0);
    cases.forEach(([file, c, h, w], i) => {
      const sample = new Float32Array(c * h * w);
      imageToSample(IMAGE_DECODERS[formatOf(file)](readFileSync(join(dir, file))), [c, h, w], sample);
      const tv = readFileSync(join(out, `${i}.f32`));
      expect(diff(sample, new Float32Array(tv.buffer, tv.byteOffset, tv.byteLength / 4)).differ, `${file} at [${c}, ${h}, ${w}]`).toBe(0);
    });
  });

  it('a streamed folder\'s decoding threads give the samples the loop\'s thread gives', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nw-photos-stream-'));
    for (const [cls, pick] of [['jpeg', /\.jpg$/], ['webp', /\.webp$/]] as const) {
      mkdirSync(join(root, cls));
      for (const f of files.filter((f) => pick.test(f.file))) copyFileSync(join(dir, f.file), join(root, cls, f.file));
    }
    const shape = [3, 24, 32];
    const held = loadImageFolder(root, { shape });
    expect(held.report?.skipped).toEqual([]);
    const streamed = loadImageFolderSamples(root, { shape, budgetBytes: 4096, workers: 1 });
    const source = streamed.train as SampleSource;
    expect(source.load).toBeDefined();
    const all = Int32Array.from({ length: source.count }, (_, i) => i);
    await source.load!(all);
    const out = new Float32Array(held.train.features.length);
    source.read(all, out);
    expect(source.skipped).toEqual([]);
    expect(diff(out, held.train.features).differ).toBe(0);
  });

  it('a damaged JPEG or WebP is skipped with its reason, in memory and streamed (DATA_IMAGE_UNREADABLE)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nw-photos-bad-'));
    const jpeg = readFileSync(join(dir, 'photo-420-128x96.jpg'));
    const webp = readFileSync(join(dir, 'photo-lossless-200x150.webp'));
    mkdirSync(join(root, 'good'));
    mkdirSync(join(root, 'bad'));
    copyFileSync(join(dir, 'photo-420-128x96.jpg'), join(root, 'good', 'a.jpg'));
    copyFileSync(join(dir, 'photo-lossy-200x150.webp'), join(root, 'bad', 'b.webp'));
    const scribbled = Buffer.from(jpeg);
    scribbled.fill(0x12, 700, 900);
    const write = (name: string, b: Uint8Array) => writeFileSync(join(root, 'bad', name), b);
    write('cut.jpg', jpeg.subarray(0, 1200));
    write('scribbled.jpg', scribbled);
    write('no-scan.jpg', Buffer.concat([jpeg.subarray(0, 200), Buffer.alloc(50, 0xff)]));
    write('cut.webp', webp.subarray(0, 500));
    const shape = [3, 8, 8];
    const held = loadImageFolder(root, { shape });
    const reasons = Object.fromEntries(held.report!.skipped.map((s) => [s.path, s.reason]));
    expect(reasons['bad/cut.jpg']).toMatch(/^damaged JPEG \(Premature end of JPEG file\)/);
    expect(reasons['bad/scribbled.jpg']).toMatch(/^damaged JPEG \(.*(Corrupt JPEG data|Premature end)/);
    expect(reasons['bad/no-scan.jpg']).toMatch(/^damaged JPEG \(/);
    expect(reasons['bad/cut.webp']).toMatch(/^damaged WEBP \(/);
    expect(held.train.count).toBe(2);
    // The decoder starts afresh after a failure: the good files read after the bad ones are right.
    expect(diff(IMAGE_DECODERS.jpeg(jpeg).data, readFileSync(join(dir, 'photo-420-128x96.jpg.rgba'))).max).toBeLessThanOrEqual(1);

    // Streamed, the headers pass (they are whole); the threads meet the damage when the batch is read.
    const source = loadImageFolderSamples(root, { shape, budgetBytes: 64, workers: 1 }).train as SampleSource;
    const all = Int32Array.from({ length: source.count }, (_, i) => i);
    await source.load!(all);
    source.read(all, new Float32Array(source.count * 3 * 8 * 8));
    expect(source.skipped.map((s) => s.code)).toEqual(Array(4).fill('DATA_IMAGE_UNREADABLE'));
    expect(source.skipped.map((s) => s.path).sort()).toEqual(['bad/cut.jpg', 'bad/cut.webp', 'bad/no-scan.jpg', 'bad/scribbled.jpg']);
    for (const s of source.skipped) expect(s.reason).toMatch(s.path.endsWith('.jpg') ? /^damaged JPEG \(/ : /^damaged WEBP \(/);
  });
});
