/**
 * The WGSL AvgPool2d and GlobalAvgPool (`kernels/pool.ts`) and Upsample (`kernels/upsample.ts`)
 * against their op files on odd sizes: AvgPool2d with the default stride (= kernel, leftover rows
 * and columns that no window reads), overlapping windows with padding (count_include_pad: every
 * window divides by kH·kW), rectangular kernels and unequal strides, a stride larger than the
 * kernel; GlobalAvgPool on [N, C, H, W], [N, C, L], a rank-5 input and a 33×31 plane; Upsample by
 * 1, 2, 3 and 5. Forward and backward (adding into a random initial dx), in views at odd offsets
 * between sentinels.
 *
 * Bound (kernel-parity.ts): |gpu − cpu| ≤ 2·(m + 2)·2⁻²⁴·Σ|terms| per element, m the longest
 * sum: AvgPool2d's y sums kH·kW values (then × 1/(kH·kW), float32 on the GPU, float64 in the op
 * file), its dx the dy of the ⌈kH/sH⌉·⌈kW/sW⌉ windows at most that cover an element, and its
 * initial value; GlobalAvgPool's y sums H·W values, its dx adds one scaled dy to its initial
 * value; Upsample's dx sums s² values and its initial value. Upsample's forward is a copy: exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { gpuKernelGaps } from '../../../src-engine/core/gpu/executor';
import { upsampleKernel } from '../../../src-engine/core/gpu/kernels/upsample';
import { testGpu } from './device';
import { kernelParity } from './kernel-parity';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

describe('WGSL AvgPool2d vs the op file', () => {
  const cases: [string, number[], { kernelSize: [number, number]; stride?: [number, number]; padding?: [number, number] }][] = [
    ['2×2, stride = kernel, odd image (a row and a column no window reads)', [2, 3, 5, 7], { kernelSize: [2, 2] }],
    ['3×3, stride 2, padding 1 (overlapping, padded zeros counted)', [2, 2, 7, 6], { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }],
    ['3×2, stride 1×2, padding 1×0', [1, 3, 5, 5], { kernelSize: [3, 2], stride: [1, 2], padding: [1, 0] }],
    ['2×3, stride 3×1 (gaps between rows of windows), padding 1×1', [2, 2, 8, 7], { kernelSize: [2, 3], stride: [3, 1], padding: [1, 1] }],
  ];
  cases.forEach(([name, input, attrs], i) => {
    it(`${name}: forward and backward`, async () => {
      const [kh, kw] = attrs.kernelSize;
      const [sh, sw] = attrs.stride ?? attrs.kernelSize;
      const worst = await kernelParity(ctx, { op: 'AvgPool2d', attrs, input, seed: 200 + i, terms: { y: kh * kw, dx: Math.ceil(kh / sh) * Math.ceil(kw / sw) + 1 } });
      expect(Object.keys(worst).sort()).toEqual(['dx', 'y']);
    }, 60_000);
  });
});

describe('WGSL GlobalAvgPool vs the op file', () => {
  const cases: [string, number[]][] = [
    ['[N, C, H, W] odd', [3, 4, 5, 7]],
    ['[N, C, L]', [2, 3, 9]],
    ['rank 5', [2, 2, 3, 4, 5]],
    ['a 33×31 plane (1023 values per sum)', [2, 3, 33, 31]],
  ];
  cases.forEach(([name, input], i) => {
    it(`${name}: forward and backward`, async () => {
      const size = input.slice(2).reduce((a, b) => a * b, 1);
      const worst = await kernelParity(ctx, { op: 'GlobalAvgPool', attrs: {}, input, seed: 300 + i, terms: { y: size, dx: 2 } });
      expect(Object.keys(worst).sort()).toEqual(['dx', 'y']);
    }, 60_000);
  });
});

describe('WGSL Upsample vs the op file', () => {
  const cases: [number, number[]][] = [
    [1, [2, 3, 5, 7]],
    [2, [2, 3, 5, 7]],
    [3, [1, 2, 3, 4]],
    [5, [2, 1, 2, 3]],
  ];
  cases.forEach(([s, input], i) => {
    it(`scale ${s} on [${input}]: forward (exact copy) and backward`, async () => {
      const worst = await kernelParity(ctx, { op: 'Upsample', attrs: { scaleFactor: s }, input, seed: 400 + i, terms: { y: 0, dx: s * s + 1 } });
      expect(worst.y).toBe(0);
    }, 60_000);
  });

  it('refuses a mode other than nearest by name (E_GPU_NO_KERNEL through the gaps), never running it as nearest', () => {
    expect(upsampleKernel.unsupported?.({ scaleFactor: 2, mode: 'nearest' })).toBeNull();
    expect(upsampleKernel.unsupported?.({ scaleFactor: 2, mode: 'bilinear' })).toMatch(/bilinear/);
    const gaps = gpuKernelGaps({
      format: 'netwright.graph',
      version: 2,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [1, 4, 4] }, inputs: [] },
        { id: 'up', op: 'Upsample', attrs: { scaleFactor: 2, mode: 'bilinear' }, inputs: ['x'] },
        { id: 'avg', op: 'AvgPool2d', attrs: { kernelSize: [2, 2] }, inputs: ['up'] },
        { id: 'gap', op: 'GlobalAvgPool', attrs: {}, inputs: ['avg'] },
      ],
      outputs: { y: 'gap' },
    });
    expect(gaps).toEqual([expect.stringMatching(/^Upsample \(up\): mode 'bilinear'/)]);
  });
});
