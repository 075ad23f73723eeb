/**
 * LayerNorm, Softmax, Add, Concat, L1Loss and HuberLoss — and #29's import ops (GroupNorm, PReLU,
 * Multiply, Transpose, Slice, Conv1d) — inside whole graphs on the GPU executor,
 * against the CPU executor (reference backend) with the same graphs, seeds and batches, as
 * executor.test.ts does for the other kernels: one step's loss, every activation and every
 * gradient, then 25 Adam steps.
 *
 * The graphs: a classifier Linear → LayerNorm → ReLU, two branches joined by Add (one of them
 * twice, so its gradient gets two additions) and Concat with the LayerNorm's branch, a Reshape to
 * [4, 7] with a LayerNorm over both dims without affine, a Softmax over the axis that is not the
 * last, and a CrossEntropyLoss; a regression with two heads and two losses (an Add of two Linears
 * into a HuberLoss with δ = 0.5, a Concat along −1 of a hidden layer and the Input into an L1Loss).
 *
 * Bounds (those of executor.test.ts, for the same reasons):
 * - One step: ‖got − want‖∞ ≤ 1e-5·‖want‖∞ + 1e-7 per tensor, and the loss within 1e-5 relative.
 *   The kernels' own per-element bounds (the kernel tests) are a few float32 roundings of their
 *   terms; through ≤ 5 layers they stay far below 1e-5 of each tensor's largest value.
 * - Training: every step's loss within 2e-4 relative of the CPU's over 25 Adam steps, and the
 *   final weights within 1e-3 of each tensor's largest. Adam (÷√v) turns the rounding differences
 *   into weight differences that grow with the steps; L1's gradient is a sign, the same on both
 *   sides unless a difference d = p − t lies within the rounding of 0, which these continuous
 *   targets make improbable.
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
import { load, maxAbs, oneStepParity } from './parity';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

const BATCH = 13;

function classifier(): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [12] }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [] }, inputs: [] },
      { id: 'fc1', op: 'Linear', attrs: { outFeatures: 20 }, inputs: ['x'] },
      { id: 'ln1', op: 'LayerNorm', attrs: {}, inputs: ['fc1'] },
      { id: 'a1', op: 'ReLU', attrs: {}, inputs: ['ln1'] },
      { id: 'fc2', op: 'Linear', attrs: { outFeatures: 8 }, inputs: ['a1'] },
      { id: 'fc3', op: 'Linear', attrs: { outFeatures: 8 }, inputs: ['a1'] },
      { id: 'sum', op: 'Add', attrs: {}, inputs: ['fc2', 'fc3', 'fc2'] },
      { id: 'cat', op: 'Concat', attrs: { axis: 1 }, inputs: ['sum', 'a1'] },
      { id: 'seq', op: 'Reshape', attrs: { shape: [4, 7] }, inputs: ['cat'] },
      { id: 'ln2', op: 'LayerNorm', attrs: { normalizedDims: 2, elementwiseAffine: false, eps: 1e-3 }, inputs: ['seq'] },
      { id: 'sm', op: 'Softmax', attrs: { axis: 1 }, inputs: ['ln2'] },
      { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['sm'] },
      { id: 'fc4', op: 'Linear', attrs: { outFeatures: 5 }, inputs: ['flat'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc4', 'label'] },
    ],
    outputs: { logits: 'fc4', loss: 'loss' },
  };
}

function regression(): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [6] }, inputs: [] },
      { id: 't', op: 'Input', attrs: { shape: [3] }, inputs: [] },
      { id: 't2', op: 'Input', attrs: { shape: [4] }, inputs: [] },
      { id: 'fc1', op: 'Linear', attrs: { outFeatures: 10 }, inputs: ['x'] },
      { id: 'a1', op: 'Tanh', attrs: {}, inputs: ['fc1'] },
      { id: 'fc2', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['a1'] },
      { id: 'fc3', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['x'] },
      { id: 'y', op: 'Add', attrs: {}, inputs: ['fc2', 'fc3'] },
      { id: 'huber', op: 'HuberLoss', attrs: { delta: 0.5 }, inputs: ['y', 't'] },
      { id: 'cat', op: 'Concat', attrs: { axis: -1 }, inputs: ['a1', 'x'] },
      { id: 'fc4', op: 'Linear', attrs: { outFeatures: 4 }, inputs: ['cat'] },
      { id: 'l1', op: 'L1Loss', attrs: {}, inputs: ['fc4', 't2'] },
    ],
    outputs: { y: 'y', z: 'fc4', huber: 'huber', l1: 'l1' },
  };
}

/**
 * #29's import ops in one small vision net, as torchvision's families use them: Conv2d →
 * GroupNorm → PReLU, a squeeze-excite gate (GlobalAvgPool → Linear → Sigmoid, Reshape to
 * [C, 1, 1], broadcast Multiply), ShuffleNet's channel shuffle (Reshape, Transpose, Reshape) and
 * channel split (Slice), then a Conv1d over the rows.
 */
