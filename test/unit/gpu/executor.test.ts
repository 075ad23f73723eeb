/**
 * The GPU executor against the CPU executor (reference backend) over the same graphs, seeds and
 * batches, on whatever adapter `testGpu` finds (SwiftShader in CI): one step's loss and every
 * parameter and activation gradient, then whole training runs (SGD with momentum, Adam, AdamW)
 * step by step, and the coded errors.
 *
 * Bounds, and why:
 * - One step (loss, gradients): ‖got − want‖∞ ≤ 1e-5·‖want‖∞ per tensor (+1e-7 absolute).
 *   Both sides compute the same float32 products; the GPU sums them in other orders (k-slices,
 *   fma, workgroup trees) and the CPU losses sum in float64, so each tensor differs by a few
 *   float32 roundings (2⁻²⁴ ≈ 6e-8) of its sums, amplified along the ≤ 4 layers of these MLPs;
 *   1e-5 leaves a margin over the ~1e-6 measured.
 * - Training: |loss_gpu − loss_cpu| ≤ 2e-4·loss_cpu at every step of 25. The rounding
 *   differences above enter the weights each step and grow with it (Adam divides by √v, which
 *   magnifies differences in small gradients); measured ≤ 7e-6 on these runs (SwiftShader), so
 *   2e-4 is ~30× that and still far below what a wrong update rule does (a missing Adam bias
 *   correction scales the first update by 10).
 * - BatchNorm (batchNormParity): the same per-tensor bound for outputs, gradients and running
 *   statistics (its float32 per-channel sums against the op file's float64 ones); measured
 *   ≤ 8e-7·‖want‖∞. The gradients of biases that feed a BatchNorm are zero in exact arithmetic and
 *   rounding noise on both sides (≤ 7e-8 measured), which the absolute 1e-7 covers.
 */
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attrs, GradClipConfig, GraphIR, OptimizerConfig } from '../../../src-engine/base/ir/types';
import { compileGraph, type CompiledGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { GpuError, type GpuContext } from '../../../src-engine/core/gpu/context';
import { compileGpuGraph, gpuKernelGaps, type GpuGraph } from '../../../src-engine/core/gpu/executor';
import { createGpuOptimizer } from '../../../src-engine/core/gpu/optim';
import { withGradClip } from '../../../src-engine/core/gpu/clip';
import { clipGradNorm, clipGradValue } from '../../../src-engine/core/optim';
import { createOptimizer } from '../../../src-engine/core/optim';
import { Rng } from '../../../src-engine/base/rng';
import { testGpu } from './device';
import { bnCnn } from './graphs';
import { withoutGpuKernel } from './hide-kernel';
import { expectClose, expectStepLike, load, maxAbs, oneStepParity } from './parity';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

const BATCH = 13; // odd: partial GEMM tiles and reductions

/** A classifier MLP with every activation the GPU has, and a CrossEntropyLoss. */
function classifier(ce: Attrs = {}): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [12] }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [] }, inputs: [] },
      { id: 'fc1', op: 'Linear', attrs: { outFeatures: 20 }, inputs: ['x'] },
      { id: 'a1', op: 'ReLU', attrs: {}, inputs: ['fc1'] },
      { id: 'fc2', op: 'Linear', attrs: { outFeatures: 17 }, inputs: ['a1'] },
      { id: 'a2', op: 'LeakyReLU', attrs: { negativeSlope: 0.1 }, inputs: ['fc2'] },
      { id: 'fc3', op: 'Linear', attrs: { outFeatures: 9, bias: false }, inputs: ['a2'] },
      { id: 'a3', op: 'Tanh', attrs: {}, inputs: ['fc3'] },
      { id: 'fc4', op: 'Linear', attrs: { outFeatures: 5 }, inputs: ['a3'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: ce, inputs: ['fc4', 'label'] },
    ],
    outputs: { logits: 'fc4', loss: 'loss' },
  };
}

