/**
 * Dropout's counter-based draws (`dropoutBits`, pcg4d of the element index under a per-forward
 * key): the statistics a mask needs, measured on 2²⁰ draws per key.
 *
 * Bounds (all two-sided, chosen so a sound generator fails them with probability below ~1e-4 in
 * the whole file, while a flawed one, e.g. a plain LCG of i or a key that only offsets the index,
 * fails them by far):
 * - each of the 32 bits is set with frequency ½ ± 5σ (σ = ½/√n);
 * - the top nibbles of adjacent elements, and of the same element under successive keys, are
 *   independent: χ² over the 256 pairs (255 degrees of freedom) below 370 (p ≈ 3e-6);
 * - the dropped fraction at p = 0.1, 0.5, 0.9 is p ± 5σ (σ = √(p(1−p)/n)).
 */
import { describe, expect, it } from 'vitest';
import { dropoutBits, dropoutKey, dropoutMaskParams } from '../../../src-engine/core/ops/kernels/dropout';
import { Rng } from '../../../src-engine/base/rng';

const N = 1 << 20;
const KEYS: [number, number, number, number][] = [
  [0, 0, 0, 0],
  [1, 2, 3, 4],
  dropoutKey(new Rng(7)),
];

function chiSquare(counts: Float64Array, total: number): number {
  const e = total / counts.length;
  let chi = 0;
  for (const c of counts) chi += (c - e) ** 2 / e;
  return chi;
}

describe('dropoutBits', () => {
  for (const key of KEYS) {
    it(`bits are balanced and adjacent elements independent (key ${key.join(',')})`, () => {
      const bits = new Float64Array(32);
      const pairs = new Float64Array(256);
      let prev = -1;
      let notUint32 = 0;
      for (let i = 0; i < N; i++) {
        const r = dropoutBits(i, ...key);
        if (r >>> 0 !== r) notUint32++;
        for (let b = 0; b < 32; b++) bits[b] += (r >>> b) & 1;
        const top = r >>> 28;
        if (prev >= 0) pairs[prev * 16 + top]++;
        prev = top;
      }
      expect(notUint32).toBe(0);
      const sigma = 0.5 / Math.sqrt(N);
      for (let b = 0; b < 32; b++) expect(Math.abs(bits[b] / N - 0.5), `bit ${b}`).toBeLessThan(5 * sigma);
      expect(chiSquare(pairs, N - 1)).toBeLessThan(370);
    });
  }

  it('successive keys give independent draws for the same element', () => {
    const rng = new Rng(11);
    const pairs = new Float64Array(256);
    const M = 1 << 16;
    let prev = dropoutKey(rng);
    for (let k = 0; k < M; k++) {
      const next = dropoutKey(rng);
      pairs[(dropoutBits(5, ...prev) >>> 28) * 16 + (dropoutBits(5, ...next) >>> 28)]++;
      prev = next;
    }
    expect(chiSquare(pairs, M)).toBeLessThan(370);
  });

  it('drops a fraction p of elements; p = 1 drops everything, p = 0 nothing', () => {
    const key = dropoutKey(new Rng(3));
    for (const p of [0.1, 0.5, 0.9]) {
      const { threshold, scale } = dropoutMaskParams(p);
      expect(scale).toBeCloseTo(1 / (1 - p), 12);
      let dropped = 0;
      for (let i = 0; i < N; i++) if (dropoutBits(i, ...key) < threshold) dropped++;
      expect(Math.abs(dropped / N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
    }
    expect(dropoutMaskParams(1)).toEqual({ threshold: 0xffffffff, scale: 0 });
    expect(dropoutMaskParams(1 - 2 ** -40).scale).toBe(0);
    expect(dropoutMaskParams(0).threshold).toBe(0);
  });
});
