/**
 * The session's device path without a GPU (issue #28): a stand-in "device" that is a second CPU
 * plan holding its own weights and optimizer state, as a GPU holds them — the loop hands it whole
 * steps, and the host's copy is current only after `sync` (the rollback snapshots read it back
 * there). Losing it mid-run must send the run back to its last snapshot and on on the CPU, as
 * test/unit/gpu/device-lost.test.ts checks on a real (SwiftShader) device; here both sides run
 * the same CPU kernels, so every step's loss must equal the uninterrupted run's exactly.
 */
import type { CheckedGraph } from '../../../src-engine/core/analysis/checked';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { TrainingSession } from '../../../src-engine/app/session';
import { compileGraph, type CompiledGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import { createOptimizer, type Optimizer } from '../../../src-engine/core/optim';
import type { StepGroup, StepPhases, TrainableGraph } from '../../../src-engine/core/train';
import type { RunRecord } from '../../../src-engine/app/runs/types';
import type { EventData } from '../../../src-engine/protocol';
import { twoMoonsGraph } from './fixtures';

/** 36 steps an epoch (288 training samples, batches of 8), 3 epochs. */
const graph: GraphIR = twoMoonsGraph({ epochs: 3, batchSize: 8 }, 400);
const data = prepareData(loadBuiltinDataset(graph.training!.dataset, 1)!, graph.training!.dataset, 1);

/** A device that is a CPU plan of its own; once `lost`, every call fails as a lost GPU does. */
function standInDevice(state: { lost: boolean; syncs: number }) {
  const gpuLost = () => Object.assign(new Error('The GPU device was lost (test).'), { code: 'E_GPU_LOST' });
  return (checked: CheckedGraph, o: { batchSize: number; seed: number }): CompiledGraph => {
    const g = checked.ir;
    const backend = createReferenceBackend();
    const host = compileGraph(checked, { ...o, backend });
    const dev = compileGraph(checked, { ...o, backend });
    const optimizer: Optimizer = createOptimizer(g.training!.optimizer, dev.params, backend);
    const inputs = g.nodes.filter((n) => n.op === 'Input').map((n) => n.id);
    const wrap = (h: CompiledGraph, d: CompiledGraph): CompiledGraph => {
      const run = (training: boolean) => {
        if (state.lost) throw gpuLost();
        for (const id of inputs) d.input(id).data.set(h.input(id).data);
        const loss = d.forward(training);
        for (const id of d.order) h.output(id).data.set(d.output(id).data);
        return loss;
      };
      // As the GPU plan's: the phases between the forward and the device's own update.
      const trainStep = async (_group: StepGroup, lr: number, phases: StepPhases) => {
        const loss = run(true);
        if (phases.afterForward(loss) !== 'ok' || phases.afterBackward() !== 'ok') return loss;
        phases.beforeUpdate();
        d.backward();
        optimizer.step(lr);
        return loss;
      };
      const device: NonNullable<TrainableGraph['device']> = {
        name: 'stand-in',
        forward: async (training) => run(training),
        sync: async (into: readonly Optimizer[]) => {
          if (state.lost) throw gpuLost();
          state.syncs++;
          d.params.forEach((p, i) => h.params[i].value.data.set(p.value.data));
          d.buffers.forEach((b, i) => h.buffers[i].value.data.set(b.value.data));
          into[0].loadState(optimizer.state());
        },
        load: (from: readonly Optimizer[]) => {
          h.params.forEach((p, i) => d.params[i].value.data.set(p.value.data));
          h.buffers.forEach((b, i) => d.buffers[i].value.data.set(b.value.data));
          optimizer.loadState(from[0].state());
        },
        readWorkspace: async (id: string, ranges: Readonly<Record<string, unknown>>) => {
          for (const name of Object.keys(ranges)) h.workspace(id)[name]?.data.set(d.workspace(id)[name].data);
        },
      };
      return Object.assign(Object.create(h) as CompiledGraph, { device, trainStep, withBatchSize: (n: number) => wrap(h.withBatchSize(n), d.withBatchSize(n)) });
    };
    return wrap(host, dev);
  };
}

interface Outcome {
  /** Each step's loss, the last value reported for it (a step trained again replaces it). */
  losses: Map<number, number>;
  lost?: EventData<'train.deviceLost'>;
  states: string[];
  records: RunRecord[];
  session: TrainingSession;
  syncs: number;
}

async function run(device: boolean, opts: { loseAt?: number; snapshots?: { everyMs?: number; budget?: number } } = {}): Promise<Outcome> {
  const state = { lost: false, syncs: 0 };
  const out: Omit<Outcome, 'session' | 'syncs'> = { losses: new Map(), states: [], records: [] };
  const session: TrainingSession = new TrainingSession('r', graph, data, createReferenceBackend(), {
    compile: device ? standInDevice(state) : compileGraph,
    probes: false,
    progressEveryMs: 0,
    ...(opts.snapshots ? { snapshots: opts.snapshots } : {}),
    ...(device ? { deviceLost: { compile: compileGraph, description: 'CPU (test)' } } : {}),
    emit: (event, d) => {
      if (event === 'train.progress') {
        const p = d as EventData<'train.progress'>;
        p.stepLosses?.steps.forEach((st, i) => out.losses.set(st, p.stepLosses!.values[i]!));
        if (p.step === opts.loseAt) state.lost = true;
      } else if (event === 'train.deviceLost') {
        out.lost = d as EventData<'train.deviceLost'>;
        setTimeout(() => session.control('resume'), 5);
      } else if (event === 'train.state') out.states.push((d as EventData<'train.state'>).state);
    },
  });
  session.recordTo({ id: 'stored', append: (r) => void out.records.push(r), finish: () => {} });
  await session.run();
  return { ...out, session, syncs: state.syncs };
}

describe('a lost device, on a stand-in device made of a CPU plan', () => {
  it('trains like the CPU while it lasts: the same loss at every step, the host copy read back at epoch ends', async () => {
    const reference = await run(false);
    const r = await run(true, { snapshots: { everyMs: Infinity } });
    expect(r.session.step).toBe(3 * 36);
    expect([...r.losses]).toEqual([...reference.losses]);
    // One readback per epoch end (its checkpoint), and one as the run ends.
    expect(r.syncs).toBe(3 + 1);
  });

  it('snapshots at epoch ends only: lost in epoch 2, it goes back to the end of epoch 1, trains steps 37–50 again, and every loss is the uninterrupted run’s', async () => {
    const reference = await run(false);
    const r = await run(true, { loseAt: 50, snapshots: { everyMs: Infinity } });
    expect(r.lost).toMatchObject({ runId: 'r', step: 50, epoch: 2, resumeStep: 36, resumeEpoch: 1, backend: 'CPU (test)' });
    expect(r.lost!.message).toMatch(/paused at step 50\. Resume continues on the CPU \(CPU \(test\)\) from step 36, the last snapshot \(steps 37–50 are trained again\)\./);
    expect(r.states).toEqual(['paused', 'running', 'done']);
    expect(r.session.step).toBe(3 * 36);
    expect(r.session.loop.plan.device).toBeUndefined();
    expect([...r.losses]).toEqual([...reference.losses]);
    // The run store hears of the loss and the rewind, and keeps one step record per step after it.
    const events = r.records.filter((x) => x.kind === 'event').map((x) => (x as { event: string }).event);
    expect(events).toEqual(expect.arrayContaining(['device-lost', 'rewind']));
    const rewind = r.records.find((x) => x.kind === 'event' && x.event === 'rewind') as { data: unknown };
    expect(rewind.data).toEqual({ step: 36, epoch: 1 });
    const steps = r.records.filter((x) => x.kind === 'step').map((x) => (x as { step: number }).step);
    expect(steps.length).toBe(3 * 36 + (50 - 36));
  });

  it('a snapshot after every step: it goes on from the step it was lost after, within the epoch', async () => {
    const reference = await run(false);
    const r = await run(true, { loseAt: 60, snapshots: { everyMs: 0, budget: Infinity } });
    expect(r.lost).toMatchObject({ step: 60, epoch: 2, resumeStep: 60, resumeEpoch: 1 });
    expect(r.lost!.message).not.toMatch(/trained again/);
    expect(r.session.step).toBe(3 * 36);
    expect([...r.losses]).toEqual([...reference.losses]);
    // Every step read back for its snapshot before the loss.
    expect(r.syncs).toBeGreaterThanOrEqual(60);
  });
});
