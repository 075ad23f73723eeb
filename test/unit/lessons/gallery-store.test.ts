/**
 * The Learn gallery's runs (#32 item 10): while a lesson trains, the gallery gives way to a small
 * card over the canvas and the Train dock on the lesson's tab (the modal used to cover the dock it
 * told the user to watch); each run opens laid out; the finished runs' ids are kept so that
 * "Compare runs" puts them side by side in the Runs tab's Compare view.
 */
import { afterEach, describe, expect, it, vi, beforeEach } from 'vitest';
import type { GraphIR } from '../../../src-engine/facade';
import { LESSONS } from '../../../src-renderer/src/lessons/catalog';
import { selectDirty } from '../../../src-renderer/src/state/editor-store';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a lesson from the gallery', () => {
  it('closes the gallery for a card and the dock while it trains, opens every run laid out, and compares its runs when done', async () => {
    const lesson = LESSONS.find((l) => l.id === 'batchnorm-deep')!;
    const seen: { dialog: string; card?: string; dock: boolean; tab: string; stacked: number; name?: string }[] = [];
    let n = 0;
    // A stand-in engine: each run "trains" at once and is kept in the run store.
    vi.spyOn(w.runs, 'start').mockImplementation((graph: GraphIR) => {
      const { layout } = w.editor.getState().history.present;
      const at = new Set(graph.nodes.map((x) => JSON.stringify(layout[x.id] ?? null)));
      seen.push({ dialog: w.session.getState().dialog, card: w.lessons.getState().card, dock: w.trainUi.getState().open, tab: w.trainUi.getState().tab, stacked: graph.nodes.length - at.size, name: graph.name });
      n++;
      w.run.setState({ phase: 'done', done: { test: { accuracy: 0.1 * n } } as never, info: { storedRunId: `run-${n}` } as never });
      return Promise.resolve();
    });
    w.session.getState().setDialog('lessons');
    await w.lessons.getState().run(lesson, true);
    // Each run is named after the lesson and itself (Compare tells them apart by it), not after the example.
    expect(seen).toEqual(lesson.variants.map((v) => ({ dialog: 'none', card: lesson.id, dock: true, tab: lesson.view, stacked: 0, name: `${lesson.title} — ${v.label}` })));
    const state = w.lessons.getState().lessons[lesson.id]!;
    expect(state.status).toBe('done');
    expect(state.runIds).toEqual({ 'deep sigmoid': 'run-1', '+ BatchNorm': 'run-2' });
    // The card stays with the verdict; "Show lesson" reopens the gallery at it.
    expect(w.lessons.getState().card).toBe(lesson.id);
    w.lessons.getState().show(lesson.id);
    expect(w.session.getState().dialog).toBe('lessons');
    expect(w.lessons.getState().focus).toBe(lesson.id);
    // "Compare runs": both runs ticked, the Compare view, across projects (lesson runs are named after the lesson).
    w.lessons.getState().compare(lesson.id);
    expect(w.runsUi.getState()).toMatchObject({ selected: ['run-1', 'run-2'], comparing: true, scope: 'all' });
    expect(w.trainUi.getState()).toMatchObject({ open: true, tab: 'runs' });
    expect(w.session.getState().dialog).toBe('none');
    w.lessons.getState().dismissCard();
    expect(w.lessons.getState().card).toBeUndefined();
  });

  it('leaves nothing behind once another design is opened: its card and its comparison go; its runs open unchanged, so nothing asks to discard them (#44 item 7)', async () => {
    const lesson = LESSONS.find((l) => l.id === 'batchnorm-deep')!;
    let n = 0;
    const dirty: boolean[] = [];
    vi.spyOn(w.runs, 'start').mockImplementation(() => {
      dirty.push(selectDirty(w.editor.getState()));
      n++;
      w.run.setState({ phase: 'done', done: { test: { accuracy: 0.5 } } as never, info: { storedRunId: `leave-${n}` } as never });
      return Promise.resolve();
    });
    await w.lessons.getState().run(lesson, true);
    expect(dirty).toEqual([false, false]);
    w.lessons.getState().compare(lesson.id);
    expect(w.lessons.getState().card).toBe(lesson.id);
    expect(w.runsUi.getState()).toMatchObject({ selected: ['leave-1', 'leave-2'], comparing: true });
    // The user opens another design: the card no longer covers it, the Runs tab is the project's again.
    w.editor.getState().load(emptyDoc(), { name: 'Untitled' });
    expect(w.lessons.getState().card).toBeUndefined();
    expect(w.runsUi.getState()).toMatchObject({ selected: [], comparing: false, scope: 'project' });
  });

  it("keeps a training lesson's card, and a comparison the user made of other runs, when another design is opened", () => {
    w.lessons.setState({ card: 'batchnorm-deep', compared: 'batchnorm-deep', lessons: { 'batchnorm-deep': { status: 'running', quick: true, current: 1, runs: 2, ours: {}, runIds: { a: 'leave-1' } } } });
    w.runsUi.getState().set({ selected: ['other-1', 'other-2'], comparing: true, scope: 'all' });
    w.editor.getState().load(emptyDoc(), { name: 'Untitled' });
    expect(w.lessons.getState().card).toBe('batchnorm-deep');
    expect(w.runsUi.getState()).toMatchObject({ selected: ['other-1', 'other-2'], comparing: true });
  });
});
