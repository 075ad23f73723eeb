/**
 * The WebGPU column of `npm run bench`: GEMM GFLOP/s and training samples/s on the adapter Dawn
 * (npm `webgpu`) finds. A fallback adapter (SwiftShader, a CPU emulation) is measured too but
 * labelled as such: its figures say nothing about a GPU. A model the GPU cannot run yet gets the
 * reason instead of a figure.
 */
import { checkedOrThrow } from '../src-engine/core/analysis/checked';
import type { GraphIR } from '../src-engine/base/ir/types';
import { adapterName, type GpuContext } from '../src-engine/core/gpu/context';
import { prepareGemm, submitDispatches, type GemmTile, type GpuDispatch } from '../src-engine/core/gpu/gemm';
import { bindDispatch } from '../src-engine/core/gpu/kernels/dispatch';
import { GpuProfiler, medianRecords, PROFILE_DAWN_OPTIONS, type ProfiledDispatch } from '../src-engine/core/gpu/passes';
import { buildGpuTrainable, gpuTrainingGaps } from '../src-engine/core/gpu/trainable';
import { defaultTraining } from '../src-engine/core/train/defaults';
import { RESIDENT_BYTES } from '../src-engine/core/train/loop';
import { planStep } from '../src-engine/core/train/step';
import { acquireNodeGpu } from '../src-engine/node/gpu/device';

export interface GpuWorkload {
  name: string;
  graph: GraphIR;
  featureInput: string;
  targetInput: string;
  features: Float32Array;
  targets: Float32Array;
  lr: number;
  /** Its own batch size and samples (a real-size workload's 16 and 64), else the bench's. */
  batch?: number;
  samples?: number;
}

export type GpuResults =
  | {
      adapter: string;
      /** The adapter's fp32 FMA throughput as measured by `fmaPeakGflops` (GFLOP/s): what the GEMM is held against. */
      peak: number;
      gemm: Record<string, number>;
      train: Record<string, number | string>;
      /** What was left out, and why (4096³ on a software adapter). */
      skipped: string[];
      /** How the training steps got their batches: gathered on the device from the held samples, or uploaded (BENCH_GPU_RESIDENT=0). */
      inputs: string;
      /** With `profile`: one training step per workload, dispatch by dispatch (times where `timestamps`). */
      profiles?: Record<string, ProfiledDispatch[]>;
      timestamps?: boolean;
    }
  | { error: string };

/** GEMM sizes timed on a real (non-fallback) adapter only: on SwiftShader 4096³ would take tens of minutes. */
export const GPU_ONLY_GEMM_SIZES: readonly [number, number, number][] = [[4096, 4096, 4096]];

/** Eight independent vec4 FMA chains per invocation: enough in flight to hide FMA latency on any GPU. */
const FMA_CHAINS = 8;
const FMA_WORKGROUP = 256;

const FMA_PEAK_WGSL = `struct Params { iters: u32, _a: u32, _b: u32, _c: u32, m: vec4<f32>, a: vec4<f32> }
@group(0) @binding(0) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(1) var<uniform> P: Params;
@compute @workgroup_size(${FMA_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let s = f32(gid.x) * 1e-9;
${Array.from({ length: FMA_CHAINS }, (_, i) => `  var x${i} = vec4<f32>(s + ${i}.0, s - ${i}.0, s * ${i + 1}.0, s + ${i}.5);`).join('\n')}
  for (var i = 0u; i < P.iters; i = i + 1u) {
${Array.from({ length: FMA_CHAINS }, (_, i) => `    x${i} = fma(x${i}, P.m, P.a);`).join('\n')}
  }
  OUT[gid.x] = dot(${Array.from({ length: FMA_CHAINS }, (_, i) => `x${i}`).join(' + ')}, vec4<f32>(1.0));
}
`;

/**
 * The adapter's fp32 multiply-add throughput, measured (GFLOP/s): invocations that do nothing but
 * independent vec4 FMAs on registers, whose results are kept (written once) so nothing is optimised
 * away, the multiplier and addend from a uniform so nothing is folded. WebGPU does not report a
 * peak; this is the ceiling a GEMM kernel can reach on this adapter (the way clpeak measures one),
 * and the GEMM rows are given as a share of it. On a software adapter it measures the emulation.
 */
