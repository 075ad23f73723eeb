import { afterEach, describe, expect, it, vi } from 'vitest';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import { ANALYSIS_DEBOUNCE_MS, createEditorStore } from '../../../src-renderer/src/state/editor-store';
import { createSessionStore } from '../../../src-renderer/src/state/session-store';
import { createAddDataStore } from '../../../src-renderer/src/state/add-data-store';
import type { EngineStore } from '../../../src-renderer/src/state/engine-store';
import { createWindowStores } from '../../../src-renderer/src/state/window-stores';
import { toggleFocus } from '../../../src-renderer/src/components/panels';
import { twoMoonsGraph } from '../session/fixtures';

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

  it('two windows from createWindowStores share no store: a design opened, the focus view and a run start stay in their own window', async () => {
    const [a, b] = [createWindowStores(), createWindowStores()];
    for (const w of [a, b]) w.lessons.setState({ card: 'x', compared: 'x', lessons: { x: { status: 'done', quick: true, current: 0, runs: 1, ours: {}, runIds: { v: 'r1' } } } });
    // Another design opened in one window ends that window's lesson card and comparison only.
    a.editor.getState().load(emptyDoc(), { name: 'Other' });
    expect(a.lessons.getState()).toMatchObject({ card: undefined, compared: undefined });
    expect(b.lessons.getState()).toMatchObject({ card: 'x', compared: 'x' });
    // Watch in one window opens its dock; Design again closes it, the other window's panels untouched.
    toggleFocus(a);
    expect([a.panels.getState().focus, a.trainUi.getState().open, b.panels.getState().focus, b.trainUi.getState().open]).toEqual([true, true, false, false]);
    toggleFocus(a);
    expect(a.trainUi.getState().open).toBe(false);
    // A run started in a window without an engine says so there, and asks no other window's engine.
    const asked: string[] = [];
    b.engine.setState({ client: { request: async (m: string) => void asked.push(m), on: () => () => {} } as unknown as EngineStore['client'] });
    await a.runs.start(twoMoonsGraph());
    expect(a.run.getState().error?.code).toBe('E_ENGINE_NOT_READY');
    expect([b.run.getState().phase, asked]).toEqual(['idle', []]);
  });
});
