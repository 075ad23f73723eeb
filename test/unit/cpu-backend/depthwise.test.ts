/**
 * The depthwise Conv2d forward (kernels/depthwise.wat) against the sum its header states, bit for
 * bit: y = Σ_{ky, kx} w·x from 0 in row-major tap order, each product rounded to float32 then
 * added (taps in the padding add w·0 = ±0), then + bias. Written here with Math.fround, so any
 * reassociation, fused multiply-add (this file runs in the cpu-fma project too) or dropped ±0 shows.
 *
 * The geometries take each of the forward's paths by channel groups: the row-block kernels of 7
 * and 8 pixels (3×3 and 5×5, stride 1 and 2: output rows 7, 14, 28 wide take 7), the generic one
 * (a stride 3, a dilation, a 7×7 and a 2×3 filter), rows under four wide (single columns), channel
 * counts that leave a group of 1–3 channels, padding 0/1/2; on one thread and on two, where a
 * task's range of planes can start or end inside a group of four channels; and the plane-by-plane
 * path, which takes rows over 28 wide at stride 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { getOp } from '../../../src-engine/core/ops/registry';
import { kernelFor } from '../../../src-engine/core/ops/kernel-set';
import type { Attrs, OpForwardContext } from '../../../src-engine/core/ops/types';
import { Rng } from '../../../src-engine/base/rng';
import { tensor } from '../../../src-engine/base/tensor';
import { expectSameValues } from '../same-values';
import { randn } from './conv-exact';

let one: CpuBackend;
let two: CpuBackend;
beforeAll(async () => {
  [one, two] = await Promise.all([createCpuBackend({ threads: 1 }), createCpuBackend({ threads: 2 })]);
});
afterAll(() => {
  one?.dispose();
  two?.dispose();
});

interface Geometry {
  n: number;
  c: number;
  h: number;
  w: number;
  k: [number, number];
  s: [number, number];
  p: [number, number];
  d: [number, number];
  bias: boolean;
}

const g = (n: number, c: number, h: number, w: number, k: number | [number, number], s = 1, p = 0, d = 1, bias = true): Geometry => ({
  n, c, h, w, k: typeof k === 'number' ? [k, k] : k, s: [s, s], p: [p, p], d: [d, d], bias,
});

const CASES: [label: string, geometry: Geometry][] = [
  ['5×5 pad 2 on 7×7 (7-pixel blocks), 7 channels (a group of 3)', g(3, 7, 7, 7, 5, 1, 2)],
  ['5×5 pad 2 on 28×28, 7 channels, batch 3 (two threads split inside groups)', g(3, 7, 28, 28, 5, 1, 2)],
  ['3×3 pad 1 on 14×14 (7-pixel blocks), 6 channels', g(2, 6, 14, 14, 3, 1, 1)],
  ['5×5 stride 2 pad 2 on 28×28 (14 wide: 7-pixel blocks), 5 channels', g(2, 5, 28, 28, 5, 2, 2)],
  ['3×3 stride 2 pad 1 on 56×56, 9 channels, no bias', g(2, 9, 56, 56, 3, 2, 1, 1, false)],
  ['3×3 stride 2 pad 1 on 16×16 (8-pixel blocks), 4 channels', g(3, 4, 16, 16, 3, 2, 1)],
  ['5×5 pad 2 on 16×16 (8-pixel blocks), 4 channels', g(2, 4, 16, 16, 5, 1, 2)],
  ['5×5 stride 2 pad 2 on 32×31, 3 channels, no bias', g(2, 3, 32, 31, 5, 2, 2, 1, false)],
  ['3×3 pad 0 on 11×10 (9×8 out), 6 channels', g(2, 6, 11, 10, 3)],
  ['5×5 stride 2 pad 1 on 13×13 (6×6 out), 5 channels', g(3, 5, 13, 13, 5, 2, 1)],
  ['3×3 pad 1 on 3×2 (rows under four wide), 7 channels', g(2, 7, 3, 2, 3, 1, 1)],
  ['3×3 stride 3 pad 1 on 13×9 (the generic kernel), 5 channels', g(2, 5, 13, 9, 3, 3, 1)],
  ['5×5 stride 2 dilation 2 pad 2 on 11×10, 4 channels', g(2, 4, 11, 10, 5, 2, 2, 2)],
  ['7×7 pad 3 on 9×9, 3 channels', g(2, 3, 9, 9, 7, 1, 3)],
  ['2×3 stride (1, 2) pad (1, 2) dilation 2 on 8×9, 3 channels', { n: 2, c: 3, h: 8, w: 9, k: [2, 3], s: [1, 2], p: [1, 2], d: [2, 2], bias: true }],
  // Rows over 28 wide at stride 1: plane by plane.
  ['3×3 pad 1 on 5×33 (plane by plane), 3 channels', g(2, 3, 5, 33, 3, 1, 1)],
  ['5×5 pad 2 on 9×40 (plane by plane), 2 channels, no bias', g(2, 2, 9, 40, 5, 1, 2, 1, false)],
];

const outSize = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

/** The stated sum, in float32 operation by operation. */
function exact(q: Geometry, x: Float32Array, w: Float32Array, b: Float32Array | null): Float32Array {
  const f = Math.fround;
  const [oh, ow] = [outSize(q.h, q.k[0], q.s[0], q.p[0], q.d[0]), outSize(q.w, q.k[1], q.s[1], q.p[1], q.d[1])];
  const y = new Float32Array(q.n * q.c * oh * ow);
  for (let plane = 0; plane < q.n * q.c; plane++) {
    const c = plane % q.c;
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let acc = 0;
        for (let ky = 0; ky < q.k[0]; ky++) {
          for (let kx = 0; kx < q.k[1]; kx++) {
            const iy = i * q.s[0] - q.p[0] + ky * q.d[0];
            const ix = j * q.s[1] - q.p[1] + kx * q.d[1];
            const v = iy >= 0 && iy < q.h && ix >= 0 && ix < q.w ? x[(plane * q.h + iy) * q.w + ix] : 0;
            acc = f(acc + f(w[(c * q.k[0] + ky) * q.k[1] + kx] * v));
          }
        }
        y[(plane * oh + i) * ow + j] = b ? f(acc + b[c]) : acc;
      }
    }
  }
  return y;
}

