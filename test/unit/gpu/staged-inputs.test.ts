/**
 * Dawn's step (core/gpu/staged-inputs.ts, `GpuContext.splitSubmits`): a large input uploaded
 * through a mapped staging buffer, and the forward submitted before the backward is encoded; and
 * that it trains bit for bit as the GPU wire's step does (`queue.writeBuffer`, one submission) —
 * the same batches and dispatches, so the same losses and weights, not merely close ones. The
 * wire's own traffic is wire.test.ts's; a device lost with a staging buffer in flight is
 * device-lost.test.ts's. Then the training loop's feeder writing each batch straight into a
 * staging buffer the plan lends (`DeviceStep.lendInput`): the same run bit for bit as with the
 * batches written on the host and copied.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { Rng } from '../../../src-engine/base/rng';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import type { Dataset, PreparedData, Samples } from '../../../src-engine/core/data';
import { buildGpuTrainable, type GpuTrainablePlan } from '../../../src-engine/core/gpu/trainable';
import type { LoopEpoch } from '../../../src-engine/core/train';
import { defaultTraining } from '../../../src-engine/core/train/defaults';
import { TrainingLoop } from '../../../src-engine/core/train/loop';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { compileGpuGraph, type GpuGraph } from '../../../src-engine/core/gpu/executor';
import { createGpuOptimizer } from '../../../src-engine/core/gpu/optim';
import { STAGED_MIN_BYTES } from '../../../src-engine/core/gpu/staged-inputs';
import { OVER_WIRE, testGpu } from './device';
import { wideLinear } from './graphs';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

/** Many short rows rather than a few long ones: a Linear summing 16,384 inputs is slow on SwiftShader (a barrier per k-slice). */
const BATCH = 1024;
/** One sample's features: a batch of them is exactly the staging threshold (the labels, 4 KiB, stay far below it). */
const FEATURES = STAGED_MIN_BYTES / 4 / BATCH;

const graph = wideLinear(FEATURES);

/** The first element at which `a` and `b` differ in bits, or -1 (vitest's deep equality takes seconds on a million floats). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** Six steps over three distinct batches, twice: a stale batch anywhere changes the losses. */
function batches(): { x: Float32Array; label: Float32Array }[] {
  const rng = new Rng(7);
  const three = Array.from({ length: 3 }, () => ({
    x: Float32Array.from({ length: BATCH * FEATURES }, () => rng.normal()),
    label: Float32Array.from({ length: BATCH }, () => rng.int(10)),
  }));
  return [...three, ...three];
}

/** Train `data` one step each (Adam), awaiting each step or, with `overlap`, launching two at a time; the losses and the final weights. */
async function train(gpu: GpuGraph, data: { x: Float32Array; label: Float32Array }[], overlap = false): Promise<{ losses: number[]; weights: Float32Array[] }> {
  const opt = createGpuOptimizer(ctx, { kind: 'adam', lr: 1e-2 }, gpu.params);
  const losses: number[] = [];
  for (let i = 0; i < data.length; i += overlap ? 2 : 1) {
    const steps = data.slice(i, overlap ? i + 2 : i + 1).map((b) => {
      gpu.setInput('x', b.x);
      gpu.setInput('label', b.label);
      return gpu.trainStep(opt, 1e-2);
    });
    losses.push(...(await Promise.all(steps)));
  }
  await gpu.syncToHost();
  return { losses, weights: gpu.params.map((p) => p.host.value.data.slice()) };
}

