/**
 * The in-painting lesson's measure (src-engine/app/lessons/inpainting.ts): success per class is
 * the judge reading the in-painted image as its label, with only the hidden pixels taken from the
 * in-painter. Checked with a judge that reads 4 × 4 images by where their ink is.
 */
import { describe, expect, it } from 'vitest';
import { inpaintingSuccess, type BatchModel } from '../../../../src-engine/app/lessons/inpainting';
import { LESSONS } from '../../../../src-renderer/src/lessons/catalog';
import type { Dataset } from '../../../../src-engine/core/data';

// Class 0: ink in the top half; class 1: ink in the bottom half (4 × 4, one channel).
const N = 40;
const features = new Float32Array(N * 16);
const targets = new Float32Array(N);
for (let i = 0; i < N; i++) {
  targets[i] = i % 2;
  for (let p = 0; p < 16; p++) features[i * 16 + p] = (p < 8) === (i % 2 === 0) ? 1 : 0;
}
const test: Dataset = { name: 'halves', task: 'classification', count: N, features, featureShape: [1, 4, 4], targets, targetShape: [], numClasses: 2, classNames: ['top', 'bottom'] };

/** Logits: the ink in the top half vs the bottom half. */
const judge: BatchModel = (x, count) => {
  const out = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) for (let p = 0; p < 16; p++) out[i * 2 + (p < 8 ? 0 : 1)] += x[i * 16 + p]!;
  return out;
};
// A 4 × 4 hole hides the whole image: the judge sees a tie (reads class 0) on masked images.
const hole = { kind: 'block-mask', size: 4 } as const;

describe('inpaintingSuccess', () => {
  it('an in-painter that draws nothing scores as the masked images; one that knows the digits scores as the clean ones', () => {
    const nothing: BatchModel = (_x, count) => new Float32Array(count * 16);
    const oracle: BatchModel = (_x, count) => features.slice(0, count * 16);
    const blank = inpaintingSuccess(test, hole, nothing, judge, 2, 1, N);
    expect(blank.map((r) => [r.count, r.clean, r.masked, r.inpainted])).toEqual([
      [20, 1, 1, 1],
      [20, 1, 0, 0],
    ]);
    const perfect = inpaintingSuccess(test, hole, oracle, judge, 2, 1, N);
    expect(perfect.map((r) => r.inpainted)).toEqual([1, 1]);
  });

  it('takes only the hidden pixels from the in-painter', () => {
    // An in-painter that paints every pixel with class 1's pattern: outside a 2 × 2 hole the
    // image keeps its own ink, so class 0 images stay readable.
    const liar: BatchModel = (_x, count) => new Float32Array(count * 16).map((_, j) => features[16 + (j % 16)]!);
    const r = inpaintingSuccess(test, { kind: 'block-mask', size: 2 }, liar, judge, 2, 1, 8);
    expect(r[0]!.inpainted).toBe(1);
  });

  it('the lesson claim needs in-painting to help and classes to differ', () => {
    const claim = LESSONS.find((l) => l.id === 'inpainting')!.report!.claim;
    const row = (masked: number, inpainted: number) => ({ label: '', count: 10, values: { clean: 1, masked, inpainted } });
    expect(claim.holds([row(0.5, 0.9), row(0.5, 0.6)])).toBe(true);
    expect(claim.holds([row(0.9, 0.9), row(0.6, 0.6)])).toBe(false);
    expect(claim.holds([row(0.5, 0.9), row(0.5, 0.85)])).toBe(false);
  });
});