/** A regression MLP with Sigmoid and an MSELoss. */
function regressor(): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [6] }, inputs: [] },
      { id: 't', op: 'Input', attrs: { shape: [3] }, inputs: [] },
      { id: 'fc1', op: 'Linear', attrs: { outFeatures: 11 }, inputs: ['x'] },
      { id: 'a1', op: 'Sigmoid', attrs: {}, inputs: ['fc1'] },
      { id: 'fc2', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['a1'] },
      { id: 'loss', op: 'MSELoss', attrs: {}, inputs: ['fc2', 't'] },
    ],
    outputs: { y: 'fc2', loss: 'loss' },
  };
}

/** A multi-label classifier: SiLU, GELU, ELU and a BCEWithLogitsLoss with posWeight. */
function multiLabel(): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [6] }, inputs: [] },
      { id: 'bin', op: 'Input', attrs: { shape: [4] }, inputs: [] },
      { id: 'fc1', op: 'Linear', attrs: { outFeatures: 10 }, inputs: ['x'] },
      { id: 'a1', op: 'SiLU', attrs: {}, inputs: ['fc1'] },
      { id: 'fc2', op: 'Linear', attrs: { outFeatures: 9 }, inputs: ['a1'] },
      { id: 'a2', op: 'GELU', attrs: {}, inputs: ['fc2'] },
      { id: 'fc3', op: 'Linear', attrs: { outFeatures: 8 }, inputs: ['a2'] },
      { id: 'a3', op: 'ELU', attrs: {}, inputs: ['fc3'] },
      { id: 'fc4', op: 'Linear', attrs: { outFeatures: 4 }, inputs: ['a3'] },
      { id: 'loss', op: 'BCEWithLogitsLoss', attrs: { posWeight: [2, 1, 0.5, 3] }, inputs: ['fc4', 'bin'] },
    ],
    outputs: { logits: 'fc4', loss: 'loss' },
  };
}

/**
 * A small CNN with every geometry the conv and pool kernels take: Conv2d with unequal strides,
 * padding and dilation per axis; ReLU before an overlapping MaxPool2d (stride < kernel, padding:
 * many windows share their maximum, and the ReLU's zeros make ties); a grouped Conv2d without
 * bias; a default MaxPool2d (stride = kernel); Flatten; Linear; CrossEntropyLoss.
 */
function cnn(): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [3, 9, 11] }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [] }, inputs: [] },
      { id: 'conv1', op: 'Conv2d', attrs: { outChannels: 4, kernelSize: [3, 3], stride: [2, 1], padding: [1, 2], dilation: [1, 2] }, inputs: ['x'] },
      { id: 'a1', op: 'ReLU', attrs: {}, inputs: ['conv1'] },
      { id: 'pool1', op: 'MaxPool2d', attrs: { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1] }, inputs: ['a1'] },
      { id: 'conv2', op: 'Conv2d', attrs: { outChannels: 6, kernelSize: [2, 2], groups: 2, bias: false }, inputs: ['pool1'] },
      { id: 'a2', op: 'Tanh', attrs: {}, inputs: ['conv2'] },
      { id: 'pool2', op: 'MaxPool2d', attrs: { kernelSize: [2, 2] }, inputs: ['a2'] },
      { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['pool2'] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 5 }, inputs: ['flat'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
    ],
    outputs: { logits: 'fc', loss: 'loss' },
  };
}

/**
 * Batches for `g`'s inputs: normal features `x`, and targets that are functions of `x` (learnable,
 * unlike noise): `label` the index of the largest of x's first 5 features, `bin` the signs of x's first 4,
 * `t` a smooth function.
 */
function batch(g: GraphIR, seed: number, size = BATCH): Record<string, Float32Array> {
  const rng = new Rng(seed);
  const out: Record<string, Float32Array> = {};
  for (const n of g.nodes.filter((n) => n.op === 'Input')) {
    const per = (n.attrs.shape as number[]).reduce((a, b) => a * b, 1);
    const a = new Float32Array(size * per);
    for (let i = 0; i < a.length; i++) a[i] = n.id === 'label' ? rng.int(5) : rng.normal();
    out[n.id] = a;
  }
  const label = out.label;
  if (label) {
    const xPer = out.x.length / size;
    for (let s = 0; s < size; s++) {
      const x = out.x.subarray(s * xPer, s * xPer + 5);
      label[s] = x.indexOf(Math.max(...x));
    }
  }
  const bin = out.bin;
  if (bin) for (let i = 0; i < bin.length; i++) bin[i] = out.x[Math.floor(i / 4) * 6 + (i % 4)] > 0 ? 1 : 0;
  const t = out.t;
  if (t) for (let s = 0; s < size; s++) for (let j = 0; j < 3; j++) t[s * 3 + j] = Math.tanh(out.x[s * 6 + j] + 0.5 * out.x[s * 6 + j + 3]);
  return out;
}