export async function fmaPeakGflops(ctx: GpuContext, seconds: number, fallback: boolean): Promise<number> {
  const iters = fallback ? 64 : 4096;
  const groups = fallback ? 64 : 4096;
  const threads = groups * FMA_WORKGROUP;
  const out = ctx.createTensor(threads);
  const words = new Uint32Array(12);
  words[0] = iters;
  new Float32Array(words.buffer, 16, 8).set([0.9999, 0.9999, 0.9999, 0.9999, 1e-4, 1e-4, 1e-4, 1e-4]);
  const d = bindDispatch(ctx, 'bench:fma-peak', () => FMA_PEAK_WGSL, [out.buffer], words, [groups, 1, 1]);
  const batch = Array.from({ length: 4 }, () => d);
  const secs = await timeBest(seconds, 1, async () => {
    submitDispatches(ctx, batch);
    await ctx.device.queue.onSubmittedWorkDone();
  });
  return (batch.length * threads * iters * FMA_CHAINS * 4 * 2) / secs / 1e9;
}

async function timeBest(seconds: number, reps: number, run: () => Promise<void>): Promise<number> {
  await run(); // warm-up (pipelines compile here)
  let best = Infinity;
  const deadline = performance.now() + seconds * 1000;
  do {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) await run();
    best = Math.min(best, (performance.now() - t0) / 1000 / reps);
  } while (performance.now() < deadline);
  return best;
}

/**
 * The best of `reps` submissions of `d` alone, each awaited (ms), after one that is not kept (it
 * compiles nothing — pipelines are made at prepare — but warms caches).
 */
