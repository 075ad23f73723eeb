import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src-engine/base/rng';
import { csvTable, imageToSample, parseCsvRows, parseNpy, prepareData, readImageHeader } from '../../../../src-engine/core/data';
import type { Dataset , DataError} from '../../../../src-engine/core/data';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { IMAGE_DECODERS } from '../../../../src-engine/node/image-decoders';
import { imageFolderSource, loadImageFolder, scanImageFolder } from '../../../../src-engine/node/image-folder';
import { npyPairDataset, npyTargetsPath, npzDataset, readZip } from '../../../../src-engine/node/npz';
import { encodeJpeg, encodePng, npy, zip } from './user-data-fixtures';

const tmp = () => mkdtempSync(join(tmpdir(), 'nw-userdata-'));
function caught(fn: () => unknown): DataError | undefined {
  try {
    fn();
  } catch (e) {
    return e as DataError;
  }
  return undefined;
}
/** A solid w×h RGB PNG. */
const solid = (rgb: [number, number, number], w = 4, h = 4) => encodePng(Uint8Array.from({ length: w * h * 3 }, (_, i) => rgb[i % 3]), w, h, 3);

describe('image headers are read before anything is decoded', () => {
  it('zero-byte, corrupt and bomb files get a reason; a good PNG its size and colour', () => {
    expect(readImageHeader(new Uint8Array(0))).toMatch(/empty file/);
    expect(readImageHeader(Buffer.from('GIF89a not ours'))).toMatch(/not a PNG, JPEG or WebP/);
    expect(readImageHeader(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]))).toMatch(/truncated PNG/);
    expect(readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00]))).toMatch(/JPEG/);
    // 40,000 × 40,000 declared in a file of a few dozen bytes: refused from the header.
    const bomb = encodePng(new Uint8Array(3), 1, 1, 3, { width: 40_000, height: 40_000 });
    expect(bomb.length).toBeLessThan(100);
    expect(readImageHeader(bomb)).toMatch(/40000 × 40000 pixels, over the limit of [\d,]+ \(refused before decoding/);
    expect(readImageHeader(solid([10, 20, 30], 5, 3))).toEqual({ format: 'png', width: 5, height: 3, colour: true });
    expect(readImageHeader(encodePng(new Uint8Array(4), 2, 2, 1))).toMatchObject({ colour: false });
  });
});

describe('images become samples at the Input shape', () => {
  const rgba = (w: number, h: number, f: (x: number, y: number) => [number, number, number]) => {
    const data = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([...f(x, y), 255], (y * w + x) * 4);
    return { width: w, height: h, data };
  };

  it('grey is the ITU-R 601 luma (PIL\'s integer "L"); colour keeps R, G, B planes; same size is copied', () => {
    const img = rgba(2, 1, (x) => (x === 0 ? [255, 0, 0] : [0, 0, 255]));
    const grey = new Float32Array(2);
    imageToSample(img, [1, 1, 2], grey);
    // Pillow: Image.frombytes('RGB', (2, 1), bytes([255, 0, 0, 0, 0, 255])).convert('L') is [76, 29].
    expect(Array.from(grey)).toEqual([Math.fround(76 / 255), Math.fround(29 / 255)]);
    const rgb = new Float32Array(6);
    imageToSample(img, [3, 1, 2], rgb);
    expect(Array.from(rgb)).toEqual([1, 0, 0, 0, 0, 1]);
  });

  it('resizes as PIL\'s bilinear (torchvision Resize on a PIL image): antialiased when shrinking', () => {
    // A 2-pixel ramp 0 → 255 stretched to 4; Pillow gives [0, 64, 191, 255].
    const ramp = rgba(2, 1, (x) => (x === 0 ? [0, 0, 0] : [255, 255, 255]));
    const out = new Float32Array(4);
    imageToSample(ramp, [1, 1, 4], out);
    expect(Array.from(out)).toEqual([0, 64, 191, 255].map((v) => Math.fround(v / 255)));
    // Every 4th pixel lit, shrunk 4×: plain bilinear samples between the lit pixels and sees none
    // (aliasing); PIL's filter, 4 pixels wide each side, sees them. Pillow gives [73, 46].
    const dots = rgba(8, 1, (x) => (x % 4 === 0 ? [255, 255, 255] : [0, 0, 0]));
    const small = new Float32Array(2);
    imageToSample(dots, [1, 1, 2], small);
    expect(Array.from(small)).toEqual([73, 46].map((v) => Math.fround(v / 255)));
  });
});