describe('inputs through mapped staging buffers', () => {
  const data = batches();
  /** The default path (staged on Dawn), each step awaited. */
  let got: { losses: number[]; weights: Float32Array[] };
  let staged: GpuGraph;
  /** Submissions per training step (without the optimizer: one update-free step). */
  let submits = 0;
  beforeAll(async () => {
    staged = await compileGpuGraph(checkedOrThrow(graph), { batchSize: BATCH, gpu: ctx, seed: 5 });
    got = await train(staged, data);
    const queue = ctx.device.queue;
    const submit = queue.submit;
    queue.submit = (b) => {
      submits++;
      submit.call(queue, b);
    };
    try {
      staged.setInput('x', data[0].x);
      await staged.trainStep();
    } finally {
      queue.submit = submit;
    }
  }, 60_000);

  it('on Dawn a large input goes through one reused staging buffer, the forward is submitted alone, and it trains bit for bit as the wire\'s step', async () => {
    expect(ctx.mappedWrites, 'Dawn maps buffers for writing; the wire does not').toBe(!OVER_WIRE);
    expect(submits, 'forward, then backward and readback copies').toBe(OVER_WIRE ? 1 : 2);
    // x (1 MiB a batch) staged every step (and once more in beforeAll), labels (4 KiB) written; one buffer, mapped again in time for each next step.
    expect(staged.inputWrites).toEqual(OVER_WIRE ? { staged: 0, written: 13, lent: 0, buffers: 0 } : { staged: 7, written: 6, lent: 0, buffers: 1 });
    const was = [ctx.mappedWrites, ctx.splitSubmits] as const;
    ctx.mappedWrites = false;
    ctx.splitSubmits = false;
    try {
      const written = await compileGpuGraph(checkedOrThrow(graph), { batchSize: BATCH, gpu: ctx, seed: 5 });
      const want = await train(written, data);
      expect(written.inputWrites).toEqual({ staged: 0, written: 12, lent: 0, buffers: 0 });
      expect(got.losses).toEqual(want.losses);
      got.weights.forEach((w, i) => expect(firstDifference(w, want.weights[i]), `parameter ${i}`).toBe(-1));
      expect(want.losses[3]).toBeLessThan(want.losses[0]); // it trained: the same batch, three steps on
    } finally {
      [ctx.mappedWrites, ctx.splitSubmits] = was;
    }
  }, 120_000);

  it('steps launched before the last one is done take a second buffer and train the same; the last write before a read or a step wins', async () => {
    const other = await compileGpuGraph(checkedOrThrow(graph), { batchSize: BATCH, gpu: ctx, seed: 5 });
    const overlapped = await train(other, data, true);
    expect(overlapped.losses).toEqual(got.losses);
    overlapped.weights.forEach((w, i) => expect(firstDifference(w, got.weights[i]), `parameter ${i}`).toBe(-1));
    if (!OVER_WIRE) expect(other.inputWrites.buffers).toBe(2);
    // Two writes, then a read: the second batch, copied by the read itself (no step in between).
    other.setInput('x', data[0].x);
    other.setInput('x', data[1].x);
    expect(firstDifference(await other.read('x'), data[1].x)).toBe(-1);
    // A write, then an eval forward: the forward reads it.
    other.setInput('x', data[2].x);
    other.setInput('label', data[2].label);
    const loss = await other.forward();
    expect(firstDifference(await other.read('x'), data[2].x)).toBe(-1);
    other.setInput('x', data[2].x);
    expect(await other.forward()).toBe(loss);
  }, 120_000);
});

/**
 * A Conv2d of stride 16 over one 64×64 channel (16×16 patches that tile it: every pixel read once),
 * ReLU, MaxPool, Linear over 5 classes: a batch of 64 is exactly STAGED_MIN_BYTES of features
 * (core/gpu/staged-inputs.ts), cheap to train on SwiftShader. NOTE: not 4×4 patches at stride 4:
 * their weight gradient sums over 64 · 16 · 16 = 16,384 positions, one tile's k-slices one after
 * another (a barrier each): the last test took 22 s, 16 of them waiting on SwiftShader; over 64 ·
 * 4 · 4 = 1,024 positions, 7–8 s, most of it compiling pipelines. What the tests check (which
 * batches are lent, staged or written, and that lending changes no bit) does not depend on the
 * layer's shape.
 */
function stridedConv(): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    nodes: [
      { id: 'x', op: 'Input', attrs: { shape: [1, 64, 64] }, inputs: [] },
      { id: 'label', op: 'Input', attrs: { shape: [], source: 'target' }, inputs: [] },
      { id: 'conv', op: 'Conv2d', attrs: { outChannels: 2, kernelSize: [16, 16], stride: [16, 16] }, inputs: ['x'] },
      { id: 'act', op: 'ReLU', attrs: {}, inputs: ['conv'] },
      { id: 'pool', op: 'MaxPool2d', attrs: { kernelSize: [4, 4] }, inputs: ['act'] },
      { id: 'flat', op: 'Flatten', attrs: {}, inputs: ['pool'] },
      { id: 'fc', op: 'Linear', attrs: { outFeatures: 5 }, inputs: ['flat'] },
      { id: 'loss', op: 'CrossEntropyLoss', attrs: {}, inputs: ['fc', 'label'] },
    ],
    outputs: { logits: 'fc', loss: 'loss' },
  };
}