function vision(): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [72] }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
      { id: 'img', op: 'Reshape', attrs: { shape: [2, 6, 6] }, inputs: ['x'] },
      { id: 'conv', op: 'Conv2d', attrs: { outChannels: 4, kernelSize: [3, 3], padding: [1, 1] }, inputs: ['img'] },
      { id: 'gn', op: 'GroupNorm', attrs: { numGroups: 2 }, inputs: ['conv'] },
      { id: 'pr', op: 'PReLU', attrs: {}, inputs: ['gn'] },
      { id: 'gap', op: 'GlobalAvgPool', attrs: {}, inputs: ['pr'] },
      { id: 'se', op: 'Linear', attrs: { outFeatures: 4 }, inputs: ['gap'] },
      { id: 'sig', op: 'Sigmoid', attrs: {}, inputs: ['se'] },
      { id: 'gate', op: 'Reshape', attrs: { shape: [4, 1, 1] }, inputs: ['sig'] },
      { id: 'mul', op: 'Multiply', attrs: {}, inputs: ['pr', 'gate'] },
      { id: 'grp', op: 'Reshape', attrs: { shape: [2, 2, 6, 6] }, inputs: ['mul'] },
      { id: 'tr', op: 'Transpose', attrs: { perm: [0, 2, 1, 3, 4] }, inputs: ['grp'] },
      { id: 'shuf', op: 'Reshape', attrs: { shape: [4, 6, 6] }, inputs: ['tr'] },
      { id: 'half', op: 'Slice', attrs: { axis: 1, start: 2, length: 2 }, inputs: ['shuf'] },
      { id: 'seq', op: 'Reshape', attrs: { shape: [2, 36] }, inputs: ['half'] },
      { id: 'c1', op: 'Conv1d', attrs: { outChannels: 3, kernelSize: 3, padding: 1 }, inputs: ['seq'] },
      { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['c1'] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 5 }, inputs: ['flat'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
    ],
    outputs: { logits: 'fc', loss: 'loss' },
  };
}

/** Batches: normal `x`; `label` the largest of x's first 5; `t`, `t2` smooth functions of x. */
function batch(g: GraphIR, seed: number): Record<string, Float32Array> {
  const rng = new Rng(seed);
  const per = g.nodes.find((n) => n.id === 'x')!.attrs.shape as number[];
  const xs = per[0];
  const x = new Float32Array(BATCH * xs);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const out: Record<string, Float32Array> = { x };
  const ids = new Set(g.nodes.map((n) => n.id));
  const row = (s: number) => x.subarray(s * xs, (s + 1) * xs);
  if (ids.has('label')) out.label = Float32Array.from({ length: BATCH }, (_, s) => row(s).subarray(0, 5).indexOf(Math.max(...row(s).subarray(0, 5))));
  if (ids.has('t')) out.t = Float32Array.from({ length: BATCH * 3 }, (_, i) => 2 * Math.tanh(x[Math.floor(i / 3) * xs + (i % 3)] + 0.5 * x[Math.floor(i / 3) * xs + (i % 3) + 3]));
  if (ids.has('t2')) out.t2 = Float32Array.from({ length: BATCH * 4 }, (_, i) => Math.sin(x[Math.floor(i / 4) * xs + (i % 4)]) - 0.3 * x[Math.floor(i / 4) * xs + 5]);
  return out;
}

