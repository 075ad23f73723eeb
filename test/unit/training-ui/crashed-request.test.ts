/**
 * Issue #44: a project whose dataset preview crashes the engine must not crash-loop it to
 * "failed". The Train dock asks for the preview whenever a fresh engine connects; the request
 * the engine died on is remembered and refused, coded, instead of being sent again by itself.
 */
import { describe, expect, it, beforeEach } from 'vitest';
import { createMemoryChannelPair, ErrorCodes, RpcClient, type Channel } from '../../../src-engine/protocol';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

/** An engine that receives requests and never answers (it is about to die); counts what it got by method. */
function silentEngine(): { client: RpcClient; engineEnd: Channel; clientEnd: Channel; got: string[] } {
  const [clientEnd, engineEnd] = createMemoryChannelPair();
  const got: string[] = [];
  engineEnd.onMessage((m) => got.push((m as { method: string }).method));
  const client = new RpcClient(clientEnd, () => {});
  w.engine.setState({ client, state: 'ready' });
  return { client, engineEnd, clientEnd, got };
}

const preview = (path: string) => ({ dataset: { name: 'npz', options: { path } }, samples: 8 });
const crashed = { kind: 'host', type: 'engine-status', state: 'crashed', restarts: 1, detail: 'The engine exited with code null (it ran out of memory). Restarting…' } as const;
const tick = () => new Promise((r) => setTimeout(r, 1));
const codeOf = (p: Promise<unknown>) => p.then(() => 'answered', (e: { code?: string }) => e.code);

describe('the request an engine crashed on is not sent again by itself', () => {
  it.each([
    ['the channel closes, then the host reports the crash (web mode)', true],
    ['the host reports the crash while the request still waits (Electron)', false],
  ])('%s', async (_name, closeFirst) => {
    const store = w.engine.getState();
    const first = silentEngine();
    const asked = store.requestUnlessCrashed(first.client, 'dataset.preview', preview('bomb.npz'));
    const other = first.client.request('graph.analyze', { graph: {} });
    await tick();
    expect(first.got).toEqual(['dataset.preview', 'graph.analyze']);
    if (closeFirst) first.engineEnd.close();
    w.engine.getState().status(crashed);
    if (!closeFirst) first.engineEnd.close();
    expect(await codeOf(asked)).toBe(ErrorCodes.disconnected);
    expect(await codeOf(other)).toBe(ErrorCodes.disconnected);

    // The restarted engine: the Train dock asks for the same preview, as it does on every new connection.
    const second = silentEngine();
    const again = w.engine.getState().requestUnlessCrashed(second.client, 'dataset.preview', preview('bomb.npz'));
    const refused = await again.catch((e: Error & { code: string }) => e);
    expect(refused).toMatchObject({ code: ErrorCodes.crashedOnRequest });
    expect((refused as Error).message).toBe('The engine stopped while working on this, so it is not asked again by itself. The engine exited with code null (it ran out of memory).');
    // Another dataset's preview goes through; so does the same one once the user asks for it.
    void w.engine.getState().requestUnlessCrashed(second.client, 'dataset.preview', preview('other.npz')).catch(() => {});
    await tick();
    expect(second.got).toEqual(['dataset.preview']);
    w.engine.getState().forgetCrash('dataset.preview', preview('bomb.npz'));
    void w.engine.getState().requestUnlessCrashed(second.client, 'dataset.preview', preview('bomb.npz')).catch(() => {});
    await tick();
    expect(second.got).toEqual(['dataset.preview', 'dataset.preview']);
    second.engineEnd.close();
  });

  it('a request answered before the crash, or a connection lost without one, is not held against it', async () => {
    const [clientEnd, engineEnd] = createMemoryChannelPair();
    engineEnd.onMessage((m) => {
      const { id } = m as { id: number };
      engineEnd.send({ kind: 'response', id, ok: false, error: { code: 'DATA_NOT_FOUND', message: 'gone' } });
    });
    const client = new RpcClient(clientEnd, () => {});
    w.engine.setState({ client, state: 'ready' });
    expect(await codeOf(w.engine.getState().requestUnlessCrashed(client, 'dataset.preview', preview('a.npz')))).toBe('DATA_NOT_FOUND');
    const lost = silentEngine();
    void w.engine.getState().requestUnlessCrashed(lost.client, 'dataset.preview', preview('b.npz')).catch(() => {});
    await tick();
    lost.engineEnd.close();
    w.engine.getState().status({ ...crashed, state: 'disconnected', detail: 'Lost the connection to the Netwright host. Reconnecting…' });
    w.engine.getState().status(crashed);
    expect([...w.engine.getState().crashedOn.keys()]).toEqual([]);
  });
});
