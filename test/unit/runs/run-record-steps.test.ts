import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import { TrainingSession } from '../../../src-engine/app/session';
import { runView, type RunSink } from '../../../src-engine/app/runs/recorder';
import type { RunMeta, RunRecord, RunSummary } from '../../../src-engine/app/runs/types';
import type { EventData } from '../../../src-engine/protocol';
import { compileWithNaNGradient, twoMoonsGraph } from '../session/fixtures';

/**
 * A one-epoch two-moons run recorded into memory whose step 3 gets a NaN gradient; the learner
 * resumes at a new learning rate, as the divergence banner's "Resume" does.
 */
async function recordedRun(resumeLr: number | undefined) {
  const graph = twoMoonsGraph({ epochs: 1 });
  const data = prepareData(loadBuiltinDataset(graph.training!.dataset, 1)!, graph.training!.dataset, 1);
  const compile = compileWithNaNGradient(3);
  const records: RunRecord[] = [];
  let summary: RunSummary | undefined;
  const sink: RunSink = { id: 'r1', append: (r) => records.push(r), finish: (_s, s) => void (summary = s) };
  const progress: EventData<'train.progress'>[] = [];
  const session = new TrainingSession('t', graph, data, createReferenceBackend(), {
    compile,
    probes: false,
    checkGradients: true,
    emit: (event, d) => {
      if (event === 'train.progress') progress.push(d as EventData<'train.progress'>);
      if (event === 'train.diverged') queueMicrotask(() => session.control('resume', resumeLr));
    },
  });
  session.recordTo(sink);
  await session.run();
  return { records, summary, progress, graph };
}

describe('a run record holds what trained, step by step', () => {
  it('records every step\'s accuracy, so a one-epoch run has a metric curve (and progress carries the epoch\'s accuracy so far)', async () => {
    const { records, progress, graph } = await recordedRun(undefined);
    const steps = records.filter((r): r is Extract<RunRecord, { kind: 'step' }> => r.kind === 'step');
    expect(steps.length).toBeGreaterThan(5);
    for (const s of steps) expect(s.metrics?.accuracy).toBeGreaterThanOrEqual(0);
    const view = runView({ meta: {} as RunMeta, graph, records });
    expect(view.curve.metrics.accuracy).toHaveLength(view.curve.step.length);
    expect(view.curve.metrics.accuracy.every((v) => typeof v === 'number' && v >= 0 && v <= 1)).toBe(true);
    expect(progress.some((p) => typeof p.metrics?.accuracy === 'number')).toBe(true);
  });

  it('a learning rate changed on resuming is a step of the settings history, in the log and the summary, and the steps after it train at it', async () => {
    const { records, summary, graph } = await recordedRun(0.001);
    const at = records.findIndex((r) => r.kind === 'event' && r.event === 'settings');
    const steps = records.filter((r): r is Extract<RunRecord, { kind: 'step' }> => r.kind === 'step');
    const before = steps.filter((s) => records.indexOf(s) < at);
    const after = steps.filter((s) => records.indexOf(s) > at);
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    for (const s of before) expect(s.lr).toBe(0.01);
    for (const s of after) expect(s.lr).toBeCloseTo(0.001, 12);
    // The change names the first step trained at the new rate.
    const change = { step: after[0].step, changes: { 'optimizer.lr': 0.001 } };
    expect(summary?.settingsHistory).toEqual([change]);
    expect(runView({ meta: {} as RunMeta, graph, records }).settingsHistory).toEqual([change]);
  });

  it('a resume without a new rate leaves no settings history', async () => {
    const { summary, records, graph } = await recordedRun(undefined);
    expect(summary?.settingsHistory).toBeUndefined();
    expect(runView({ meta: {} as RunMeta, graph, records }).settingsHistory).toBeUndefined();
  });
});