describe('image folders: bad input is a coded error or a listed skip', () => {
  it('an empty folder → DATA_IMAGES_EMPTY; one class → DATA_IMAGES_ONE_CLASS', () => {
    const empty = tmp();
    expect(caught(() => scanImageFolder(empty))?.code).toBe('DATA_IMAGES_EMPTY');
    mkdirSync(join(empty, 'cats'));
    writeFileSync(join(empty, 'cats', 'readme.txt'), 'no images');
    const e = caught(() => scanImageFolder(empty));
    expect(e?.code).toBe('DATA_IMAGES_EMPTY');
    expect(e?.message).toMatch(/cats\/readme.txt: not a PNG, JPEG or WebP/);
    const one = tmp();
    mkdirSync(join(one, 'cats'));
    writeFileSync(join(one, 'cats', 'a.png'), solid([1, 2, 3]));
    expect(caught(() => scanImageFolder(one))?.code).toBe('DATA_IMAGES_ONE_CLASS');
  });

  it('links leading outside the chosen folder are not followed, and are listed', () => {
    const root = tmp();
    const outside = tmp();
    writeFileSync(join(outside, 'secret.png'), solid([9, 9, 9]));
    mkdirSync(join(outside, 'more'));
    writeFileSync(join(outside, 'more', 'x.png'), solid([9, 9, 9]));
    for (const c of ['a', 'b']) {
      mkdirSync(join(root, c));
      writeFileSync(join(root, c, '1.png'), solid([1, 2, 3]));
    }
    symlinkSync(join(outside, 'secret.png'), join(root, 'a', 'leak.png'));
    symlinkSync(join(outside, 'more'), join(root, 'c'));
    // A link that stays inside is read like the file it points to.
    symlinkSync(join(root, 'b', '1.png'), join(root, 'b', 'again.png'));
    const index = scanImageFolder(root);
    expect(index.classNames).toEqual(['a', 'b']);
    expect(index.entries.map((e) => e.rel).sort()).toEqual(['a/1.png', 'b/1.png', 'b/again.png']);
    expect(index.skipped).toEqual(
      expect.arrayContaining([
        { path: 'a/leak.png', reason: expect.stringMatching(/outside the chosen folder/) },
        { path: 'c', reason: expect.stringMatching(/outside the chosen folder/) },
      ]),
    );
  });

  it('train/ val/ test/ on top: classes from train/, each split its own set', () => {
    const root = tmp();
    for (const [split, classes] of [['train', ['b', 'a']], ['val', ['a']], ['test', ['a', 'b', 'z']]] as const) {
      for (const c of classes) {
        mkdirSync(join(root, split, c), { recursive: true });
        writeFileSync(join(root, split, c, 'x.png'), solid([1, 2, 3]));
      }
    }
    writeFileSync(join(root, 'README.txt'), 'about');
    const index = scanImageFolder(root);
    expect(index.classNames).toEqual(['a', 'b']);
    expect(index.entries.map((e) => `${e.split}:${e.label}`).sort()).toEqual(['test:0', 'test:1', 'train:0', 'train:1', 'val:0']);
    expect(index.skipped).toEqual([
      { path: 'README.txt', reason: expect.stringMatching(/beside train\//) },
      { path: 'test/z', reason: 'class "z" has no folder in train/' },
    ]);
  });

  it('corrupt, zero-byte and bomb images are skipped with the reason; the bomb is never decoded', () => {
    const root = tmp();
    for (const c of ['red', 'blue']) mkdirSync(join(root, c));
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(root, 'red', `${i}.png`), solid([255, 0, 0], 8, 6));
      writeFileSync(join(root, 'blue', `${i}.png`), solid([0, 0, 255], 5, 5));
    }
    writeFileSync(join(root, 'red', 'zero.png'), new Uint8Array(0));
    const good = solid([255, 0, 0]);
    writeFileSync(join(root, 'red', 'cut.png'), good.subarray(0, good.length - 20));
    writeFileSync(join(root, 'red', 'cut.jpg'), encodeJpeg(Uint8Array.from({ length: 8 * 8 * 3 }, (_, i) => (i * 37) % 256), 8, 8).subarray(0, 200));
    writeFileSync(join(root, 'blue', 'bomb.png'), encodePng(new Uint8Array(3), 1, 1, 3, { width: 40_000, height: 40_000 }));
    const decoded: number[] = [];
    const spy = {
      ...IMAGE_DECODERS,
      png: (b: Uint8Array) => {
        decoded.push(b.length);
        return IMAGE_DECODERS.png(b);
      },
    };
    const loaded = loadImageFolder(root, { shape: [1, 4, 4], decoders: spy });
    expect(loaded.train.count).toBe(6);
    expect(loaded.train.classNames).toEqual(['blue', 'red']);
    expect(loaded.report?.classCounts).toEqual({ blue: 3, red: 3 });
    const reasons = Object.fromEntries(loaded.report!.skipped.map((s) => [s.path, s.reason]));
    expect(reasons['red/zero.png']).toMatch(/empty file/);
    expect(reasons['red/cut.png']).toMatch(/damaged PNG/);
    expect(reasons['red/cut.jpg']).toMatch(/damaged JPEG/);
    expect(reasons['blue/bomb.png']).toMatch(/refused before decoding/);
    expect(decoded.every((n) => n > 30 && n !== 0)).toBe(true);
    expect(decoded).toHaveLength(7); // 6 good + the truncated one; not the empty file, not the bomb
    // Resized to 4×4 and turned grey: blue is PIL's luma 29/255, red 76/255, everywhere.
    const first = (cls: number) => loaded.train.features.subarray(Array.from(loaded.train.targets).indexOf(cls) * 16, Array.from(loaded.train.targets).indexOf(cls) * 16 + 16);
    for (const v of first(0)) expect(v).toBe(Math.fround(29 / 255));
    for (const v of first(1)) expect(v).toBe(Math.fround(76 / 255));
    // The same folder again: the same fingerprint; one byte changed: another.
    const again = loadImageFolder(root, { shape: [1, 4, 4], decoders: spy });
    expect(again.report?.fingerprint).toBe(loaded.report?.fingerprint);
    writeFileSync(join(root, 'blue', '0.png'), solid([0, 0, 254], 5, 5));
    expect(loadImageFolder(root, { shape: [1, 4, 4], decoders: spy }).report?.fingerprint).not.toBe(loaded.report?.fingerprint);
  });
});

