import { describe, expect, it } from 'vitest';
import { bootstrapMedianCI, formatInterval, formatRatio, median, quantileSorted, summarizeRatios } from '../../../bench/ratio';

describe('bench ratio statistics (bench/ratio.ts)', () => {
  it('median: the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(/empty/);
  });

  it('quantiles interpolate linearly between order statistics', () => {
    expect(quantileSorted([10, 20, 30, 40, 50], 0.5)).toBe(30);
    expect(quantileSorted([10, 20, 30, 40, 50], 0.1)).toBeCloseTo(14, 12);
    expect(quantileSorted([10, 20, 30, 40, 50], 1)).toBe(50);
  });

  it('per-round ratios: median, min–max spread, rounds with a missing side dropped', () => {
    const s = summarizeRatios([2, 4, 6, 5, 3], [1, 2, 2, 0, NaN])!;
    expect(s.ratios).toEqual([2, 2, 3]);
    expect([s.median, s.min, s.max]).toEqual([2, 2, 3]);
    expect(formatRatio(s)).toBe('2.00× [2.00–3.00]');
    expect(summarizeRatios([1], [0])).toBeUndefined();
    expect(formatRatio(undefined)).toBe('—');
  });

  it('bootstrap interval of the median: seeded (same numbers every run), inside the spread', () => {
    const xs = [1.41, 1.62, 1.55, 1.9, 1.48];
    const a = bootstrapMedianCI(xs);
    expect(bootstrapMedianCI(xs)).toEqual(a);
    // With 5 rounds a resampled median equals the smallest value with probability
    // P(≥3 of 5 draws are it) = 0.058 > 0.025, so the 95 % interval is exactly [min, max].
    expect(a).toEqual([1.41, 1.9]);
    expect(formatInterval(summarizeRatios(xs, [1, 1, 1, 1, 1]))).toBe('1.41–1.90');
    // With 9 rounds: P(median ≤ smallest) ≈ 0.0015 < 0.025 ≤ P(median ≤ second) ≈ 0.030, so the
    // interval runs from the second smallest to the second largest.
    const nine = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8];
    expect(bootstrapMedianCI(nine, { resamples: 20_000 })).toEqual([1.1, 1.7]);
    // Constant ratios: no uncertainty.
    expect(bootstrapMedianCI([2, 2, 2, 2, 2])).toEqual([2, 2]);
  });
});
