import type { z } from 'zod';
import type { GraphIR } from '../../base/ir/types';
import type { RunMetaSchema, RunSettingsSchema, RunSummarySchema, SettingsChangeSchema } from '../../protocol';

export type { RunEnd, RunStatus } from '../../base/schemas';

/** What a run trained with, besides its graph (the protocol's `RunSettingsSchema`, its training section typed). */
export type RunSettings = Omit<z.infer<typeof RunSettingsSchema>, 'training'> & { training: NonNullable<GraphIR['training']> };

/** A setting the learner changed during the run (the protocol's `SettingsChangeSchema`). */
export type SettingsChange = z.infer<typeof SettingsChangeSchema>;

/** A run's headline figures, written when it ends (the protocol's `RunSummarySchema`). */
export type RunSummary = z.infer<typeof RunSummarySchema>;

/** `run.json` (the protocol's `RunMetaSchema`, declared there once): of this format's version, its settings typed. */
export type RunMeta = Omit<z.infer<typeof RunMetaSchema>, 'version' | 'settings'> & { version: 1; settings: RunSettings };

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