/**
 * The classifier with three Dropouts: p = 0.3 after the LeakyReLU, p = 0.5 on the 9-wide Tanh
 * (odd sizes: 13×17 and 13×9 elements), and p = 0 (the identity, which draws nothing).
 */
function withDropouts(): GraphIR {
  const g = classifier();
  const insert = (id: string, after: string, p: number): void => {
    for (const n of g.nodes) n.inputs = n.inputs.map((i) => (i === after ? id : i));
    g.nodes.splice(g.nodes.findIndex((n) => n.id === after) + 1, 0, { id, op: 'Dropout', attrs: { p }, inputs: [after] });
  };
  insert('d1', 'a2', 0.3);
  insert('d2', 'a3', 0.5);
  insert('d0', 'fc1', 0);
  return g;
}

/** One training step of `graph` on batch 11, compared with the CPU's (parity.ts). */
function oneStep(graph: GraphIR): Promise<number> {
  return oneStepParity(ctx, graph, BATCH, batch(graph, 11));
}

/** The running statistics on the device (synced to the host mirror) against the CPU's. */
async function expectBuffersLike(cpu: CompiledGraph, gpu: GpuGraph, when: string): Promise<void> {
  await gpu.syncToHost();
  expect(gpu.buffers.map((b) => `${b.nodeId}.${b.name}`)).toEqual(cpu.buffers.map((b) => `${b.nodeId}.${b.name}`));
  for (const [i, b] of gpu.buffers.entries()) expectClose(`${b.nodeId}.${b.name} ${when}`, b.host.value.data, cpu.buffers[i].value.data);
}

/**
 * BatchNorm in every mode against the CPU executor, at batch size `n`, without an optimizer (the
 * weights stay put, the running statistics move): two training steps on different batches (the
 * second updates statistics that are no longer the initial zeros and ones), then an eval forward
 * (running statistics, left unchanged), then a training-mode forward (`evaluation: 'train'`).
 */
async function batchNormParity(graph: GraphIR, n: number): Promise<void> {
  const cpu = compileGraph(checkedOrThrow(graph), { batchSize: n, backend: createReferenceBackend(), seed: 7 });
  const gpu = await compileGpuGraph(checkedOrThrow(graph), { batchSize: n, gpu: ctx, seed: 7 });
  expect(gpu.buffers.length).toBeGreaterThan(0);
  for (const seed of [11, 12]) {
    load(cpu, gpu, batch(graph, seed, n));
    const want = cpu.forward(true);
    cpu.backward();
    await expectStepLike(ctx, cpu, gpu, want, await gpu.trainStep(), true);
    await expectBuffersLike(cpu, gpu, `after the training step on batch ${seed}`);
  }
  load(cpu, gpu, batch(graph, 21, n));
  const wantEval = cpu.forward(false);
  await expectStepLike(ctx, cpu, gpu, wantEval, await gpu.forward(), false);
  await expectBuffersLike(cpu, gpu, 'after an eval forward');
  const wantTrain = cpu.forward(true);
  await expectStepLike(ctx, cpu, gpu, wantTrain, await gpu.forward(true), false);
  await expectBuffersLike(cpu, gpu, 'after a training-mode forward');
}

/**
 * BatchNorm on `[N, C]` (straight after the Input: no input gradient; after a Linear with C = 3)
 * and on `[N, C, L]` (a Reshape to 2×4, without affine, other eps and momentum).
 */