async function oneStep(graph: GraphIR): Promise<void> {
  expect(gpuKernelGaps(graph)).toEqual([]);
  const worst = await oneStepParity(ctx, graph, BATCH, batch(graph, 11));
  console.log(`one step: worst ‖Δ‖∞/‖want‖∞ ${worst.toExponential(2)}`);
}

describe('LayerNorm, Softmax, Add, Concat, L1Loss, HuberLoss in the GPU executor vs the CPU executor', () => {
  it('classifier (LayerNorm ×2, Add of three, Concat, Softmax over a middle axis): one step gives the CPU loss, activations and every gradient', () => oneStep(classifier()), 60_000);
  it('regression with two losses (Add → HuberLoss δ 0.5, Concat → L1Loss): the same', () => oneStep(regression()), 60_000);
  it('vision (#29: GroupNorm, PReLU, a squeeze-excite Multiply, channel shuffle and split, Conv1d): the same', () => oneStep(vision()), 60_000);

  const runs: [string, () => GraphIR, OptimizerConfig][] = [
    ['classifier, Adam', classifier, { kind: 'adam', lr: 1e-2 }],
    ['regression, Adam', regression, { kind: 'adam', lr: 1e-2 }],
    ['vision, Adam', vision, { kind: 'adam', lr: 1e-2 }],
  ];
  for (const [name, make, cfg] of runs) {
    it(`trains like the CPU over 25 steps: ${name}`, async () => {
      const graph = make();
      const cpu = compileGraph(checkedOrThrow(graph), { batchSize: BATCH, backend: createReferenceBackend(), seed: 3 });
      const gpu = await compileGpuGraph(checkedOrThrow(graph), { batchSize: BATCH, gpu: ctx, seed: 3 });
      const cpuOpt = createOptimizer(cfg, cpu.params);
      const gpuOpt = createGpuOptimizer(ctx, cfg, gpu.params);
      const lossesCpu: number[] = [];
      const lossesGpu: number[] = [];
      for (let step = 0; step < 25; step++) {
        load(cpu, gpu, batch(graph, 100 + (step % 5)));
        lossesCpu.push(cpu.forward(true));
        cpu.backward();
        cpuOpt.step(cfg.lr);
        lossesGpu.push(await gpu.trainStep(gpuOpt, cfg.lr));
      }
      let worst = 0;
      for (let i = 0; i < lossesCpu.length; i++) {
        const rel = Math.abs(lossesGpu[i] - lossesCpu[i]) / lossesCpu[i];
        worst = Math.max(worst, rel);
        expect(rel, `step ${i}: ${lossesGpu[i]} vs ${lossesCpu[i]}`).toBeLessThanOrEqual(2e-4);
      }
      expect(lossesCpu[20]).toBeLessThan(0.9 * lossesCpu[0]); // it learned: the same batch as step 0, 20 steps on
      await gpu.syncToHost();
      let worstW = 0;
      for (const p of gpu.params) {
        const c = cpu.params.find((q) => q.nodeId === p.nodeId && q.name === p.name)!;
        const scale = maxAbs(c.value.data);
        const d = maxAbs(p.host.value.data.map((v, i) => v - c.value.data[i]));
        worstW = Math.max(worstW, d / scale);
        expect(d, `${p.nodeId}.${p.name}`).toBeLessThanOrEqual(1e-3 * scale);
      }
      console.log(`${name}: worst step loss ${worst.toExponential(2)} relative, weights ${worstW.toExponential(2)} of their largest`);
    }, 120_000);
  }
});
