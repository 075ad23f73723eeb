/**
 * The CPU backend's Adam/AdamW kernel is bit-identical to optim/adam.ts: it runs the same float64
 * operations in the same order and rounds to float32 at the same points (see kernels/optim.wat).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { adamUpdate, type AdamHyper } from '../../../src-engine/optim/adam';
import { Rng } from '../../../src-engine/rng';

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu?.dispose());

function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal() * scale);
}

const HYPERS: [string, AdamHyper][] = [
  ['Adam', { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, amsgrad: false }],
  ['Adam + L2 + AMSGrad', { lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.01, decoupled: false, amsgrad: true }],
  ['AdamW', { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, amsgrad: false }],
];

describe('CPU backend adamUpdate', () => {
  for (const [label, h] of HYPERS) {
    for (const [n, heap] of [[1, true], [7, false], [1001, true], [100_003, true]] as [number, boolean][]) {
      it(`${label}, ${n} values${heap ? '' : ' (outside the heap)'}: bit-identical to optim/adam.ts over 5 steps`, () => {
        const make = (src: Float32Array): Float32Array => {
          if (!heap) return Float32Array.from(src);
          const a = cpu.alloc(src.length);
          a.set(src);
          return a;
        };
        const w0 = randn(n, 1);
        const ref = { w: Float32Array.from(w0), m: new Float32Array(n), v: new Float32Array(n), x: new Float32Array(n) };
        const got = { w: make(w0), m: make(new Float32Array(n)), v: make(new Float32Array(n)), x: make(new Float32Array(n)) };
        for (let t = 1; t <= 5; t++) {
          const g = randn(n, 10 + t, t === 3 ? 1e-4 : 1);
          adamUpdate(ref.w, g, ref.m, ref.v, h.amsgrad ? ref.x : null, h, t);
          cpu.adamUpdate(got.w, make(g), got.m, got.v, h.amsgrad ? got.x : null, h, t);
        }
        expect(Array.from(got.w)).toEqual(Array.from(ref.w));
        expect(Array.from(got.m)).toEqual(Array.from(ref.m));
        expect(Array.from(got.v)).toEqual(Array.from(ref.v));
        if (h.amsgrad) expect(Array.from(got.x)).toEqual(Array.from(ref.x));
      });
    }
  }
});
