/**
 * Issue #17, class 1: after the engine crash-loops, requests fail fast with a coded error (they
 * used to hang), the cause is shown, and the user's "Restart engine" brings it back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../../src-engine/protocol';
import type { WebServer } from '../../../src-main/web/server';
import { connectClient, startTestServer } from './attack-kit';

let server: WebServer;

beforeAll(async () => {
  server = await startTestServer({
    token: 'supervision-token',
    supervisor: { maxRestarts: 1, backoffMs: 20 },
  });
});
afterAll(async () => {
  await server?.close();
});

const hello = (id: number) => JSON.stringify({ kind: 'request', id, method: 'engine.hello', params: { client: 'test', protocol: PROTOCOL_VERSION } });
const isState = (state: string) => (m: Record<string, unknown>) => m.kind === 'host' && m.state === state;

describe('web host: a failed engine', () => {
  it('answers requests at once with E_ENGINE_UNAVAILABLE, names the cause, and restarts on request', async () => {
    const c = await connectClient(server.port, server.token);
    await c.next(isState('ready'), 20_000);
    for (let i = 0; i < 2; i++) {
      c.ws.send(hello(i + 1));
      const { result } = (await c.next((m) => m.id === i + 1)) as { result: { pid: number } };
      process.kill(result.pid, 'SIGKILL');
      if (i === 0) await c.next(isState('ready'), 20_000);
    }
    const failed = await c.next(isState('failed'), 20_000);
    expect(failed.detail).toMatch(/crashed 2 times in a minute.*SIGKILL.*Restart engine/);
    const asked = Date.now();
    c.ws.send(hello(10));
    const refused = await c.next((m) => m.id === 10, 2000);
    expect(Date.now() - asked).toBeLessThan(1000);
    expect(refused).toMatchObject({ ok: false, error: { code: 'E_ENGINE_UNAVAILABLE' } });
    expect((refused as { error: { message: string } }).error.message).toMatch(/SIGKILL/);
    // The status bar's "Restart engine".
    c.ws.send(JSON.stringify({ kind: 'host', type: 'restart-engine' }));
    await c.next(isState('ready'), 20_000);
    c.ws.send(hello(11));
    expect(await c.next((m) => m.id === 11)).toMatchObject({ ok: true, result: { name: 'netwright-engine' } });
    c.ws.close();
  }, 60_000);
});
