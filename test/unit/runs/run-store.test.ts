import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameRecord, maskedCrc32c, readRecords } from '../../../src-engine/app/runs/records';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { RunStore, type RunSettings } from '../../../src-engine/node/run-store';
import { RunMetaSchema } from '../../../src-engine/protocol';

const graph: GraphIR = { format: 'netwright.graph', version: 2, name: 'tiny', nodes: [{ id: 'x', op: 'Input', attrs: { shape: [2] }, inputs: [] }], outputs: {} };
const settings: RunSettings = {
  training: { dataset: { name: 'iris' }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.001 }, batchSize: 8, epochs: 1, seed: 1, metrics: [] },
  backend: 'reference',
  appVersion: '0.1.0',
};
const enc = (s: string) => new TextEncoder().encode(s);

describe('framed records (TFRecord-style, CRC-32C)', () => {
  it('CRC-32C is the Castagnoli polynomial (RFC 3720 test vector) and is masked as TFRecord masks it', async () => {
    const { default: CRC32C } = await import('crc-32/crc32c.js');
    expect(CRC32C.buf(new Uint8Array(32)) >>> 0).toBe(0x8a9136aa); // 32 zero bytes (RFC 3720 B.4)
    expect(maskedCrc32c(new Uint8Array(32))).toBe((((0x8a9136aa >>> 15) | (0x8a9136aa << 17)) + 0xa282ead8) >>> 0);
  });

  it('round-trips, and keeps the intact prefix of a torn or damaged file', () => {
    const recs = ['a', 'bb', '{"kind":"step"}'].map(enc);
    const bytes = new Uint8Array(recs.reduce((n, r) => n + r.length + 12, 0));
    let at = 0;
    for (const r of recs) {
      const f = frameRecord(r);
      bytes.set(f, at);
      at += f.length;
    }
    expect(readRecords(bytes)).toEqual({ records: recs, droppedBytes: 0 });
    // Every possible torn tail: the whole records before the cut survive.
    for (let cut = 0; cut < bytes.length; cut++) {
      const r = readRecords(bytes.subarray(0, cut));
      const whole = [13, 27, bytes.length].filter((end) => end <= cut).length;
      expect(r.records.length).toBe(whole);
      expect(r.problem).toBe(cut === 0 || cut === 13 || cut === 27 ? undefined : 'truncated');
    }
    // A flipped bit in any byte of the second record: the first survives, the rest is dropped.
    for (let i = 13; i < 27; i++) {
      const damaged = bytes.slice();
      damaged[i] ^= 0x10;
      const r = readRecords(damaged);
      expect(r.records).toEqual([recs[0]]);
      expect(r.problem).toBe('corrupt');
      expect(r.droppedBytes).toBe(bytes.length - 13);
    }
  });
});

