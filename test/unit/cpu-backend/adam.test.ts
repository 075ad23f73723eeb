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
import type { AdamUpdateItem } from '../../../src-engine/core/backend/types';
import { Adam } from '../../../src-engine/core/optim/adam';
import { tensor, type Tensor } from '../../../src-engine/base/tensor';
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

/** Bitwise equality of two float arrays (NaN payloads aside), without vitest's slow array diff. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

describe('CPU backend adamUpdateMany: every parameter in shared parallel rounds', () => {
  // Sizes: on the caller alone (1, 7 outside the heap, 1001), split (6,000 in 2 tasks, 100,003 in
  // 8), and enough more split items (8 × 8 tasks) to need a second round of MAX_TASKS = 63.
  const sizes = [1, 7, 1001, 6000, 100_003, ...Array<number>(8).fill(16_387)];
  for (const [label, h] of HYPERS) {
    it(`${label}: the same bits as adamUpdate per parameter, in fewer rounds`, () => {
      const noDecay = { ...h, weightDecay: 0 };
      const build = (): AdamUpdateItem[] =>
        sizes.map((n, i) => {
          const arr = (src: Float32Array): Float32Array => {
            if (n === 7) return Float32Array.from(src);
            const a = cpu.alloc(n);
            a.set(src);
            return a;
          };
          return { w: arr(randn(n, 100 + i)), g: arr(new Float32Array(n)), expAvg: arr(new Float32Array(n)), expAvgSq: arr(new Float32Array(n)), maxExpAvgSq: h.amsgrad ? arr(new Float32Array(n)) : null, h: i % 2 ? noDecay : h };
        });
      const one = build();
      const many = build();
      let roundsOne = 0;
      let roundsMany = 0;
      for (let t = 1; t <= 3; t++) {
        sizes.forEach((n, i) => {
          const g = randn(n, 1000 * t + i);
          one[i].g.set(g);
          many[i].g.set(g);
        });
        let l0 = cpu.launches;
        for (const it of one) cpu.adamUpdate(it.w, it.g, it.expAvg, it.expAvgSq, it.maxExpAvgSq, it.h, t);
        roundsOne += cpu.launches - l0;
        l0 = cpu.launches;
        cpu.adamUpdateMany(many, t);
        roundsMany += cpu.launches - l0;
      }
      sizes.forEach((_, i) => {
        for (const key of ['w', 'expAvg', 'expAvgSq', 'maxExpAvgSq'] as const) {
          const a = many[i][key];
          const b = one[i][key];
          if (a && b) expect(firstDifference(a, b), `item ${i} ${key}`).toBe(-1);
        }
      });
      // One round per split parameter (10 of them) before; two rounds of at most 63 tasks now.
      expect(roundsOne).toBe(3 * 10);
      expect(roundsMany).toBe(3 * 2);
    });
  }

  it('Adam on a backend with adamUpdateMany takes the batched path and trains as the per-parameter path', () => {
    const params = (): { value: Tensor; grad: Tensor; decay: boolean }[] =>
      [100_003, 64, 4096].map((n, i) => {
        const value = tensor([n], cpu.alloc(n));
        value.data.set(randn(n, 7 + i));
        return { value, grad: tensor([n], cpu.alloc(n)), decay: i !== 1 };
      });
    const pa = params();
    const pb = params();
    const batched = new Adam(pa, { kind: 'adamw', lr: 1e-2, weightDecay: 0.01 }, true, cpu);
    const single = new Adam(pb, { kind: 'adamw', lr: 1e-2, weightDecay: 0.01 }, true, { ...cpu, adamUpdateMany: undefined });
    for (let t = 1; t <= 3; t++) {
      for (const [i, p] of pa.entries()) {
        const g = randn(p.value.data.length, 50 * t + i);
        p.grad.data.set(g);
        pb[i].grad.data.set(g);
      }
      const l0 = cpu.launches;
      batched.step(t === 3 ? 5e-3 : undefined);
      expect(cpu.launches - l0, 'one round for the whole step').toBe(1);
      single.step(t === 3 ? 5e-3 : undefined);
    }
    for (const [i, p] of pa.entries()) expect(firstDifference(p.value.data, pb[i].value.data), `param ${i}`).toBe(-1);
    expect(scaledError(pa[0].value.data, randn(100_003, 7))).toBeGreaterThan(1e-3);
  });
});
