/**
 * Web mode drives the engine from one tab at a time (the host closes the older tab's socket with
 * 4001): the tab whose engine was taken says so, does not take it back by itself, and "Use it
 * here" connects it again (#60 item 7). Over a stand-in WebSocket, as the page's connection sees it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RpcClient } from '../../../src-engine/protocol';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** The sockets the page opened, newest last. */
let sockets: FakeSocket[] = [];

class FakeSocket {
  static OPEN = 1;
  readyState = 1;
  binaryType = '';
  onmessage: ((e: { data: unknown }) => void) | undefined;
  onclose: ((e: { code: number; reason: string }) => void) | undefined;
  constructor(readonly url: string) {
    sockets.push(this);
  }
  send(): void {}
  close(): void {}
}

let w: WindowStores;
let stop: () => void;
beforeEach(() => {
  vi.useFakeTimers();
  sockets = [];
  vi.stubGlobal('window', {});
  vi.stubGlobal('location', { protocol: 'http:', host: '127.0.0.1:5000', search: '?token=t0k' });
  vi.stubGlobal('WebSocket', FakeSocket);
  w = createWindowStores();
  stop = w.engine.getState().connect();
});
afterEach(() => {
  stop();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('a tab whose engine another tab took', () => {
  it('says so, keeps away (no reconnect by itself), and "Use it here" connects again', () => {
    expect(sockets).toHaveLength(1);
    sockets[0].onclose!({ code: 4001, reason: 'Netwright was opened in another tab.' });
    expect(w.engine.getState()).toMatchObject({ state: 'disconnected', taken: true, detail: 'Netwright was opened in another tab.' });
    vi.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(1);
    w.engine.getState().useHere();
    expect(sockets).toHaveLength(2);
    expect(sockets[1].url).toBe('ws://127.0.0.1:5000/engine?token=t0k');
    expect(w.engine.getState()).toMatchObject({ state: 'connecting', taken: false });
    // Once is enough: a second click before the socket answers opens no third one.
    w.engine.getState().useHere();
    expect(sockets).toHaveLength(2);
  });

  it('a lost connection is no take-over: it reconnects by itself and offers nothing', () => {
    sockets[0].onclose!({ code: 1006, reason: '' });
    expect(w.engine.getState()).toMatchObject({ state: 'disconnected', taken: false });
    vi.advanceTimersByTime(1_000);
    expect(sockets).toHaveLength(2);
  });

  it('a run going on says it goes on in the other tab, not that the engine stopped', () => {
    const request = vi.fn(async () => ({ run: null }));
    w.engine.setState({ client: { request, on: () => () => {}, dispose: () => {} } as unknown as RpcClient, state: 'ready' });
    const off = w.runs.connect();
    w.run.setState({ phase: 'running', runId: 'run-1' });
    sockets[0].onclose!({ code: 4001, reason: 'Netwright was opened in another tab.' });
    expect(w.run.getState()).toMatchObject({ phase: 'failed', error: { code: 'E_ENGINE_TAKEN' } });
    expect(w.run.getState().error?.message).toMatch(/goes on there/);
    off();
  });
});
