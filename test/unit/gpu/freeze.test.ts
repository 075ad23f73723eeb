/**
 * Frozen nodes (fine-tuning, IR v3) on the GPU plan, on SwiftShader: a frozen Linear and a frozen
 * BatchNorm at the start of the network keep their weights and running statistics bit for bit
 * through AdamW with weight decay, the other layers train as on the CPU plan (each step's loss
 * within 1e-4 relative). A frozen BatchNorm that a gradient flows through is refused (its GPU
 * backward is the batch-statistics one), naming the node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freezeNodes } from '../../../src-engine/base/ir/freeze';
import type { GraphIR, NodeIR } from '../../../src-engine/base/ir/types';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { compileGpuTrainable, gpuTrainingGaps } from '../../../src-engine/core/gpu/trainable';
import type { TrainableGraph } from '../../../src-engine/core/train';
import { TrainingLoop } from '../../../src-engine/core/train/loop';
import { testGpu } from './device';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

const nodes: NodeIR[] = [
  { id: 'x', op: 'Input', attrs: { shape: [2], source: 'features' }, inputs: [] },
  { id: 'y', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
  { id: 'fc1', op: 'Linear', attrs: { outFeatures: 16 }, inputs: ['x'] },
  { id: 'bn', op: 'BatchNorm', attrs: {}, inputs: ['fc1'] },
  { id: 'act', op: 'ReLU', attrs: {}, inputs: ['bn'] },
  { id: 'fc2', op: 'Linear', attrs: { outFeatures: 16 }, inputs: ['act'] },
  { id: 'act2', op: 'ReLU', attrs: {}, inputs: ['fc2'] },
  { id: 'out', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['act2'] },
  { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['out', 'y'] },
];
const graph = (frozen: string[]): GraphIR => ({
  format: 'netwright.graph',
  version: 3,
  nodes: freezeNodes(nodes, frozen, true),
  outputs: { logits: 'out', loss: 'loss' },
  training: {
    dataset: { name: 'blobs', options: { samples: 80, classes: 3, noise: 1.2 }, validationSplit: 0 },
    loss: 'loss',
    optimizer: { kind: 'adamw', lr: 0.01, weightDecay: 0.1 },
    batchSize: 32,
    epochs: 1,
    seed: 3,
    metrics: ['accuracy'],
  },
});

async function train(g: GraphIR, plan: TrainableGraph) {
  const c = g.training!;
  const data = prepareData(loadBuiltinDataset(c.dataset, c.seed)!, c.dataset, c.seed);
  const losses: number[] = [];
  const tensors = () => new Map([...plan.params, ...plan.buffers].map((t) => [`${t.nodeId}.${t.name}`, t.value.data.slice()]));
  const before = tensors();
  await new TrainingLoop(g, data, createReferenceBackend(), { compile: () => plan, hooks: [{ afterStep: ({ loss }) => void losses.push(loss) }] }).run();
  return { losses, before, after: tensors() };
}

describe('frozen nodes on the GPU plan', () => {
  it('a frozen Linear and BatchNorm keep their weights and statistics bit for bit; the rest trains as on the CPU', async () => {
    const g = graph(['fc1', 'bn']);
    const checked = checkedOrThrow(g);
    const cpu = await train(g, compileGraph(checked, { batchSize: 32, backend: createReferenceBackend(), seed: 3 }));
    const gpu = await train(g, await compileGpuTrainable(checked, { gpu: ctx, batchSize: 32, seed: 3 }));
    for (const key of ['fc1.weight', 'fc1.bias', 'bn.weight', 'bn.bias', 'bn.runningMean', 'bn.runningVar']) expect(gpu.after.get(key), key).toEqual(gpu.before.get(key));
    for (const key of ['fc2.weight', 'out.weight']) expect(gpu.after.get(key), key).not.toEqual(gpu.before.get(key));
    expect(gpu.losses.length).toBe(cpu.losses.length);
    gpu.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i]), `step ${i}`).toBeLessThanOrEqual(1e-4 * cpu.losses[i]));
  }, 120_000);

  it('refuses a frozen BatchNorm with a gradient flowing through it, naming it; Auto then trains on the CPU', async () => {
    expect(gpuTrainingGaps(graph(['fc1', 'bn']))).toEqual([]);
    expect(gpuTrainingGaps(graph(['bn']))).toEqual(['a frozen BatchNorm after trained layers (bn)']);
    await expect(compileGpuTrainable(checkedOrThrow(graph(['bn'])), { gpu: ctx, batchSize: 32, seed: 3 })).rejects.toMatchObject({ code: 'E_GPU_NO_KERNEL', message: expect.stringContaining('"bn" is a frozen BatchNorm') });
    // Kept in training mode (frozenBatchNorm: 'train'), its backward is the batch-statistics one the GPU has (#59).
    const g = graph(['bn']);
    expect(gpuTrainingGaps({ ...g, training: { ...g.training!, frozenBatchNorm: 'train' } })).toEqual([]);
  }, 60_000);
});
