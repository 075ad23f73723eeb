import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { RUN_FILE_LIMITS, RunStore, type RunMeta, type RunSettings } from '../../../src-engine/node/run-store';
import { RUN_NAME_MAX, RunMetaSchema } from '../../../src-engine/protocol';

const graph: GraphIR = { format: 'netwright.graph', version: 2, name: 'tiny', nodes: [{ id: 'x', op: 'Input', attrs: { shape: [2] }, inputs: [] }], outputs: {} };
const settings: RunSettings = {
  training: { dataset: { name: 'iris' }, loss: 'loss', optimizer: { kind: 'adam', lr: 0.001 }, batchSize: 8, epochs: 1, seed: 1, metrics: [] },
  backend: 'reference',
  appVersion: '0.1.0',
};

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'nw-runs-damage-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const metaOf = (dir: string, id: string) => JSON.parse(readFileSync(join(dir, id, 'run.json'), 'utf8')) as RunMeta & Record<string, unknown>;
const writeMeta = (dir: string, id: string, meta: object) => writeFileSync(join(dir, id, 'run.json'), JSON.stringify(meta));
/** What `f` threw (its code and message), or a stand-in that matches no expectation. */
function thrown(f: () => unknown): { code?: unknown; message: string } {
  try {
    f();
  } catch (e) {
    return e as { code?: unknown; message: string };
  }
  return { code: 'no error', message: 'no error' };
}
const codeOf = (f: () => unknown) => thrown(f).code;
const messageOf = (f: () => unknown) => thrown(f).message;

describe('run names are capped where runs are made', () => {
  it('a 2,000-character design name, alone or in a sweep run\'s name, is cut to what run.json allows, keeping its start and its end', () => {
    const store = new RunStore(fresh());
    const long = `mnist ${'very '.repeat(400)}long design`;
    const plain = store.create({ graph: { ...graph, name: long }, settings });
    const swept = store.create({ graph, settings, name: `${long} · fc2.outFeatures = 16 · seed 3`, project: 'p'.repeat(1000) });
    for (const m of store.list()) {
      expect(m.name.length).toBeLessThanOrEqual(RUN_NAME_MAX);
      expect(RunMetaSchema.safeParse(m).success).toBe(true);
    }
    const byId = new Map(store.list().map((m) => [m.id, m]));
    expect(byId.get(plain.id)!.name).toMatch(/^mnist very very .*….* long design$/);
    expect(byId.get(swept.id)!.name).toMatch(/^mnist very .*….*fc2\.outFeatures = 16 · seed 3$/); // what the sweep varied survives
    expect(byId.get(swept.id)!.project!.length).toBe(300);
    expect(store.update(plain.id, { name: 'n'.repeat(600) }).name.length).toBe(RUN_NAME_MAX);
    expect(store.scan().damaged).toEqual([]);
  });

  it('a surrogate pair is never cut in half', () => {
    const store = new RunStore(fresh());
    const w = store.create({ graph, settings, name: '😀'.repeat(400) });
    const name = store.list().find((m) => m.id === w.id)!.name;
    expect(name.length).toBeLessThanOrEqual(RUN_NAME_MAX);
    expect(name).toMatch(/^(😀)+…(😀)+$/u);
  });
});

