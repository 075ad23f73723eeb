import type { GraphIR } from '../../base/ir/types';
import type { RunSweepInfo } from '../../protocol';

/** `running` until the run ends; `crashed` when its writer died without ending it. */
export type RunStatus = 'running' | 'done' | 'stopped' | 'diverged' | 'failed' | 'crashed';

/** What a run trained with, besides its graph (which is stored whole beside it). */
export interface RunSettings {
  /** The effective training section (overrides applied). */
  training: NonNullable<GraphIR['training']>;
  /** e.g. `CPU · 2 threads (WebAssembly SIMD)`. */
  backend: string;
  appVersion: string;
}

/**
 * A setting the learner changed during the run (a new learning rate on resuming from a
 * divergence): from `step` (the first step trained with it) on, `changes` (dotted paths into the
 * training section, `optimizer.lr`) replace the values of `settings.training`.
 */
export interface SettingsChange {
  step: number;
  changes: Record<string, number | string>;
}

/** A run's headline figures, written when it ends. */
export interface RunSummary {
  steps: number;
  epochs: number;
  seconds: number;
  /** Final metrics by split (`train`, `val`, `test`), as the training loop reported them. */
  metrics: Record<string, Record<string, unknown>>;
  /** The settings changed mid-run, in order (absent when the run trained with `settings.training` throughout). */
  settingsHistory?: SettingsChange[];
}

/** `run.json`: small, rewritten atomically at the start and at the end of a run. */
export interface RunMeta {
  format: 'netwright.run';
  version: 1;
  id: string;
  name: string;
  notes: string;
  createdAt: string;
  endedAt?: string;
  status: RunStatus;
  /** The writing process, so another process can tell a live run from a crashed one. */
  pid: number;
  /**
   * The writing process beyond its pid, which the OS hands out again (after a reboot, or to the
   * next engine in a container): a nonce of that process and, where the OS says, its start time
   * (ms since 1970). A live pid whose process does not match is not the writer. Absent in runs
   * recorded before it was kept: those go by the pid alone.
   */
  writer?: { nonce: string; started?: number };
  settings: RunSettings;
  summary?: RunSummary;
  /** Set on the runs of a sweep: which sweep, what it varied, this run's value. */
  sweep?: RunSweepInfo;
  /** The project the run was trained from (the app's document name); absent for the CLI's runs. */
  project?: string;
  /** A resumed or continued run: the stored run it started from, at that run's checkpoint step and epoch. */
  resumedFrom?: { runId: string; step: number; epoch: number };
}

/** A run folder whose `run.json` cannot be read (missing, torn, edited, not a regular file), with why. */
export interface DamagedRun {
  id: string;
  reason: string;
}

/** Every stored run (newest first), and the run folders that cannot be read (newest first). */
export interface RunListing {
  runs: RunMeta[];
  damaged: DamagedRun[];
}

/** One line of a run's log (`log.nwr`), one framed record each. */
export type RunRecord =
  | { kind: 'step'; step: number; epoch: number; loss: number | null; lr: number; t: number; groupLosses?: Record<string, number | null>; metrics?: Record<string, number | null> }
  | { kind: 'epoch'; epoch: number; step: number; t: number; metrics: Record<string, Record<string, unknown>> }
  | { kind: 'frame'; step: number; t: number; frame: unknown }
  | { kind: 'event'; t: number; event: string; data: unknown };
