import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { loadBuiltinDataset, prepareData } from '../../../src-engine/core/data';
import type { EngineEvent, EventData } from '../../../src-engine/protocol';
import { TrainingSession } from '../../../src-engine/app/session';
import { compileWithNaNGradient, twoMoonsGraph } from './fixtures';

/** Run a session whose step `badStep` gets a NaN in fc2's weight gradient (as a bad kernel would). */
async function runWithNaNGradient(checkGradients: boolean, badStep: number, training: Parameters<typeof twoMoonsGraph>[0] = {}) {
  const graph = twoMoonsGraph({ epochs: 1, ...training });
  const data = prepareData(loadBuiltinDataset(graph.training!.dataset, 1)!, graph.training!.dataset, 1);
  const compile = compileWithNaNGradient(badStep);
  const events: { event: EngineEvent; data: unknown }[] = [];
  const session = new TrainingSession('t', graph, data, createReferenceBackend(), {
    compile,
    probes: false,
    checkGradients,
    emit: (event, d) => {
      events.push({ event, data: d });
      if (event === 'train.diverged') queueMicrotask(() => session.control('resume'));
    },
  });
  await session.run();
  const of = <E extends EngineEvent>(e: E) => events.filter((x) => x.event === e).map((x) => x.data as EventData<E>);
  return { diverged: of('train.diverged'), done: of('train.done'), weights: session.plan.params };
}

describe('divergence guard', () => {
  it('with checkGradients, a NaN gradient is caught before the update and named with its parameter', async () => {
    const { diverged, done, weights } = await runWithNaNGradient(true, 3);
    expect(diverged).toHaveLength(1);
    expect(diverged[0]).toMatchObject({ step: 3, cause: 'nonfinite', where: 'gradient', nodeId: 'fc2', param: 'weight', restoredStep: 0 });
    expect(done[0].reason).toBe('completed');
    expect(weights.every((p) => p.value.data.every(Number.isFinite))).toBe(true);
  });

  it('with optimizer groups, a group\'s step checks its own gradients: another group\'s NaN, kept from the diverged step it was rolled back from, is not caught again', async () => {
    // fc3's group steps first, then fc1 and fc2's; backward 4 is step 2's second group's.
    const groups = [
      { name: 'head', params: { nodes: ['fc3'] }, loss: 'loss' },
      { name: 'body', params: { nodes: ['fc1', 'fc2'] }, loss: 'loss' },
    ];
    const { diverged, done, weights } = await runWithNaNGradient(true, 4, { groups });
    expect(diverged).toHaveLength(1);
    expect(diverged[0]).toMatchObject({ step: 2, cause: 'nonfinite', where: 'gradient', nodeId: 'fc2', param: 'weight' });
    expect(done[0].reason).toBe('completed');
    expect(weights.every((p) => p.value.data.every(Number.isFinite))).toBe(true);
  });

  it('without it, the NaN is caught one step later in the poisoned weights, blamed on the right step and layer, and rolled back', async () => {
    const { diverged, done, weights } = await runWithNaNGradient(false, 3);
    expect(diverged).toHaveLength(1);
    expect(diverged[0]).toMatchObject({ step: 3, cause: 'nonfinite', where: 'gradient', nodeId: 'fc2', param: 'weight', restoredStep: 0 });
    expect(diverged[0].message).toContain('step 4');
    expect(done[0].reason).toBe('completed');
    expect(weights.every((p) => p.value.data.every(Number.isFinite))).toBe(true);
  });
});
