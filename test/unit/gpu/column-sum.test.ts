/**
 * The split sums of column-sum.ts and the split-k weight gradient built on them, against float64
 * sums (issue #61): the layouts their callers use (a matrix's rows, an `[N, C, plane]` tensor's
 * channels, one row per output), each term and finish, sizes that leave partial blocks and
 * chunks, views at offsets, and many chunks (the sums the H200's profile found on a handful of
 * workgroups). Runs on whatever adapter `testGpu` finds (SwiftShader in CI).
 *
 * Bound: |got − want| ≤ 1e-6·(|out₀| + Σ|term|): float32 additions in any order (the workgroups'
 * chunks, the lanes' strides, the tree) stay within a few ulps of the sum of magnitudes.
 *
 * BatchNorm's statistics and their gradient's sums are built on these sums where a channel has
 * 256 values or more (batch-norm.ts); they are checked here against float64 the same way, and the
 * squeeze-excite gate's gradient (binary.ts) is checked to take them (import-ops.test.ts holds its values).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuView, type GpuContext } from '../../../src-engine/core/gpu/context';
import { prepareWeightGradient, splitKParts, submitDispatches } from '../../../src-engine/core/gpu/gemm';
import { channelsOf, columnSum, rowsOf, type ColumnFinish, type ColumnLayout, type ColumnTerm } from '../../../src-engine/core/gpu/kernels/column-sum';
import { testGpu } from './device';
import { randomCase, runGpu, values, type KernelCase } from './kernel-harness';

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

/** Float64 per-channel sums of `f(i)` over the M values of each channel of `[N, C, inner]`, and of |f(i)|. */
function perChannel(shape: number[], f: (i: number) => number): { sum: Float64Array; mag: Float64Array } {
  const [n, c] = shape;
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const sum = new Float64Array(c);
  const mag = new Float64Array(c);
  for (let s = 0; s < n; s++) {
    for (let ch = 0; ch < c; ch++) {
      for (let j = 0; j < inner; j++) {
        const v = f((s * c + ch) * inner + j);
        sum[ch] += v;
        mag[ch] += Math.abs(v);
      }
    }
  }
  return { sum, mag };
}

/**
 * BatchNorm's training step on `shape` against float64: the batch mean and 1/σ (two passes: the
 * mean, then Σ(x − mean)² about the float32 mean the GPU found), the running statistics, Σdy and
 * Σdy·x̂ (of the GPU's own x̂) and dβ, dγ added into their values. Bounds: the column sums' for
 * each sum; 1/σ's relative error is half its variance's, its sum's 1e-6 plus M·δ² from the mean's error δ.
 */
