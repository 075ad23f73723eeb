import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  BatchFeeder,
  DataError,
  applyNormalization,
  checkDataset,
  csvDataset,
  csvTable,
  fitNormalization,
  loadBuiltinDataset,
  parseCsvRows,
  parseIdx,
  prepareData,
  shuffleInto,
  stratifiedSplit,
  syntheticDataset,
} from '../../../../src-engine/core/data';
import type { Dataset } from '../../../../src-engine/core/data';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { sniffDelimiter } from '../../../../src-engine/core/data/csv';
import { Rng } from '../../../../src-engine/base/rng';

function idxBytes(type: number, dims: number[], values: number[], bytesPer = 1): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + values.length * bytesPer);
  const v = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const base = 4 + 4 * dims.length;
  values.forEach((x, i) => {
    if (type === 0x08) out[base + i] = x;
    else if (type === 0x0d) v.setFloat32(base + 4 * i, x, false);
    else if (type === 0x0c) v.setInt32(base + 4 * i, x, false);
  });
  return out;
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return (e as DataError).code;
  }
  return undefined;
}

describe('IDX parser', () => {
  it('reads ubyte, int32 and float32 arrays, big-endian', () => {
    expect(parseIdx(idxBytes(0x08, [2, 3], [0, 1, 2, 253, 254, 255]))).toEqual({ dims: [2, 3], data: Float32Array.from([0, 1, 2, 253, 254, 255]) });
    expect(parseIdx(idxBytes(0x0c, [2], [-7, 70000], 4)).data).toEqual(Float32Array.from([-7, 70000]));
    expect(parseIdx(idxBytes(0x0d, [1], [1.5], 4)).data[0]).toBe(1.5);
  });

  it('rejects corrupt files with stable codes', () => {
    const good = idxBytes(0x08, [2, 2], [1, 2, 3, 4]);
    expect(codeOf(() => parseIdx(good.subarray(0, 2)))).toBe('DATA_IDX_TRUNCATED');
    expect(codeOf(() => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 1, 0])))).toBe('DATA_IDX_BAD_MAGIC');
    expect(codeOf(() => parseIdx(gzipSync(good)))).toBe('DATA_IDX_BAD_MAGIC');
    const badType = good.slice();
    badType[2] = 0x07;
    expect(codeOf(() => parseIdx(badType))).toBe('DATA_IDX_BAD_TYPE');
    expect(codeOf(() => parseIdx(good.subarray(0, good.length - 1)))).toBe('DATA_IDX_BAD_LENGTH');
    expect(codeOf(() => parseIdx(idxBytes(0x08, [0], [])))).toBe('DATA_IDX_BAD_DIMS');
    expect(codeOf(() => parseIdx(good.subarray(0, 9)))).toBe('DATA_IDX_TRUNCATED');
  });

  it('loads an IDX folder (gz or raw) and says how to get Fashion-MNIST when missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-idx-'));
    const img = idxBytes(0x08, [2, 2, 2], [0, 255, 51, 0, 255, 255, 0, 0]);
    const lab = idxBytes(0x08, [2], [3, 7]);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(img));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), lab);
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), img);
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(lab));
    const loaded = loadDataset({ name: 'fashion-mnist', options: { dir } });
    expect(loaded.train.count).toBe(2);
    expect(loaded.train.featureShape).toEqual([1, 2, 2]);
    expect(loaded.train.features.subarray(0, 4)).toEqual(Float32Array.from([0, 1, 51 / 255, 0]));
    expect(Array.from(loaded.test!.targets)).toEqual([3, 7]);
    expect(loaded.train.classNames[7]).toBe('Sneaker');

    let err: DataError | undefined;
    try {
      loadDataset({ name: 'fashion-mnist', options: { dir: join(dir, 'nope') } });
    } catch (e) {
      err = e as DataError;
    }
    expect(err?.code).toBe('DATA_NOT_FOUND');
    expect(codeOf(() => loadDataset({ name: 'imagenet' }))).toBe('DATA_UNKNOWN');
  });
});

