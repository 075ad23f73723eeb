import type { StoreApi } from 'zustand';
import { createAddDataStore, type AddDataState } from './add-data-store';
import { createConfirmStore, type ConfirmState } from './confirm-store';
import { createEditorStore, type EditorState } from './editor-store';
import { createEngineStore, type EngineStore } from './engine-store';
import { createExportStore, type ExportState } from './export-store';
import { createFieldDraftsStore, type FieldDraftsState } from './field-drafts';
import { createLatencyStore, type LatencyState } from './latency-store';
import { createLessonsStore, type LessonsStore } from './lessons-store';
import { createPanelsStore, type PanelsState } from './panels';
import { RunController } from './run-controller';
import { createRunsUiStore, type RunsUi } from './runs-ui';
import { createSessionStore, type SessionState } from './session-store';
import { createSweepStore, type SweepState } from './sweep-store';
import { createTrainUiStore, type TrainUi } from './train-ui';
import { createRunStore, type RunViewStore } from './training-store';
import { designRun } from '../editor/analysis';

/**
 * Every store of one window, and its run controller: what the window's components read (through
 * `WindowStoresProvider` and its hooks, state/window.tsx) and what its commands (file commands,
 * export, keyboard table) are given. Two windows, or two tests, share nothing.
 */
export interface WindowStores {
  /** Theme, open dialog, notice, focus requests. */
  session: StoreApi<SessionState>;
  /** The document, its history, selection and analysis. */
  editor: StoreApi<EditorState>;
  /** The engine connection. */
  engine: StoreApi<EngineStore>;
  /** The run as state (what the run controller feeds). */
  run: StoreApi<RunViewStore>;
  /** The run's commands and events. */
  runs: RunController;
  sweep: StoreApi<SweepState>;
  addData: StoreApi<AddDataState>;
  confirm: StoreApi<ConfirmState>;
  exports: StoreApi<ExportState>;
  fieldDrafts: StoreApi<FieldDraftsState>;
  /** Each node's measured cost at batch 1, and whether it is the design's as it stands. */
  latency: StoreApi<LatencyState>;
  lessons: StoreApi<LessonsStore>;
  panels: StoreApi<PanelsState>;
  runsUi: StoreApi<RunsUi>;
  trainUi: StoreApi<TrainUi>;
}

/**
 * Make a window's stores, each given the others it works with (no store reaches another through a
 * module global). The app makes one at its root; a test makes as many as it needs.
 *
 * @example
 * const w = createWindowStores();
 * w.editor.getState().addOp('Linear', { x: 0, y: 0 }); // a notice, if any, lands in w.session
 */
export function createWindowStores(): WindowStores {
  const session = createSessionStore();
  const engine = createEngineStore();
  const trainUi = createTrainUiStore();
  const editor = createEditorStore(session, engine, (graph) => designRun(graph, trainUi.getState()));
  // The memory verdict in Problems is Start's: analysed again once the engine says its limits, and
  // when the dataset preview (the splits' sizes) or the probes switch change.
  engine.subscribe((s, prev) => {
    if (s.info?.memory !== prev.info?.memory) editor.getState().analyzeNow();
  });
  trainUi.subscribe((s, prev) => {
    if (s.preview !== prev.preview || s.previewKey !== prev.previewKey || s.probes !== prev.probes) editor.getState().analyzeNow();
  });
  const run = createRunStore();
  const sweep = createSweepStore(engine);
  const runs = new RunController({ engine, run, editor, trainUi, sweep });
  const runsUi = createRunsUiStore();
  // The runs ticked for Compare in the project's list, and the sweep shown, are the project's that
  // was open: another design (New, Open, an import, a template) starts the Runs tab at its list.
  // A comparison made in "all runs" spans projects and stays (a lesson's own goes with its card:
  // lessons-store.ts leave). Opening a run's design from the Runs tab keeps them (Runs.tsx puts them back).
  editor.subscribe((s, prev) => {
    if (s.loadSeq === prev.loadSeq) return;
    const ui = runsUi.getState();
    ui.set(ui.scope === 'project' ? { selected: [], comparing: false, sweep: undefined } : { sweep: undefined });
  });
  return {
    session,
    editor,
    engine,
    run,
    runs,
    sweep,
    addData: createAddDataStore({ session, engine, editor }),
    confirm: createConfirmStore(),
    exports: createExportStore(),
    fieldDrafts: createFieldDraftsStore(),
    latency: createLatencyStore({ editor, engine, run }),
    lessons: createLessonsStore({ session, editor, engine, run, runs, runsUi, trainUi }),
    panels: createPanelsStore(),
    runsUi,
    trainUi,
  };
}
