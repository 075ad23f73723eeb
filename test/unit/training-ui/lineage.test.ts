import { describe, expect, it } from 'vitest';
import { lineageHistory, type StoredRunView } from '../../../src-renderer/src/training/stored-history';

/** A stored run's view with one step per entry of `losses` from `first` on, epochs of two steps, and its validation loss at each epoch end. */
function view(id: string, first: number, losses: number[], resumedFrom?: { runId: string; step: number; epoch: number }): StoredRunView {
  const step = losses.map((_, i) => first + i);
  const epoch = step.map((s) => Math.ceil(s / 2));
  return {
    meta: { id, ...(resumedFrom ? { resumedFrom } : {}) },
    curve: { step, epoch, loss: losses, lr: losses.map(() => 0.1), t: step, metrics: { accuracy: losses.map((l) => 1 - l / 10) } },
    epochs: step.filter((s) => s % 2 === 0).map((s) => ({ epoch: s / 2, step: s, t: s, metrics: { val: { loss: s / 10 } } })),
  };
}

describe('a resumed run opened from Runs shows the curves it continued (#58 noticed)', () => {
  // grand: steps 1-6; parent resumed grand at step 4 (its steps 5-8); child resumed parent at step 6 (its 7-8).
  const grand = view('grand', 1, [9, 8, 7, 6, 5, 4]);
  const parent = view('parent', 5, [5.5, 4.5, 3.5, 2.5], { runId: 'grand', step: 4, epoch: 2 });
  const child = view('child', 7, [3, 2], { runId: 'parent', step: 6, epoch: 3 });
  const store = new Map([grand, parent, child].map((r) => [r.meta.id, r]));
  const open = (id: string): Promise<StoredRunView> => {
    const r = store.get(id);
    return r ? Promise.resolve(r) : Promise.reject(new Error(`E_RUN_NOT_FOUND ${id}`));
  };

  it('each ancestor up to the step its child resumed from, then the run\'s own steps', async () => {
    const h = await lineageHistory(child, open);
    expect(h.batchLoss).toEqual([[1, 9], [2, 8], [3, 7], [4, 6], [5, 5.5], [6, 4.5], [7, 3], [8, 2]]);
    expect(h.valLoss.map(([e]) => e)).toEqual([1, 2, 3, 4]);
    expect(h.metricName).toBe('accuracy');
    expect(h.stepMetric?.map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('a deleted parent ends the chain at the run itself; a chain that loops is cut', async () => {
    const orphan = view('orphan', 7, [3, 2], { runId: 'gone', step: 6, epoch: 3 });
    expect((await lineageHistory(orphan, open)).batchLoss).toEqual([[7, 3], [8, 2]]);
    const a = view('a', 3, [1, 1], { runId: 'b', step: 2, epoch: 1 });
    const b = view('b', 1, [2, 2], { runId: 'a', step: 4, epoch: 2 });
    const loop = new Map([a, b].map((r) => [r.meta.id, r]));
    const h = await lineageHistory(a, (id) => Promise.resolve(loop.get(id)!));
    expect(h.batchLoss).toEqual([[1, 2], [2, 2], [3, 1], [4, 1]]);
  });
});
