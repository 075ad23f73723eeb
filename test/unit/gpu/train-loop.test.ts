/**
 * The MNIST MLP example (with its two Dropouts, which draw the CPU's masks bit for bit) trained by
 * the one `TrainingLoop` on the GPU plan and on the CPU plan: same seed, same batches, a reduced run (2 epochs of 300 samples
 * with a partial last batch, validation and the test split capped alike) on SwiftShader.
 *
 * Bounds: every step's loss within 1e-4 relative of the CPU's, the final weights within 1e-3 of
 * the largest weight of their tensor, the test metrics within 1e-3. Why: the GPU sums the same
 * float32 products in other orders (executor.test.ts measures ≤ 1e-5 per step on small MLPs); Adam
 * turns those rounding differences into weight differences of a few ulps per step that
 * accumulate over the 10 steps. Measured on SwiftShader: ≤ 2.8e-6 relative on the losses.
 *
 * The MNIST CNN example (BatchNorm ×2) the same way, with the same bounds, on 2 epochs of 10
 * samples: the conv biases before the BatchNorms are left out of the weight comparison (see the
 * test's NOTE) and the running variances are compared. Measured on SwiftShader (on 2 epochs of 23
 * samples in batches of 16): ≤ 3.9e-6 relative on the step losses, 1.0e-4 on the test loss (eval
 * mode: running means, which follow the drifting biases).
 */
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { prepareData } from '../../../src-engine/core/data';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { compileGpuTrainable, gpuTrainingGaps } from '../../../src-engine/core/gpu/trainable';
import { TrainingLoop } from '../../../src-engine/core/train/loop';
import type { LoopResult, TrainableGraph } from '../../../src-engine/core/train';
import { loadDataset } from '../../../src-engine/node/datasets';
import { testGpu } from './device';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

function mnistMlp(): GraphIR {
  const g = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'examples', 'mnist-mlp.json'), 'utf8')) as GraphIR;
  g.training = { ...g.training!, epochs: 2, dataset: { ...g.training!.dataset, limit: 300 } };
  return g;
}

/**
 * The MNIST CNN example's network and training settings as they ship (Conv2d-BatchNorm-ReLU-MaxPool
 * ×2 with 32/64 channels, Linear; Adam, an epoch schedule), on a subset small enough for
 * SwiftShader (~20 s per 64-sample step here): batches of 8, 2 epochs of 10 training samples (a
 * full batch and a partial one of 2 each: a second batch size's plan with its own BatchNorm
 * workspaces, sharing the running statistics), 10 test samples. The kernels take the paths they
 * took on batches of 16 and 7 (their tiles follow the channels, not the batch): BatchNorm's tree
 * reductions (N·H·W ≥ 256 in every plan), whole and partial 64-pixel column tiles (conv1's N·784
 * pixels for N = 8 and 2, conv2's N·196), the dW products split along N·H·W; the CPU time of
 * 10 samples rather than 23.
 */
function mnistCnn(): GraphIR {
  const g = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'examples', 'mnist-cnn.json'), 'utf8')) as GraphIR;
  g.training = { ...g.training!, epochs: 2, batchSize: 8, dataset: { ...g.training!.dataset, limit: 12 } };
  return g;
}

function worstOf(a: Float32Array, b: Float32Array): { worst: number; scale: number } {
  let scale = 0;
  let worst = 0;
  for (let j = 0; j < a.length; j++) {
    scale = Math.max(scale, Math.abs(a[j]));
    worst = Math.max(worst, Math.abs(a[j] - b[j]));
  }
  return { worst, scale };
}

type Trained = Awaited<ReturnType<typeof train>>;

/** The same number of steps, every step's loss within 1e-4 relative of the CPU's, and a loss that falls. */
function expectSameSteps(cpu: Trained, gpu: Trained): void {
    expect(gpu.result.steps).toBe(cpu.result.steps);
    expect(gpu.losses.length).toBe(cpu.losses.length);
    for (let i = 0; i < cpu.losses.length; i++) {
      expect(Math.abs(gpu.losses[i] - cpu.losses[i]), `step ${i}: ${gpu.losses[i]} vs ${cpu.losses[i]}`).toBeLessThanOrEqual(1e-4 * cpu.losses[i]);
    }
    expect(cpu.losses.at(-1)!).toBeLessThan(0.8 * cpu.losses[0]); // it learns
}

