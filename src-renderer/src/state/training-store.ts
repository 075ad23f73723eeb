import { createStore } from 'zustand';
import type { GraphIR } from '../../../src-engine/facade';
import type { ResultOf } from '../../../src-engine/protocol';
import { emptyRun, reduceRun, type RunAction, type RunView } from '../training/model';
import type { EditorDoc, ProjectUi } from '../editor/document';
import type { FileInfo } from './editor-store';

export type SanityResult = ResultOf<'train.sanityCheck'>;

/** A project's document as it was when another design was opened over its run: "Back to" restores it as it was (unsaved edits included). */
export interface AwayProject {
  doc: EditorDoc;
  file: FileInfo;
  ui: ProjectUi;
}

/**
 * The run as state: the run view (`reduceRun`'s), what "Back to" restores, the last sanity check
 * and the loaded weights. What changes it from the engine — commands, events, attaching after a
 * reload — is the run controller's (state/run-controller.ts).
 */
export interface RunViewStore extends RunView {
  /** The run's project, when another design was opened over it (see `runElsewhere`). */
  away?: AwayProject;
  /** The last sanity check (or `running` while one is under way), and the graph it checked. */
  sanity?: SanityResult | 'running' | { error: string };
  sanityGraph?: GraphIR;
  dispatch(action: RunAction): void;
  /** Apply several actions in order as one state change (one re-render of whatever they touch). */
  dispatchAll(actions: readonly RunAction[]): void;
  /**
   * The weights loaded into the engine (`model.load` / `model.import`) and the design they came
   * with (the editor's `loadSeq`): what a design whose `training.startFrom` is `loaded` starts
   * every run from. Not part of the run view: a run replaces the view, not these weights.
   */
  weights?: LoadedWeights;
  /** Weights were loaded into the engine for the design the editor's `loadSeq` names (see `weights`). */
  weightsLoaded(source: string, loadSeq: number): void;
}

/** Weights loaded into the engine: where they came from (`resnet18.onnx`, `the project "MNIST CNN"`), and the design's `loadSeq`. */
export interface LoadedWeights {
  source: string;
  loadSeq: number;
}

/** The loaded weights when they came with the design `loadSeq` names, else undefined. */
export const weightsFor = (weights: LoadedWeights | undefined, loadSeq: number): LoadedWeights | undefined => (weights?.loadSeq === loadSeq ? weights : undefined);

/** Phase changes go on the performance timeline (`netwright:run-running`, …), so a profile or trace shows where a run starts and ends. */
function markPhase(phase: RunView['phase']): void {
  if (typeof performance !== 'undefined' && typeof performance.mark === 'function') performance.mark(`netwright:run-${phase}`);
}

/**
 * A run store: training runs as UI state — progress, bounded metric series, the latest probe frame
 * and the run state, all derived by `reduceRun` from the engine's events. Components select narrow
 * slices (`useRun(s => s.progress?.step)`), so a 10 Hz progress tick re-renders the step counter,
 * not the canvas.
 */
export const createRunStore = () =>
  createStore<RunViewStore>((set, get) => ({
    ...emptyRun,
    dispatch(action) {
      get().dispatchAll([action]);
    },
    dispatchAll(actions) {
      const s = get();
      let next: RunView = s;
      for (const a of actions) next = reduceRun(next, a);
      if (next === s) return;
      if (next.phase !== s.phase) markPhase(next.phase);
      set(next);
    },
    weightsLoaded(source, loadSeq) {
      set({ weights: { source, loadSeq } });
    },
  }));