function split(name: string, count: number, rng: Rng): Dataset {
  const features = Float32Array.from({ length: count * 4096 }, () => rng.normal());
  const targets = Float32Array.from({ length: count }, () => rng.int(5));
  return { name, task: 'classification', count, features, featureShape: [1, 64, 64], targets, targetShape: [], numClasses: 5, classNames: ['a', 'b', 'c', 'd', 'e'] };
}

describe('batches written into a lent staging buffer', () => {
  /**
   * Two epochs of 160 samples in batches of 64, 64 and 32 (under the threshold: never lent), the
   * split not kept on the device (`residentData: false`: what a split over the budget or a
   * streamed folder gets) and a validation batch of 64 through the same plan (an evaluation forward
   * uploads the host's values). A hook poisons the host's feature batch after every step: a lent
   * batch's step never reads it. `noise`: Gaussian noise drawn per step, which the feeder adds in
   * place (reading the batch back: never in a lent buffer, whose memory may be slow to read).
   */
  async function train(lendInputs: boolean, noise = false): Promise<{ losses: number[]; epochs: LoopEpoch[]; plan: GpuTrainablePlan; lent: number }> {
    const g = stridedConv();
    g.training = { ...defaultTraining(g), batchSize: 64, epochs: 2, seed: 4, optimizer: { kind: 'adam', lr: 0.01 }, metrics: ['accuracy'] };
    const rng = new Rng(9);
    const d: PreparedData<Samples> = { train: split('train', 160, rng), val: split('val', 64, rng), test: split('test', 0, rng), normalization: null, transform: noise ? { kind: 'gaussian-noise', std: 0.1, clip: false } : { kind: 'none' }, target: 'label' };
    const plan = buildGpuTrainable(checkedOrThrow(g), { gpu: ctx, batchSize: 64, seed: 4 });
    const lend = plan.device.lendInput!.bind(plan.device);
    let lent = 0;
    plan.device.lendInput = (id) => {
      const view = lend(id);
      if (view) lent++;
      return view;
    };
    const run = { losses: [] as number[], epochs: [] as LoopEpoch[], plan };
    const loop = new TrainingLoop<GpuTrainablePlan>(g, d, createReferenceBackend(), {
      compile: () => plan,
      yieldToHost: () => Promise.resolve(),
      test: false,
      residentData: false,
      lendInputs,
      hooks: [
        {
          afterStep: (c) => {
            run.losses.push(c.loss);
            c.graph.input('x').data.fill(NaN);
          },
          afterEpoch: (e) => void run.epochs.push(e),
        },
      ],
    });
    await loop.run();
    return { ...run, lent };
  }

  it('trains bit for bit as the batches written on the host and copied: losses, metrics, weights; each full batch filled in place', async () => {
    const inPlace = await train(true);
    const copied = await train(false);
    expect(inPlace.losses).toHaveLength(6);
    expect(inPlace.losses.every(Number.isFinite)).toBe(true);
    expect(inPlace.losses).toEqual(copied.losses);
    expect(inPlace.epochs.map((e) => [e.train, e.val])).toEqual(copied.epochs.map((e) => [e.train, e.val]));
    inPlace.plan.params.forEach((p, i) => expect(firstDifference(p.value.data, copied.plan.params[i].value.data), `${p.nodeId}.${p.name}`).toBe(-1));
    expect(inPlace.losses.at(-1)).not.toBe(inPlace.losses[0]);
    // The batches of 64: 4 training batches and 2 validation ones; only the training features lent (none over the wire).
    expect(inPlace.lent).toBe(OVER_WIRE ? 0 : 4);
    expect(copied.lent).toBe(0);
    expect(inPlace.plan.inputWrites).toEqual(OVER_WIRE ? { staged: 0, written: 12, lent: 0, buffers: 0 } : { staged: 6, written: 6, lent: 4, buffers: 1 });
    expect(copied.plan.inputWrites).toEqual(OVER_WIRE ? { staged: 0, written: 12, lent: 0, buffers: 0 } : { staged: 6, written: 6, lent: 0, buffers: 1 });
    // The batch of 32 (0.5 MiB) is uploaded from the host, and its plan lends nothing.
    expect((inPlace.plan.withBatchSize(32) as GpuTrainablePlan).inputWrites).toMatchObject({ staged: 0, lent: 0 });
    // A transform that reads the batch back (noise added in place) fills the host's batch, not a lent one.
    expect((await train(true, true)).lent).toBe(0);
  }, 240_000);
});