describe('the last image folder loaded is reused while its files are unchanged', () => {
  it('same paths, sizes and times and the same shape: the same arrays; a file rewritten or another shape: decoded again', () => {
    const root = tmp();
    for (const c of ['a', 'b']) {
      mkdirSync(join(root, c));
      writeFileSync(join(root, c, '1.png'), solid([1, 2, 3]));
    }
    const first = loadImageFolder(root, { shape: [1, 4, 4] });
    expect(loadImageFolder(root, { shape: [1, 4, 4] })).toBe(first);
    const other = loadImageFolder(root, { shape: [3, 4, 4] });
    expect(other).not.toBe(first);
    writeFileSync(join(root, 'b', '1.png'), solid([250, 2, 3], 5, 5));
    const again = loadImageFolder(root, { shape: [3, 4, 4] });
    expect(again).not.toBe(other);
    expect(again.report?.fingerprint).not.toBe(other.report?.fingerprint);
  });
});

describe('an image folder read by index (the streaming interface)', () => {
  it('gives the samples the in-memory loader gives, keeps at most its cache budget, and feeds a file damaged since the scan as zeros, listed', () => {
    const root = tmp();
    for (const [c, rgb] of [['a', [200, 10, 10]], ['b', [10, 10, 200]]] as const) {
      mkdirSync(join(root, c));
      for (let i = 0; i < 5; i++) writeFileSync(join(root, c, `${i}.png`), solid([rgb[0], rgb[1] + 20 * i, rgb[2]], 6, 6));
    }
    const shape = [3, 4, 4];
    const loaded = loadImageFolder(root, { shape });
    const source = imageFolderSource(scanImageFolder(root), shape, 'train', { cacheBytes: 3 * 48 * 4 });
    expect(source.count).toBe(10);
    expect(Array.from(source.targets)).toEqual(Array.from(loaded.train.targets));
    const out = new Float32Array(10 * 48);
    source.read([9, 0, 4], out.subarray(0, 3 * 48));
    expect(Array.from(out.subarray(0, 48))).toEqual(Array.from(loaded.train.features.subarray(9 * 48, 10 * 48)));
    expect(Array.from(out.subarray(48, 96))).toEqual(Array.from(loaded.train.features.subarray(0, 48)));
    source.read([1, 2, 3, 5, 6, 7, 8], out);
    expect(source.cachedSamples()).toBe(3);
    writeFileSync(join(root, 'b', '4.png'), new Uint8Array(10));
    source.read([9], out);
    expect(Array.from(out.subarray(0, 48)).every((v) => v === 0)).toBe(true);
    expect(source.skipped).toEqual([{ path: 'b/4.png', reason: 'not a PNG, JPEG or WebP image (unknown signature)' }]);
  });
});