describe('one damaged run hides no other', () => {
  it('lists every readable run and each damaged one with its id and why; a damaged one opens with E_RUN_DAMAGED and can be deleted', async () => {
    const dir = fresh();
    const store = new RunStore(dir);
    const good = store.create({ graph, settings, name: 'good', now: new Date('2026-01-01T10:00:00Z') });
    good.finish('done', { steps: 3, epochs: 1, seconds: 1, metrics: { test: { loss: 0.5 } } });
    const make = (day: number) => {
      const w = store.create({ graph, settings, now: new Date(`2026-01-0${day}T10:00:00Z`) });
      w.finish('done');
      return w.id;
    };
    const longName = make(2); // a name over the limit, as an older Netwright or a hand edit left it
    writeMeta(dir, longName, { ...metaOf(dir, longName), name: 'x'.repeat(600) });
    const badSteps = make(3); // a field out of range
    writeMeta(dir, badSteps, { ...metaOf(dir, badSteps), summary: { steps: 1.5, epochs: 1, seconds: 1, metrics: {} } });
    const torn = make(4);
    writeFileSync(join(dir, torn, 'run.json'), JSON.stringify(metaOf(dir, torn)).slice(0, 40));
    const other = make(5);
    writeMeta(dir, other, { ...metaOf(dir, other), id: good.id });
    const gone = make(6);
    unlinkSync(join(dir, gone, 'run.json'));
    const noId = make(7);
    writeMeta(dir, noId, { ...metaOf(dir, noId), id: undefined });

    const { runs, damaged } = store.scan();
    expect(runs.map((m) => m.id)).toEqual([good.id]);
    expect(damaged.map((d) => d.id)).toEqual([noId, gone, other, torn, badSteps, longName]);
    const why = new Map(damaged.map((d) => [d.id, d.reason]));
    expect(why.get(longName)).toMatch(new RegExp(`^${longName}/run\\.json has a field .*name: .*500`));
    expect(why.get(badSteps)).toMatch(/summary\.steps/);
    expect(why.get(torn)).toMatch(/not valid JSON/);
    expect(why.get(other)).toMatch(/names another run/);
    expect(why.get(gone)).toMatch(/run\.json is missing/);
    expect(why.get(noId)).toMatch(/names no run id/);
    for (const d of damaged) expect(d.reason).not.toContain(dir);

    expect(codeOf(() => store.open(badSteps))).toBe('E_RUN_DAMAGED');
    expect(messageOf(() => store.open(badSteps))).toMatch(/summary\.steps.*Delete it from the Runs list/);
    expect(codeOf(() => store.update(torn, { name: 'x' }))).toBe('E_RUN_DAMAGED');
    expect(codeOf(() => store.model(torn, 'last'))).toBe('E_RUN_DAMAGED');
    expect(codeOf(() => store.open('20260101-000000-zzzz'))).toBe('RUN_NOT_FOUND');

    // The same over the protocol (the client checks the answer against the schema).
    const { setupEngine } = await import('../session/fixtures');
    const { client, service } = setupEngine({ runs: store });
    try {
      const listed = await client.request('runs.list', {});
      expect(listed.runs.map((m) => m.id)).toEqual([good.id]);
      expect(listed.damaged).toEqual(damaged);
      for (const { id } of damaged) await client.request('runs.delete', { id });
      expect(await client.request('runs.list', {})).toEqual({ runs: [expect.objectContaining({ id: good.id })], damaged: [] });
    } finally {
      service.dispose();
    }
  });

  it('a run folder never shows without its run.json: it is filled beside the store and renamed into place', () => {
    const dir = fresh();
    const store = new RunStore(dir);
    const w = store.create({ graph, settings });
    expect(store.scan()).toEqual({ runs: [expect.objectContaining({ id: w.id, status: 'running' })], damaged: [] });
    mkdirSync(join(dir, '.20260101-000000-abcd.123.tmp')); // a create cut short: not a run folder
    expect(store.scan().damaged).toEqual([]);
  });
});

