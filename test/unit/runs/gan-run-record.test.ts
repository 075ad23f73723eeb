/**
 * A GAN run reads the same stored as live (#58): each step's optimizer-group losses are recorded,
 * `runs.open` carries them and the probe frames' D(x) / D(G(z)) through the protocol, and the
 * stored view draws the players' chart the live one drew.
 */
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import { TrainingSession } from '../../../src-engine/app/session';
import { runView, type RunSink } from '../../../src-engine/app/runs/recorder';
import type { RunMeta, RunRecord } from '../../../src-engine/app/runs/types';
import { EngineMethods, decodeWire, encodeWire, type EventData, type ProbeFrame } from '../../../src-engine/protocol';
import { emptyRun, reduceRun, type RunAction, type StartResult } from '../../../src-renderer/src/training/model';
import { historyUpTo, storedHistory } from '../../../src-renderer/src/training/stored-history';
import { moonsGan } from '../gan-moons';

const meta: RunMeta = { format: 'netwright.run', version: 1, id: '20261127-112700-gan1', name: 'moons GAN', notes: '', createdAt: '2026-11-27T11:27:00Z', status: 'done', pid: 1, settings: { training: {}, backend: 'CPU', appVersion: '0' } } as RunMeta;
/** `train.start`'s answer for the runs below (the moons GAN: 5 steps an epoch). */
const started = (runId: string, epochs: number): StartResult => ({ runId, backend: 'CPU', stepsPerEpoch: 5, epochs, batchSize: 16, task: 'reconstruction', classNames: [], probeSamples: { shape: [2], inputs: [], targets: [] } });

/** The moons GAN (test/unit/gan-moons.ts), one epoch (5 steps of 16 of its 80 training samples), probe frames as often as the scheduler lets them, recorded into memory; what the live view made of its events. */
async function ganRun() {
  const graph = moonsGan();
  const data = prepareData(loadBuiltinDataset(graph.training!.dataset, 1)!, graph.training!.dataset, 1);
  const records: RunRecord[] = [];
  const sink: RunSink = { id: 'r1', append: (r) => records.push(r), finish: () => {} };
  const actions: RunAction[] = [];
  const session = new TrainingSession('t', graph, data, createReferenceBackend(), {
    compile: compileGraph,
    probes: { everySteps: 1, maxHz: 30, budget: 0.5, batch: 16, samples: 4 },
    emit: (event, d) => {
      if (event === 'train.progress') actions.push({ type: 'progress', data: d as EventData<'train.progress'> });
      if (event !== 'probe.frame') return;
      const frame = d as ProbeFrame;
      actions.push({ type: 'frame', data: frame });
      // Consumed at once, as a UI that keeps up acknowledges it: the next frame is sent when taken.
      queueMicrotask(() => session.ackFrame(frame.seq));
    },
  });
  session.recordTo(sink);
  await session.run();
  const live = actions.reduce(reduceRun, reduceRun(emptyRun, { type: 'started', result: started('t', 1) }));
  return { records, live, graph };
}

