import { afterEach, describe, expect, it, vi } from 'vitest';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import { ANALYSIS_DEBOUNCE_MS, createEditorStore } from '../../../src-renderer/src/state/editor-store';
import { createSessionStore } from '../../../src-renderer/src/state/session-store';
import { createAddDataStore } from '../../../src-renderer/src/state/add-data-store';
import type { EngineStore } from '../../../src-renderer/src/state/engine-store';

afterEach(() => vi.useRealTimers());

/** Stores are made per window (#45): a second window, or a test, gets fresh ones that share nothing. */
describe('stores per window', () => {
  it('two editor stores keep their own document, pending analysis and session', () => {
    vi.useFakeTimers();
    const [sessionA, sessionB] = [createSessionStore(), createSessionStore()];
    const [a, b] = [createEditorStore(sessionA), createEditorStore(sessionB)];
    a.getState().addOp('Linear', { x: 0, y: 0 });
    b.getState().addOp('Flatten', { x: 0, y: 0 });
    expect(a.getState().history.present.graph.nodes.map((n) => n.op)).toEqual(['Linear']);
    expect(b.getState().history.present.graph.nodes.map((n) => n.op)).toEqual(['Flatten']);
    expect(b.getState().analysisPending).toBe(true);
    // Opening a file in one window cancels that window's pending analysis, not the other's.
    a.getState().load(emptyDoc(), { name: 'Other' });
    vi.advanceTimersByTime(ANALYSIS_DEBOUNCE_MS + 1);
    expect(b.getState().analysisPending).toBe(false);
    // A refused edit is said in its own window.
    a.getState().notify('error', 'only here');
    expect(sessionA.getState().notice?.message).toBe('only here');
    expect(sessionB.getState().notice).toBeUndefined();
    expect(sessionA.getState().dialog).toBe('none');
  });

  it('a scan under way in one window is not cancelled by another window opening Add data', async () => {
    let answer: (r: unknown) => void = () => {};
    const client = {
      on: () => () => {},
      request: (_m: string, _p: unknown, o: { signal: AbortSignal }) =>
        new Promise((resolve, reject) => {
          answer = resolve;
          o.signal.addEventListener('abort', () => reject(Object.assign(new Error('cancelled'), { code: 'E_CANCELLED' })));
        }),
    };
    const engine = { getState: () => ({ client }) as unknown as EngineStore };
    const window = () => {
      const session = createSessionStore();
      return createAddDataStore({ session, engine, editor: createEditorStore(session) });
    };
    const [a, b] = [window(), window()];
    a.getState().open();
    const scanning = a.getState().scan('/data/table.csv');
    expect(a.getState().phase).toBe('scanning');
    b.getState().open();
    answer({ path: '/data/table.csv', fingerprint: 'f' });
    await scanning;
    expect(a.getState().phase).toBe('preview');
  });
});