describe('CSV', () => {
  it('parses quoted fields, doubled quotes, CRLF and embedded line breaks', () => {
    const rows = parseCsvRows('a,b,"c, d"\r\n1,"say ""hi""","x\ny"\n\n2,3,4');
    expect(rows.map((r) => r.cells)).toEqual([
      ['a', 'b', 'c, d'],
      ['1', 'say "hi"', 'x\ny'],
      ['2', '3', '4'],
    ]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 5]);
    expect(codeOf(() => parseCsvRows('a,"b\n1,2'))).toBe('DATA_CSV_BAD_QUOTE');
  });

  it('classification: class index per distinct label, target column by name', () => {
    const ds = csvDataset('species,len,width\nb,1,2\na,3,4\n"b",5,6\n', { targetColumn: 'species' });
    expect(ds.task).toBe('classification');
    expect(ds.classNames).toEqual(['a', 'b']);
    expect(Array.from(ds.targets)).toEqual([1, 0, 1]);
    expect(Array.from(ds.features)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ds.featureNames).toEqual(['len', 'width']);
  });

  it('a table saved with semicolons (a decimal-comma spreadsheet) is read by them, and its decimal-comma numbers are said to be text', () => {
    expect(sniffDelimiter('a;b;label\n1,5;2;x\n')).toBe(';');
    expect(sniffDelimiter('a,b,label\n1;2,3,x\n')).toBe(',');
    expect(sniffDelimiter('"x;y;z",b\n1,2\n')).toBe(',');
    expect(sniffDelimiter('a\tb\tc\n')).toBe('\t');
    expect(sniffDelimiter('one column\n1\n')).toBe(',');
    const t = csvTable('a;b;label\n1,5;2;x\n2,5;3;y\n3;4;x\n', { targetColumn: 'label' });
    expect(t.dataset.featureNames).toEqual(['a=1,5', 'a=2,5', 'a=3', 'b']);
    expect(t.decimalCommas).toEqual(['a']);
    expect(csvTable('a;b;label\nred;2;x\n1,5;3;y\n', { targetColumn: 'label' }).decimalCommas).toEqual([]);
  });

  it('regression when the target is continuous', () => {
    const ds = csvDataset('x,y\n1,0.5\n2,1.25\n3,2.5\n');
    expect(ds.task).toBe('regression');
    expect(Array.from(ds.targets)).toEqual([0.5, 1.25, 2.5]);
    expect(ds.targetShape).toEqual([1]);
  });

  it('names the row and column of empty/NaN and non-numeric cells', () => {
    let e: DataError | undefined;
    try {
      csvDataset('x,z,y\n1,2,a\n3,,b\n4,NaN,a\n');
    } catch (err) {
      e = err as DataError;
    }
    expect(e?.code).toBe('DATA_NAN');
    // Column numbers, not header names: messages never quote the file (issue #17).
    expect(e?.message).toContain('line 3, column 2: empty cell');
    expect(e?.message).toContain('line 4, column 2: missing value');
    // Text in a feature column is one-hot encoded by default (#30); `categorical: 'error'` refuses it.
    expect(codeOf(() => csvDataset('x,y\nabc,1\n', { categorical: 'error' }))).toBe('DATA_CSV_BAD_CELL');
    expect(codeOf(() => csvDataset('x,y\n1,2\n', { targetColumn: 'q' }))).toBe('DATA_CSV_NO_TARGET');
    expect(codeOf(() => csvDataset('x,y\n1,2,3\n'))).toBe('DATA_CSV_BAD_ROW');
  });
});

describe('built-in sets', () => {
  it('Iris has 150 rows, 50 per class, and the classic first row', () => {
    const { train } = loadBuiltinDataset({ name: 'iris' })!;
    expect(train.count).toBe(150);
    expect(Array.from(train.features.subarray(0, 4))).toEqual(Array.from(Float32Array.from([5.1, 3.5, 1.4, 0.2])));
    const counts = [0, 0, 0];
    for (const y of train.targets) counts[y]++;
    expect(counts).toEqual([50, 50, 50]);
  });

  it('the housing table is a 500-row regression CSV parsed by the CSV loader, standardised by default', () => {
    const loaded = loadBuiltinDataset({ name: 'housing' })!;
    const { train } = loaded;
    expect(train).toMatchObject({ name: 'housing', task: 'regression', count: 500, featureShape: [4], targetShape: [1] });
    expect(train.featureNames).toEqual(['area_m2', 'rooms', 'age_years', 'distance_km']);
    // Prices in 100,000s: positive, a few units (the table is generated by scripts/make-housing-csv.mjs).
    expect(Math.min(...train.targets)).toBeGreaterThan(0);
    expect(Math.max(...train.targets)).toBeLessThan(20);
    const prepared = prepareData(loaded, { name: 'housing' }, 1);
    expect(prepared.normalization?.kind).toBe('per-feature');
    checkDataset(prepared.train);
  });

  it('synthetic sets are seeded, balanced and respect noise', () => {
    for (const name of ['two-moons', 'circles', 'spirals', 'xor', 'blobs'] as const) {
      const a = syntheticDataset(name, { samples: 200, seed: 3 });
      const b = syntheticDataset(name, { samples: 200, seed: 3 });
      expect(a.features).toEqual(b.features);
      expect(a.count).toBe(200);
      checkDataset(a);
      expect(syntheticDataset(name, { samples: 200, seed: 4 }).features).not.toEqual(a.features);
    }
    // Noise-free circles: every point at radius 1 (class 0) or 0.5 (class 1).
    const c = syntheticDataset('circles', { samples: 100, noise: 0, seed: 1 });
    for (let i = 0; i < c.count; i++) {
      expect(Math.hypot(c.features[2 * i], c.features[2 * i + 1])).toBeCloseTo(c.targets[i] === 0 ? 1 : 0.5, 5);
    }
    expect(codeOf(() => syntheticDataset('two-moons', { noise: -1 }))).toBe('DATA_BAD_OPTION');
  });
});

