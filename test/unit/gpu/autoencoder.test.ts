/**
 * AvgPool2d, GlobalAvgPool, Upsample and ConvTranspose2d inside the GPU executor, against the
 * CPU executor (reference backend) with the same graph, seed and batches, on whatever adapter
 * `testGpu` finds (SwiftShader in CI): a small convolutional autoencoder — Conv2d, Tanh, AvgPool2d,
 * a strided grouped ConvTranspose2d with output padding, ReLU, an overlapping padded AvgPool2d,
 * Upsample ×2, a ConvTranspose2d back to one channel, MSELoss against the clean image — with a
 * GlobalAvgPool classifier head (Linear, CrossEntropyLoss) on the ReLU, which therefore fans out to
 * two consumers whose backwards add into one gradient. The executor sums the two losses.
 *
 * Bounds, and why (the same as executor.test.ts, for the same reasons):
 * - One step: the loss within 1e-5 relative, every activation and every gradient within
 *   1e-5·‖want‖∞ + 1e-7 per tensor. Each op's GPU result is within a few float32 roundings of
 *   the sum of magnitudes of its terms (the kernel tests, conv-transpose.test.ts and
 *   pool-upsample.test.ts, bound it per element); through these ≤ 9 layers that stays ≪ 1e-5 of
 *   each tensor's largest value. The absolute 1e-7 is for tensors that are ~0 throughout.
 * - Training, 20 Adam steps: every step's loss within 2e-4 relative of the CPU's. Rounding
 *   differences enter the weights every step and grow with them (Adam divides by √v); 2e-4 is far
 *   below what a wrong kernel does (a dx missing one of the two consumers' contributions, or a
 *   forward that adds instead of overwriting, moves the loss by whole percents within a step or two).
 */
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR, OptimizerConfig } from '../../../src-engine/base/ir/types';
import { Rng } from '../../../src-engine/base/rng';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { compileGpuGraph, gpuKernelGaps } from '../../../src-engine/core/gpu/executor';
import { createGpuOptimizer } from '../../../src-engine/core/gpu/optim';
import { createOptimizer } from '../../../src-engine/core/optim';
import { testGpu } from './device';
import { load, oneStepParity } from './parity';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

const BATCH = 5;
const H = 8;
const W = 6;

/** The autoencoder with a classifier head (see the file comment); shapes per sample in the comments. */
function autoencoder(): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [1, H, W] }, inputs: [] },
      { id: 'clean', op: 'Input', attrs: { shape: [1, H, W] }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [] }, inputs: [] },
      { id: 'enc', op: 'Conv2d', attrs: { outChannels: 4, kernelSize: [3, 3], padding: [1, 1] }, inputs: ['x'] }, // 4×8×6
      { id: 'a1', op: 'Tanh', attrs: {}, inputs: ['enc'] },
      { id: 'down', op: 'AvgPool2d', attrs: { kernelSize: [2, 2] }, inputs: ['a1'] }, // 4×4×3
      { id: 'dec1', op: 'ConvTranspose2d', attrs: { outChannels: 4, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], outputPadding: [1, 1], groups: 2 }, inputs: ['down'] }, // 4×8×6
      { id: 'a2', op: 'ReLU', attrs: {}, inputs: ['dec1'] },
      { id: 'smooth', op: 'AvgPool2d', attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }, inputs: ['a2'] }, // 4×4×3
      { id: 'up', op: 'Upsample', attrs: { scaleFactor: 2 }, inputs: ['smooth'] }, // 4×8×6
      { id: 'dec2', op: 'ConvTranspose2d', attrs: { outChannels: 1, kernelSize: [3, 3], stride: [1, 1], padding: [1, 1] }, inputs: ['up'] }, // 1×8×6
      { id: 'rec', op: 'MSELoss', attrs: {}, inputs: ['dec2', 'clean'] },
      { id: 'gap', op: 'GlobalAvgPool', attrs: {}, inputs: ['a2'] }, // 4
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['gap'] },
      { id: 'cls', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
    ],
    outputs: { reconstruction: 'dec2', logits: 'fc', rec: 'rec', cls: 'cls' },
  };
}

/** A batch: smooth images, a noisy copy as the input, and a label from the image (which third is brightest). */
function batch(seed: number): Record<string, Float32Array> {
  const rng = new Rng(seed);
  const clean = new Float32Array(BATCH * H * W);
  const x = new Float32Array(clean.length);
  const label = new Float32Array(BATCH);
  for (let s = 0; s < BATCH; s++) {
    const [a, b, c] = [rng.normal(), rng.normal(), rng.normal()];
    const thirds = [0, 0, 0];
    for (let y = 0; y < H; y++) {
      for (let xx = 0; xx < W; xx++) {
        const i = (s * H + y) * W + xx;
        clean[i] = Math.tanh(a * Math.sin(y / 2) + b * Math.cos(xx / 2) + c * (y - xx) / 8);
        x[i] = clean[i] + 0.3 * rng.normal();
        thirds[Math.floor((xx * 3) / W)] += clean[i];
      }
    }
    label[s] = thirds.indexOf(Math.max(...thirds));
  }
  return { x, clean, label };
}

describe('GPU executor with AvgPool2d, GlobalAvgPool, Upsample and ConvTranspose2d vs the CPU executor', () => {
  it('the autoencoder runs entirely on the GPU (no kernel gaps)', () => {
    expect(gpuKernelGaps(autoencoder())).toEqual([]);
  });

  it('one step: the summed loss, every activation and every gradient', async () => {
    const graph = autoencoder();
    expect(graph.nodes.filter((n) => n.op.endsWith('Loss')).map((n) => n.id)).toEqual(['rec', 'cls']);
    await oneStepParity(ctx, graph, BATCH, batch(11));
  }, 120_000);

  it('trains like the CPU over 20 Adam steps', async () => {
    const graph = autoencoder();
    const cfg: OptimizerConfig = { kind: 'adam', lr: 1e-2 };
    const cpu = compileGraph(checkedOrThrow(graph), { batchSize: BATCH, backend: createReferenceBackend(), seed: 3 });
    const gpu = await compileGpuGraph(checkedOrThrow(graph), { batchSize: BATCH, gpu: ctx, seed: 3 });
    const cpuOpt = createOptimizer(cfg, cpu.params);
    const gpuOpt = createGpuOptimizer(ctx, cfg, gpu.params);
    const lossesCpu: number[] = [];
    const lossesGpu: number[] = [];
    for (let step = 0; step < 20; step++) {
      load(cpu, gpu, batch(100 + (step % 4)));
      lossesCpu.push(cpu.forward(true));
      cpu.backward();
      cpuOpt.step(cfg.lr);
      lossesGpu.push(await gpu.trainStep(gpuOpt, cfg.lr));
    }
    for (let i = 0; i < lossesCpu.length; i++) {
      expect(Math.abs(lossesGpu[i] - lossesCpu[i]), `step ${i}: ${lossesGpu[i]} vs ${lossesCpu[i]}`).toBeLessThanOrEqual(2e-4 * lossesCpu[i]);
    }
    expect(lossesCpu[16]).toBeLessThan(0.9 * lossesCpu[0]); // it learned: the same batch as step 0, 16 steps on
  }, 180_000);
});
