import { describe, expect, it } from 'vitest';
import { BatchFeeder, DataError, applyAugmentation, applyTransform, checkAugmentation, checkTransform, prepareData } from '../../../../src-engine/core/data';
import type { Dataset } from '../../../../src-engine/core/data';
import { datasetPreview } from '../../../../src-engine/app/session';
import { DatasetConfigSchema } from '../../../../src-engine/base/schemas';
import { Rng } from '../../../../src-engine/base/rng';

/** `n` 1×8×8 "images": sample i is all 0.5 with one bright pixel at (i mod 8, i mod 8); class i mod 2. */
function images(n: number): Dataset {
  const features = new Float32Array(n * 64).fill(0.5);
  for (let i = 0; i < n; i++) features[i * 64 + (i % 8) * 8 + (i % 8)] = 1;
  return { name: 'img', task: 'classification', count: n, features, featureShape: [1, 8, 8], targets: Float32Array.from({ length: n }, (_, i) => i % 2), targetShape: [], numClasses: 2, classNames: ['a', 'b'] };
}

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof DataError ? e.code : String(e);
  }
  return 'no error';
};

describe('input transforms for the dataset panel', () => {
  it('salt-and-pepper sets about `fraction` of the values to 0 or 1, half each', () => {
    const x = new Float32Array(20_000).fill(0.5);
    applyTransform({ kind: 'salt-pepper', fraction: 0.2 }, x, new Rng(3));
    const zeros = x.filter((v) => v === 0).length;
    const ones = x.filter((v) => v === 1).length;
    expect((zeros + ones) / x.length).toBeCloseTo(0.2, 1);
    expect(zeros / (zeros + ones)).toBeCloseTo(0.5, 1);
    expect(x.filter((v) => v !== 0 && v !== 1 && v !== 0.5).length).toBe(0);
  });

  it('block-mask zeroes one size×size square per sample (count squares when asked), inside the image', () => {
    const x = new Float32Array(3 * 64).fill(1);
    applyTransform({ kind: 'block-mask', size: 3 }, x, new Rng(4), x.length, [1, 8, 8]);
    for (let s = 0; s < 3; s++) {
      const zeros: [number, number][] = [];
      for (let i = 0; i < 64; i++) if (x[s * 64 + i] === 0) zeros.push([Math.floor(i / 8), i % 8]);
      expect(zeros.length).toBe(9);
      const rows = zeros.map((z) => z[0]);
      const cols = zeros.map((z) => z[1]);
      expect(Math.max(...rows) - Math.min(...rows)).toBe(2);
      expect(Math.max(...cols) - Math.min(...cols)).toBe(2);
    }
    const y = new Float32Array(64).fill(1);
    applyTransform({ kind: 'block-mask', size: 2, count: 5 }, y, new Rng(5), 64, [1, 8, 8]);
    const masked = y.filter((v) => v === 0).length;
    expect(masked).toBeGreaterThan(4);
    expect(masked).toBeLessThanOrEqual(20);
  });

  it('a shift moves the image by whole pixels and fills with 0; a rotation keeps the centre and the mass roughly', () => {
    const x = new Float32Array(64);
    x[3 * 8 + 3] = 1;
    const scratch = new Float32Array(64);
    applyAugmentation({ shift: 2 }, x, new Rng(6), 64, [1, 8, 8], scratch);
    const at = x.findIndex((v) => v === 1);
    expect(x.filter((v) => v === 1).length).toBe(1);
    expect(Math.abs(Math.floor(at / 8) - 3)).toBeLessThanOrEqual(2);
    expect(Math.abs((at % 8) - 3)).toBeLessThanOrEqual(2);
    // Rotating a filled disc barely changes it.
    const disc = Float32Array.from({ length: 64 }, (_, i) => ((Math.floor(i / 8) - 3.5) ** 2 + ((i % 8) - 3.5) ** 2 < 9 ? 1 : 0));
    const before = disc.reduce((a, b) => a + b, 0);
    applyAugmentation({ rotate: 15 }, disc, new Rng(7), 64, [1, 8, 8], scratch);
    expect(Math.abs(disc.reduce((a, b) => a + b, 0) - before)).toBeLessThanOrEqual(4);
  });

  it('rejects settings that cannot work, with DATA_BAD_OPTION', () => {
    expect(code(() => checkTransform({ kind: 'salt-pepper', fraction: 1.5 }))).toBe('DATA_BAD_OPTION');
    expect(code(() => checkTransform({ kind: 'block-mask', size: 0 }))).toBe('DATA_BAD_OPTION');
    expect(code(() => checkTransform({ kind: 'block-mask', size: 4 }, [4]))).toBe('DATA_BAD_OPTION');
    expect(code(() => checkAugmentation({ shift: 1.5 }, [1, 8, 8]))).toBe('DATA_BAD_OPTION');
    expect(code(() => checkAugmentation({ rotate: 10 }, [2]))).toBe('DATA_BAD_OPTION');
    // A per-pixel mask ([H, W] targets of [C, H, W] images) would not move with the image.
    for (const a of [{ shift: 2 }, { rotate: 10 }, { flip: true }]) expect(code(() => checkAugmentation(a, [3, 8, 8], [8, 8]))).toBe('DATA_BAD_OPTION');
    expect(() => checkAugmentation({ jitter: 0.2 }, [3, 8, 8], [8, 8])).not.toThrow();
    expect(() => checkAugmentation({ flip: true }, [3, 8, 8], [])).not.toThrow();
    expect(code(() => prepareData({ train: images(40) }, { name: 'img', options: { normalize: 'raw' } }, 1))).toBe('no error');
    const flat: Dataset = { ...images(40), featureShape: [64] };
    expect(code(() => prepareData({ train: flat }, { name: 'img', options: { normalize: 'raw' } }, 1))).toBe('DATA_BAD_OPTION');
    expect(DatasetConfigSchema.safeParse({ name: 'mnist', transform: { kind: 'block-mask', size: 0 } }).success).toBe(false);
    expect(DatasetConfigSchema.safeParse({ name: 'mnist', transform: { kind: 'salt-pepper', fraction: 0.1 }, augment: { shift: 2, rotate: 10 } }).success).toBe(true);
  });

  it('raw normalisation feeds images on 0–255, kept as a saveable global normalisation', () => {
    const data = prepareData({ train: images(40) }, { name: 'img', options: { normalize: 'raw' }, validationSplit: 0 }, 1);
    expect(Math.max(...data.train.features)).toBeCloseTo(255, 3);
    expect(data.normalization).toEqual({ kind: 'global', mean: [0], std: [1 / 255] });
  });

  it('augments training batches only: the evaluation feeder (no augment) feeds the samples unchanged', () => {
    const data = prepareData({ train: images(32) }, { name: 'img', augment: { shift: 3 }, validationSplit: 0 }, 1);
    expect(data.augment).toEqual({ shift: 3 });
    const order = Int32Array.from({ length: 8 }, (_, i) => i);
    const x = new Float32Array(8 * 64);
    new BatchFeeder(data.train, { transform: data.transform, target: data.target }).fill(order, 0, 8, x, null, new Rng(1));
    expect(Array.from(x)).toEqual(Array.from(data.train.features.subarray(0, 8 * 64)));
    new BatchFeeder(data.train, { transform: data.transform, target: data.target, augment: data.augment! }).fill(order, 0, 8, x, null, new Rng(1));
    expect(Array.from(x)).not.toEqual(Array.from(data.train.features.subarray(0, 8 * 64)));
  });

  it('flips mirror an image left–right about half the time, exactly; jitter scales each channel of each sample by a factor in 1 ± jitter; both seeded', () => {
    // 3×4×5 colour samples, every value distinct and positive.
    const fs = 3 * 4 * 5;
    const n = 64;
    const original = Float32Array.from({ length: n * fs }, (_, i) => 1 + (i % fs) + 0.001 * Math.floor(i / fs));
    const mirrored = (s: number) => {
      const m = original.slice(s * fs, (s + 1) * fs);
      for (let row = 0; row < fs; row += 5) m.subarray(row, row + 5).reverse();
      return Array.from(m);
    };
    const scratch = new Float32Array(fs);
    const flipped = original.slice();
    applyAugmentation({ flip: true }, flipped, new Rng(8), flipped.length, [3, 4, 5], scratch);
    let mirrors = 0;
    for (let s = 0; s < n; s++) {
      const got = Array.from(flipped.subarray(s * fs, (s + 1) * fs));
      if (got.join() === mirrored(s).join()) mirrors++;
      else expect(got).toEqual(Array.from(original.subarray(s * fs, (s + 1) * fs)));
    }
    expect(mirrors).toBeGreaterThan(n / 4);
    expect(mirrors).toBeLessThan((3 * n) / 4);
    const jittered = original.slice();
    applyAugmentation({ jitter: 0.3 }, jittered, new Rng(9), jittered.length, [3, 4, 5], scratch);
    const factors = new Set<number>();
    for (let s = 0; s < n; s++) {
      for (let c = 0; c < 3; c++) {
        const at = s * fs + c * 20;
        const f = jittered[at] / original[at];
        expect(f).toBeGreaterThanOrEqual(0.7 - 1e-6);
        expect(f).toBeLessThanOrEqual(1.3 + 1e-6);
        for (let i = at; i < at + 20; i++) expect(jittered[i]).toBeCloseTo(original[i] * f, 4);
        factors.add(Math.round(f * 1e4));
      }
    }
    expect(factors.size).toBeGreaterThan(n);
    // Seeded: the same draws again; and a shift alone draws what it drew before flips and jitter existed.
    const again = original.slice();
    applyAugmentation({ jitter: 0.3 }, again, new Rng(9), again.length, [3, 4, 5], scratch);
    expect(Array.from(again)).toEqual(Array.from(jittered));
    const a = original.slice();
    const b = original.slice();
    applyAugmentation({ shift: 2 }, a, new Rng(10), a.length, [3, 4, 5], scratch);
    applyAugmentation({ shift: 2, flip: false, jitter: 0 }, b, new Rng(10), b.length, [3, 4, 5], scratch);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(code(() => checkAugmentation({ jitter: 2 }, [3, 4, 5]))).toBe('DATA_BAD_OPTION');
    expect(code(() => checkAugmentation({ flip: true }, [60]))).toBe('DATA_BAD_OPTION');
    expect(DatasetConfigSchema.safeParse({ name: 'image-folder', augment: { shift: 4, flip: true, jitter: 0.2 } }).success).toBe(true);
    expect(DatasetConfigSchema.safeParse({ name: 'image-folder', augment: { jitter: 1.5 } }).success).toBe(false);
  });

  it('the preview shows what the network is fed, beside the clean sample, and the range of values', () => {
    const plain = datasetPreview({ train: images(40) }, { name: 'img', validationSplit: 0 }, 1, 4);
    expect(plain.samples[0].clean).toBeUndefined();
    expect(plain.range).toEqual([0.5, 1]);
    const noisy = datasetPreview({ train: images(40) }, { name: 'img', validationSplit: 0, transform: { kind: 'block-mask', size: 4 } }, 1, 4);
    for (const s of noisy.samples) {
      expect(s.clean).toBeDefined();
      expect(s.features.filter((v) => v === 0).length).toBe(16);
      expect(s.clean!.filter((v) => v === 0).length).toBe(0);
    }
    const raw = datasetPreview({ train: images(40) }, { name: 'img', validationSplit: 0, options: { normalize: 'raw' } }, 1, 4);
    expect(raw.range![1]).toBeCloseTo(255, 2);
  });
});