async function train(g: GraphIR, plan: TrainableGraph): Promise<{ losses: number[]; result: LoopResult; weights: Float32Array[] }> {
  const c = g.training!;
  const data = prepareData(loadDataset(c.dataset, c.seed), c.dataset, c.seed);
  const losses: number[] = [];
  const loop = new TrainingLoop(g, data, createReferenceBackend(), { compile: () => plan, hooks: [{ afterStep: ({ loss }) => void losses.push(loss) }] });
  const result = await loop.run();
  return { losses, result, weights: plan.params.map((p) => p.value.data.slice()) };
}

describe('the training loop on the GPU plan', () => {
  it('trains the MNIST MLP example (Dropout included) like the CPU plan, step by step', async () => {
    const g = mnistMlp();
    expect(g.nodes.filter((n) => n.op === 'Dropout')).toHaveLength(2);
    expect(gpuTrainingGaps(g)).toEqual([]);
    const c = g.training!;
    const cpu = await train(g, compileGraph(checkedOrThrow(g), { batchSize: c.batchSize, backend: createReferenceBackend(), seed: c.seed }));
    const gpuPlan = await compileGpuTrainable(checkedOrThrow(g), { gpu: ctx, batchSize: c.batchSize, seed: c.seed });
    expect(gpuPlan.device?.name).toContain('swiftshader');
    const gpu = await train(g, gpuPlan);
    expectSameSteps(cpu, gpu);
    cpu.weights.forEach((w, i) => {
      const { worst, scale } = worstOf(w, gpu.weights[i]);
      expect(worst, `weights ${gpuPlan.params[i].nodeId}.${gpuPlan.params[i].name}`).toBeLessThanOrEqual(1e-3 * scale);
    });
    expect(Math.abs(gpu.result.test!.loss - cpu.result.test!.loss)).toBeLessThanOrEqual(1e-3 * cpu.result.test!.loss);
    expect(gpu.result.test!.accuracy).toBeCloseTo(cpu.result.test!.accuracy!, 2);
  }, 300_000);

  it('trains the MNIST CNN example (BatchNorm, with running statistics) like the CPU plan, step by step', async () => {
    const g = mnistCnn();
    expect(gpuTrainingGaps(g)).toEqual([]);
    const c = g.training!;
    const cpuPlan = compileGraph(checkedOrThrow(g), { batchSize: c.batchSize, backend: createReferenceBackend(), seed: c.seed });
    const cpu = await train(g, cpuPlan);
    const gpuPlan = await compileGpuTrainable(checkedOrThrow(g), { gpu: ctx, batchSize: c.batchSize, seed: c.seed });
    const gpu = await train(g, gpuPlan);
    expectSameSteps(cpu, gpu);
    // NOTE: the convolutions' biases feed a BatchNorm, which subtracts any per-channel shift: their
    // gradient is zero in exact arithmetic, rounding noise on both sides, which Adam (÷√v) turns
    // into steps of ±lr. They, and the running means that follow them, drift apart without
    // changing the loss; the running variances do not see a shift and are compared.
    const noiseOnly = new Set(['conv1.bias', 'conv2.bias']);
    cpu.weights.forEach((w, i) => {
      const name = `${gpuPlan.params[i].nodeId}.${gpuPlan.params[i].name}`;
      if (noiseOnly.has(name)) return;
      const { worst, scale } = worstOf(w, gpu.weights[i]);
      expect(worst, `weights ${name}`).toBeLessThanOrEqual(1e-3 * scale);
    });
    for (const [i, b] of gpuPlan.buffers.entries()) {
      if (b.name !== 'runningVar') continue;
      const { worst, scale } = worstOf(cpuPlan.buffers[i].value.data, b.value.data);
      expect(worst, `${b.nodeId}.${b.name}`).toBeLessThanOrEqual(1e-3 * scale);
    }
    expect(Math.abs(gpu.result.test!.loss - cpu.result.test!.loss)).toBeLessThanOrEqual(1e-3 * cpu.result.test!.loss);
    expect(gpu.result.test!.accuracy).toBeCloseTo(cpu.result.test!.accuracy!, 2);
  }, 300_000);
});
