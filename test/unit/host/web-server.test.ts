import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, encodeWire } from '../../../src-engine/protocol';
import type { WebServer } from '../../../src-main/web/server';
import { startTestServer } from './attack-kit';

// The real web host with the real engine child (run from TypeScript through tsx).
let server: WebServer;
let workspace: string;
const logs: string[] = [];

beforeAll(async () => {
  workspace = mkdtempSync(path.join(tmpdir(), 'netwright-workspace-'));
  server = await startTestServer({
    workspaceDir: workspace,
    token: 'test-token',
    log: (m) => logs.push(m),
  });
});
afterAll(async () => {
  await server?.close();
});

const origin = () => `http://127.0.0.1:${server.port}`;

/** A WebSocket client that collects what the host sends. */
async function connect(opts: { token?: string; origin?: string } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/engine?token=${opts.token ?? server.token}`, { origin: opts.origin ?? origin() });
  const received: Record<string, unknown>[] = [];
  const waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as Record<string, unknown>;
    received.push(m);
    for (const w of [...waiters]) {
      if (!w.pred(m)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const next = (pred: (m: Record<string, unknown>) => boolean, ms = 10_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const hit = received.find(pred);
      if (hit) return resolve(hit);
      const t = setTimeout(() => reject(new Error(`timed out; received ${JSON.stringify(received).slice(0, 500)}`)), ms);
      waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  return { ws, received, next };
}

const isReady = (m: Record<string, unknown>) => m.kind === 'host' && m.state === 'ready';

const fileApi = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${origin()}/api/files`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Netwright-Token': server.token, Origin: origin(), ...headers },
    body: JSON.stringify(body),
  });

describe('web-mode host', () => {
  it('saves and opens project files in the workspace through /api/files', async () => {
    const write = await (await fileApi({ op: 'write', args: ['demo.netwright.json', '{"a":1}', { ifAbsent: true }] })).json();
    expect(write).toEqual({ ok: true, result: { version: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    const read = await (await fileApi({ op: 'read', args: ['demo.netwright.json'] })).json();
    expect(read).toMatchObject({ ok: true, result: { name: 'demo.netwright.json', text: '{"a":1}' } });
    const list = await (await fileApi({ op: 'list', args: [] })).json();
    expect(list.result.map((f: { name: string }) => f.name)).toContain('demo.netwright.json');
  });

  it('refuses file access without the token, from another origin, or outside the workspace', async () => {
    expect((await fileApi({ op: 'list', args: [] }, { 'X-Netwright-Token': 'nope' })).status).toBe(403);
    expect((await fileApi({ op: 'list', args: [] }, { Origin: 'http://evil.example' })).status).toBe(403);
    const escape = await (await fileApi({ op: 'read', args: ['../../etc/passwd'] })).json();
    expect(escape).toMatchObject({ ok: false, error: { code: 'E_FILE_OUTSIDE_WORKSPACE' } });
    const unknown = await (await fileApi({ op: 'constructor', args: [] })).json();
    expect(unknown).toMatchObject({ ok: false, error: { code: 'E_FILE_BAD_REQUEST' } });
  });

  it('serves index.html only with the launch token', async () => {
    expect((await fetch(`${origin()}/?token=${server.token}`)).status).toBe(200);
    expect((await fetch(`${origin()}/`)).status).toBe(403);
    expect((await fetch(`${origin()}/?token=wrong-token`)).status).toBe(403);
    expect((await fetch(`${origin()}/../../etc/passwd`)).status).toBe(404);
  });

  it('refuses WebSocket connections without the token or from another origin', async () => {
    await expect(connect({ token: 'nope' })).rejects.toThrow(/401|403/);
    await expect(connect({ origin: 'http://evil.example' })).rejects.toThrow(/401|403/);
  });

  it('bridges the browser to the engine child, rejecting malformed messages without dying', async () => {
    const c = await connect();
    await c.next(isReady);
    c.ws.send('{not json');
    c.ws.send(JSON.stringify({ kind: 'request', id: 'x', method: 'engine.ping' }));
    c.ws.send(JSON.stringify({ kind: 'host', type: 'engine-status', state: 'ready', restarts: 0 }));
    c.ws.send(JSON.stringify({ kind: 'request', id: 5, method: 'engine.hello', params: { client: 7 } }));
    c.ws.send(JSON.stringify({ kind: 'request', id: 6, method: 'engine.hello', params: { client: 'test', protocol: PROTOCOL_VERSION } }));
    const bad = await c.next((m) => m.id === 5);
    expect(bad).toMatchObject({ ok: false, error: { code: 'E_PROTOCOL_BAD_PARAMS' } });
    const hello = await c.next((m) => m.id === 6);
    expect(hello).toMatchObject({ ok: true, result: { name: 'netwright-engine', runtime: 'node-child' } });
    // The engine child turns on relaxed SIMD (a V8 flag on Node 20, on by default from Node 22), so
    // its CPU kernels run fused multiply-adds as in Electron (docs/cpu-backend.md, "Relaxed SIMD").
    expect((hello as { result: { backend: { description: string } } }).result.backend.description).toMatch(/^CPU · \d+ threads? \(WebAssembly SIMD, relaxed FMA\)$/);
    expect(logs.some((l) => /not JSON/.test(l))).toBe(true);
    expect(logs.filter((l) => /rejected a malformed message from the browser/.test(l)).length).toBe(2);
    // A request the host cannot decode is answered with why, not left waiting: a text cut short,
    // a binary frame whose array runs past its end (its header intact).
    c.ws.send('{"kind":"request","id":8,"method":"model.read","params":{"data":');
    const frame = encodeWire({ kind: 'request', id: 9, method: 'model.read', params: { data: new Uint8Array(64) } }) as Uint8Array;
    c.ws.send(frame.subarray(0, frame.length - 32));
    expect(await c.next((m) => m.id === 8)).toMatchObject({ ok: false, error: { code: 'E_PROTOCOL_BAD_MESSAGE', message: expect.stringMatching(/could not read the message: A message is not JSON/) } });
    expect(await c.next((m) => m.id === 9)).toMatchObject({ ok: false, error: { code: 'E_PROTOCOL_BAD_MESSAGE', message: expect.stringMatching(/cut short inside its arrays/) } });
    c.ws.close();
  });

  it('reports an engine crash at once and brings a new engine back', async () => {
    const c = await connect();
    await c.next(isReady);
    c.ws.send(JSON.stringify({ kind: 'request', id: 1, method: 'engine.hello', params: { client: 'test', protocol: PROTOCOL_VERSION } }));
    const before = (await c.next((m) => m.id === 1)) as { result: { pid: number } };
    const killedAt = Date.now();
    process.kill(before.result.pid, 'SIGKILL');
    await c.next((m) => m.kind === 'host' && m.state === 'crashed', 2000);
    expect(Date.now() - killedAt).toBeLessThan(2000);
    await c.next((m) => m.kind === 'host' && m.state === 'ready' && (m.restarts as number) >= 1);
    c.ws.send(JSON.stringify({ kind: 'request', id: 2, method: 'engine.hello', params: { client: 'test', protocol: PROTOCOL_VERSION } }));
    const after = (await c.next((m) => m.id === 2)) as { result: { pid: number } };
    expect(after.result.pid).not.toBe(before.result.pid);
    c.ws.close();
  });
});