async function checkBatchNorm(shape: number[], attrs: Record<string, unknown>, seed: number, how: 'split' | 'tree', offset = 0): Promise<void> {
  const c = shape[1];
  const m = shape.reduce((a, b) => a * b, 1) / c;
  const affine = attrs.affine !== false;
  const k: KernelCase = randomCase('BatchNorm', [shape], attrs, seed, affine ? { params: { weight: c, bias: c } } : {});
  // Values far from zero: a one-pass E[x²] − mean² would lose their variance's digits.
  k.inputs[0] = k.inputs[0].map((v) => v + offset);
  k.buffers = { runningMean: values(c, seed + 50, 0.5), runningVar: values(c, seed + 51, 0.5, 2) };
  const eps = (attrs.eps as number | undefined) ?? 1e-5;
  const momentum = (attrs.momentum as number | undefined) ?? 0.1;
  const got = await runGpu(ctx, k, { workspace: true });
  const ran = how === 'split' ? [/^batchnorm:train-stats:partial:dd:\d+$/, /^batchnorm:grad-stats:(affine|plain):finish$/] : [/^batchnorm:train-stats:tree$/, /^batchnorm:grad-stats:(affine|plain):tree$/];
  expect(got.dispatches, `the ${how} statistics ran`).toEqual(expect.arrayContaining(ran.map((r) => expect.stringMatching(r))));
  const x = k.inputs[0];
  const [stats, xhat, dstats] = [got.workspace.stats, got.workspace.xhat, got.workspace.dstats];
  const near = (what: string, ch: number, value: number, want: number, bound: number) =>
    expect(Math.abs(value - want), `${JSON.stringify(shape)} ${what}[${ch}]: ${value} vs ${want}`).toBeLessThanOrEqual(bound);
  const sums = perChannel(shape, (i) => x[i]);
  const centred = perChannel(shape, (i) => (x[i] - stats[(Math.floor(i / (m / shape[0])) % c)]) ** 2);
  const dys = perChannel(shape, (i) => k.dOutput[i]);
  const products = perChannel(shape, (i) => k.dOutput[i] * xhat[i]);
  for (let ch = 0; ch < c; ch++) {
    const mean = sums.sum[ch] / m;
    near('mean', ch, stats[ch], mean, 1e-6 * (sums.mag[ch] / m));
    const ss = centred.sum[ch];
    const invStd = 1 / Math.sqrt(ss / m + eps);
    near('1/σ', ch, stats[c + ch], invStd, 1e-6 * invStd);
    const [rm0, rv0] = [k.buffers.runningMean[ch], k.buffers.runningVar[ch]];
    near('running mean', ch, got.buffers!.runningMean[ch], (1 - momentum) * rm0 + momentum * mean, 1e-6 * (Math.abs(rm0) + momentum * (sums.mag[ch] / m)));
    const unbiased = ss / (m - 1);
    near('running var', ch, got.buffers!.runningVar[ch], (1 - momentum) * rv0 + momentum * unbiased, 1e-6 * (Math.abs(rv0) + momentum * unbiased));
    near('Σdy', ch, dstats[ch], dys.sum[ch], 1e-6 * dys.mag[ch]);
    near('Σdy·x̂', ch, dstats[c + ch], products.sum[ch], 1e-6 * products.mag[ch]);
    if (affine) {
      const [db0, dg0] = [k.dParams!.bias[ch], k.dParams!.weight[ch]];
      near('dβ', ch, got.dParams.bias[ch], db0 + dys.sum[ch], 1e-6 * (Math.abs(db0) + dys.mag[ch]));
      near('dγ', ch, got.dParams.weight[ch], dg0 + products.sum[ch], 1e-6 * (Math.abs(dg0) + products.mag[ch]));
    }
  }
  if (how === 'tree') {
    // One workgroup a channel is column-sum's order for one chunk: Σdy and Σdy·x̂ have the split's bits.
    const [a, b] = [k.dOutput, xhat].map((d) => {
      const t = ctx.createTensor(d.length);
      ctx.write(t, d);
      return t;
    });
    const sums = ctx.createTensor(2 * c);
    const layout = channelsOf(shape[0], c, m / shape[0]);
    submitDispatches(ctx, [...columnSum(ctx, 'test:bn', layout, 'a', 'set', a, gpuView(sums, 0, c)), ...columnSum(ctx, 'test:bn', layout, 'ab', 'set', a, gpuView(sums, c, c), b)]);
    expect(Array.from(await ctx.read(sums)), 'the tree sums as the split does').toEqual(Array.from(dstats));
  }
}

describe("BatchNorm's statistics and their gradient's sums, split over workgroups", () => {
  it('[N, C, H, W] affine: chunks of uneven length; many chunks; values around 50', async () => {
    await checkBatchNorm([16, 5, 20, 20], {}, 11, 'split');
    await checkBatchNorm([2, 3, 128, 130], {}, 12, 'split');
    await checkBatchNorm([5, 5, 32, 32], {}, 13, 'split', 50);
  }, 60_000);
  it('[N, C] of 300 samples (channels side by side); one chunk a channel: one workgroup each, the split’s bits', async () => {
    await checkBatchNorm([300, 70], {}, 15, 'split');
    await checkBatchNorm([40, 6, 7], { affine: false, eps: 1e-3, momentum: 0.3 }, 14, 'tree');
    await checkBatchNorm([4, 3, 16, 16], {}, 16, 'tree', 50);
  }, 60_000);
  it("a squeeze-excite gate's gradient is a split sum where it sums 32 values or more, the gather's below", async () => {
    const ran = async (gate: number[], x: number[]) => (await runGpu(ctx, randomCase('Multiply', [x, gate], {}, 17))).dispatches!.filter((d) => d.includes(':bwd:x2:'));
    expect(await ran([2, 3, 1, 1], [2, 3, 7, 7])).toEqual(['binary:Multiply:main:bwd:x2:split:partial:ab:4', 'binary:Multiply:main:bwd:x2:split:finish:add']);
    expect(await ran([2, 3, 1, 1], [2, 3, 4, 5])).toEqual(['binary:Multiply:main:bwd:x2:strided']);
  }, 60_000);
});
