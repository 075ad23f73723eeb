/**
 * A GPU run's training split kept on the device (core/gpu/resident.ts, `TrainingLoop`'s
 * `residentData`): the same loop on two GPU plans of one seed, one gathering each batch on the
 * device from its sample indices, the other uploading the batches the feeder assembled — every
 * step's loss, the epochs' train and validation metrics, the test metrics and the final weights
 * and running statistics bit for bit the same (the gather copies values, so the same bits land in
 * the inputs). A hook poisons the host's feature batch with NaN after every step: the resident
 * run's steps never read it (the uploading run's feeder overwrites it, its evaluations fill it
 * again). Then the reasons a run keeps its data on the host, each said to the hooks. The GPU
 * wire's side (one message a step, only the indices written): wire.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { Rng } from '../../../src-engine/base/rng';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import type { Dataset, PreparedData, Samples } from '../../../src-engine/core/data';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { buildGpuTrainable, type GpuTrainablePlan } from '../../../src-engine/core/gpu/trainable';
import { residentDataMessage, type LoopEpoch, type LoopResult, type ResidentStatus } from '../../../src-engine/core/train';
import { defaultTraining } from '../../../src-engine/core/train/defaults';
import { trainerEvents } from '../../../src-engine/core/train/trainer';
import { progressPrinter } from '../../../src-engine/node/train-progress';
import { TrainingLoop, type TrainingLoopOptions } from '../../../src-engine/core/train/loop';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { testGpu } from './device';
import { bnCnn } from './graphs';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

/** bnCnn (Conv2d–BatchNorm ×2, MaxPool, Linear over 5 classes) with Adam: 2 epochs of 20 samples in batches of 8, 8 and 4 (two plans). */
function design(): GraphIR {
  const g = bnCnn();
  g.nodes = g.nodes.map((n) => (n.id === 'label' ? { ...n, attrs: { ...n.attrs, source: 'target' } } : n));
  g.training = { ...defaultTraining(g), batchSize: 8, epochs: 2, seed: 11, optimizer: { kind: 'adam', lr: 0.01 }, metrics: ['accuracy'] };
  return g;
}

function split(name: string, count: number, rng: Rng): Dataset {
  return {
    name,
    task: 'classification',
    count,
    features: Float32Array.from({ length: count * 70 }, () => rng.normal()),
    featureShape: [2, 7, 5],
    targets: Float32Array.from({ length: count }, () => rng.int(5)),
    targetShape: [],
    numClasses: 5,
    classNames: ['a', 'b', 'c', 'd', 'e'],
  };
}

function data(): PreparedData<Samples> {
  const rng = new Rng(3);
  return { train: split('train', 20, rng), val: split('val', 6, rng), test: split('test', 5, rng), normalization: null, transform: { kind: 'none' }, target: 'label' };
}

interface Run {
  /** What the CLI prints of the run's first events (`trainerEvents` → `progressPrinter`), before its first step. */
  printed: string;
  losses: number[];
  epochs: LoopEpoch[];
  result: LoopResult;
  said: ResidentStatus[];
  plan: GpuTrainablePlan;
}

async function train(g: GraphIR, d: PreparedData<Samples>, options: Partial<TrainingLoopOptions<GpuTrainablePlan>> = {}): Promise<Run> {
  const plan = buildGpuTrainable(checkedOrThrow(g), { gpu: ctx, batchSize: g.training!.batchSize, seed: g.training!.seed });
  const run: Omit<Run, 'result'> = { printed: '', losses: [], epochs: [], said: [], plan };
  const print = progressPrinter({ out: (t: string) => void (run.losses.length === 0 && (run.printed += t)), err: () => undefined, json: false }, Date.now());
  const loop = new TrainingLoop<GpuTrainablePlan>(g, d, createReferenceBackend(), {
    compile: () => plan,
    yieldToHost: () => Promise.resolve(),
    ...options,
    hooks: [
      trainerEvents(print),
      {
        onResidentData: (s) => void run.said.push(s),
        afterStep: (c) => {
          run.losses.push(c.loss);
          c.graph.input('x').data.fill(NaN);
        },
        afterEpoch: (e) => void run.epochs.push(e),
      },
    ],
  });
  const result = await loop.run();
  return { ...run, result };
}

describe('training data kept on the GPU', () => {
  it('trains bit for bit as the batches uploaded from the host: losses, metrics, weights, running statistics', async () => {
    const g = design();
    const d = data();
    const resident = await train(g, d);
    const uploaded = await train(g, d, { residentData: false });
    expect(resident.said).toEqual([{ state: 'ready', samples: 20, bytes: (20 * 70 + 20) * 4, seconds: expect.any(Number) }]);
    expect(residentDataMessage(resident.said[0])).toMatch(/^training data on the GPU: 20 samples \(\d+ KB, uploaded in (\d+ ms|\d+\.\d s)\); each batch is gathered there$/);
    expect(uploaded.said).toEqual([]);
    expect(resident.printed).toBe(`${residentDataMessage(resident.said[0])}\n`);
    expect(resident.losses).toHaveLength(6);
    expect(resident.losses.every(Number.isFinite)).toBe(true);
    expect(resident.losses).toEqual(uploaded.losses);
    expect(resident.epochs.map((e) => [e.train, e.val])).toEqual(uploaded.epochs.map((e) => [e.train, e.val]));
    expect(resident.result.test).toEqual(uploaded.result.test);
    resident.plan.params.forEach((p, i) => expect(p.value.data, `${p.nodeId}.${p.name}`).toEqual(uploaded.plan.params[i].value.data));
    resident.plan.buffers.forEach((b, i) => expect(b.value.data, `${b.nodeId}.${b.name}`).toEqual(uploaded.plan.buffers[i].value.data));
    expect(resident.losses.at(-1)!).not.toBe(resident.losses[0]);
  }, 240_000);

  it('keeps the data on the host, and says why, where a step draws its samples at random, the run is shorter than an epoch, or the split is over the budget', async () => {
    const g = design();
    g.training!.epochs = 1;
    const d = data();
    const noisy = await train(g, { ...d, transform: { kind: 'gaussian-noise', std: 0.1, clip: false } }, { validate: false, test: false });
    expect(noisy.said).toEqual([{ state: 'off', code: 'RESIDENT_RANDOM', reason: 'the input transform "Gaussian noise" changes every sample at random in every step' }]);
    const short = await train(g, d, { maxSteps: 2, validate: false, test: false });
    expect(short.said.map((s) => s.state === 'off' && s.code)).toEqual(['RESIDENT_FEW_STEPS']);
    const tight = await train(g, d, { residentBytes: 1000, validate: false, test: false });
    expect(tight.said).toEqual([{ state: 'off', code: 'RESIDENT_OVER_BUDGET', reason: 'the training split takes 6 KB, over the 1 KB a run keeps on the GPU' }]);
    expect(residentDataMessage(tight.said[0])).toMatch(/^training data uploaded every step: the training split takes/);
  }, 240_000);
});