describe('per-channel normalisation', () => {
  it('is fitted on the training split, one mean/std per channel, and saved as per-feature figures', () => {
    const n = 40;
    const features = new Float32Array(n * 2 * 2 * 2);
    const rng = new Rng(3);
    for (let i = 0; i < n; i++) for (let p = 0; p < 4; p++) {
      features[i * 8 + p] = 0.2 + 0.1 * rng.normal();
      features[i * 8 + 4 + p] = 0.7 + 0.3 * rng.normal();
    }
    const ds: Dataset = { name: 'imgs', task: 'classification', count: n, features, featureShape: [2, 2, 2], targets: Float32Array.from({ length: n }, (_, i) => i % 2), targetShape: [], numClasses: 2, classNames: ['a', 'b'] };
    const prep = prepareData({ train: ds }, { name: 'image-folder', validationSplit: 0 }, 1);
    const norm = prep.normalization!;
    expect(norm.kind).toBe('per-feature');
    expect(norm.mean).toHaveLength(8);
    expect(new Set(norm.mean.slice(0, 4)).size).toBe(1);
    expect(new Set(norm.std.slice(4)).size).toBe(1);
    for (const k of [0, 1]) {
      const vals = Array.from({ length: prep.train.count * 4 }, (_, j) => prep.train.features[Math.floor(j / 4) * 8 + k * 4 + (j % 4)]);
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length);
      expect(mean).toBeCloseTo(0, 5);
      expect(sd).toBeCloseTo(1, 4);
    }
  });
});

