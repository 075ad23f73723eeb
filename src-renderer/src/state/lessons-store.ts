import { createStore, type StoreApi } from 'zustand';
import { lessonDocument, lessonReading, lessonReportRequest, lessonRunName, type Lesson } from '../lessons/catalog';
import type { LessonReportRow } from '../../../src-engine/protocol';
import type { EditorState } from './editor-store';
import { TEMPLATES } from '../editor/templates';
import type { EngineStore } from './engine-store';
import type { SessionState } from './session-store';
import type { RunViewStore } from './training-store';
import type { RunController } from './run-controller';
import type { RunsUi } from './runs-ui';
import type { TrainUi } from './train-ui';
import { MAX_COMPARED } from '../training/compare';

/** One lesson's progress in the gallery: which variant runs, and the figure read from each finished one. */
export interface LessonState {
  status: 'running' | 'done' | 'failed';
  quick: boolean;
  /** Index of the variant training now (while `running`), of `runs`. */
  current: number;
  runs: number;
  /** Our figure per variant label (NaN: the run diverged or stopped without a test evaluation). */
  ours: Record<string, number>;
  /** Each finished run's id in the run store, by variant label (absent: the engine keeps no runs). */
  runIds: Record<string, string>;
  /** A lesson with a report: true while the engine computes it from the finished runs. */
  reporting?: boolean;
  /** A lesson with a report: its rows (`lessons.report`), once computed. */
  report?: LessonReportRow[];
  error?: string;
}

export interface LessonsStore {
  lessons: Record<string, LessonState>;
  /**
   * The lesson whose card shows over the canvas: while its runs train the gallery is closed (it
   * would cover the dock it tells the user to watch) and the card shows which run trains and the
   * figures so far; it stays, with the verdict, until dismissed.
   */
  card?: string;
  /** The lesson the gallery scrolls to when it opens (from the card). */
  focus?: string;
  /** The lesson whose runs the Runs tab compares (its `compare`), until another design is opened. */
  compared?: string;

  /** Queue the lesson's runs one after another (each opened as the current design and trained), then its report, if it has one. */
  run(lesson: Lesson, quick: boolean): Promise<void>;
  /** Open the gallery at a lesson (the card's "Show lesson"). */
  show(id: string): void;
  /** Put the lesson's stored runs side by side in the Runs tab's Compare view (the gallery closes). */
  compare(id: string): void;
  dismissCard(): void;
  /**
   * Another design was opened (not one of a lesson's runs): a finished lesson's card and the
   * comparison of its runs go, so neither covers nor stands for the design now on screen. A
   * lesson still training keeps its card (it says which run trains).
   */
  leave(): void;
}

/** The stores of its window a lesson drives: it opens designs, trains them and shows their runs. */
export interface LessonsDeps {
  session: Pick<StoreApi<SessionState>, 'getState'>;
  editor: Pick<StoreApi<EditorState>, 'getState' | 'subscribe'>;
  engine: Pick<StoreApi<EngineStore>, 'getState'>;
  run: Pick<StoreApi<RunViewStore>, 'getState' | 'subscribe'>;
  runs: Pick<RunController, 'start' | 'control'>;
  runsUi: Pick<StoreApi<RunsUi>, 'getState'>;
  trainUi: Pick<StoreApi<TrainUi>, 'getState'>;
}

/** Resolves when the current run ends; a diverged run is stopped (its figure is then NaN). */
function runEnded({ run, runs }: Pick<LessonsDeps, 'run' | 'runs'>): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const s = run.getState();
      if (s.phase === 'diverged') void runs.control('stop');
      if (s.phase === 'done' || s.phase === 'failed') {
        stop();
        resolve();
      }
    };
    const stop = run.subscribe(check);
    check();
  });
}

/**
 * A window's lessons: their progress, the card over the canvas and the comparison of a lesson's
 * runs. Another design opened in the window (not one of a lesson's runs) makes it `leave`.
 */
