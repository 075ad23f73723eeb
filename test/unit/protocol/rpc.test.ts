import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  createMemoryChannelPair,
  ErrorCodes,
  PROTOCOL_VERSION,
  RpcClient,
  RpcError,
  RpcServer,
  type Channel,
  type Logger,
} from '../../../src-engine/protocol';
import { EngineService } from '../../../src-engine/app/service';
import { ENGINE_VERSION } from '../../../src-engine/base/version';
import pkg from '../../../package.json';

const env = { runtime: 'in-process' as const, pid: 4242, backend: { kind: 'cpu' as const, threads: 2, simd: true, description: 'CPU · 2 threads' } };

function setup() {
  const [clientEnd, engineEnd] = createMemoryChannelPair();
  const clientLog = vi.fn<Logger>();
  const engineLog = vi.fn<Logger>();
  const service = new EngineService(engineEnd, env, engineLog);
  const client = new RpcClient(clientEnd, clientLog);
  return { clientEnd, engineEnd, client, service, clientLog, engineLog };
}

/** Collect raw messages arriving on a channel end. */
function inbox(channel: Channel): unknown[] {
  const got: unknown[] = [];
  channel.onMessage((m) => got.push(m));
  return got;
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('protocol over an in-memory channel pair', () => {
  it('answers hello with the engine info', async () => {
    const { client } = setup();
    const info = await client.request('engine.hello', { client: 'test', protocol: PROTOCOL_VERSION });
    expect(info).toEqual({ name: 'netwright-engine', version: ENGINE_VERSION, protocol: PROTOCOL_VERSION, pid: 4242, runtime: 'in-process', backend: env.backend });
  });

  it('keeps the engine version equal to package.json', () => {
    expect(ENGINE_VERSION).toBe(pkg.version);
  });

  it('refuses a client speaking another protocol version, with a coded error', async () => {
    const { client } = setup();
    await expect(client.request('engine.hello', { client: 'old', protocol: PROTOCOL_VERSION + 1 })).rejects.toMatchObject({ code: 'E_PROTOCOL_VERSION' });
  });

  it('correlates concurrent requests by id', async () => {
    const { client } = setup();
    const [a, b] = await Promise.all([client.request('engine.ping', {}), client.request('engine.hello', { client: 'x', protocol: PROTOCOL_VERSION })]);
    expect(typeof a.time).toBe('number');
    expect(b.pid).toBe(4242);
  });

  it('engine side: rejects malformed messages with a logged error and keeps serving', async () => {
    const { clientEnd, client, engineLog } = setup();
    const got = inbox(clientEnd);
    clientEnd.send('hello?');
    clientEnd.send({ kind: 'request', id: -1, method: 'engine.ping' });
    clientEnd.send({ kind: 'request', id: 7, method: 'engine.ping', params: {}, extra: { deep: [1, 2] } });
    clientEnd.send({ kind: 'request', id: 8, method: 'nope', params: {} });
    clientEnd.send({ kind: 'request', id: 9, method: 'engine.hello', params: { client: 42 } });
    clientEnd.send({ kind: 'request', id: 10, method: '__proto__', params: {} });
    clientEnd.send({ kind: 'request', id: 11, method: 'toString', params: {} });
    await tick();
    expect(engineLog.mock.calls.filter(([level]) => level === 'error').length).toBeGreaterThanOrEqual(4);
    const byId = (id: number) => got.find((m) => (m as { id?: number }).id === id) as { ok: boolean; error?: { code: string } } | undefined;
    expect(byId(7)?.ok).toBe(true); // unknown extra keys are stripped, not fatal
    expect(byId(8)?.error?.code).toBe(ErrorCodes.unknownMethod);
    expect(byId(9)?.error?.code).toBe(ErrorCodes.badParams);
    expect(byId(10)?.error?.code).toBe(ErrorCodes.unknownMethod);
    expect(byId(11)?.error?.code).toBe(ErrorCodes.unknownMethod);
    await expect(client.request('engine.ping', {})).resolves.toHaveProperty('time');
  });

  it('client side: rejects malformed responses and events with a logged error, never throwing', async () => {
    const [clientEnd, fakeEngine] = createMemoryChannelPair();
    const log = vi.fn<Logger>();
    const client = new RpcClient(clientEnd, log);
    fakeEngine.onMessage((m) => {
      const req = m as { id: number };
      fakeEngine.send({ kind: 'response', id: req.id, ok: true, result: { name: 'impostor' } });
    });
    const seen = vi.fn();
    client.on('engine.log', seen);
    fakeEngine.send({ kind: 'event', event: 'engine.log', data: { level: 'shout', message: 1 } });
    fakeEngine.send({ kind: 'event', event: 'no.such.event', data: {} });
    fakeEngine.send(null);
    fakeEngine.send({ kind: 'event', event: 'engine.log', data: { level: 'info', message: 'fine' } });
    const err = await client.request('engine.hello', { client: 't', protocol: PROTOCOL_VERSION }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(ErrorCodes.badResult);
    expect(seen).toHaveBeenCalledTimes(1);
    expect(seen).toHaveBeenCalledWith({ level: 'info', message: 'fine' });
    expect(log.mock.calls.filter(([l]) => l === 'error').length).toBe(4);
  });

  it('cancels an in-flight request on both ends', async () => {
    const [clientEnd, engineEnd] = createMemoryChannelPair();
    let aborted = false;
    new RpcServer(engineEnd, {
      'engine.ping': (_p, { signal }) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve({ time: 0 });
          });
        }),
    });
    const client = new RpcClient(clientEnd, () => {});
    const controller = new AbortController();
    const pending = client.request('engine.ping', {}, { signal: controller.signal });
    await tick();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: ErrorCodes.cancelled });
    await tick();
    expect(aborted).toBe(true);
  });

  it('fails pending requests when the channel closes', async () => {
    const [clientEnd, engineEnd] = createMemoryChannelPair();
    const client = new RpcClient(clientEnd, () => {});
    engineEnd.onMessage(() => {}); // never answers
    const pending = client.request('engine.ping', {});
    engineEnd.close();
    await expect(pending).rejects.toMatchObject({ code: ErrorCodes.disconnected });
  });

  it('sends no absolute host path in an error: a system error is internal and names only the file; a coded one keeps its code', async () => {
    const [clientEnd, engineEnd] = createMemoryChannelPair();
    const log = vi.fn<Logger>();
    const missing = join(tmpdir(), 'nw-no-such-folder', 'runs', 'graph.json');
    let method = 0;
    new RpcServer(
      engineEnd,
      {
        'engine.ping': () => {
          if (method++ === 0) return { time: readFileSync(missing).length };
          throw Object.assign(new Error(`DATA_NOT_FOUND-ish: C:\\Users\\ada\\data\\train.csv and ${missing} are missing (see https://netwright.dev/docs/a/b, 3/4 done).`), { code: 'DATA_NOT_FOUND' });
        },
      },
      log,
    );
    const client = new RpcClient(clientEnd, () => {});
    // A Node error carries its own code (ENOENT) and the absolute path: it is internal, and the path is cut to the file's name.
    const sys = await client.request('engine.ping', {}).catch((e: RpcError) => e);
    expect(sys).toMatchObject({ code: ErrorCodes.internal, message: "ENOENT: no such file or directory, open 'graph.json'" });
    expect(log).toHaveBeenCalledWith('error', expect.stringContaining(missing)); // the engine's log keeps it whole
    const coded = await client.request('engine.ping', {}).catch((e: RpcError) => e);
    expect(coded).toMatchObject({ code: 'DATA_NOT_FOUND', message: 'DATA_NOT_FOUND-ish: train.csv and graph.json are missing (see https://netwright.dev/docs/a/b, 3/4 done).' });
  });

  it('an event\'s message (train.error) names no absolute host path either', async () => {
    const [clientEnd, engineEnd] = createMemoryChannelPair();
    const server = new RpcServer(engineEnd, {});
    const client = new RpcClient(clientEnd, () => {});
    const got: string[] = [];
    client.on('train.error', (d) => got.push(d.message));
    server.emit('train.error', { runId: 'run-1', code: 'DATA_NOT_FOUND', message: `mnist: ${join(tmpdir(), 'data', 'train-images-idx3-ubyte')} (or .gz) is missing.` });
    server.emit('train.error', { runId: 'run-1', code: 'TRAIN_INTERNAL', message: 'loss 3/4 of the way' });
    await tick();
    expect(got).toEqual(['mnist: train-images-idx3-ubyte (or .gz) is missing.', 'loss 3/4 of the way']);
  });

  it('nor does a message nested in an event (a sweep run\'s failed.message), and an event without one goes as it is', async () => {
    const [clientEnd, engineEnd] = createMemoryChannelPair();
    const server = new RpcServer(engineEnd, {});
    const client = new RpcClient(clientEnd, () => {});
    const got: unknown[] = [];
    client.on('sweep.progress', (d) => got.push(d.failed));
    const base = { sweepId: 'sweep-1', index: 0, total: 2, state: 'running' as const };
    server.emit('sweep.progress', { ...base, failed: { value: 0.1, message: `csv: ${join(tmpdir(), 'me', 'table.csv')} cannot be read` } });
    server.emit('sweep.progress', base);
    await tick();
    expect(got).toEqual([{ value: 0.1, message: 'csv: table.csv cannot be read' }, undefined]);
  });

  it('reports handler failures as coded errors with the message', async () => {
    const [clientEnd, engineEnd] = createMemoryChannelPair();
    const log = vi.fn<Logger>();
    new RpcServer(engineEnd, { 'engine.ping': () => { throw new Error('boom'); } }, log);
    const client = new RpcClient(clientEnd, () => {});
    await expect(client.request('engine.ping', {})).rejects.toMatchObject({ code: ErrorCodes.internal, message: 'boom' });
    expect(log).toHaveBeenCalledWith('error', expect.stringContaining('boom'));
  });
});

describe('graph.analyze over the protocol', () => {
  it('returns shapes for a valid graph and diagnostics for a broken one', async () => {
    const { client } = setup();
    const graph = {
      format: 'netwright.graph',
      version: 1,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [4], source: 'features' }, inputs: [] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 3 }, inputs: ['x'] },
      ],
      outputs: { logits: 'fc' },
    };
    const ok = await client.request('graph.analyze', { graph, batchSize: 8 });
    expect(ok.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(ok.shapes.fc).toEqual([8, 3]);
    expect(ok.params).toBe(4 * 3 + 3);
    const bad = await client.request('graph.analyze', { graph: { ...graph, nodes: [...graph.nodes, { id: 'fc', op: 'Nope', attrs: {}, inputs: [] }] } });
    expect(bad.diagnostics.length).toBeGreaterThan(0);
    const garbage = await client.request('graph.analyze', { graph: 'not a graph' });
    expect(garbage.diagnostics[0].severity).toBe('error');
  });
});
