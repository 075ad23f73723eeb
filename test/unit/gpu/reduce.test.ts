/**
 * The probes' reductions on the GPU (core/gpu/reduce.ts) against the host's (`reduceOnHost`):
 * odd sizes (one value, a partial workgroup, more workgroups than the combining workgroup has
 * threads), tensors at an offset in their buffer, NaN/±Inf/±0, differences with non-finite
 * values, histograms with values exactly on bin edges, a constant tensor (the widened range) and
 * one with no finite value. Bounds: test/unit/gpu/figures.ts. And the host side: the frame
 * entries made from figures (`summaryOf`) are `TensorSummarizer.summarize`'s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext, GpuTensor } from '../../../src-engine/core/gpu/context';
import { encodeComputePass } from '../../../src-engine/core/gpu/passes';
import { prepareReductions, type ReduceJob } from '../../../src-engine/core/gpu/reduce';
import type { TensorFigures } from '../../../src-engine/core/train/types';
import { TensorSummarizer, reduceOnHost, summaryOf } from '../../../src-engine/app/probes/summary';
import { Rng } from '../../../src-engine/base/rng';
import { testGpu } from './device';
import { expectFigures } from './figures';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

/** `data` on the device at `offset` floats into a buffer of its own. */
function upload(data: Float32Array, offset: number): GpuTensor {
  const t = ctx.createTensor(offset + data.length + 3);
  const view = { buffer: t.buffer, offset, length: data.length };
  ctx.write(t, Float32Array.from([...new Float32Array(offset).fill(1e30), ...data, 7, 7, 7]));
  return view;
}

interface Case {
  x: Float32Array;
  y?: Float32Array;
  hist: boolean;
  tails?: { below: number; above: number };
  units?: { batch: number; units: number; inner: number };
}

async function onGpu(cases: readonly Case[], bins: number): Promise<TensorFigures[]> {
  const jobs: ReduceJob[] = cases.map(({ x, y, ...rest }, i) => ({ ...rest, x: upload(x, i % 3 === 1 ? 5 : 0), ...(y ? { y: upload(y, 3) } : {}) }));
  const r = prepareReductions(ctx, jobs, bins);
  // Twice, as a probed step does each time: the record must start from zero (cleared) every run.
  for (let run = 0; run < 2; run++) {
    const enc = ctx.device.createCommandEncoder();
    enc.clearBuffer(r.record.buffer);
    encodeComputePass(ctx, enc, 'reductions', r.dispatches);
    ctx.device.queue.submit([enc.finish()]);
  }
  const got = await ctx.read(r.record);
  return r.decode(got.slice().buffer);
}