describe('depthwise Conv2d forward: the stated float32 sum, bit for bit', () => {
  for (const [label, q] of CASES) {
    it(label, () => {
      const rng = new Rng(5);
      const def = getOp('Conv2d')!;
      const given: Attrs = { outChannels: q.c, kernelSize: q.k, stride: q.s, padding: q.p, dilation: q.d, groups: q.c, bias: q.bias };
      const attrs = { ...Object.fromEntries(Object.entries(def.attrs ?? {}).map(([name, a]) => [name, (a as { default?: unknown }).default])), ...given } as Attrs;
      const x = randn([q.n, q.c, q.h, q.w], rng);
      // Exact zeros of both signs: a product w·(−0) must be added, not skipped.
      for (let i = 0; i < x.data.length; i += 7) x.data[i] = i % 14 ? -0 : 0;
      const weight = randn([q.c, 1, q.k[0], q.k[1]], rng);
      const bias = q.bias ? randn([q.c], rng) : null;
      const want = exact(q, x.data, weight.data, bias?.data ?? null);
      for (const backend of [one, two]) {
        const output = tensor([q.n, q.c, outSize(q.h, q.k[0], q.s[0], q.p[0], q.d[0]), outSize(q.w, q.k[1], q.s[1], q.p[1], q.d[1])]);
        output.data.fill(NaN);
        const ctx = { inputs: [x], output, params: { weight, ...(bias ? { bias } : {}) }, buffers: {}, workspace: {}, attrs, training: false, rng, backend };
        kernelFor(backend.overrides!, 'Conv2d')!.forward!(ctx as unknown as OpForwardContext);
        expectSameValues(output.data, want, `${backend.description}`);
      }
      expect(want.length).toBeGreaterThan(0);
    });
  }
});
