/**
 * The CPU backend's Adam/AdamW kernel against optim/adam.ts.
 *
 * NOTE (tolerance): the kernel computes in float32 in PyTorch's operation order (as PyTorch does on
 * the CPU); optim/adam.ts computes each element in float64 and rounds at the stores. Each step
 * differs by float32 rounding, a few ulps on the scale of the inputs (m = β1·m + (1−β1)·g can cancel
 * to near 0, so element-wise relative error is meaningless there). Over 5 steps we assert
 * max |a − b| ≤ 2e-6 × the tensor's scale (max |w|; max |g| for m; max g² for v).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { adamUpdate, type AdamHyper } from '../../../src-engine/core/optim/adam';
import { Rng } from '../../../src-engine/base/rng';

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal() * scale);
}

/** max |a − b| / max(max |b|, floor) (Infinity on NaN). */
function scaledError(a: Float32Array, b: Float32Array, floor = 0): number {
  let e = 0;
  let scale = floor;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= e)) e = Number.isNaN(d) ? Infinity : d;
  }
  return e / scale;
}

const HYPERS: [string, AdamHyper][] = [
  ['Adam', { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, amsgrad: false }],
  ['Adam + L2 + AMSGrad', { lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.01, decoupled: false, amsgrad: true }],
  ['AdamW', { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, amsgrad: false }],
];

describe('CPU backend adamUpdate', () => {
  for (const [label, h] of HYPERS) {
    for (const [n, heap] of [[1, true], [7, false], [1001, true], [100_003, true]] as [number, boolean][]) {
      it(`${label}, ${n} values${heap ? '' : ' (outside the heap)'}: matches optim/adam.ts over 5 steps`, () => {
        const make = (src: Float32Array): Float32Array => {
          if (!heap) return Float32Array.from(src);
          const a = cpu.alloc(src.length);
          a.set(src);
          return a;
        };
        const w0 = randn(n, 1);
        const ref = { w: Float32Array.from(w0), m: new Float32Array(n), v: new Float32Array(n), x: new Float32Array(n) };
        const got = { w: make(w0), m: make(new Float32Array(n)), v: make(new Float32Array(n)), x: make(new Float32Array(n)) };
        let gMax = 0;
        for (let t = 1; t <= 5; t++) {
          const g = randn(n, 10 + t, t === 3 ? 1e-4 : 1);
          for (const v of g) gMax = Math.max(gMax, Math.abs(v));
          adamUpdate(ref.w, g, ref.m, ref.v, h.amsgrad ? ref.x : null, h, t);
          cpu.adamUpdate(got.w, make(g), got.m, got.v, h.amsgrad ? got.x : null, h, t);
        }
        // (maxima computed here, not with toEqual: a diff of 100k-element arrays takes minutes)
        expect(scaledError(got.w, ref.w), 'w').toBeLessThan(2e-6);
        // m and v on the scale of the gradients that fed them (m can cancel towards 0).
        expect(scaledError(got.m, ref.m, gMax), 'expAvg').toBeLessThan(2e-6);
        expect(scaledError(got.v, ref.v, gMax * gMax), 'expAvgSq').toBeLessThan(2e-6);
        if (h.amsgrad) expect(scaledError(got.x, ref.x, gMax * gMax), 'maxExpAvgSq').toBeLessThan(2e-6);
        // Not vacuous: the steps moved the weights by far more than the tolerance.
        expect(scaledError(ref.w, w0)).toBeGreaterThan(1e-4);
      });
    }
  }
});
