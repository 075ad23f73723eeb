import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepVariants } from '../../../src-engine/app/sweep';
import { RunStore } from '../../../src-engine/node/run-store';
import { setupEngine, twoMoonsGraph } from '../session/fixtures';

describe('sweeps', () => {
  it('one variant per value and seed, each checked by the analyzer; a value that cannot train is refused before anything runs', () => {
    const g = twoMoonsGraph();
    const v = sweepVariants(g, { over: { kind: 'attr', nodeId: 'fc1', attr: 'outFeatures' }, values: [4, 8], seeds: [1, 2] });
    expect(v.map((x) => x.label)).toEqual(['fc1.outFeatures = 4 · seed 1', 'fc1.outFeatures = 4 · seed 2', 'fc1.outFeatures = 8 · seed 1', 'fc1.outFeatures = 8 · seed 2']);
    expect(v.map((x) => [x.graph.nodes.find((n) => n.id === 'fc1')!.attrs.outFeatures, x.graph.training!.seed])).toEqual([[4, 1], [4, 2], [8, 1], [8, 2]]);
    expect(g.nodes.find((n) => n.id === 'fc1')!.attrs.outFeatures).toBe(16); // the original is untouched
    const lr = sweepVariants(g, { over: { kind: 'setting', setting: 'optimizer.lr' }, values: [0.1, 0.01] });
    expect(lr.map((x) => x.graph.training!.optimizer)).toEqual([expect.objectContaining({ lr: 0.1 }), expect.objectContaining({ lr: 0.01 })]);
    expect(g.training!.optimizer.lr).not.toBe(0.1);
    expect(() => sweepVariants(g, { over: { kind: 'attr', nodeId: 'fc1', attr: 'outFeatures' }, values: [8, 0] })).toThrow(/fc1.outFeatures = 0 cannot train/);
    expect(() => sweepVariants(g, { over: { kind: 'attr', nodeId: 'nope', attr: 'outFeatures' }, values: [8] })).toThrow(/"nope", which is not in the graph/);
  });

  it('runs every variant one after another, each recorded with its place in the sweep, and reports progress', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-sweep-')), { flushMs: 5 });
    const { client, events, waitFor, service } = setupEngine({ runs: store });
    try {
      await expect(client.request('sweep.start', { graph: twoMoonsGraph({ epochs: 1 }), sweep: { over: { kind: 'attr', nodeId: 'fc1', attr: 'outFeatures' }, values: [8, -1] } })).rejects.toMatchObject({ code: 'E_SWEEP_INVALID' });
      expect(store.list()).toEqual([]);
      const { sweepId, total } = await client.request('sweep.start', { graph: twoMoonsGraph({ epochs: 1 }), sweep: { over: { kind: 'attr', nodeId: 'fc1', attr: 'outFeatures' }, values: [4, 8, 12] }, overrides: { limit: 100 } });
      expect(total).toBe(3);
      await waitFor('sweep.progress', (p) => p.state === 'done', 20_000);
      const progress = events['sweep.progress']!;
      expect(progress.map((p) => [p.state, p.run?.value])).toEqual([['running', 4], ['running', 8], ['running', 12], ['done', undefined]]);
      expect(progress.every((p) => p.sweepId === sweepId)).toBe(true);
      expect(progress[0].start?.storedRunId).toBeDefined();
      const runs = store.list().reverse();
      expect(runs.map((r) => [r.status, r.sweep?.value, r.sweep?.index, r.sweep?.over])).toEqual([['done', 4, 0, 'fc1.outFeatures'], ['done', 8, 1, 'fc1.outFeatures'], ['done', 12, 2, 'fc1.outFeatures']]);
      expect(runs.map((r) => r.name)).toEqual(['Two moons · fc1.outFeatures = 4', 'Two moons · fc1.outFeatures = 8', 'Two moons · fc1.outFeatures = 12'].map((n) => expect.stringContaining(n.split(' · ')[1])));
      expect(runs.map((r) => store.open(r.id).graph.nodes.find((n) => n.id === 'fc1')!.attrs.outFeatures)).toEqual([4, 8, 12]);
    } finally {
      service.dispose();
    }
  });

  it('cancel stops the run in progress (kept as stopped) and starts no other; a train.start cancels a sweep too', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-sweep-')), { flushMs: 5 });
    const { client, events, waitFor, service } = setupEngine({ runs: store });
    try {
      const { sweepId } = await client.request('sweep.start', { graph: twoMoonsGraph({ epochs: 200 }), sweep: { over: { kind: 'setting', setting: 'optimizer.lr' }, values: [0.01, 0.02, 0.03] } });
      await waitFor('sweep.progress', (p) => p.state === 'running');
      await waitFor('train.progress');
      await client.request('sweep.cancel', { sweepId });
      await waitFor('sweep.progress', (p) => p.state === 'cancelled', 10_000);
      await waitFor('train.state', (s) => s.state === 'done', 10_000);
      expect(events['sweep.progress']!.filter((p) => p.state === 'running')).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 50));
      expect(store.list().map((r) => r.status)).toEqual(['stopped']);

      const second = await client.request('sweep.start', { graph: twoMoonsGraph({ epochs: 200 }), sweep: { over: { kind: 'setting', setting: 'seed' }, values: [1, 2] } });
      await waitFor('sweep.progress', (p) => p.sweepId === second.sweepId && p.state === 'running');
      await client.request('train.start', { graph: twoMoonsGraph({ epochs: 1 }) });
      await waitFor('sweep.progress', (p) => p.sweepId === second.sweepId && p.state === 'cancelled', 10_000);
    } finally {
      service.dispose();
    }
  });
});
