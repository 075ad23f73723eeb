import type { TrainingConfig } from '../../../src-engine/facade';
import type { ResultOf } from '../../../src-engine/protocol';

/** A stored run's metadata (compare.ts's RunMeta; named here, not imported, so compare.ts may import this file). */
type RunMeta = ResultOf<'runs.list'>['runs'][number];

/** A setting the learner changed mid-run (a new learning rate on resuming from a divergence). */
export type SettingsChange = NonNullable<NonNullable<RunMeta['summary']>['settingsHistory']>[number];

/**
 * The design's training settings once a run of it goes on at learning rate `lr` (the divergence
 * banner's "Resume at …"): the Train dock's field then reads the rate that trains, and the next
 * run starts from it. Undefined when the design on the canvas is not the one the run trains
 * (another design opened, or its optimizer since edited): nothing of it changes then.
 */
export function trainingAtRate(design: TrainingConfig | undefined, ran: TrainingConfig | undefined, lr: number): TrainingConfig | undefined {
  if (!design || !ran || design.optimizer.kind !== ran.optimizer.kind || design.optimizer.lr !== ran.optimizer.lr || design.optimizer.lr === lr) return undefined;
  return { ...design, optimizer: { ...design.optimizer, lr } };
}

const num = (v: unknown) => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : String(v));

/**
 * How a setting went over a run: its value from the start and each change (`1000000000 → 0.001
 * from step 57`), or undefined when the run never changed it.
 */
export function settingOverRun(start: unknown, key: string, history: readonly SettingsChange[] | undefined): string | undefined {
  const steps = (history ?? []).filter((c) => Object.hasOwn(c.changes, key));
  if (steps.length === 0) return undefined;
  return [num(start), ...steps.map((c) => `${num(c.changes[key])} from step ${c.step}`)].join(' → ');
}