export function createLessonsStore(deps: LessonsDeps) {
  const { session, editor, engine, run, runs, runsUi, trainUi } = deps;
  /** True while a lesson opens one of its runs' designs (that load is the lesson's, not the user's). */
  let openingLessonRun = false;
  const store = createStore<LessonsStore>((set, get) => ({
    lessons: {},
    async run(lesson, quick) {
      const update = (patch: Partial<LessonState>) => set({ lessons: { ...get().lessons, [lesson.id]: { ...get().lessons[lesson.id]!, ...patch } } });
      set({ lessons: { ...get().lessons, [lesson.id]: { status: 'running', quick, current: 0, runs: lesson.variants.length, ours: {}, runIds: {} } }, card: lesson.id });
      // The gallery gives way to the card and the dock, on the tab that shows the lesson's effect.
      session.getState().setDialog('none');
      trainUi.getState().set({ open: true, tab: lesson.view });
      const ours: Record<string, number> = {};
      // Each run's id in the run store, by variant label: a report reads the runs from there, Compare shows them.
      const stored: Record<string, string> = {};
      for (const [i, v] of lesson.variants.entries()) {
        update({ current: i });
        const example = v.example ?? lesson.example;
        const template = TEMPLATES.find((t) => t.id === example);
        if (!template?.doc) return update({ status: 'failed', error: `The example ${example} is not bundled with this build.` });
        const doc = lessonDocument(lesson, v, template.doc, quick);
        // Opening the design closes dialogs: a gallery the user opened again mid-lesson stays open.
        const galleryOpen = session.getState().dialog === 'lessons';
        // Opened as it is bundled (nothing unsaved): opening another design after it asks nothing.
        openingLessonRun = true;
        try {
          editor.getState().load(doc, { name: lessonRunName(lesson, v) });
        } finally {
          openingLessonRun = false;
        }
        if (galleryOpen) session.getState().setDialog('lessons');
        const ended = runs.start(doc.graph).then(() => runEnded(deps));
        await ended;
        const r = run.getState();
        if (r.phase === 'failed') return update({ status: 'failed', error: `${v.label}: ${r.error?.message ?? 'the run failed'}` });
        const reading = lessonReading(lesson, v);
        ours[v.label] = r.done?.[reading.split]?.[reading.metric] ?? NaN;
        if (r.info?.storedRunId) stored[v.label] = r.info.storedRunId;
        update({ ours: { ...ours }, runIds: { ...stored } });
      }
      if (lesson.report) {
        update({ reporting: true });
        const request = lessonReportRequest(lesson.report, stored);
        const client = engine.getState().client;
        if (!request) return update({ status: 'failed', reporting: false, error: 'The runs were not kept (this engine has no run store), so the figure that needs both of them cannot be computed.' });
        if (!client) return update({ status: 'failed', reporting: false, error: 'The engine is not connected.' });
        try {
          const { rows } = await client.request('lessons.report', request);
          update({ report: rows, reporting: false });
        } catch (e) {
          return update({ status: 'failed', reporting: false, error: (e as Error).message });
        }
      }
      update({ status: 'done' });
    },
    show(id) {
      set({ focus: id });
      session.getState().setDialog('lessons');
    },
    compare(id) {
      const ids = Object.values(get().lessons[id]?.runIds ?? {}).slice(0, MAX_COMPARED);
      if (ids.length < 2) return;
      // Lesson runs are named after the lesson, not the open project: compare across projects.
      runsUi.getState().set({ selected: ids, comparing: true, sweep: undefined, scope: 'all', view: 'list' });
      set({ compared: id });
      trainUi.getState().set({ open: true, tab: 'runs' });
      session.getState().setDialog('none');
    },
    dismissCard() {
      set({ card: undefined });
    },
    leave() {
      const { card, compared, lessons } = get();
      if (card && lessons[card]?.status !== 'running') set({ card: undefined });
      if (!compared) return;
      set({ compared: undefined });
      const runs = runsUi.getState();
      const ids = new Set(Object.values(lessons[compared]?.runIds ?? {}));
      // Only the lesson's own comparison: one the user has since made of other runs stays.
      if (runs.comparing && runs.selected.every((r) => ids.has(r))) runs.set({ selected: [], comparing: false, scope: 'project' });
    },
  }));
  editor.subscribe((s, prev) => {
    if (s.loadSeq !== prev.loadSeq && !openingLessonRun) store.getState().leave();
  });
  return store;
}