export async function timeDispatches(ctx: GpuContext, d: readonly GpuDispatch[], reps: number): Promise<number> {
  let best = Infinity;
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    submitDispatches(ctx, d);
    await ctx.device.queue.onSubmittedWorkDone();
    if (r > 0) best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** GFLOP/s of one GEMM size, ten products per timed submit; `tile`: that tile, not `chooseGemmTile`'s. */
export async function gemmGflops(ctx: GpuContext, m: number, k: number, n: number, seconds: number, tile?: GemmTile): Promise<number> {
  const a = ctx.createTensor(m * k);
  const b = ctx.createTensor(k * n);
  const c = ctx.createTensor(m * n);
  ctx.write(a, new Float32Array(m * k).fill(0.5));
  ctx.write(b, new Float32Array(k * n).fill(0.25));
  const d = prepareGemm(ctx, { transA: false, transB: false, m, n, k, a, b, c, accumulate: false, tile });
  const batch = Array.from({ length: 10 }, () => d);
  const secs = await timeBest(seconds, 1, async () => {
    submitDispatches(ctx, batch);
    await ctx.device.queue.onSubmittedWorkDone();
  });
  return (10 * 2 * m * n * k) / secs / 1e9;
}

/**
 * Whether the training steps gather their batches on the device from the samples held there, as
 * the training loop does for data in memory with nothing drawn per step (core/gpu/resident.ts), or
 * upload each batch from the host (`BENCH_GPU_RESIDENT=0`, the path before it, for comparison).
 */
const RESIDENT = process.env.BENCH_GPU_RESIDENT !== '0';

/**
 * A workload's training plan on `ctx` and a step over its data (`resident`: gathered from the
 * samples held on the device, through the plan's `holdSamples` as the loop calls it; else each
 * batch copied into the plan's inputs and uploaded, its features into the staging buffer the plan
 * lends as the loop's feeder does: `lendInput`), or why the GPU cannot train it.
 */
async function gpuTraining(ctx: GpuContext, w: GpuWorkload, batch: number, samples: number): Promise<{ step: () => Promise<number> | number } | string> {
  // An imported design (the real-size workloads) has no training section: the app's "Add settings".
  const training = w.graph.training ?? defaultTraining(w.graph);
  const graph: GraphIR = { ...w.graph, training: { ...training, batchSize: batch, optimizer: { kind: 'adam', lr: w.lr }, gradClip: undefined, groups: undefined } };
  const gaps = gpuTrainingGaps(graph);
  if (gaps.length) return `no GPU kernel: ${gaps.map((g) => g.split(' (')[0]).filter((g, i, all) => all.indexOf(g) === i).join(', ')}`;
  const plan = buildGpuTrainable(checkedOrThrow(graph), { gpu: ctx, batchSize: batch, seed: 0 });
  const x = plan.input(w.featureInput).data;
  const y = plan.input(w.targetInput).data;
  const nb = samples / batch;
  let i = 0;
  if (RESIDENT) {
    const rows = [
      { input: w.featureInput, values: w.features.subarray(0, samples * (x.length / batch)), size: x.length / batch },
      { input: w.targetInput, values: w.targets.subarray(0, samples * (y.length / batch)), size: y.length / batch },
    ];
    const held = await plan.device.holdSamples!(rows, RESIDENT_BYTES);
    if ('state' in held) throw new Error(`the samples were not held on the device: ${held.reason}`);
    const order = Int32Array.from({ length: samples }, (_, k) => k);
    return {
      step: () => {
        const b = i++ % nb;
        // As the loop: the host keeps the batch's targets (its metrics), the device gathers the rest.
        y.set(w.targets.subarray(b * y.length, (b + 1) * y.length));
        held.feed(plan, order, b * batch, batch);
        return planStep(plan, w.lr);
      },
    };
  }
  return {
    step: () => {
      const b = i++ % nb;
      // As the loop: the features into a mapped staging buffer where the plan lends one (lendInput).
      (plan.device.lendInput?.(w.featureInput) ?? x).set(w.features.subarray(b * x.length, (b + 1) * x.length));
      y.set(w.targets.subarray(b * y.length, (b + 1) * y.length));
      return planStep(plan, w.lr);
    },
  };
}

/** Steps profiled per workload; each dispatch's time is the median over them. */
const PROFILE_STEPS = 3;

/**
 * Training samples/s of one workload and, with `profile`, where one step's GPU time goes: every
 * dispatch timed by timestamp queries (passes.ts), the median of {@link PROFILE_STEPS} steps.
 */
async function trainWorkload(ctx: GpuContext, w: GpuWorkload, batch: number, samples: number, seconds: number, profile: boolean): Promise<{ rate: number | string; profile?: ProfiledDispatch[] }> {
  const t = await gpuTraining(ctx, w, batch, samples);
  if (typeof t === 'string') return { rate: t };
  const secs = await timeBest(seconds, 5, async () => {
    await t.step();
  });
  if (!profile) return { rate: batch / secs };
  const steps: ProfiledDispatch[][] = [];
  for (let s = 0; s < PROFILE_STEPS; s++) {
    const profiler = new GpuProfiler(ctx.device);
    ctx.profiler = profiler;
    try {
      await t.step();
    } finally {
      ctx.profiler = null;
    }
    steps.push(await profiler.finish());
  }
  return { rate: batch / secs, profile: medianRecords(steps) };
}

/** Measure the GPU column, or say why there is none. */
export async function benchGpu(gemmSizes: readonly [number, number, number][], workloads: readonly GpuWorkload[], o: { batch: number; samples: number; seconds: number; profile?: boolean }): Promise<GpuResults> {
  let ctx: GpuContext;
  try {
    ctx = (await acquireNodeGpu({ allowFallback: true, dawnOptions: o.profile ? PROFILE_DAWN_OPTIONS : [] })).ctx;
  } catch (e) {
    return { error: (e as Error).message };
  }
  // The host path's A/B on one machine: BENCH_GPU_STAGED=0 uploads inputs through writeBuffer,
  // BENCH_GPU_SPLIT=0 submits a step's forward with its backward (as over the GPU wire).
  if (process.env.BENCH_GPU_STAGED === '0') ctx.mappedWrites = false;
  if (process.env.BENCH_GPU_SPLIT === '0') ctx.splitSubmits = false;
  try {
    const fallback = ctx.adapter.isFallback;
    const peak = await fmaPeakGflops(ctx, o.seconds / 2, fallback);
    const gemm: Record<string, number> = {};
    const skipped: string[] = [];
    for (const [m, k, n] of [...gemmSizes, ...GPU_ONLY_GEMM_SIZES]) {
      const key = `${m}x${k}x${n}`;
      if (fallback && GPU_ONLY_GEMM_SIZES.some((g) => g.join('x') === key)) skipped.push(`GEMM ${key}: not timed on a software adapter (it would take tens of minutes)`);
      else gemm[key] = await gemmGflops(ctx, m, k, n, o.seconds / 2);
    }
    const train: Record<string, number | string> = {};
    const profiles: Record<string, ProfiledDispatch[]> = {};
    for (const w of workloads) {
      try {
        const r = await trainWorkload(ctx, w, w.batch ?? o.batch, w.samples ?? o.samples, o.seconds, o.profile ?? false);
        train[w.name] = r.rate;
        if (r.profile) profiles[w.name] = r.profile;
      } catch (e) {
        // One workload's failure is its row's, not the whole column's.
        ctx.profiler = null;
        train[w.name] = `failed: ${(e as Error).message.split('\n')[0]}`;
      }
    }
    const inputs = RESIDENT ? 'training batches gathered on the device from the samples held there (BENCH_GPU_RESIDENT=0: uploaded every step)' : 'training batches uploaded every step (BENCH_GPU_RESIDENT=0)';
    return { adapter: adapterName(ctx.adapter), peak, gemm, train, skipped, inputs, ...(o.profile ? { profiles, timestamps: ctx.device.features.has('timestamp-query') } : {}) };
  } finally {
    ctx.dispose();
  }
}