describe('tables', () => {
  const CSV = ['age,city,income,smoker,label', '30,Paris,50,yes,ok', ',Lyon,40,no,bad', '50,,NA,yes,ok', '40,Paris,60,,bad', '35,Lyon,55,no,ok', '45,Paris,45,yes,'].join('\n');

  it('text columns are one-hot encoded; missing cells are counted per column', () => {
    const t = csvTable(CSV, { targetColumn: 'label', missing: 'mean' });
    expect(t.droppedRows).toBe(1); // the row with no label
    expect(t.columns.map((c) => [c.name, c.role, c.kind, c.missing])).toEqual([
      ['age', 'feature', 'numeric', 1],
      ['city', 'feature', 'categorical', 1],
      ['income', 'feature', 'numeric', 1],
      ['smoker', 'feature', 'categorical', 1],
      ['label', 'target', 'categorical', 0],
    ]);
    const ds = t.dataset;
    expect(ds.featureNames).toEqual(['age', 'city=Lyon', 'city=Paris', 'income', 'smoker=no', 'smoker=yes']);
    expect(ds.task).toBe('classification');
    expect(ds.classNames).toEqual(['bad', 'ok']);
    const row = (r: number) => Array.from(ds.features.subarray(r * 6, r * 6 + 6));
    // Row 2: age missing → mean of 30, 50, 40, 35 = 38.75 (the unlabelled row is gone). Row 3: city
    // missing → most frequent (Lyon and Paris twice each: the first in sorted order); income → mean of 50, 40, 60, 55 = 51.25.
    expect(row(1)).toEqual([38.75, 1, 0, 40, 1, 0]);
    expect(row(2)).toEqual([50, 1, 0, 51.25, 0, 1]);
  });

  it('each missing-value policy', () => {
    const base = { targetColumn: 'label' } as const;
    expect(caught(() => csvTable(CSV, base))?.code).toBe('DATA_NAN');
    expect(caught(() => csvTable(CSV, base))?.message).toMatch(/[Cc]hoose a missing-value policy/);
    expect(caught(() => csvTable(CSV, base))?.message).not.toMatch(/options\.missing/);
    expect(caught(() => csvTable(CSV, base))?.option).toBe('missing');
    expect(csvTable(CSV, { ...base, missing: 'drop' }).dataset.count).toBe(2);
    expect(csvTable(CSV, { ...base, missing: 'drop' }).droppedRows).toBe(4);
    const med = csvTable(CSV, { ...base, missing: 'median' }).dataset;
    expect(med.features[6]).toBe(37.5);
    const ind = csvTable(CSV, { ...base, missing: 'indicator' }).dataset;
    expect(ind.featureNames).toEqual(['age', 'age missing', 'city=Lyon', 'city=Paris', 'city missing', 'income', 'income missing', 'smoker=no', 'smoker=yes', 'smoker missing']);
    // Row 3 (city missing): an all-zero one-hot and the indicator.
    expect(Array.from(ind.features.subarray(20, 30))).toEqual([50, 0, 0, 0, 1, 51.25, 1, 0, 1, 0]);
    const idx = csvTable(CSV, { ...base, missing: 'most-frequent', categorical: 'index', roles: { income: 'ignore' } }).dataset;
    expect(idx.featureNames).toEqual(['age', 'city', 'smoker']);
  });

  it('regression from a float target; stratified test splits keep class proportions', () => {
    const rows = ['x,cls,y', ...Array.from({ length: 100 }, (_, i) => `${i},${i < 80 ? 'common' : 'rare'},${(i * 0.37).toFixed(2)}`)].join('\n');
    expect(csvTable(rows, { targetColumn: 'y' }).dataset.task).toBe('regression');
    const ds = csvTable(rows, { targetColumn: 'cls' }).dataset;
    const prep = prepareData({ train: ds }, { name: 'csv', validationSplit: 0, options: { testSplit: 0.2 } }, 3);
    const rare = Array.from(prep.test.targets).filter((v) => v === 1).length;
    expect(prep.test.count).toBe(20);
    expect(rare).toBe(4);
  });

  it('ragged rows and a huge line are refused with the line number, before the line is held', () => {
    expect(caught(() => csvTable('a,b,c\n1,2,3\n4,5\n'))?.message).toMatch(/line 3 has 2 fields/);
    const e = caught(() => parseCsvRows(`a,b\n1,${'9'.repeat(2_000_000)}\n`));
    expect(e?.code).toBe('DATA_CSV_BAD_ROW');
    expect(e?.message).toMatch(/line 2: a row longer than 1,000,000 characters/);
  });

  it('too many categories in a text column → DATA_CSV_TOO_MANY_CATEGORIES, naming the column by number', () => {
    const rows = ['id,x,y', ...Array.from({ length: 150 }, (_, i) => `id${i},${i},${i % 2}`)].join('\n');
    const e = caught(() => csvTable(rows));
    expect(e?.code).toBe('DATA_CSV_TOO_MANY_CATEGORIES');
    expect(e?.message).toMatch(/column 1 has 150 distinct/);
    expect(csvTable(rows, { roles: { id: 'ignore' }, header: true }).columns[0].role).toBe('ignore');
  });

  it('a .tsv file is tab-separated', () => {
    const file = join(tmp(), 't.tsv');
    writeFileSync(file, 'a\tb\tlabel\n1\t2\tx\n3\t4\ty\n');
    const { train } = loadDataset({ name: 'csv', options: { path: file } });
    expect(train.featureShape).toEqual([2]);
    expect(train.classNames).toEqual(['x', 'y']);
  });

  it('a saved fingerprint that no longer matches → DATA_CHANGED', () => {
    const dir = tmp();
    const file = join(dir, 't.csv');
    writeFileSync(file, 'a,b\n1,x\n2,y\n');
    const first = loadDataset({ name: 'csv', options: { path: file } });
    const fp = first.report!.fingerprint;
    expect(loadDataset({ name: 'csv', options: { path: file, fingerprint: fp } }).train.count).toBe(2);
    writeFileSync(file, 'a,b\n1,x\n3,y\n');
    expect(caught(() => loadDataset({ name: 'csv', options: { path: file, fingerprint: fp } }))?.code).toBe('DATA_CHANGED');
  });
});

