/**
 * The WebGPU column of `npm run bench`: GEMM GFLOP/s and training samples/s on the adapter Dawn
 * (npm `webgpu`) finds. A fallback adapter (SwiftShader, a CPU emulation) is measured too but
 * labelled as such: its figures say nothing about a GPU. A model the GPU cannot run yet gets the
 * reason instead of a figure.
 */
import type { GraphIR } from '../src-engine/base/ir/types';
import { adapterName, type GpuContext } from '../src-engine/core/gpu/context';
import { prepareGemm, submitDispatches } from '../src-engine/core/gpu/gemm';
import { buildGpuTrainable, gpuTrainingGaps } from '../src-engine/core/gpu/trainable';
import { acquireNodeGpu } from '../src-engine/node/gpu/device';

export interface GpuWorkload {
  name: string;
  graph: GraphIR;
  featureInput: string;
  targetInput: string;
  features: Float32Array;
  targets: Float32Array;
  lr: number;
}

export type GpuResults = { adapter: string; gemm: Record<string, number>; train: Record<string, number | string> } | { error: string };

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

async function gemmGflops(ctx: GpuContext, m: number, k: number, n: number, seconds: number): Promise<number> {
  const a = ctx.createTensor(m * k);
  const b = ctx.createTensor(k * n);
  const c = ctx.createTensor(m * n);
  ctx.write(a, new Float32Array(m * k).fill(0.5));
  ctx.write(b, new Float32Array(k * n).fill(0.25));
  const d = prepareGemm(ctx, { transA: false, transB: false, m, n, k, a, b, c, accumulate: false });
  const batch = Array.from({ length: 10 }, () => d);
  const secs = await timeBest(seconds, 1, async () => {
    submitDispatches(ctx, batch);
    await ctx.device.queue.onSubmittedWorkDone();
  });
  return (10 * 2 * m * n * k) / secs / 1e9;
}

async function trainSamplesPerSec(ctx: GpuContext, w: GpuWorkload, batch: number, samples: number, seconds: number): Promise<number | string> {
  const graph: GraphIR = { ...w.graph, training: { ...w.graph.training!, optimizer: { kind: 'adam', lr: w.lr }, gradClip: undefined, groups: undefined } };
  const gaps = gpuTrainingGaps(graph);
  if (gaps.length) return `no GPU kernel: ${gaps.map((g) => g.split(' (')[0]).filter((g, i, all) => all.indexOf(g) === i).join(', ')}`;
  const plan = buildGpuTrainable(graph, { gpu: ctx, batchSize: batch, seed: 0 });
  const x = plan.input(w.featureInput).data;
  const y = plan.input(w.targetInput).data;
  const nb = samples / batch;
  let i = 0;
  const secs = await timeBest(seconds, 5, async () => {
    const b = i++ % nb;
    x.set(w.features.subarray(b * x.length, (b + 1) * x.length));
    y.set(w.targets.subarray(b * y.length, (b + 1) * y.length));
    await plan.device.trainStep(w.lr);
  });
  return batch / secs;
}

/** Measure the GPU column, or say why there is none. */
export async function benchGpu(gemmSizes: readonly [number, number, number][], workloads: readonly GpuWorkload[], o: { batch: number; samples: number; seconds: number }): Promise<GpuResults> {
  let ctx: GpuContext;
  try {
    ctx = (await acquireNodeGpu({ allowFallback: true })).ctx;
  } catch (e) {
    return { error: (e as Error).message };
  }
  try {
    const gemm: Record<string, number> = {};
    for (const [m, k, n] of gemmSizes) gemm[`${m}x${k}x${n}`] = await gemmGflops(ctx, m, k, n, o.seconds / 2);
    const train: Record<string, number | string> = {};
    for (const w of workloads) train[w.name] = await trainSamplesPerSec(ctx, w, o.batch, o.samples, o.seconds);
    return { adapter: adapterName(ctx.adapter), gemm, train };
  } finally {
    ctx.dispose();
  }
}
