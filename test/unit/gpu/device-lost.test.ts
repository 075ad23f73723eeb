/**
 * A GPU lost mid-run (TrainingSession with `deviceLost`): the run pauses, rolled back to its last
 * snapshot, and goes on on the CPU from exactly there — the same weights, optimizer state and
 * place in the data — so the losses it trains from then on are the uninterrupted run's.
 *
 * The reference is the same run on the CPU (reference backend) with no loss; the GPU follows it
 * step for step within float32 summation order (train-loop.test.ts: 1e-4 relative per step), so a
 * resumed run is held to 1e-3 relative at every step after the snapshot — far below what a wrong
 * batch (another place in the shuffled order), fresh optimizer state or the weights of another
 * step would give (checked: resuming one batch late fails it).
 *
 * Two snapshot cadences: only at epoch ends (the loss comes mid-epoch, so a dozen steps are
 * trained again), and after every step (the snapshot is within an epoch).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { TrainingSession } from '../../../src-engine/app/session';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { buildGpuTrainable } from '../../../src-engine/core/gpu/trainable';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { compileGpuGraph } from '../../../src-engine/core/gpu/executor';
import { STAGED_MIN_BYTES } from '../../../src-engine/core/gpu/staged-inputs';
import type { EventData } from '../../../src-engine/protocol';
import { twoMoonsGraph } from '../session/fixtures';
import { testGpuAcquirer } from './device';
import { wideLinear } from './graphs';
import { itDirectOnly } from './wire-cases';

const acquire = testGpuAcquirer();

/** 36 steps an epoch (288 training samples, batches of 8), 3 epochs. */
const graph: GraphIR = twoMoonsGraph({ epochs: 3, batchSize: 8 }, 400);
const data = prepareData(loadBuiltinDataset(graph.training!.dataset, 1)!, graph.training!.dataset, 1);

interface Outcome {
  /** Each step's loss, the last value recorded for it (a step trained again replaces it). */
  losses: Map<number, number>;
  lost?: EventData<'train.deviceLost'>;
  states: string[];
  session: TrainingSession;
}

async function run(ctx: GpuContext | null, opts: { loseAt?: number; snapshots?: { everyMs?: number; budget?: number } } = {}): Promise<Outcome> {
  const out: Partial<Outcome> & { losses: Map<number, number>; states: string[] } = { losses: new Map(), states: [] };
  const session: TrainingSession = new TrainingSession('r', graph, data, createReferenceBackend(), {
    compile: ctx ? (g, o) => buildGpuTrainable(g, { gpu: ctx, batchSize: o.batchSize, seed: o.seed }) : compileGraph,
    probes: false,
    progressEveryMs: 0,
    ...(opts.snapshots ? { snapshots: opts.snapshots } : {}),
    ...(ctx ? { deviceLost: { compile: compileGraph, description: 'CPU (test)' } } : {}),
    emit: (event, d) => {
      if (event === 'train.progress') {
        const p = d as EventData<'train.progress'>;
        p.stepLosses?.steps.forEach((st, i) => out.losses.set(st, p.stepLosses!.values[i]!));
        // The loss, as a driver reset would do it: between two steps, the next one finds the device gone.
        if (ctx && p.step === opts.loseAt && !ctx.lost) ctx.device.destroy();
      } else if (event === 'train.deviceLost') {
        out.lost = d as EventData<'train.deviceLost'>;
        // Resume, as the banner's button does, once the pause is in place.
        setTimeout(() => session.control('resume'), 20);
      } else if (event === 'train.state') out.states.push((d as EventData<'train.state'>).state);
    },
  });
  out.session = session;
  await session.run();
  return out as Outcome;
}

function expectFollows(got: Map<number, number>, want: Map<number, number>, from: number, to: number): void {
  for (let st = from; st <= to; st++) {
    const w = want.get(st)!;
    expect(Math.abs(got.get(st)! - w), `step ${st}: ${got.get(st)} vs ${w}`).toBeLessThanOrEqual(1e-3 * Math.abs(w));
  }
}

describe('a GPU lost mid-run goes on on the CPU from its last snapshot', () => {
  let reference: Outcome;
  beforeAll(async () => {
    reference = await run(null);
    expect(reference.session.stepsPerEpoch).toBe(36);
    expect(reference.session.step).toBe(3 * 36);
  });

  it('snapshots at epoch ends only: lost in epoch 2, it goes back to the end of epoch 1 and trains those steps again', async () => {
    const r = await run(await acquire(true), { loseAt: 50, snapshots: { everyMs: Infinity } });
    expect(r.lost).toMatchObject({ step: 50, epoch: 2, resumeStep: 36, resumeEpoch: 1, backend: 'CPU (test)' });
    expect(r.lost!.message).toMatch(/paused at step 50\. Resume continues on the CPU \(CPU \(test\)\) from step 36, the last snapshot \(steps 37–50 are trained again\)\./);
    expect(r.states).toEqual(['paused', 'running', 'done']);
    expect(r.session.step).toBe(3 * 36);
    expectFollows(r.losses, reference.losses, 1, 3 * 36);
  }, 120_000);

  itDirectOnly('a snapshot after every step: it goes on from the step it was lost after, within the epoch', async () => {
    const r = await run(await acquire(true), { loseAt: 60, snapshots: { everyMs: 0, budget: Infinity } });
    expect(r.lost).toMatchObject({ step: 60, epoch: 2, resumeStep: 60, resumeEpoch: 1 });
    expect(r.lost!.message).not.toMatch(/trained again/);
    expect(r.session.step).toBe(3 * 36);
    expectFollows(r.losses, reference.losses, 1, 3 * 36);
  }, 120_000);

  // Dawn only: the wire writes inputs through writeBuffer (staged-inputs.test.ts).
  itDirectOnly('lost while an input\'s staging buffer is mapped again: that step and the next fail with E_GPU_LOST', async () => {
    const ctx = await acquire(true);
    expect(ctx.mappedWrites).toBe(true);
    const gpu = await compileGpuGraph(checkedOrThrow(wideLinear(STAGED_MIN_BYTES / 4 / 1024)), { batchSize: 1024, gpu: ctx, seed: 1 });
    const x = new Float32Array(STAGED_MIN_BYTES / 4).fill(0.5);
    const label = new Float32Array(1024);
    gpu.setInput('x', x);
    gpu.setInput('label', label);
    await gpu.trainStep();
    gpu.setInput('x', x);
    const step = gpu.trainStep(); // submitted: its staging buffer's mapAsync is pending
    ctx.device.destroy();
    await expect(step).rejects.toMatchObject({ code: 'E_GPU_LOST' });
    gpu.setInput('x', x);
    await expect(gpu.trainStep()).rejects.toMatchObject({ code: 'E_GPU_LOST' });
    expect(gpu.inputWrites.staged).toBe(3);
  }, 60_000);
});