describe('RunStore', () => {
  const fresh = () => mkdtempSync(join(tmpdir(), 'nw-runs-'));

  it('keeps each run with its graph, settings, records and summary; lists newest first; renames and deletes', () => {
    const store = new RunStore(fresh());
    const a = store.create({ graph, settings, name: 'first', now: new Date('2026-01-01T10:00:00Z') });
    a.append({ kind: 'step', step: 1, epoch: 1, loss: 1.5, lr: 0.001, t: 0.01 });
    a.append({ kind: 'epoch', epoch: 1, step: 1, t: 0.02, metrics: { train: { loss: 1.5 } } });
    a.finish('done', { steps: 1, epochs: 1, seconds: 0.02, metrics: { test: { loss: 1.4 } } });
    const b = store.create({ graph, settings, now: new Date('2026-01-02T10:00:00Z') });
    b.finish('stopped');
    expect(store.list().map((m) => [m.id, m.status])).toEqual([
      [b.id, 'stopped'],
      [a.id, 'done'],
    ]);
    const opened = store.open(a.id);
    expect(opened.graph).toEqual(graph);
    expect(opened.meta.settings).toEqual(settings);
    expect(opened.meta.summary?.metrics.test).toEqual({ loss: 1.4 });
    expect(opened.records.map((r) => r.kind)).toEqual(['step', 'epoch']);
    expect(opened.note).toBeUndefined();
    expect(store.update(a.id, { name: 'adam', notes: 'baseline' })).toMatchObject({ name: 'adam', notes: 'baseline' });
    expect(store.list()[1].name).toBe('adam');
    store.remove(b.id);
    expect(store.list().map((m) => m.id)).toEqual([a.id]);
    expect(() => store.open('../../etc')).toThrow(/no stored run/);
  });

  it('a rewind (a run that lost its GPU went back to its snapshot) supersedes the later steps, epochs and frames before it', () => {
    const store = new RunStore(fresh());
    const w = store.create({ graph, settings });
    const step = (i: number, loss: number) => w.append({ kind: 'step', step: i, epoch: Math.ceil(i / 3), loss, lr: 0.01, t: i });
    for (let i = 1; i <= 7; i++) step(i, 10 + i);
    w.append({ kind: 'epoch', epoch: 1, step: 3, t: 3, metrics: {} });
    w.append({ kind: 'epoch', epoch: 2, step: 6, t: 6, metrics: {} });
    w.append({ kind: 'frame', step: 2, t: 2, frame: { a: 1 } });
    w.append({ kind: 'frame', step: 6, t: 6, frame: { a: 2 } });
    // Lost at step 7, back to the snapshot of step 4 (one epoch complete): steps 5–7 and epoch 2 come again.
    w.append({ kind: 'event', t: 8, event: 'device-lost', data: { step: 7 } });
    w.append({ kind: 'event', t: 8, event: 'rewind', data: { step: 4, epoch: 1 } });
    for (let i = 5; i <= 8; i++) step(i, 20 + i);
    w.append({ kind: 'epoch', epoch: 2, step: 6, t: 9, metrics: { again: {} } });
    w.finish('done');
    const records = store.open(w.id).records;
    const steps = records.filter((r) => r.kind === 'step') as { step: number; loss: number }[];
    expect(steps.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(steps.map((r) => r.loss)).toEqual([11, 12, 13, 14, 25, 26, 27, 28]);
    expect(records.filter((r) => r.kind === 'epoch').map((r) => (r as { metrics: object }).metrics)).toEqual([{}, { again: {} }]);
    expect(records.filter((r) => r.kind === 'frame').map((r) => r.step)).toEqual([2]);
    expect(records.filter((r) => r.kind === 'event').map((r) => (r as { event: string }).event)).toEqual(['device-lost', 'rewind']);
  });

  it('a run whose writer died is listed as crashed, and a torn log opens with its intact prefix and a note', () => {
    const dir = fresh();
    const store = new RunStore(dir, { isAlive: () => false });
    const w = store.create({ graph, settings });
    for (let i = 1; i <= 3; i++) w.append({ kind: 'step', step: i, epoch: 1, loss: 1 / i, lr: 0.01, t: i });
    w.flush();
    const log = join(dir, w.id, 'log.nwr');
    appendFileSync(log, frameRecord(enc('{"kind":"step","step":4}')).subarray(0, 9)); // torn mid-write
    expect(store.list()[0].status).toBe('crashed');
    const opened = store.open(w.id);
    expect(opened.records.map((r) => (r as { step: number }).step)).toEqual([1, 2, 3]);
    expect(opened.note).toMatch(/cut short.*3 records.*last 9 bytes/);
    // Damage inside the second record: only the first is kept.
    const bytes = readFileSync(log);
    bytes[readRecords(bytes).records[0].length + 12 + 10] ^= 1;
    writeFileSync(log, bytes);
    expect(store.open(w.id)).toMatchObject({ records: [{ step: 1 }], note: expect.stringMatching(/damaged record/) });
    truncateSync(log, 0);
    expect(store.open(w.id).records).toEqual([]);
  });

  it('lists a run whose summary holds more than metrics by split (as the train CLI once wrote them), keeping the splits', () => {
    const dir = fresh();
    const store = new RunStore(dir);
    const w = store.create({ graph, settings });
    const test = { loss: 0.5, accuracy: 0.9 };
    // What the CLI passed for a done event: its type, reason and counts beside the splits.
    w.finish('done', { steps: 3, epochs: 1, seconds: 1, metrics: { type: 'done', reason: 'completed', epochs: 1, test } as unknown as Record<string, Record<string, unknown>> });
    const [meta] = store.list();
    expect(meta.summary?.metrics).toEqual({ test });
    expect(RunMetaSchema.safeParse(meta).success).toBe(true);
  });

  it('a live writer\'s run stays running; kill -9 of the writer loses at most the unflushed tail', async () => {
    const dir = fresh();
    const script = `
      import { RunStore } from ${JSON.stringify(join(__dirname, '../../../src-engine/node/run-store.ts'))};
      const w = new RunStore(${JSON.stringify(dir)}, { flushMs: 20 }).create({ graph: ${JSON.stringify(graph)}, settings: ${JSON.stringify(settings)} });
      let step = 0;
      setInterval(() => { for (let i = 0; i < 50; i++) w.append({ kind: 'step', step: ++step, epoch: 1, loss: 1, lr: 0.1, t: step }); }, 5);
      setTimeout(() => process.stdout.write('ready\\n'), 300);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the writer exited early (${code})`)));
    });
    const store = new RunStore(dir);
    expect(store.list()[0].status).toBe('running');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const [meta] = store.list();
    expect(meta.status).toBe('crashed');
    const opened = store.open(meta.id);
    const steps = opened.records.map((r) => (r as { step: number }).step);
    expect(steps.length).toBeGreaterThan(100);
    expect(steps).toEqual(steps.map((_, i) => i + 1)); // a gapless prefix
  });
});

