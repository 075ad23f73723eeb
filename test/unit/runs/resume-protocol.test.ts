import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunStore } from '../../../src-engine/node/run-store';
import { setupEngine, twoMoonsGraph } from '../session/fixtures';

const settle = () => new Promise((r) => setTimeout(r, 60));

describe('train.resume: continue a stored run from its checkpoint', () => {
  it('a stopped run resumes as a new run naming its parent, its curve going on past the stop; a finished one trains N more epochs', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-resume-')), { flushMs: 5 });
    const { client, waitFor, service } = setupEngine({ runs: store });
    try {
      const first = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 400 }), overrides: { limit: 200 }, probes: false });
      await waitFor('train.epoch', (e) => e.epoch >= 3, 20_000);
      await client.request('train.control', { runId: first.runId, action: 'stop' });
      await waitFor('train.state', (s) => s.runId === first.runId && s.state === 'done', 10_000);
      await settle();
      const parent = store.open(first.storedRunId!);
      expect(parent.meta.status).toBe('stopped');
      const stopStep = Math.max(...parent.records.flatMap((r) => (r.kind === 'step' ? [r.step] : [])));
      const ck = store.resumePoint(parent.meta.id).checkpoint;
      expect(ck.step).toBe(stopStep);

      const resumed = await client.request('train.resume', { storedRunId: parent.meta.id, probes: false });
      expect(resumed.storedRunId).not.toBe(parent.meta.id);
      expect(resumed.epochs).toBe(400);
      await waitFor('train.progress', (p) => p.runId === resumed.runId && p.step > stopStep + 20, 20_000);
      await client.request('train.control', { runId: resumed.runId, action: 'stop' });
      await waitFor('train.state', (s) => s.runId === resumed.runId && s.state === 'done', 10_000);
      await settle();
      const child = store.open(resumed.storedRunId!);
      expect(child.meta.resumedFrom).toEqual({ runId: parent.meta.id, step: ck.step, epoch: ck.epoch });
      expect(child.meta.name).toBe(parent.meta.name);
      // The child's stored design is its parent's: the design's own metrics, not the ones the run added (a canvas holding the design holds both).
      expect(parent.meta.settings.training.metrics).not.toEqual(parent.graph.training?.metrics);
      expect(child.graph.training?.metrics).toEqual(parent.graph.training?.metrics);
      // The same samples as the parent: the dataset limit travels with the stored settings.
      expect(child.meta.settings.training.dataset).toEqual(parent.meta.settings.training.dataset);
      expect(child.meta.settings.training.dataset.limit).toBe(200);
      const steps = child.records.flatMap((r) => (r.kind === 'step' ? [r.step] : []));
      expect(steps[0]).toBe(ck.step + 1);
      const epochs = child.records.flatMap((r) => (r.kind === 'epoch' ? [r.epoch] : []));
      expect(epochs[0]).toBe(ck.epoch + 1);

      // A finished run: nothing left to resume, but N more epochs.
      const short = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 2 }), overrides: { limit: 100 }, probes: false });
      const shortDone = await waitFor('train.done', (d) => d.runId === short.runId, 20_000);
      expect(shortDone.fromStep).toBeUndefined();
      await settle();
      await expect(client.request('train.resume', { storedRunId: short.storedRunId! })).rejects.toMatchObject({ code: 'E_RUN_NOTHING_TO_RESUME' });
      const more = await client.request('train.resume', { storedRunId: short.storedRunId!, moreEpochs: 3, probes: false });
      expect(more.epochs).toBe(5);
      const done = await waitFor('train.done', (d) => d.runId === more.runId, 20_000);
      expect(done.epochs).toBe(5);
      // Its summary counts from the checkpoint: 3 epochs trained in its seconds, not 5 (the Train dock's "N steps in T s").
      expect(done.fromStep).toBe(shortDone.steps);
      expect(done.steps - done.fromStep!).toBe((shortDone.steps / 2) * 3);
      await settle();
      const cont = store.open(more.storedRunId!);
      expect(cont.meta.status).toBe('done');
      expect(cont.records.flatMap((r) => (r.kind === 'epoch' ? [r.epoch] : []))).toEqual([3, 4, 5]);

      await expect(client.request('train.resume', { storedRunId: '20260101-000000-abcd' })).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    } finally {
      service.dispose();
    }
  }, 60_000);
});