describe('NumPy arrays', () => {
  it('.npz (stored or deflated): float x, int64 y → a classification set; uint8 [N, H, W] images → [1, H, W] in 0–1', () => {
    for (const deflate of [false, true]) {
      const file = zip({ 'x.npy': npy('<f4', [3, 2], [1, 2, 3, 4, 5, 6]), 'y.npy': npy('<i8', [3], [0, 2, 1]) }, deflate);
      const { train, report } = npzDataset(file, { name: 'a.npz' });
      expect(train.task).toBe('classification');
      expect(train.featureShape).toEqual([2]);
      expect(Array.from(train.features)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(train.numClasses).toBe(3);
      expect(report?.classCounts).toEqual({ 0: 1, 1: 1, 2: 1 });
    }
    const imgs = zip({ 'x.npy': npy('|u1', [2, 2, 2], [0, 255, 51, 0, 0, 0, 0, 255]), 'y.npy': npy('<f8', [2], [0.5, 1.5]) }, true);
    const r = npzDataset(imgs).train;
    expect(r.featureShape).toEqual([1, 2, 2]);
    expect(r.features[2]).toBeCloseTo(0.2, 6);
    expect(r.task).toBe('regression');
    expect(r.targetShape).toEqual([1]);
  });

  it('.npy pairs: features and targets in two files, the targets found by name beside the features; the fingerprint covers both', () => {
    const have = new Set(['/d/X_train.npy', '/d/y_train.npy', '/d/digits-x.npy', '/d/digits-y.npy', '/d/features.npy', '/d/targets.npy', '/d/data.npy', '/d/x.npy']);
    const exists = (p: string) => have.has(p);
    expect(npyTargetsPath('/d/X_train.npy', exists)).toBe('/d/y_train.npy');
    expect(npyTargetsPath('/d/digits-x.npy', exists)).toBe('/d/digits-y.npy');
    expect(npyTargetsPath('/d/features.npy', exists)).toBe('/d/targets.npy');
    expect(npyTargetsPath('/d/data.npy', exists)).toBe('/d/targets.npy');
    // No pair beside it (x.npy's y.npy is missing; "max.npy" has no x of its own): nothing.
    expect(npyTargetsPath('/d/x.npy', exists)).toBeUndefined();
    expect(npyTargetsPath('/d/max.npy', exists)).toBeUndefined();
    const x = npy('<f4', [3, 2], [1, 2, 3, 4, 5, 6]);
    const y = npy('<i8', [3], [0, 2, 1]);
    const { train, report } = npyPairDataset(x, y, { name: 'x.npy' });
    expect(train).toMatchObject({ task: 'classification', featureShape: [2], numClasses: 3 });
    expect(Array.from(train.features)).toEqual([1, 2, 3, 4, 5, 6]);
    // The same x with other targets: another fingerprint (a changed label file is noticed).
    const y2 = npy('<i8', [3], [1, 2, 1]);
    expect(npyPairDataset(x, y2).report!.fingerprint).not.toBe(report!.fingerprint);
    expect(caught(() => npyPairDataset(x, npy('<i8', [2], [0, 1])))?.code).toBe('DATA_IDX_MISMATCH');
  });

  it('a header that lies about its shape, a damaged zip and missing arrays are coded errors', () => {
    const lying = npy('<f4', [10, 4], new Array(40).fill(1), [100_000, 4]);
    const e = caught(() => parseNpy(lying, 'x'));
    expect(e?.code).toBe('DATA_NPY_BAD');
    expect(e?.message).toMatch(/declares shape \(100000, 4\).*1,600,000 bytes, but the file holds 160/);
    expect(caught(() => npzDataset(zip({ 'x.npy': lying, 'y.npy': npy('<i8', [10], new Array(10).fill(0)) }, true)))?.code).toBe('DATA_NPY_BAD');
    expect(caught(() => readZip(Buffer.from('not a zip at all, just some text here'), 'a.npz'))?.code).toBe('DATA_NPY_BAD');
    const good = zip({ 'x.npy': npy('<f4', [1, 1], [1]) }, true);
    expect(caught(() => readZip(good.subarray(0, good.length - 30), 'a.npz'))?.code).toBe('DATA_NPY_BAD');
    expect(caught(() => npzDataset(good))?.code).toBe('DATA_NOT_FOUND');
    // A deflated member larger than its header says stops at the declared size.
    const big = zip({ 'x.npy': npy('<f4', [1000], new Array(1000).fill(0)) }, true);
    big.writeUInt32LE(100, big.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 24);
    expect(caught(() => readZip(big, 'a.npz'))?.message).toMatch(/does not decompress/);
  });

  it('an .npz is read by the ZIP reader torch.save files are read by: a name listed twice or an encrypted member is DATA_NPY_BAD', () => {
    const pair = () => zip({ 'x.npy': npy('<f4', [1, 1], [1]), 'y.npy': npy('<i8', [1], [0]) }, false);
    // Both members named x.npy: which one is the features was the last one's, silently.
    const twice = pair();
    for (let at = twice.indexOf('y.npy'); at >= 0; at = twice.indexOf('y.npy', at + 1)) twice[at] = 'x'.charCodeAt(0);
    expect(caught(() => readZip(twice, 'a.npz'))).toMatchObject({ code: 'DATA_NPY_BAD', message: expect.stringContaining('it lists "x.npy" twice') });
    const encrypted = pair();
    encrypted.writeUInt16LE(1, encrypted.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 8);
    expect(caught(() => readZip(encrypted, 'a.npz'))).toMatchObject({ code: 'DATA_NPY_BAD', message: expect.stringContaining('"x.npy" is encrypted') });
  });
});
