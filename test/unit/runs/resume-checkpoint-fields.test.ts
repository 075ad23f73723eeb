import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunStore } from '../../../src-engine/node/run-store';
import { setupEngine, twoMoonsGraph } from '../session/fixtures';

type Json = Record<string, unknown> & { optimizer: Record<string, unknown>; schedule: Record<string, unknown> };

/** Edits of a stored run's checkpoint-last.json, each with the field its message must name. */
const EDITS: { field: string; edit: (j: Json) => void }[] = [
  {
    field: 'groups[1] is null',
    edit: (j) => {
      j.groups = [{ name: 'main', optimizer: j.optimizer, schedule: j.schedule }, null];
      delete (j as Partial<Json>).optimizer;
      delete (j as Partial<Json>).schedule;
    },
  },
  { field: 'step is -5', edit: (j) => void (j.step = -5) },
  { field: 'epoch is 1000000000000000', edit: (j) => void (j.epoch = 1e15) },
  { field: 'optimizer.step is -5', edit: (j) => void (j.optimizer.step = -5) },
  { field: 'optimizer.lr is "x"', edit: (j) => void (j.optimizer.lr = 'x') },
  { field: 'schedule is null', edit: (j) => void ((j as Record<string, unknown>).schedule = null) },
  { field: 'schedule.stepCount is 1.5', edit: (j) => void (j.schedule.stepCount = 1.5) },
  { field: 'batch is -1', edit: (j) => void (j.batch = -1) },
];

describe('train.resume of a checkpoint whose state fields are damaged (#81 L8)', () => {
  it('answers E_RUN_CHECKPOINT_CORRUPT naming the field, before any run starts; the intact checkpoint resumes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-resume-fields-'));
    const store = new RunStore(dir, { flushMs: 5 });
    const { client, waitFor, service } = setupEngine({ runs: store });
    try {
      const first = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 2 }), overrides: { limit: 100 }, probes: false });
      await waitFor('train.done', (d) => d.runId === first.runId, 20_000);
      await new Promise((r) => setTimeout(r, 60));
      const id = first.storedRunId!;
      const file = join(dir, id, 'checkpoint-last.json');
      const intact = readFileSync(file, 'utf8');
      for (const { field, edit } of EDITS) {
        const j = JSON.parse(intact) as Json;
        edit(j);
        writeFileSync(file, JSON.stringify(j));
        const answer = client.request('train.resume', { storedRunId: id, moreEpochs: 1, probes: false });
        await expect(answer, field).rejects.toMatchObject({ code: 'E_RUN_CHECKPOINT_CORRUPT' });
        const message = (await answer.catch((e: Error) => e)) as Error;
        expect(message.message, field).toContain(`(${field}`);
        expect(message.message).toContain(`${id}/checkpoint-last.json`);
      }
      expect(store.list().map((m) => m.id)).toEqual([id]); // no run was recorded for any of them
      writeFileSync(file, intact);
      const resumed = await client.request('train.resume', { storedRunId: id, moreEpochs: 1, probes: false });
      const done = await waitFor('train.done', (d) => d.runId === resumed.runId, 20_000);
      expect(done.epochs).toBe(3);
    } finally {
      service.dispose();
    }
  }, 60_000);
});
