/**
 * Segmentation (#48): the built-in `shape-masks` set, a user's images/ + masks/ folder (and its
 * coded refusals), per-pixel metrics on a channels-first score map, and a prediction read as a
 * mask. All small: milliseconds each.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareData } from '../../../../src-engine/core/data';
import { shapeMasksDataset } from '../../../../src-engine/core/data/shape-masks';
import { MetricAccumulator, meanIou } from '../../../../src-engine/core/metrics';
import { classAxisOf, maskOf, segmentationMask } from '../../../../src-engine/core/train';
import { loadDataset } from '../../../../src-engine/node/datasets';
import { codeOf, encodeJpeg, encodePng, encodePngSamples, type PngSamplesOptions } from './user-data-fixtures';

describe('shape-masks: coloured shapes on textured backgrounds, a class per pixel', () => {
  const a = shapeMasksDataset({ samples: 12, testSamples: 6, seed: 3 });

  it('draws [3, 32, 32] images in 0–1 with [32, 32] masks of the 4 classes, the same for the same seed', () => {
    expect(a.train).toMatchObject({ count: 12, featureShape: [3, 32, 32], targetShape: [32, 32], numClasses: 4, classNames: ['background', 'circle', 'square', 'triangle'] });
    expect(a.train.targets.length).toBe(12 * 32 * 32);
    expect(a.train.features.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(new Set(a.train.targets)).toEqual(new Set([0, 1, 2, 3]));
    // Every image has a shape on it and background around it.
    for (let i = 0; i < 12; i++) {
      const m = a.train.targets.subarray(i * 1024, (i + 1) * 1024);
      expect(m.some((c) => c > 0) && m.some((c) => c === 0)).toBe(true);
    }
    const b = shapeMasksDataset({ samples: 12, testSamples: 6, seed: 3 });
    expect(b.train.features).toEqual(a.train.features);
    expect(b.train.targets).toEqual(a.train.targets);
  });

  it('a shape pixel differs in colour from the background under it: the mask follows the picture', () => {
    // Pixels of one image whose mask says background vs shape: their mean colours are apart.
    const x = a.train.features.subarray(0, 3 * 1024);
    const m = a.train.targets.subarray(0, 1024);
    const mean = (pick: (c: number) => boolean, k: number) => {
      let s = 0;
      let n = 0;
      for (let p = 0; p < 1024; p++) if (pick(m[p])) [s, n] = [s + x[k * 1024 + p], n + 1];
      return s / n;
    };
    const apart = [0, 1, 2].reduce((d, k) => d + Math.abs(mean((c) => c === 0, k) - mean((c) => c > 0, k)), 0);
    expect(apart).toBeGreaterThan(0.2);
  });

  it('tests on the same images whatever the run seed; validation is carved from training', () => {
    const other = shapeMasksDataset({ samples: 12, testSamples: 6, seed: 4 });
    expect(other.test!.features).toEqual(a.test!.features);
    expect(other.train.features).not.toEqual(a.train.features);
    const data = prepareData(loadDataset({ name: 'shape-masks', options: { samples: 20, testSamples: 10 }, validationSplit: 0.2 }, 1), { name: 'shape-masks', options: { samples: 20, testSamples: 10 }, validationSplit: 0.2 }, 1);
    expect([data.train.count, data.val.count, data.test.count]).toEqual([16, 4, 10]);
    expect(data.normalization).not.toBeNull();
  });
});

describe('metrics per pixel', () => {
  it('mean IoU from a confusion matrix leaves out a class neither present nor predicted', () => {
    // true 0: 3 right, 1 as 1; true 1: 2 right; class 2 absent.
    const m = [
      [3, 1, 0],
      [0, 2, 0],
      [0, 0, 0],
    ];
    const r = meanIou(m);
    expect(r.iou[0]).toBeCloseTo(3 / 4, 12);
    expect(r.iou[1]).toBeCloseTo(2 / 3, 12);
    expect(r.iou[2]).toBeNaN();
    expect(r['mean-iou']).toBeCloseTo((3 / 4 + 2 / 3) / 2, 12);
  });

  it('a channels-first score map [C, H, W] scores as its channels-last transpose', () => {
    const [classes, positions, n] = [3, 4, 2];
    const last = Float32Array.from({ length: n * positions * classes }, (_, i) => Math.sin(i * 1.7));
    const first = new Float32Array(last.length);
    for (let s = 0; s < n; s++) for (let q = 0; q < positions; q++) for (let c = 0; c < classes; c++) first[s * classes * positions + c * positions + q] = last[(s * positions + q) * classes + c];
    const labels = Float32Array.from({ length: n * positions }, (_, i) => (i * 7) % classes);
    const metrics = ['mean-iou', 'pixel-accuracy', 'accuracy', 'confusion'];
    const a = new MetricAccumulator(metrics, { kind: 'classes', outputSize: classes, numClasses: classes, positions });
    const b = new MetricAccumulator(metrics, { kind: 'classes', outputSize: classes, numClasses: classes, positions, classAxis: 'first' });
    a.add(n, 1, last, labels);
    b.add(n, 1, first, labels);
    const [ra, rb] = [a.result(), b.result()];
    expect(rb).toEqual(ra);
    expect(rb['pixel-accuracy']).toBe(rb.accuracy);
    expect(rb['mean-iou']).toBeGreaterThan(0);
    // The accumulator's own confusion matrix gives its mean IoU.
    expect(rb['mean-iou']).toBe(meanIou(rb.confusion!)['mean-iou']);
  });

  it('reads the class axis from the prediction: [C, H, W] first, a language model\'s [T, V] last', () => {
    expect(classAxisOf([4, 32, 32], [32, 32], 4)).toBe('first');
    expect(classAxisOf([64, 65], [64], 65)).toBe('last');
    expect(segmentationMask({ predictionShape: [4, 32, 32], targetSize: 1024 })).toEqual([32, 32]);
    expect(segmentationMask({ predictionShape: [10], targetSize: 1 })).toBeNull();
    expect(segmentationMask({ predictionShape: [16, 8, 8], targetSize: null })).toBeNull();
  });

  it('a score map reads as the argmax class of each pixel and its softmax probability', () => {
    // 2 classes × 3 pixels: pixel 0 class 0, pixel 1 class 1, pixel 2 a tie (first wins).
    const { mask, confidence } = maskOf([2, 0, 1, 0, 3, 1], 2);
    expect(Array.from(mask)).toEqual([0, 1, 0]);
    expect(confidence[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(confidence[2]).toBeCloseTo(0.5, 6);
  });
});

describe('a folder of images/ and masks/', () => {
  const grey = (v: number[], w: number, h: number) => encodePng(Uint8Array.from(v), w, h, 1);
  const rgb = (w: number, h: number, seed: number) => encodePng(Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37 + seed * 11) % 256), w, h, 3);
  function folder(files: Record<string, Buffer | string>): string {
    const root = mkdtempSync(join(tmpdir(), 'nw-masks-'));
    mkdirSync(join(root, 'images'));
    mkdirSync(join(root, 'masks'));
    for (const [f, b] of Object.entries(files)) writeFileSync(join(root, f), b);
    return root;
  }
  const load = (root: string, shape?: number[]) => loadDataset({ name: 'image-folder', options: { path: root, ...(shape ? { shape } : {}) } }, 1);

  it('loads each image with its mask (nearest-pixel resize), class names from classes.txt', () => {
    const root = folder({
      'images/a.png': rgb(4, 4, 1),
      'masks/a.png': grey([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 0, 0, 2, 2, 0, 0], 4, 4),
      'images/b.jpg': Buffer.alloc(0),
      'classes.txt': 'background\ncat\ndog\n',
    });
    // b.jpg (empty) has no mask: refused before anything is decoded.
    expect(codeOf(() => load(root))).toBe('DATA_MASK_MISSING');
    const ok = folder({ 'images/a.png': rgb(4, 4, 1), 'masks/a.png': grey([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 0, 0, 2, 2, 0, 0], 4, 4), 'images/b.png': rgb(4, 4, 2), 'masks/b.png': grey(new Array(16).fill(1), 4, 4), 'classes.txt': 'background\ncat\ndog\n' });
    const d = load(ok, [3, 2, 2]).train;
    expect(d).toMatchObject({ count: 2, featureShape: [3, 2, 2], targetShape: [2, 2], numClasses: 3, classNames: ['background', 'cat', 'dog'] });
    expect(Array.from(d.targets)).toEqual([0, 1, 2, 0, 1, 1, 1, 1]);
  });

  it('refuses a mask of another size, a class id over classes.txt and a colour mask, with their codes', () => {
    expect(codeOf(() => load(folder({ 'images/a.png': rgb(4, 4, 1), 'masks/a.png': grey(new Array(9).fill(0), 3, 3) })))).toBe('DATA_MASK_SIZE');
    expect(codeOf(() => load(folder({ 'images/a.png': rgb(2, 2, 1), 'masks/a.png': grey([0, 1, 5, 0], 2, 2), 'classes.txt': 'bg\nfg\n' })))).toBe('DATA_MASK_CLASS');
    expect(codeOf(() => load(folder({ 'images/a.png': rgb(2, 2, 1), 'masks/a.png': rgb(2, 2, 3) })))).toBe('DATA_MASK_CLASS');
  });

  // #57: masks at other bit depths than 8 read as their pictures do (scaled to 0–255): a 16-bit
  // mask of ids 0/1/2 trained as all background, a 1-bit one as 256 classes.
  describe('reads the class ids a mask holds at its bit depth', () => {
    // 4×2 masks: ids by row, their counts the test's figures.
    const ids = [0, 0, 1, 1, 2, 2, 2, 0];
    const withMask = (mask: Buffer, classes?: string) => folder({ 'images/a.png': rgb(4, 2, 1), 'masks/a.png': mask, ...(classes ? { 'classes.txt': classes } : {}) });
    const targets = (root: string) => {
      const d = load(root).train;
      return { numClasses: d.numClasses, targets: Array.from(d.targets) };
    };
    const mask = (values: number[], o: PngSamplesOptions) => encodePngSamples(values, 4, 2, o);

    it('16-bit grey: its 16-bit values, with or without classes.txt', () => {
      const m = mask(ids, { depth: 16, colourType: 0 });
      const read = targets(withMask(m));
      expect(read).toEqual({ numClasses: 3, targets: ids });
      expect([0, 1, 2].map((c) => read.targets.filter((v) => v === c).length)).toEqual([3, 2, 3]);
      expect(targets(withMask(m, 'bg\ncat\ndog\n'))).toEqual({ numClasses: 3, targets: ids });
    });

    it('1, 2 and 4-bit grey: the raw values, not scaled to 0–255', () => {
      const binary = [0, 1, 1, 0, 1, 0, 0, 0];
      expect(targets(withMask(mask(binary, { depth: 1, colourType: 0 })))).toEqual({ numClasses: 2, targets: binary });
      expect(targets(withMask(mask(ids, { depth: 2, colourType: 0 })))).toEqual({ numClasses: 3, targets: ids });
      expect(targets(withMask(mask(ids, { depth: 4, colourType: 0 })))).toEqual({ numClasses: 3, targets: ids });
    });

    it('a palette PNG (VOC\'s masks): its indices, whatever the colours; transparency changes nothing', () => {
      const palette = [[0, 0, 0], [128, 0, 0], [0, 128, 0]] as const;
      expect(targets(withMask(mask(ids, { depth: 8, colourType: 3, palette })))).toEqual({ numClasses: 3, targets: ids });
      expect(targets(withMask(mask(ids, { depth: 4, colourType: 3, palette, transparency: Uint8Array.of(0, 255, 255) })))).toEqual({ numClasses: 3, targets: ids });
      // Two indices of the same colour stay two classes.
      expect(targets(withMask(mask(ids, { depth: 2, colourType: 3, palette: [[0, 0, 0], [9, 9, 9], [9, 9, 9]] })))).toEqual({ numClasses: 3, targets: ids });
      // A grey mask's tRNS (its colour 2 transparent) does not turn id 2 into 0.
      expect(targets(withMask(mask(ids, { depth: 8, colourType: 0, transparency: Uint8Array.of(0, 2) })))).toEqual({ numClasses: 3, targets: ids });
    });

    it('refuses a JPEG named .png (DATA_MASK_FORMAT), colour without a palette and an id past 255 (DATA_MASK_CLASS)', () => {
      const greyJpeg = encodeJpeg(Uint8Array.from({ length: 4 * 2 * 3 }, (_, i) => 40 * Math.floor(i / 3)), 4, 2);
      expect(codeOf(() => load(withMask(greyJpeg)))).toBe('DATA_MASK_FORMAT');
      expect(codeOf(() => load(withMask(mask(ids.flatMap((v) => [v, 0, 0]), { depth: 8, colourType: 2 }))))).toBe('DATA_MASK_CLASS');
      expect(codeOf(() => load(withMask(mask(ids.flatMap((v) => [v, 0, 0]), { depth: 16, colourType: 2 }))))).toBe('DATA_MASK_CLASS');
      // R = G = B: the grey value is the id, as before.
      expect(targets(withMask(mask(ids.flatMap((v) => [v, v, v]), { depth: 16, colourType: 2 })))).toEqual({ numClasses: 3, targets: ids });
      expect(codeOf(() => load(withMask(mask([0, 1, 256, 0, 0, 0, 0, 0], { depth: 16, colourType: 0 }))))).toBe('DATA_MASK_CLASS');
    });
  });
});
