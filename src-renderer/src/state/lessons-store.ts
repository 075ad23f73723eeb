import { create } from 'zustand';
import { lessonDesign, lessonReading, lessonReportRequest, type Lesson } from '../lessons/catalog';
import type { LessonReportRow } from '../../../src-engine/protocol';
import { useEditor } from './editor-store';
import { TEMPLATES } from '../editor/templates';
import { useEngine } from './engine-store';
import { useSession } from './session-store';
import { useRun } from './training-store';

/** One lesson's progress in the gallery: which variant runs, and the figure read from each finished one. */
export interface LessonState {
  status: 'running' | 'done' | 'failed';
  quick: boolean;
  /** Index of the variant training now (while `running`), of `runs`. */
  current: number;
  runs: number;
  /** Our figure per variant label (NaN: the run diverged or stopped without a test evaluation). */
  ours: Record<string, number>;
  /** A lesson with a report: true while the engine computes it from the finished runs. */
  reporting?: boolean;
  /** A lesson with a report: its rows (`lessons.report`), once computed. */
  report?: LessonReportRow[];
  error?: string;
}

interface LessonsStore {
  lessons: Record<string, LessonState>;

  /** Queue the lesson's runs one after another (each opened as the current design and trained), then its report, if it has one. */
  run(lesson: Lesson, quick: boolean): Promise<void>;
}

/** Resolves when the current run ends; a diverged run is stopped (its figure is then NaN). */
function runEnded(): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const s = useRun.getState();
      if (s.phase === 'diverged') void s.control('stop');
      if (s.phase === 'done' || s.phase === 'failed') {
        stop();
        resolve();
      }
    };
    const stop = useRun.subscribe(check);
    check();
  });
}

export const useLessons = create<LessonsStore>((set, get) => ({
  lessons: {},
  async run(lesson, quick) {
    const update = (patch: Partial<LessonState>) => set({ lessons: { ...get().lessons, [lesson.id]: { ...get().lessons[lesson.id]!, ...patch } } });
    set({ lessons: { ...get().lessons, [lesson.id]: { status: 'running', quick, current: 0, runs: lesson.variants.length, ours: {} } } });
    const ours: Record<string, number> = {};
    // Each run's id in the run store, by variant label: a report reads the runs from there.
    const stored: Record<string, string | undefined> = {};
    for (const [i, v] of lesson.variants.entries()) {
      update({ current: i });
      const example = v.example ?? lesson.example;
      const template = TEMPLATES.find((t) => t.id === example);
      if (!template?.doc) return update({ status: 'failed', error: `The example ${example} is not bundled with this build.` });
      const graph = lessonDesign(lesson, v, template.doc.graph, quick);
      // Opening the design closes dialogs; the gallery stays open if it was (progress shows there).
      const galleryOpen = useSession.getState().dialog === 'lessons';
      useEditor.getState().load({ ...template.doc, graph }, { name: `${lesson.title} — ${v.label}` }, {}, true);
      if (galleryOpen) useSession.getState().setDialog('lessons');
      const ended = useRun.getState().start(graph).then(runEnded);
      await ended;
      const r = useRun.getState();
      if (r.phase === 'failed') return update({ status: 'failed', error: `${v.label}: ${r.error?.message ?? 'the run failed'}` });
      const reading = lessonReading(lesson, v);
      ours[v.label] = r.done?.[reading.split]?.[reading.metric] ?? NaN;
      stored[v.label] = r.info?.storedRunId;
      update({ ours: { ...ours } });
    }
    if (lesson.report) {
      update({ reporting: true });
      const request = lessonReportRequest(lesson.report, stored);
      const client = useEngine.getState().client;
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
}));
