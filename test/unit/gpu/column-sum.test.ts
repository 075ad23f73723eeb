/**
 * The split sums of column-sum.ts and the split-k weight gradient built on them, against float64
 * sums (issue #61): the layouts their callers use (a matrix's rows, an `[N, C, plane]` tensor's
 * channels, one row per output), each term and finish, sizes that leave partial blocks and
 * chunks, views at offsets, and many chunks (the sums the H200's profile found on a handful of
 * workgroups). Runs on whatever adapter `testGpu` finds (SwiftShader in CI).
 *
 * Bound: |got − want| ≤ 1e-6·(|out₀| + Σ|term|): float32 additions in any order (the workgroups'
 * chunks, the lanes' strides, the tree) stay within a few ulps of the sum of magnitudes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuView, type GpuContext } from '../../../src-engine/core/gpu/context';
import { prepareWeightGradient, splitKParts, submitDispatches } from '../../../src-engine/core/gpu/gemm';
import { channelsOf, columnSum, rowsOf, type ColumnFinish, type ColumnLayout, type ColumnTerm } from '../../../src-engine/core/gpu/kernels/column-sum';
import { testGpu } from './device';
import { values } from './kernel-harness';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

const random = (n: number, seed: number): Float32Array => values(n, seed);

/** Float64 sums of `layout` and their magnitudes (the bound's Σ|term|), as the file's comment defines the layout. */
function reference(layout: ColumnLayout, term: ColumnTerm, a: Float32Array, b: Float32Array): { sum: Float64Array; mag: Float64Array } {
  const sum = new Float64Array(layout.cols);
  const mag = new Float64Array(layout.cols);
  for (let c = 0; c < layout.cols; c++) {
    for (let t = 0; t < layout.total; t++) {
      const at = Math.floor(t / layout.inner) * layout.outerStride + c * layout.colStride + (t % layout.inner);
      const v = term === 'a' ? a[at] : term === 'ab' ? a[at] * b[at] : a[at] * a[at];
      sum[c] += v;
      mag[c] += Math.abs(v);
    }
  }
  return { sum, mag };
}

async function check(layout: ColumnLayout, term: ColumnTerm, finish: ColumnFinish, seed: number): Promise<void> {
  const length = (layout.total > 0 ? (Math.ceil(layout.total / layout.inner) - 1) * layout.outerStride + (layout.cols - 1) * layout.colStride + layout.inner : 0) || 1;
  const pad = 3;
  const a = random(length, seed);
  const b = random(length, seed + 1);
  const out0 = random(layout.cols, seed + 2);
  // Views at an offset, as a node's tensors in a shared buffer.
  const at = (data: Float32Array) => {
    const t = ctx.createTensor(data.length + pad);
    const v = gpuView(t, pad, data.length);
    ctx.write(t, Float32Array.from([...new Float32Array(pad), ...data]));
    return v;
  };
  const out = at(out0);
  submitDispatches(ctx, columnSum(ctx, 'test:sum', layout, term, finish, at(a), out, term === 'ab' ? at(b) : undefined));
  const got = await ctx.read(out);
  const { sum, mag } = reference(layout, term, a, b);
  for (let c = 0; c < layout.cols; c++) {
    const want = finish === 'add' ? out0[c] + sum[c] : Math.sqrt(sum[c]);
    const bound = finish === 'add' ? 1e-6 * (Math.abs(out0[c]) + mag[c]) : 1e-6 * Math.sqrt(mag[c]);
    expect(Math.abs(got[c] - want), `${JSON.stringify(layout)} ${term} ${finish} [${c}]: ${got[c]} vs ${want}`).toBeLessThanOrEqual(bound);
  }
}

describe('column sums split over workgroups', () => {
  it("a matrix's rows per column (a bias's gradient): partial blocks of 64 columns, one chunk and many", async () => {
    await check(rowsOf(7, 37), 'a', 'add', 1);
    await check(rowsOf(4096, 130), 'a', 'add', 2);
    await check(rowsOf(1, 3), 'a', 'add', 3);
  });
  it("an [N, C, plane] tensor's channels (a convolution's db, GroupNorm's γ), with dy·x̂ (LayerNorm's dγ)", async () => {
    await check(channelsOf(5, 3, 49), 'a', 'add', 4);
    await check(channelsOf(64, 4, 28 * 28), 'ab', 'add', 5);
    await check(channelsOf(2, 6, 4), 'ab', 'add', 6);
  });
  it('one row per output, squared and rooted (the recurrent per-step gradient norms)', async () => {
    await check(channelsOf(1, 28, 64 * 32), 'aa', 'sqrt', 7);
  });
});

describe('the split-k weight gradient', () => {
  it('splits a few-tile product with many rows, and adds the same as one product would', async () => {
    const [m, n, k] = [12, 20, 2048];
    expect(splitKParts(m, n, k)).toBeGreaterThan(1);
    expect(splitKParts(1024, 1024, 2048)).toBe(1);
    // Aᵀ·B with A [k, m], B [k, n], added into C.
    const a = random(k * m, 8);
    const b = random(k * n, 9);
    const c0 = random(m * n, 10);
    const [ta, tb, tc] = [a, b, c0].map((d) => {
      const t = ctx.createTensor(d.length);
      ctx.write(t, d);
      return t;
    });
    submitDispatches(ctx, prepareWeightGradient(ctx, { m, n, k, a: ta, b: tb, c: tc }));
    const got = await ctx.read(tc);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let want = c0[i * n + j];
        let mag = Math.abs(want);
        for (let p = 0; p < k; p++) {
          want += a[p * m + i] * b[p * n + j];
          mag += Math.abs(a[p * m + i] * b[p * n + j]);
        }
        expect(Math.abs(got[i * n + j] - want)).toBeLessThanOrEqual(1e-5 * mag + 1e-6);
      }
    }
  });
});