describe('the engine records every run', () => {
  it('without a run folder, the runs methods say so', async () => {
    const { setupEngine } = await import('../session/fixtures');
    const { client, service } = setupEngine();
    await expect(client.request('runs.list', {})).rejects.toMatchObject({ code: 'E_RUNS_UNAVAILABLE' });
    service.dispose();
  });

  it('a run trained over the protocol is stored with its graph, settings, every step, its epochs, frames and test metrics', async () => {
    const { setupEngine, twoMoonsGraph } = await import('../session/fixtures');
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-runs-')), { flushMs: 5 });
    const { client, waitFor, service } = setupEngine({ runs: store });
    try {
      const g = twoMoonsGraph({ epochs: 2 });
      const started = await client.request('train.start', { graph: g, probes: { everySteps: 5, maxHz: 30, budget: 0.5 }, project: 'moons study' });
      const { runId, storedRunId } = started;
      const done = await waitFor('train.done');
      await waitFor('train.state', (s) => s.state === 'done');
      const [meta] = store.list();
      expect(runId).toMatch(/^run-/);
      expect(storedRunId).toBe(meta.id);
      expect(meta).toMatchObject({ status: 'done', project: 'moons study', settings: { backend: expect.stringContaining('reference'), training: { epochs: 2 } } });
      expect(meta.summary).toMatchObject({ steps: done.steps, epochs: 2, metrics: { test: { accuracy: done.test!.accuracy } } });
      const run = store.open(meta.id);
      expect(run.graph.nodes.map((n) => n.id)).toEqual(g.nodes.map((n) => n.id));
      const steps = run.records.filter((r) => r.kind === 'step').map((r) => (r as { step: number }).step);
      expect(steps).toEqual(Array.from({ length: done.steps }, (_, i) => i + 1)); // every step, not a sample
      expect(run.records.filter((r) => r.kind === 'epoch').map((r) => (r as { epoch: number }).epoch)).toEqual([1, 2]);
      expect(run.records.some((r) => r.kind === 'frame')).toBe(true);
      expect(run.note).toBeUndefined();

      // The same over the protocol (schemas checked on both ends).
      const { runs } = await client.request('runs.list', {});
      expect(runs.map((r) => r.id)).toEqual([meta.id]);
      const view = await client.request('runs.open', { id: meta.id });
      expect(view.curve.step).toEqual(steps);
      expect(view.curve.loss.every((l) => typeof l === 'number' && l > 0)).toBe(true);
      expect(view.epochs.map((e) => e.epoch)).toEqual([1, 2]);
      expect(view.frameSteps.length).toBeGreaterThan(0);
      expect(view.start).toEqual(started); // kept with the run: a stored run's timeline shows its probe samples
      expect(view.start!.probeSamples.inputs.length).toBeGreaterThan(0);
      // A stored frame at a step: the one recorded there, or the last before it; none before the first.
      const fs = view.frameSteps;
      const at = await client.request('runs.frame', { id: meta.id, step: fs[fs.length - 1] });
      expect(at.frame).toMatchObject({ step: fs[fs.length - 1] });
      expect(at.frame!.layers.map((l) => l.nodeId)).toContain('fc1');
      if (fs.length > 1) expect((await client.request('runs.frame', { id: meta.id, step: fs[1] - 1 })).frame!.step).toBe(fs[0]);
      expect((await client.request('runs.frame', { id: meta.id, step: fs[0] - 1 })).frame).toBeNull();
      expect(await client.request('runs.update', { id: meta.id, name: 'two moons, adam', notes: 'baseline' })).toMatchObject({ name: 'two moons, adam', notes: 'baseline' });
      await expect(client.request('runs.open', { id: '../../etc/passwd' })).rejects.toThrow(/run id/);
      await client.request('runs.delete', { id: meta.id });
      expect((await client.request('runs.list', {})).runs).toEqual([]);
    } finally {
      service.dispose();
    }
  });
});