function bnMlp(): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [6] }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [] }, inputs: [] },
      { id: 'bn0', op: 'BatchNorm', attrs: {}, inputs: ['x'] },
      { id: 'fc1', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['bn0'] },
      { id: 'bn1', op: 'BatchNorm', attrs: {}, inputs: ['fc1'] },
      { id: 'a1', op: 'ReLU', attrs: {}, inputs: ['bn1'] },
      { id: 'fc2', op: 'Linear', attrs: { outFeatures: 8 }, inputs: ['a1'] },
      { id: 'seq', op: 'Reshape', attrs: { shape: [2, 4] }, inputs: ['fc2'] },
      { id: 'bn2', op: 'BatchNorm', attrs: { affine: false, eps: 1e-3, momentum: 0.3 }, inputs: ['seq'] },
      { id: 'a2', op: 'Tanh', attrs: {}, inputs: ['bn2'] },
      { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['a2'] },
      { id: 'fc3', op: 'Linear', attrs: { outFeatures: 5 }, inputs: ['flat'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc3', 'label'] },
    ],
    outputs: { logits: 'fc3', loss: 'loss' },
  };
}


describe('GPU executor vs the CPU executor', () => {
  it('refuses a graph with ops that have no GPU kernel, naming them (E_GPU_NO_KERNEL)', async () => {
    const g = classifier();
    g.nodes.splice(3, 0, { id: 'sp', op: 'Softplus', attrs: {}, inputs: ['fc1'] });
    g.nodes.push({ id: 'sp2', op: 'Softplus', attrs: {}, inputs: ['fc4'] });
    await withoutGpuKernel('Softplus', async () => {
      expect(gpuKernelGaps(g)).toEqual(['Softplus (sp)', 'Softplus (sp2)']);
      const err: unknown = await compileGpuGraph(checkedOrThrow(g), { batchSize: 4, gpu: ctx, seed: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GpuError);
      expect((err as GpuError).code).toBe('E_GPU_NO_KERNEL');
      expect((err as GpuError).message).toContain('Softplus (sp), Softplus (sp2)');
    });
    expect(gpuKernelGaps(g)).toEqual([]);
  });

  it('classifier MLP: one step gives the CPU loss, activations and every gradient', () => oneStep(classifier()), 60_000);
  it('CrossEntropyLoss with class weights and label smoothing: the same', () => oneStep(classifier({ classWeights: [1, 2, 0.5, 3, 1], labelSmoothing: 0.1 })), 60_000);
  it('regression MLP (Sigmoid, MSELoss): the same', () => oneStep(regressor()), 60_000);
  it('multi-label MLP (SiLU, GELU, ELU, BCEWithLogitsLoss with posWeight): the same', () => oneStep(multiLabel()), 60_000);
  it('CNN (Conv2d with stride, padding, dilation, groups, no bias; overlapping and default MaxPool2d; Flatten): the same', () => oneStep(cnn()), 60_000);

  it('BatchNorm on [N, C] and [N, C, L], N = 5: training steps, running statistics, eval and training-mode forwards', () => batchNormParity(bnMlp(), 5), 60_000);
  it('BatchNorm on [N, C, H, W] after Conv2d (C = 3, 7×5), N = 5: the same', () => batchNormParity(bnCnn(), 5), 60_000);
  it('BatchNorm with one value per channel (N = 1 on [N, C]): the biased variance for the running one, as the CPU', () => batchNormParity(bnMlp(), 1), 60_000);

  it('Dropout draws the CPU\'s masks (bit for bit) step after step; eval mode is the identity; a training-mode forward draws too', async () => {
    const graph = withDropouts();
    const cpu = compileGraph(checkedOrThrow(graph), { batchSize: BATCH, backend: createReferenceBackend(), seed: 5 });
    const gpu = await compileGpuGraph(checkedOrThrow(graph), { batchSize: BATCH, gpu: ctx, seed: 5 });
    const zeros = (a: ArrayLike<number>): string => Array.from(a, (v) => (v === 0 ? '0' : '1')).join('');
    const masks = new Set<string>();
    for (const seed of [11, 12, 13]) {
      load(cpu, gpu, batch(graph, seed));
      const want = cpu.forward(true);
      cpu.backward();
      await expectStepLike(ctx, cpu, gpu, want, await gpu.trainStep(), true);
      // The masks themselves: the same elements dropped (Tanh and LeakyReLU outputs are not 0 here).
      for (const id of ['d1', 'd2']) {
        const got = zeros(await gpu.read(id));
        expect(got, `${id} after batch ${seed}`).toBe(zeros(cpu.output(id).data));
        masks.add(got);
      }
    }
    expect(masks.size).toBe(6); // a new mask every step, per node
    const dropped = [...masks].join('').split('').filter((c) => c === '0').length / [...masks].join('').length;
    expect(dropped).toBeGreaterThan(0.25); // (0.3·221 + 0.5·117)/338 ≈ 0.37 expected
    expect(dropped).toBeLessThan(0.5);
    load(cpu, gpu, batch(graph, 21));
    await expectStepLike(ctx, cpu, gpu, cpu.forward(false), await gpu.forward(), false);
    expect(await gpu.read('d1')).toEqual(await gpu.read('a2'));
    await expectStepLike(ctx, cpu, gpu, cpu.forward(true), await gpu.forward(true), false);
    expect(zeros(await gpu.read('d2'))).toBe(zeros(cpu.output('d2').data));
  }, 60_000);

  /**
   * Name, graph, optimizer, and the parameters whose final values are not compared: those whose
   * gradient is zero in exact arithmetic (a bias feeding a BatchNorm, which subtracts any
   * per-channel shift again), so both sides hold only rounding noise there (≤ 7e-8 measured) and
   * Adam, which divides by √v, turns that noise into steps of ±lr of either sign. They drift apart
   * without changing the loss; every step's loss is still compared.
   */
  const runs: [string, () => GraphIR, OptimizerConfig, string[]?, GradClipConfig?][] = [
    ['SGD + Nesterov momentum + weight decay', classifier, { kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }],
    ['Adam (AMSGrad, L2 decay)', classifier, { kind: 'adam', lr: 2e-2, amsgrad: true, weightDecay: 1e-3 }],
    ['AdamW', regressor, { kind: 'adamw', lr: 1e-2 }],
    ['SGD', multiLabel, { kind: 'sgd', lr: 0.5 }],
    ['Adam with Dropout (the same masks every step)', withDropouts, { kind: 'adam', lr: 1e-2 }],
    ['RMSprop (centered, momentum, L2 decay)', classifier, { kind: 'rmsprop', lr: 2e-3, centered: true, momentum: 0.9, weightDecay: 1e-3 }],
    ['RMSprop', regressor, { kind: 'rmsprop', lr: 1e-3 }],
    ['Adagrad (lr decay, L2 decay)', classifier, { kind: 'adagrad', lr: 5e-2, lrDecay: 0.01, weightDecay: 1e-3 }],
    // maxNorm below the gradients' norm on most steps (checked below).
    ['SGD with gradient clipping by norm', classifier, { kind: 'sgd', lr: 0.5, momentum: 0.9 }, [], { kind: 'norm', maxNorm: 0.3 }],
    ['Adam with gradient clipping by value', regressor, { kind: 'adam', lr: 1e-2 }, [], { kind: 'value', clipValue: 0.01 }],
    ['Adam on the CNN', cnn, { kind: 'adam', lr: 1e-2 }],
    ['Adam on the BatchNorm CNN', bnCnn, { kind: 'adam', lr: 1e-2 }, ['conv1.bias', 'conv2.bias']],
  ];
  for (const [name, make, cfg, noiseOnly = [], clip] of runs) {
    it(`trains like the CPU over 25 steps: ${name}; its state loads into the CPU optimizer`, async () => {
      const graph = make();
      const cpu = compileGraph(checkedOrThrow(graph), { batchSize: BATCH, backend: createReferenceBackend(), seed: 3 });
      const gpu = await compileGpuGraph(checkedOrThrow(graph), { batchSize: BATCH, gpu: ctx, seed: 3 });
      const cpuOpt = createOptimizer(cfg, cpu.params);
      const gpuOpt = withGradClip(ctx, clip, gpu.params, createGpuOptimizer(ctx, cfg, gpu.params));
      const lossesCpu: number[] = [];
      const lossesGpu: number[] = [];
      let clipped = 0;
      for (let step = 0; step < 25; step++) {
        const lr = cfg.lr * (1 - step / 50); // a schedule: lr changes every step
        load(cpu, gpu, batch(graph, 100 + (step % 5)));
        lossesCpu.push(cpu.forward(true));
        cpu.backward();
        if (clip?.kind === 'norm' && clipGradNorm(cpu.params, clip.maxNorm) > clip.maxNorm) clipped++;
        if (clip?.kind === 'value') {
          if (cpu.params.some((p) => p.grad.data.some((g) => Math.abs(g) > clip.clipValue))) clipped++;
          clipGradValue(cpu.params, clip.clipValue);
        }
        cpuOpt.step(lr);
        lossesGpu.push(await gpu.trainStep(gpuOpt, lr));
      }
      for (let i = 0; i < lossesCpu.length; i++) {
        expect(Math.abs(lossesGpu[i] - lossesCpu[i]), `step ${i}: ${lossesGpu[i]} vs ${lossesCpu[i]}`).toBeLessThanOrEqual(2e-4 * lossesCpu[i]);
      }
      expect(lossesCpu[20]).toBeLessThan(0.9 * lossesCpu[0]); // it learned: the same batch as step 0, 20 steps on
      // The clipping acted on most steps (norm: 22 of 25, so the unclipped path ran too; value: all).
      if (clip) expect(clipped, 'steps the clipping changed').toBeGreaterThanOrEqual(20);
      const state = await gpuOpt.state();
      expect(state.step).toBe(25);
      const resumed = createOptimizer(cfg, cpu.params);
      resumed.loadState(state);
      expect(Object.keys(resumed.state().slots)).toEqual(Object.keys(cpuOpt.state().slots));
      await gpu.syncToHost();
      for (const p of gpu.params) {
        if (noiseOnly.includes(`${p.nodeId}.${p.name}`)) continue;
        const c = cpu.params.find((q) => q.nodeId === p.nodeId && q.name === p.name)!;
        const bound = 1e-3 * maxAbs(c.value.data);
        expect(maxAbs(p.host.value.data.map((v, i) => v - c.value.data[i])), `${p.nodeId}.${p.name}`).toBeLessThanOrEqual(bound);
      }
    }, 120_000);
  }

  it('a class label out of range fails the step with E_LABEL_RANGE, as on the CPU', async () => {
    const graph = classifier();
    const gpu = await compileGpuGraph(checkedOrThrow(graph), { batchSize: BATCH, gpu: ctx, seed: 1 });
    const data = batch(graph, 5);
    data.label[4] = 7;
    for (const [n, a] of Object.entries(data)) gpu.setInput(n, a);
    await expect(gpu.trainStep()).rejects.toMatchObject({ code: 'E_LABEL_RANGE' });
    data.label[4] = 2;
    gpu.setInput('label', data.label);
    expect(Number.isFinite(await gpu.trainStep())).toBe(true);
  });

  it('an id past an Embedding\'s table fails the step with E_ID_RANGE, as on the CPU (#83: a row of zeros before); ids in range train', async () => {
    const graph: GraphIR = {
      format: 'netwright.graph',
      version: 2,
      nodes: [
        { id: 'ids', op: 'Input', attrs: { shape: [4], source: 'features' }, inputs: [] },
        { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
        { id: 'emb', op: 'Embedding', attrs: { numEmbeddings: 6, embeddingDim: 3 }, inputs: ['ids'] },
        { id: 'pool', op: 'SequencePool', attrs: { mode: 'mean' }, inputs: ['emb'] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['pool'] },
        { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
      ],
      outputs: { logits: 'fc', loss: 'loss' },
      training: { dataset: { name: 'iris' }, loss: 'loss', optimizer: { kind: 'sgd', lr: 0.1 }, batchSize: 5, epochs: 1, metrics: [], seed: 1 },
    } as GraphIR;
    const gpu = await compileGpuGraph(checkedOrThrow(graph), { batchSize: 5, gpu: ctx, seed: 1 });
    const ids = Float32Array.from({ length: 20 }, (_, i) => i % 6);
    ids[13] = 9;
    gpu.setInput('ids', ids);
    gpu.setInput('label', Float32Array.of(0, 1, 0, 1, 1));
    await expect(gpu.trainStep()).rejects.toMatchObject({ code: 'E_ID_RANGE', message: expect.stringMatching(/6 rows .*the id 9/) });
    ids[13] = 5;
    gpu.setInput('ids', ids);
    expect(Number.isFinite(await gpu.trainStep())).toBe(true);
  });
});
