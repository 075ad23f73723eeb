/**
 * Comparing a tensor's reductions on the GPU (core/gpu/reduce.ts, float32 in a tree) with the
 * host's (`reduceOnHost`, float64 in order).
 *
 * Bounds, and why: counts (NaN, ±Inf, zeros, values in the tails, dead units, length) and min/max are exact (no arithmetic: a
 * float32 value is picked). A float32 tree sum of n terms is within ⌈log₂ n⌉ roundings (2⁻²⁴
 * relative each) of the exact sum of the same float32 terms, relative to Σ|term|; each term (x²,
 * |x|, (x − y)²) adds one more rounding; the float64 sum is exact to far below that. So Σx is
 * within (⌈log₂ n⌉ + 2)·2⁻²⁴·Σ|x|, Σx², Σ|x| and Σ(x − y)² within that of themselves (positive
 * terms). Σ(x − mean)² uses the float32 mean (Σx / n in float32), off by δ ≤ that bound / n,
 * which adds n·δ² (negligible) and one more rounding per term: the same bound, doubled.
 * Histogram bins: exact where the edges' arithmetic is exact in both (the edge tests); otherwise
 * a value within a float32 rounding of an edge may land in the neighbour bin, so at most
 * `moved` values move (random data: a couple in 10⁵).
 */
import { expect } from 'vitest';
import type { TensorFigures } from '../../../src-engine/core/train/types';

const U = 2 ** -24;

export function expectFigures(what: string, gpu: TensorFigures, host: TensorFigures, moved = 0): void {
  expect(gpu.length, `${what} length`).toBe(host.length);
  expect([gpu.nan, gpu.inf, gpu.zeros, gpu.tail, gpu.dead], `${what} NaN, ±Inf, zeros, in the tails, dead units`).toEqual([host.nan, host.inf, host.zeros, host.tail, host.dead]);
  expect([gpu.min, gpu.max], `${what} min, max`).toEqual([host.min, host.max]);
  const rel = (Math.ceil(Math.log2(Math.max(2, host.length))) + 2) * U;
  const within = (k: string, g: number, h: number, scale: number) => expect(Math.abs(g - h), `${what} ${k}: gpu ${g}, host ${h}`).toBeLessThanOrEqual(rel * scale + 1e-30);
  within('Σx', gpu.sum, host.sum, host.sumAbs);
  within('Σx²', gpu.sumSq, host.sumSq, host.sumSq);
  within('Σ|x|', gpu.sumAbs, host.sumAbs, host.sumAbs);
  expect(gpu.bins === null, `${what} histogram or none`).toBe(host.bins === null);
  if (gpu.bins && host.bins) {
    within('Σ(x − mean)²', gpu.devSq, host.devSq, 2 * host.devSq);
    expect(gpu.bins.length).toBe(host.bins.length);
    let total = 0;
    let diff = 0;
    for (let i = 0; i < host.bins.length; i++) {
      total += gpu.bins[i] - host.bins[i];
      diff += Math.abs(gpu.bins[i] - host.bins[i]);
    }
    expect(total, `${what}: every finite value binned once`).toBe(0);
    expect(diff / 2, `${what}: values in another bin`).toBeLessThanOrEqual(moved);
  }
  expect(gpu.diff === null, `${what} differences or none`).toBe(host.diff === null);
  if (gpu.diff && host.diff) {
    expect([gpu.diff.nan, gpu.diff.inf], `${what} NaN, ±Inf differences`).toEqual([host.diff.nan, host.diff.inf]);
    within('Σ(x − y)²', gpu.diff.sumSq, host.diff.sumSq, host.diff.sumSq);
  }
}