function random(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

describe('probe reductions on the GPU', () => {
  it('odd sizes, at offsets, with differences: as on the host', async () => {
    const sizes = [1, 3, 255, 257, 1000, 70_001];
    const cases: Case[] = sizes.flatMap((n, k) => [
      { x: random(n, k + 1, 0.1), y: random(n, k + 50, 0.1), hist: true },
      { x: random(n, k + 100, 3).map((v) => v + 5), hist: false },
    ]);
    const gpu = await onGpu(cases, 32);
    cases.forEach((c, i) => expectFigures(`case ${i} (${c.x.length} values)`, gpu[i], reduceOnHost(c.x, c.hist ? 32 : 0, c.y), 2));
    // More workgroups (274) than the combining workgroup has threads, and sums that mean something.
    expect(gpu[10].length).toBe(70_001);
    expect(gpu[11].sum / 70_001).toBeGreaterThan(4.9);
  });

  it('NaN, ±Inf, ±0 and non-finite differences: counted, never summed or binned', async () => {
    const { NaN: nan } = Number;
    const inf = Infinity;
    const x = Float32Array.from([0, -0, 1.5, nan, inf, -inf, -2, 0, nan, 3, inf, inf, 1, 4, -0, 2.5, nan]);
    const y = Float32Array.from([1, 0, nan, 0, inf, inf, -inf, 0, 1, 3, -inf, 2, inf, 1, 0, 2.5, nan]);
    const allBad = Float32Array.from([nan, inf, -inf, nan, nan]);
    const cases: Case[] = [
      { x, y, hist: true },
      { x, hist: false },
      { x: allBad, y: allBad, hist: true },
    ];
    const gpu = await onGpu(cases, 8);
    cases.forEach((c, i) => expectFigures(`case ${i}`, gpu[i], reduceOnHost(c.x, c.hist ? 8 : 0, c.y)));
    expect([gpu[0].nan, gpu[0].inf, gpu[0].zeros]).toEqual([3, 4, 4]);
    // (1.5, NaN), (NaN, 0), (Inf, Inf), (NaN, 1), (NaN, NaN): NaN; (-Inf, Inf), (-2, -Inf), (Inf, -Inf), (Inf, 2), (1, Inf): Inf.
    expect(gpu[0].diff).toMatchObject({ nan: 5, inf: 5 });
    expect(gpu[0].bins!.reduce((a, b) => a + b, 0)).toBe(10);
    expect([gpu[2].nan, gpu[2].inf, gpu[2].bins!.reduce((a, b) => a + b, 0)]).toEqual([3, 2, 0]);
    // The frame's figures: as the host summarizer's, NaN/Inf counted as nonFinite.
    expect(summaryOf(gpu[0]).stats).toMatchObject({ count: 10, nonFinite: 7, min: -2, max: 4 });
    expect(summaryOf(gpu[2])).toEqual(new TensorSummarizer(8).summarize(allBad));
  });

  it('histograms with values exactly on bin edges, and constant tensors: the host bin of every value', async () => {
    // [0, 32] in 32 bins: edge j is j; 32 (= max) goes to the last bin.
    const ints = Float32Array.from({ length: 33 * 3 }, (_, i) => i % 33);
    // [-2, 2] in 8 bins: edges every 0.5, values on all of them and between.
    const halves = Float32Array.from({ length: 17 }, (_, i) => -2 + i * 0.25);
    const cases: Case[] = [
      { x: ints, hist: true },
      { x: halves, hist: true },
      { x: new Float32Array(300), hist: true }, // all 0: [-0.5, 0.5], the middle bin
      { x: new Float32Array(77).fill(-1), hist: true }, // all -1: [-1.5, -0.5]
    ];
    const [a, b, zero, minusOne] = await onGpu(cases, 32);
    const [h8] = await onGpu([cases[1]], 8);
    expectFigures('0…32 in 32 bins', a, reduceOnHost(ints, 32));
    expect(Array.from(a.bins!)).toEqual([...new Array(31).fill(3), 6]);
    expectFigures('−2…2 in 32 bins', b, reduceOnHost(halves, 32));
    expectFigures('−2…2 in 8 bins', h8, reduceOnHost(halves, 8));
    expect(Array.from(h8.bins!)).toEqual([2, 2, 2, 2, 2, 2, 2, 3]);
    expectFigures('all 0', zero, reduceOnHost(cases[2].x, 32));
    expect(zero.bins![16]).toBe(300);
    expectFigures('all −1', minusOne, reduceOnHost(cases[3].x, 32));
    expect(minusOne.bins![16]).toBe(77);
    for (const [fig, data] of [[a, ints], [h8, halves], [zero, cases[2].x], [minusOne, cases[3].x]] as const) {
      expect(summaryOf(fig).hist).toEqual(new TensorSummarizer(fig.bins!.length).summarize(data).hist);
    }
  });

  it('values in the tails (a bound each side, one, ±Inf) and dead units (features, channels): as on the host', async () => {
    const { NaN: nan } = Number;
    // [4 samples, 5 units]: unit 1 is 0 in every sample (dead), unit 3 only −0 (dead), unit 4 once NaN (alive, as on the host).
    const features = Float32Array.from([1, 0, 2, 0, 0, -1, 0, 0, -0, nan, 3, 0, 0, 0, 0, 0, 0, 5, -0, 0]);
    // [2 samples, 3 channels, 2×2]: channel 2 all ±0 (dead); channel 0 non-zero once, in the second sample.
    const channels = Float32Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0, -0, 0, 0, 0, 0, 0, 7, 0, 2, 0, 0, 0, 0, -0, 0]);
    const x = Float32Array.from([-3, -2.5, -2, 0, 2, 2.5, 3, Infinity, -Infinity, nan, 1, -1]);
    const cases: Case[] = [
      { x: features, hist: true, units: { batch: 4, units: 5, inner: 1 } },
      { x: channels, hist: true, units: { batch: 2, units: 3, inner: 4 } },
      { x, hist: true, tails: { below: -2.5, above: 2.5 } }, // Tanh-like: both tails, the bounds themselves not in them
      { x, hist: false, tails: { below: -Infinity, above: 2 } }, // Softplus-like: only above
      { x, hist: false, tails: { below: -2, above: Infinity } },
      { x: random(1000, 7, 3), hist: true, tails: { below: -4, above: 4 }, units: { batch: 10, units: 100, inner: 1 } },
    ];
    const gpu = await onGpu(cases, 16);
    cases.forEach((c, i) => expectFigures(`case ${i}`, gpu[i], reduceOnHost(c.x, c.hist ? 16 : 0, undefined, c), 2));
    expect(gpu.slice(0, 2).map((f) => f.dead)).toEqual([2, 1]);
    expect(gpu.slice(2, 5).map((f) => f.tail)).toEqual([4, 3, 3]);
    expect(gpu[5].tail).toBeGreaterThan(100);
  });

  it('bad bins are refused', () => {
    expect(() => prepareReductions(ctx, [], 0)).toThrow(/PROBE_BAD_OPTION/);
  });
});

describe('figures → frame entries on the host', () => {
  it('summaryOf(reduceOnHost(x)) is TensorSummarizer.summarize(x), finite or not', () => {
    const rng = new Rng(9);
    const tensors = [
      Float32Array.from({ length: 1001 }, () => rng.normal() * 2 + 0.3),
      Float32Array.from({ length: 64 }, (_, i) => (i % 5 === 0 ? 0 : i % 7 === 0 ? NaN : i % 11 === 0 ? -Infinity : rng.normal())),
      new Float32Array(10).fill(2.5),
      new Float32Array(0),
    ];
    for (const t of tensors) expect(summaryOf(reduceOnHost(t, 16))).toEqual(new TensorSummarizer(16).summarize(t));
  });
});
