/**
 * A GPU run resumed from its checkpoint draws what the uninterrupted one would have (#58): the GPU's
 * Noise and Dropout kernels take their keys from the plan's stream on the host
 * (`TrainableGraph.rng`), which the checkpoint keeps (`Checkpoint.random`). The moons GAN with its
 * latent from a Noise node and a Dropout in its discriminator, on the GPU plan: 2 epochs straight,
 * or 1 and a step whose last checkpoint goes through the run store and is resumed on a new plan —
 * every group's loss after the resume point and the weights bit for bit (the same device runs the
 * same kernels on the same inputs). The reference and CPU backends: engine/train/resume-random.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { prepareData } from '../../../src-engine/core/data';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { compileGpuTrainable, gpuTrainingGaps } from '../../../src-engine/core/gpu/trainable';
import type { Checkpoint } from '../../../src-engine/core/train';
import { TrainingLoop } from '../../../src-engine/core/train/loop';
import { loadDataset } from '../../../src-engine/node/datasets';
import { RunStore } from '../../../src-engine/node/run-store';
import { moonsGan } from '../gan-moons';
import { testGpu } from './device';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

/** The moons GAN, z from a Noise node, a Dropout between the discriminator's layers; 2 epochs of 4 steps, the last of 8 samples (its own plan, on the same stream). */
function gan(): GraphIR {
  const g = moonsGan('noise');
  const nodes = g.nodes.flatMap((n) => (n.id === 'd_act' ? [n, { id: 'd_drop', op: 'Dropout', attrs: { p: 0.25 }, inputs: ['d_act'] }] : [n]));
  g.nodes = nodes.map((n) => (n.id === 'd_out' ? { ...n, inputs: ['d_drop'] } : n));
  g.training = { ...g.training!, epochs: 2, batchSize: 24 };
  return g;
}

describe('a GPU run resumed from its stored checkpoint', () => {
  it('draws the Noise and Dropout keys the uninterrupted run drew: losses and weights bit for bit', async () => {
    const g = gan();
    expect(gpuTrainingGaps(g)).toEqual([]);
    const t = g.training!;
    const data = prepareData(loadDataset(t.dataset, t.seed), t.dataset, t.seed);
    const train = async (opts: { maxSteps?: number; resumeFrom?: Checkpoint } = {}) => {
      const plan = await compileGpuTrainable(checkedOrThrow(g), { gpu: ctx, batchSize: t.batchSize, seed: t.seed });
      const losses: number[] = [];
      const loop = new TrainingLoop(g, data, createReferenceBackend(), {
        compile: () => plan,
        test: false,
        ...opts,
        hooks: [{ afterForward: ({ loss }) => (losses.push(loss), 'ok') }],
      });
      await loop.run();
      return { loop, losses, weights: plan.params.map((p) => Array.from(p.value.data)) };
    };
    const full = await train();
    expect(full.loop.plan.device).toBeDefined();
    const spe = full.loop.stepsPerEpoch;
    expect(spe).toBe(4);
    const cut = await train({ maxSteps: spe + 1 });
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-gpu-resume-')));
    const rec = store.create({ graph: g, settings: { training: t, backend: 'gpu', appVersion: 'test' } });
    rec.checkpoint('last', cut.loop.last!, { normalization: data.normalization, classNames: [...data.train.classNames] });
    rec.finish('stopped');
    const point = store.resumePoint(rec.id).checkpoint;
    expect(point.random?.graph).toBeDefined();
    const resumed = await train({ resumeFrom: point });
    expect(resumed.loop.step).toBe(full.loop.step);
    // Two groups: two forwards a step.
    expect(resumed.losses).toEqual(full.losses.slice(2 * spe));
    expect(resumed.weights).toEqual(full.weights);
  }, 60_000);
});