describe('a client that reconnects attaches to the run the engine holds', () => {
  it('train.current answers the running run (start info, state, step, graph), and null when there is none', async () => {
    const { setupEngine, twoMoonsGraph } = await import('../session/fixtures');
    const { client, waitFor, service } = setupEngine();
    try {
      expect(await client.request('train.current', {})).toEqual({ run: null });
      const g = twoMoonsGraph({ epochs: 50 });
      const start = await client.request('train.start', { graph: g });
      await waitFor('train.progress');
      await client.request('train.control', { runId: start.runId, action: 'pause' });
      const { run } = await client.request('train.current', {});
      expect(run?.start).toEqual(start);
      expect(run?.state).toBe('paused');
      expect(run?.step).toBeGreaterThan(0);
      expect((run?.graph as { nodes: { id: string }[] }).nodes.map((n) => n.id)).toEqual(g.nodes.map((n) => n.id));
      await client.request('train.control', { runId: start.runId, action: 'stop' });
    } finally {
      service.dispose();
    }
  });
});

describe('opening a long run', () => {
  it('frames are parsed when read, with step and time at once', () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-runs-')));
    const w = store.create({ graph, settings });
    w.append({ kind: 'frame', step: 12, t: 1.5e-3, frame: { layers: [{ nodeId: 'fc1', v: Float32Array.of(1.5, -2) }] } });
    w.append({ kind: 'step', step: 13, epoch: 1, loss: null, lr: 0.1, t: 2 });
    w.finish('done');
    const [f, s] = store.open(w.id).records;
    expect(f).toMatchObject({ kind: 'frame', step: 12, t: 1.5e-3 });
    expect((f as { frame: unknown }).frame).toEqual({ layers: [{ nodeId: 'fc1', v: [1.5, -2] }] }); // typed arrays stored as arrays
    expect(s).toEqual({ kind: 'step', step: 13, epoch: 1, loss: null, lr: 0.1, t: 2 });
  });
});