function toy(n: number, classes: number): Dataset {
  return {
    name: 'toy', task: 'classification', count: n, featureShape: [2], targetShape: [], numClasses: classes,
    classNames: Array.from({ length: classes }, (_, i) => String(i)),
    features: Float32Array.from({ length: 2 * n }, (_, i) => i),
    targets: Float32Array.from({ length: n }, (_, i) => i % classes),
  };
}

describe('splits, normalisation, transforms, batching', () => {
  it('stratified split keeps class proportions and is seeded', () => {
    const ds = toy(100, 4);
    const [kept, held] = stratifiedSplit(ds, 0.2, new Rng(1));
    expect(held.length).toBe(20);
    expect(kept.length + held.length).toBe(100);
    const perClass = [0, 0, 0, 0];
    for (const i of held) perClass[ds.targets[i]]++;
    expect(perClass).toEqual([5, 5, 5, 5]);
    expect(stratifiedSplit(ds, 0.2, new Rng(1))[1]).toEqual(held);
    expect(new Set([...kept, ...held]).size).toBe(100);
  });

  it('prepareData: test carved out, limit, validation, normalisation fitted on train only', () => {
    const loaded = loadBuiltinDataset({ name: 'iris' })!;
    const p = prepareData(loaded, { name: 'iris', validationSplit: 0.1 }, 7);
    expect(p.test.count).toBe(30);
    expect(p.val.count + p.train.count).toBe(120);
    expect(p.normalization?.kind).toBe('per-feature');
    // Train features now have mean 0 per column (fitted there); test ones need not.
    for (let f = 0; f < 4; f++) {
      let s = 0;
      for (let i = 0; i < p.train.count; i++) s += p.train.features[i * 4 + f];
      expect(Math.abs(s / p.train.count)).toBeLessThan(1e-5);
    }
    const q = prepareData(loaded, { name: 'iris', limit: 30 }, 7);
    expect(q.train.count).toBeLessThanOrEqual(30);
    expect(q.test.count).toBeLessThanOrEqual(30);
    expect(loaded.train.features[0]).toBeCloseTo(5.1, 5); // the loaded set is untouched
  });

  it('labels out of range and NaN features are rejected before training', () => {
    const bad = toy(10, 2);
    bad.targets[3] = 2;
    expect(codeOf(() => checkDataset(bad))).toBe('DATA_LABEL_RANGE');
    const nan = toy(10, 2);
    nan.features[5] = NaN;
    expect(codeOf(() => prepareData({ train: nan }, { name: 'toy' }, 1))).toBe('DATA_NAN');
  });

  it('global normalisation and its stored form round-trip', () => {
    const ds = toy(4, 2);
    const n = fitNormalization(ds, 'global');
    const x = ds.features.slice();
    applyNormalization(JSON.parse(JSON.stringify(n)), x, 2);
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
    expect(mean).toBeCloseTo(0, 6);
    expect(sd).toBeCloseTo(1, 6);
  });

  it('BatchFeeder copies shuffled samples; features target stays clean', () => {
    const ds = toy(6, 3);
    const order = shuffleInto(new Int32Array(6), new Rng(5));
    const x = new Float32Array(8);
    const y = new Float32Array(4);
    new BatchFeeder(ds, { transform: { kind: 'none' }, target: 'label' }).fill(order, 2, 3, x, y, new Rng(0));
    for (let i = 0; i < 3; i++) {
      const s = order[2 + i];
      expect([x[2 * i], x[2 * i + 1]]).toEqual([2 * s, 2 * s + 1]);
      expect(y[i]).toBe(s % 3);
    }
    const ae = new BatchFeeder(ds, { transform: { kind: 'mask', fraction: 1 }, target: 'features' });
    const t = new Float32Array(4);
    ae.fill(order, 0, 2, x, t, new Rng(0));
    expect(Array.from(x.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(t)).toEqual([2 * order[0], 2 * order[0] + 1, 2 * order[1], 2 * order[1] + 1]);
  });
});