describe('the run store reads only regular files, within limits', () => {
  it.skipIf(process.platform === 'win32')('run.json, graph.json, log.nwr or a checkpoint that links to /dev/zero, or is a FIFO, is refused at once, not read', () => {
    const dir = fresh();
    const store = new RunStore(dir);
    const linked = (file: string) => {
      const w = store.create({ graph, settings, name: file });
      w.checkpoint('last', { epoch: 1, step: 1, params: {}, buffers: {}, optimizer: { kind: 'sgd', step: 1, slots: {} }, schedule: null, metrics: {} } as never, { normalization: null, classNames: [] });
      w.finish('done');
      unlinkSync(join(dir, w.id, file));
      symlinkSync('/dev/zero', join(dir, w.id, file));
      return w.id;
    };
    const t0 = Date.now();
    const meta = linked('run.json');
    const graphLink = linked('graph.json');
    const log = linked('log.nwr');
    const ck = linked('checkpoint-last.json');
    expect(store.scan().damaged).toEqual([{ id: meta, reason: `${meta}/run.json is a link; Netwright reads only regular files in a run folder.` }]);
    expect(codeOf(() => store.open(graphLink))).toBe('E_RUN_GRAPH_CORRUPT');
    expect(codeOf(() => store.open(log))).toBe('E_RUN_LOG_UNREADABLE');
    expect(messageOf(() => store.open(log))).toBe(`Run "log.nwr"'s log cannot be read: ${log}/log.nwr is a link; Netwright reads only regular files in a run folder. Delete the run from the Runs list.`);
    expect(codeOf(() => store.resumePoint(ck))).toBe('E_RUN_CHECKPOINT_CORRUPT');
    expect(codeOf(() => store.model(ck, 'last'))).toBe('E_RUN_CHECKPOINT_CORRUPT');
    // A FIFO (no writer at its other end: reading it would block the engine forever).
    const fifo = store.create({ graph, settings, name: 'fifo' });
    fifo.finish('done');
    unlinkSync(join(dir, fifo.id, 'log.nwr'));
    execFileSync('mkfifo', [join(dir, fifo.id, 'log.nwr')]);
    expect(messageOf(() => store.open(fifo.id))).toMatch(/log\.nwr is not a regular file \(a folder, device or pipe\)/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a file larger than its limit is refused from its size (a sparse file: nothing is read)', () => {
    const dir = fresh();
    const store = new RunStore(dir);
    const big = store.create({ graph, settings });
    big.finish('done');
    truncateSync(join(dir, big.id, 'log.nwr'), RUN_FILE_LIMITS.log + 1);
    expect(codeOf(() => store.open(big.id))).toBe('E_RUN_LOG_UNREADABLE');
    expect(messageOf(() => store.open(big.id))).toMatch(/log\.nwr is 2048 MiB; Netwright reads such files up to 2048 MiB/);
    truncateSync(join(dir, big.id, 'run.json'), RUN_FILE_LIMITS.meta + 1);
    expect(store.scan().damaged).toEqual([{ id: big.id, reason: `${big.id}/run.json is 4 MiB; Netwright reads such files up to 4 MiB.` }]);
  });
});

describe('a damaged graph.json or checkpoint gives a coded error without host paths', () => {
  it('a torn, missing or foreign graph.json: E_RUN_GRAPH_CORRUPT; a truncated checkpoint: E_RUN_CHECKPOINT_CORRUPT (over the protocol too)', async () => {
    const dir = fresh();
    const store = new RunStore(dir);
    const w = store.create({ graph, settings, name: 'moons' });
    const ck = { epoch: 1, step: 4, params: { 'x.w': Float32Array.of(1, 2) }, buffers: {}, optimizer: { kind: 'sgd', step: 4, slots: {} }, schedule: null, metrics: {} };
    w.checkpoint('last', ck as never, { normalization: null, classNames: [] });
    w.finish('done');
    const ckFile = join(dir, w.id, 'checkpoint-last.json');
    writeFileSync(ckFile, readFileSync(ckFile, 'utf8').slice(0, 50));
    expect(codeOf(() => store.model(w.id, 'last'))).toBe('E_RUN_CHECKPOINT_CORRUPT');
    expect(messageOf(() => store.model(w.id, 'last'))).toMatch(/^Run "moons"'s last checkpoint \(.*\/checkpoint-last\.json\) cannot be read \(.*\); it cannot be exported\. Train it again instead\.$/);
    expect(codeOf(() => store.resumePoint(w.id))).toBe('E_RUN_CHECKPOINT_CORRUPT');

    const graphFile = join(dir, w.id, 'graph.json');
    writeFileSync(graphFile, JSON.stringify(graph).slice(0, 30));
    expect(codeOf(() => store.open(w.id))).toBe('E_RUN_GRAPH_CORRUPT');
    writeFileSync(graphFile, '[1, 2]');
    expect(messageOf(() => store.open(w.id))).toMatch(/graph\.json\) is not a Netwright graph/);

    const { setupEngine } = await import('../session/fixtures');
    const { client, service } = setupEngine({ runs: store });
    try {
      unlinkSync(graphFile);
      const err = await client.request('runs.open', { id: w.id }).catch((e: unknown) => e as { code: string; message: string });
      expect(err).toMatchObject({ code: 'E_RUN_GRAPH_CORRUPT', message: expect.stringContaining(`${w.id}/graph.json) is missing`) });
      expect((err as { message: string }).message).not.toContain(dir);
      const exported = await client.request('model.export', { source: { kind: 'run', id: w.id, which: 'last' }, format: 'json' }).catch((e: unknown) => e as { code: string; message: string });
      expect(exported).toMatchObject({ code: 'E_RUN_CHECKPOINT_CORRUPT' });
      expect((exported as { message: string }).message).not.toContain(dir);
    } finally {
      service.dispose();
    }
  });
});

describe('a running run whose pid now names another process', () => {
  it('is crashed when the pid is ours but the nonce is not (an engine that got the same pid again)', () => {
    const dir = fresh();
    const store = new RunStore(dir);
    const w = store.create({ graph, settings });
    expect(store.list()[0]).toMatchObject({ id: w.id, status: 'running', pid: process.pid });
    writeMeta(dir, w.id, { ...metaOf(dir, w.id), writer: { nonce: 'an-earlier-engine' } });
    expect(store.list()[0].status).toBe('crashed');
    expect(metaOf(dir, w.id).status).toBe('crashed'); // saved so: Resume is offered
  });

  it('is crashed when a live process holds the pid but started at another time than the writer (real processes)', async () => {
    const dir = fresh();
    // A live writer in another process, as in the kill -9 test.
    const script = `
      import { RunStore } from ${JSON.stringify(join(__dirname, '../../../src-engine/node/run-store.ts'))};
      new RunStore(${JSON.stringify(dir)}).create({ graph: ${JSON.stringify(graph)}, settings: ${JSON.stringify(settings)} });
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`the writer exited early (${code})`)));
      });
      const store = new RunStore(dir);
      const [meta] = store.list();
      expect(meta).toMatchObject({ status: 'running', pid: child.pid });
      if (process.platform === 'linux' || process.platform === 'darwin') expect(meta.writer?.started).toBeGreaterThan(Date.now() - 600_000);
      // The same pid, but the process holding it started an hour after the run's writer did: not its writer.
      // Where the OS tells start times (Linux, macOS) the store asks it; elsewhere a test stands in for it.
      const real = meta.writer?.started !== undefined;
      const started = real ? meta.writer!.started! : Date.now();
      writeMeta(dir, meta.id, { ...metaOf(dir, meta.id), writer: { ...meta.writer!, started: started - 3_600_000 } });
      const reader = real ? new RunStore(dir) : new RunStore(dir, { processStart: (pid) => (pid === child.pid ? started : undefined) });
      expect(reader.list()[0].status).toBe('crashed');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