describe('a stored GAN run keeps its players\' curves', () => {
  it('records each step\'s D and G loss and carries them, with the frames\' D(x) and D(G(z)), through runs.open to the stored view', async () => {
    const { records, live, graph } = await ganRun();
    const steps = records.filter((r): r is Extract<RunRecord, { kind: 'step' }> => r.kind === 'step');
    expect(steps.length).toBeGreaterThanOrEqual(4);
    expect(steps.map((s) => s.step)).toEqual(steps.map((_, i) => i + 1));
    for (const s of steps) {
      expect(Object.keys(s.groupLosses ?? {})).toEqual(['discriminator', 'generator']);
      expect(Number.isFinite(s.groupLosses!.discriminator) && Number.isFinite(s.groupLosses!.generator)).toBe(true);
    }
    // Over the wire as the engine answers runs.open, validated by the protocol's schema.
    const sent = EngineMethods['runs.open'].result.parse(runView({ meta, graph, records }));
    const view = EngineMethods['runs.open'].result.parse(decodeWire(encodeWire(sent)));
    expect(view.curve.groupLosses?.generator).toEqual(steps.map((s) => s.groupLosses!.generator));
    expect(view.gan?.step).toEqual(view.frameSteps);
    expect(view.gan!.step.length).toBeGreaterThanOrEqual(2);
    const stored = reduceRun(emptyRun, { type: 'view-stored', run: view, history: storedHistory(view) });
    // The live view took D(x) and D(G(z)) from the same frames, and each group's loss from the progress events (a few steps of the run's).
    expect(stored.dReal).toEqual(live.dReal);
    expect(stored.dFake).toEqual(live.dFake);
    expect(Object.keys(stored.groupLoss)).toEqual(['discriminator', 'generator']);
    for (const [group, points] of Object.entries(live.groupLoss)) {
      expect(points.length).toBeGreaterThan(0);
      // Progress events carry 6 significant digits; the store keeps the step's float.
      for (const [x, y] of points) expect(Number(stored.groupLoss[group].find((p) => p[0] === x)?.[1].toPrecision(6))).toBe(y);
    }
  });

  it('a run recorded without them (stored before, or with one optimizer) still opens, with no players\' curves', () => {
    const view = EngineMethods['runs.open'].result.parse({ meta, graph: {}, curve: { step: [1], epoch: [1], loss: [1], lr: [0.1], t: [0] }, epochs: [], frameSteps: [] });
    const h = storedHistory(view);
    expect(h.groupLoss).toBeUndefined();
    expect(h.dReal).toBeUndefined();
    expect(reduceRun(emptyRun, { type: 'view-stored', run: view, history: h }).groupLoss).toEqual({});
  });
});

describe('historyUpTo: a resumed GAN run continues its parent\'s players\' curves', () => {
  const parent = storedHistory({
    curve: { step: [1, 2, 3, 4], epoch: [1, 1, 2, 2], loss: [2, 1.5, 1.2, 1], lr: [0.1, 0.1, 0.1, 0.1], t: [0, 1, 2, 3], groupLosses: { discriminator: [0.7, null, 0.6, 0.5], generator: [0.8, 0.9, 1, 1.1] } },
    epochs: [],
    gan: { step: [2, 4], dReal: [0.6, 0.7], dFake: [0.4, 0.3] },
  });

  it('storedHistory: each group\'s loss by step (a step without one skipped), D(x) and D(G(z)) at the frames', () => {
    expect(parent.groupLoss).toEqual({ discriminator: [[1, 0.7], [3, 0.6], [4, 0.5]], generator: [[1, 0.8], [2, 0.9], [3, 1], [4, 1.1]] });
    expect(parent.dReal).toEqual([[2, 0.6], [4, 0.7]]);
    expect(parent.dFake).toEqual([[2, 0.4], [4, 0.3]]);
  });

  it('up to the checkpoint the resume starts from; the resumed run\'s own points follow them', () => {
    const h = historyUpTo(parent, { step: 3, epoch: 1 });
    expect(h.groupLoss).toEqual({ discriminator: [[1, 0.7], [3, 0.6]], generator: [[1, 0.8], [2, 0.9], [3, 1]] });
    expect(h.dReal).toEqual([[2, 0.6]]);
    expect(h.dFake).toEqual([[2, 0.4]]);
    const attached = reduceRun(emptyRun, { type: 'attached', result: started('run-2', 3), state: 'running', step: 3, history: h });
    expect(attached.groupLoss.generator).toEqual([[1, 0.8], [2, 0.9], [3, 1]]);
    expect(attached.dReal).toEqual([[2, 0.6]]);
    const next = reduceRun(attached, { type: 'progress', data: { runId: 'run-2', epoch: 2, epochs: 3, step: 4, stepInEpoch: 2, stepsPerEpoch: 2, loss: 1, batchLoss: 1, groupLosses: { discriminator: 0.55, generator: 1.2 }, lr: 0.1, samplesPerSec: 1, etaSeconds: 1, state: 'running' } });
    expect(next.groupLoss.generator).toEqual([[1, 0.8], [2, 0.9], [3, 1], [4, 1.2]]);
  });
});
