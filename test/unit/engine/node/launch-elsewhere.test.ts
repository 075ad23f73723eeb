/**
 * Issue #84, deliverable 1's app part: the Train dock's "Where" asks the engine to train a design
 * on a target (`runs.launch`), which runs the same launcher as `netwright train --on TARGET`, so
 * the run is in the run store (`runs.list`) with its target and job id while it trains and when it
 * is done; `runs.cancel` ends it as `netwright runs cancel` does. Over the in-memory protocol pair,
 * every message checked against the protocol's schemas.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { elsewhereHost } from '../../../../src-engine/node/elsewhere-host';
import { loadSamples } from '../../../../src-engine/node/datasets';
import { RunStore } from '../../../../src-engine/node/run-store';
import { setupEngine } from '../../session/fixtures';
import { HAS_TORCH, tempDir } from '../export/torch-harness';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import { runCli } from './cli-run';
import type { RunRecord } from '../../../../src-engine/app/runs/types';

const IRIS = JSON.parse(readFileSync(join(import.meta.dirname, '../../../../examples/iris-mlp.json'), 'utf8')) as unknown;

/** An engine over the in-memory channel pair, recording into a fresh run store, with the Node launchers. */
function engine() {
  const store = new RunStore(tempDir('launch'));
  return { store, ...setupEngine({ runs: store, loadDataset: (c, seed) => loadSamples(c, seed), elsewhere: elsewhereHost(store) }) };
}

/** Poll `runs.list` until the run `id` is no longer running (the follower writes into the store as the job goes). */
async function ended(client: ReturnType<typeof engine>['client'], id: string, within = 30_000) {
  const until = Date.now() + within;
  for (;;) {
    const m = (await client.request('runs.list', {})).runs.find((r) => r.id === id);
    if (m && m.status !== 'running') return m;
    if (Date.now() > until) throw new Error(`run ${id} still ${m?.status} after ${within} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('runs.launch: the app trains a design elsewhere', () => {
  it('refuses local and a target the registry does not read, before any data is read or run recorded', async () => {
    const { client, service, store } = engine();
    try {
      for (const target of ['local', 'torchrun:0', 'ssh:bob@$(reboot)', 'cloud']) {
        await expect(client.request('runs.launch', { graph: IRIS, target }), target).rejects.toMatchObject({ code: 'E_TARGET_SPEC' });
      }
      expect(store.list()).toEqual([]);
    } finally {
      service.dispose();
    }
  });

  it('an engine without launchers says so', async () => {
    const store = new RunStore(tempDir('launch'));
    const { client, service } = setupEngine({ runs: store, loadDataset: (c, seed) => loadSamples(c, seed) });
    try {
      await expect(client.request('runs.launch', { graph: IRIS, target: 'torchrun:1' })).rejects.toMatchObject({ code: 'E_TARGET_UNAVAILABLE' });
    } finally {
      service.dispose();
    }
  });

  it.skipIf(!HAS_TORCH)('iris on torchrun:1 for 1 epoch: listed with its target and job id while it runs, done with its 7 steps (skipped where /usr/bin/python3 has no torch)', async () => {
    const { client, service, store } = engine();
    try {
      const launched = await client.request('runs.launch', { graph: IRIS, target: 'torchrun:1', overrides: { epochs: 1 }, project: 'Iris', projectId: '0123456789abcdef', backend: 'cpu' });
      expect(launched.target).toBe('torchrun:1');
      expect(launched.jobId).toMatch(/^[1-9]\d*$/);
      const listed = (await client.request('runs.list', {})).runs.find((m) => m.id === launched.runId);
      expect(listed?.target).toMatchObject({ spec: 'torchrun:1', jobId: launched.jobId });
      expect(listed?.project).toBe('Iris');
      expect(listed?.projectId).toBe('0123456789abcdef');
      const meta = await ended(client, launched.runId);
      expect(meta.status).toBe('done');
      expect(meta.target).toMatchObject({ spec: 'torchrun:1', jobId: launched.jobId });
      const view = await client.request('runs.open', { id: launched.runId });
      // iris-mlp's one epoch is 7 steps (as train-on-target.test.ts's runs), each with a finite loss.
      expect(meta.summary!.steps).toBe(7);
      expect(view.curve.step).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(view.curve.loss.every((l) => typeof l === 'number' && Number.isFinite(l))).toBe(true);
      expect(view.epochs.map((e) => e.epoch)).toEqual([1]);
      // A second cancel of an ended run is the CLI's refusal.
      await expect(client.request('runs.cancel', { id: launched.runId })).rejects.toMatchObject({ code: 'E_RUN_NOT_RUNNING' });
      expect(store.list()).toHaveLength(1);
    } finally {
      service.dispose();
    }
  }, 40_000);

  it.skipIf(!HAS_TORCH)('runs.cancel ends a long run as netwright runs cancel does: recorded stopped (skipped where /usr/bin/python3 has no torch)', async () => {
    const { client, service } = engine();
    try {
      const launched = await client.request('runs.launch', { graph: IRIS, target: 'torchrun:1', overrides: { epochs: 5000 }, backend: 'cpu' });
      const cancelled = await client.request('runs.cancel', { id: launched.runId });
      expect(cancelled).toEqual({ id: launched.runId, target: 'torchrun:1', jobId: launched.jobId });
      const meta = await ended(client, launched.runId);
      expect(meta.status).toBe('stopped');
    } finally {
      service.dispose();
    }
  }, 40_000);

  it.skipIf(!HAS_TORCH)("a design that starts from a stored run's checkpoint trains from it there, as --on and the engine do: step 1's loss the engine's from that checkpoint (skipped where /usr/bin/python3 has no torch)", async () => {
    const { client, service, store } = engine();
    try {
      const dir = tempDir('launch-from');
      const iris = join(dir, 'iris.json');
      writeFileSync(iris, JSON.stringify(IRIS));
      expect((await runCli(trainCli, [iris, '--runs', store.dir, '--epochs', '1'])).code).toBe(0);
      const [fresh] = store.list();
      const design = { ...(IRIS as { training: object }), training: { ...(IRIS as { training: object }).training, startFrom: { kind: 'run', run: fresh.id, checkpoint: 'last' } } };
      const onward = join(dir, 'onward.json');
      writeFileSync(onward, JSON.stringify(design));
      expect((await runCli(trainCli, [onward, '--runs', store.dir, '--epochs', '1'])).code).toBe(0);
      const here = store.list().find((m) => m.id !== fresh.id)!;
      const launched = await client.request('runs.launch', { graph: design, target: 'torchrun:1', overrides: { epochs: 1 }, backend: 'cpu' });
      expect((await ended(client, launched.runId)).status).toBe('done');
      const first = (id: string) => (store.open(id).records.find((r) => r.kind === 'step') as Extract<RunRecord, { kind: 'step' }>).loss!;
      // From the checkpoint, not from the design's first weights (the fresh run's first step).
      expect(Math.abs(first(fresh.id) - first(here.id)) / first(here.id)).toBeGreaterThan(1e-2);
      expect(Math.abs(first(launched.runId) - first(here.id)) / first(here.id)).toBeLessThan(1e-5);
    } finally {
      service.dispose();
    }
  }, 60_000);
});
