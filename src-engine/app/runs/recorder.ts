import type { GraphIR } from '../../base/ir/types';
import type { MetricValues } from '../../core/metrics';
import type { StartInfo } from '../../protocol';
import type { Normalization } from '../../core/data/normalize';
import type { TargetNormalization } from '../../core/data/target-normalization';
import type { Tokenizer } from '../../core/data/tokenizer';
import type { TableEncoding } from '../../core/data/table-encoding';
import type { TrainedModel } from '../../core/export/model';
import type { Checkpoint } from '../../core/train/types';
import type { RunListing, RunMeta, RunRecord, RunEnd, RunSettings, RunSummary, SettingsChange } from './types';

/** A run's last or best checkpoint, as the run store keeps it beside the run (docs/runs.md). */
export type CheckpointKind = 'last' | 'best';

/** What inference needs besides the weights, stored with each checkpoint. */
export interface CheckpointExtras {
  normalization: Normalization | null;
  classNames: string[];
  /** A text model's tokenizer (core/data/tokenizer.ts). */
  tokenizer?: Tokenizer;
  /** A table model's encoding (core/data/table-encoding.ts). */
  table?: TableEncoding;
  /** A regression's target standardisation (core/data/target-normalization.ts): what its outputs are undone with. */
  targetNormalization?: TargetNormalization;
}

/** Where a run's records go: the Node run store's `RunWriter`, or a test's array. */
export interface RunSink {
  readonly id: string;
  append(record: RunRecord): void;
  finish(status: RunEnd, summary?: RunSummary): void;
  /** Keep a checkpoint (written atomically, replacing the previous one of that kind). */
  checkpoint?(which: CheckpointKind, ck: Checkpoint, extras: CheckpointExtras): void;
}

/**
 * Metric values as records keep them, by split: numbers, NaN/Inf as null, nested arrays
 * (confusion) as they are. Only the `train`, `val` and `test` entries of `m` are read, so a whole
 * result or done event may be passed (its `type`, `epochs`, … are no splits).
 */
export function recordMetrics(m: Partial<Record<'train' | 'val' | 'test', MetricValues | undefined>>): RunSummary['metrics'] {
  const walk = (x: unknown): unknown =>
    typeof x === 'number' ? (Number.isFinite(x) ? x : null) : Array.isArray(x) ? x.map(walk) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)])) : x;
  const out: RunSummary['metrics'] = {};
  for (const split of ['train', 'val', 'test'] as const) {
    const v = m[split];
    if (v && typeof v === 'object') out[split] = walk(v) as Record<string, unknown>;
  }
  return out;
}

/** A step's batch metrics as a step record keeps them (NaN/Inf as null), or undefined without any. */
export function stepMetrics(m: Readonly<Record<string, number>> | undefined): Record<string, number | null> | undefined {
  return m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number.isFinite(v) ? v : null])) : undefined;
}

/**
 * A run's records as they stand after its rewinds. A `rewind` event (`{ step, epoch }`: a run that
 * lost its GPU went back to its snapshot of that step, with that many epochs complete) supersedes
 * the records before it of later steps and epochs, which the run trains again: what remains has
 * one step record per step, in order, and frames in step order.
 */
export function afterRewinds(records: readonly RunRecord[]): RunRecord[] {
  const out: RunRecord[] = [];
  for (const r of records) {
    if (r.kind === 'event' && r.event === 'rewind') {
      const d = r.data as { step?: unknown; epoch?: unknown } | null;
      const step = typeof d?.step === 'number' ? d.step : Infinity;
      const epoch = typeof d?.epoch === 'number' ? d.epoch : Infinity;
      for (let i = out.length - 1; i >= 0; i--) {
        const o = out[i];
        if (((o.kind === 'step' || o.kind === 'frame') && o.step > step) || (o.kind === 'epoch' && o.epoch > epoch)) out.splice(i, 1);
      }
    }
    out.push(r);
  }
  return out;
}

/** JSON for a record: typed arrays (probe frames) as plain arrays. */
export function recordReplacer(_key: string, value: unknown): unknown {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) ? Array.from(value as unknown as ArrayLike<number>) : value;
}

/** What the engine needs of a run store (the Node one is `node/run-store.ts`). */
export interface RunStoreApi {
  create(init: { graph: GraphIR; settings: RunSettings; name?: string; sweep?: RunMeta['sweep']; project?: string; projectId?: string; resumedFrom?: RunMeta['resumedFrom'] }): RunSink;
  list(): RunMeta[];
  /** `list()` and the run folders that cannot be read, each with why (`runs.list`). */
  scan(): RunListing;
  open(id: string): { meta: RunMeta; graph: GraphIR; records: RunRecord[]; note?: string };
  update(id: string, patch: { name?: string; notes?: string }): RunMeta;
  remove(id: string): void;
  /** A stored run's last or best weights as a model (`E_RUN_NO_CHECKPOINT` when it has none). */
  model(id: string, which: CheckpointKind): TrainedModel;
  /** A stored run's graph and last checkpoint, to continue it (`E_RUN_NO_CHECKPOINT`, `E_RUN_CHECKPOINT_CORRUPT`). */
  resumePoint(id: string): { meta: RunMeta; graph: GraphIR; checkpoint: Checkpoint };
  /** Whether `meta` is a run trained elsewhere that no process follows now (its job may run on: `runs.list`'s `followed: false`); absent: every run is followed. */
  unfollowed?(meta: RunMeta): boolean;
}

/**
 * A stored run as `runs.open` answers it: the curves as columns (each step's loss, learning rate,
 * time, metrics and optimizer groups' losses: `curve.metrics.accuracy[i]` is step `curve.step[i]`'s,
 * null where that step did not report it), the epochs, where frames are (and a GAN's D(x) and
 * D(G(z)) at its frames), and the settings changed mid-run.
 */
export function runView(run: ReturnType<RunStoreApi['open']>) {
  const curve = { step: [] as number[], epoch: [] as number[], loss: [] as (number | null)[], lr: [] as number[], t: [] as number[], metrics: {} as Record<string, (number | null)[]>, groupLosses: {} as Record<string, (number | null)[]> };
  const epochs: Extract<RunRecord, { kind: 'epoch' }>[] = [];
  const frameSteps: number[] = [];
  const gan = { step: [] as number[], dReal: [] as number[], dFake: [] as number[] };
  const settingsHistory: SettingsChange[] = [];
  let start: StartInfo | undefined;
  for (const r of run.records) {
    if (r.kind === 'event' && r.event === 'start' && start === undefined) start = r.data as StartInfo;
    if (r.kind === 'event' && r.event === 'settings' && isSettingsChange(r.data)) settingsHistory.push(r.data);
    if (r.kind === 'step') {
      const i = curve.step.length;
      curve.step.push(r.step);
      curve.epoch.push(r.epoch);
      curve.loss.push(r.loss !== null && Number.isFinite(r.loss) ? r.loss : null);
      curve.lr.push(r.lr);
      curve.t.push(r.t);
      addColumns(curve.metrics, i, r.metrics);
      addColumns(curve.groupLosses, i, r.groupLosses);
    } else if (r.kind === 'epoch') epochs.push({ kind: 'epoch', epoch: r.epoch, step: r.step, t: r.t, metrics: r.metrics });
    else if (r.kind === 'frame') {
      frameSteps.push(r.step);
      const g = ganFigures(r.frame);
      if (g) {
        gan.step.push(r.step);
        gan.dReal.push(g.dReal);
        gan.dFake.push(g.dFake);
      }
    }
  }
  const { groupLosses, ...columns } = curve;
  return {
    meta: run.meta,
    graph: run.graph as unknown,
    curve: Object.keys(groupLosses).length ? curve : columns,
    epochs: epochs.map(({ kind: _k, ...e }) => e),
    frameSteps,
    ...(gan.step.length ? { gan } : {}),
    ...(settingsHistory.length ? { settingsHistory } : {}),
    ...(start ? { start } : {}),
    ...(run.note ? { note: run.note } : {}),
  };
}

/** Row `i` of named columns: each value of `values` (null unless finite), a column started (nulls before) for a new name, null in the columns it lacks. */
function addColumns(columns: Record<string, (number | null)[]>, i: number, values: Record<string, number | null> | undefined): void {
  for (const [k, v] of Object.entries(values ?? {})) {
    const column = Object.hasOwn(columns, k) ? columns[k] : (columns[k] = new Array<number | null>(i).fill(null));
    column.push(typeof v === 'number' && Number.isFinite(v) ? v : null);
  }
  for (const column of Object.values(columns)) if (column.length === i) column.push(null);
}

/** A stored frame's D(x) and D(G(z)) (the GAN probe's), when it has both and they are finite. */
function ganFigures(frame: unknown): { dReal: number; dFake: number } | undefined {
  const g = (frame as { gan?: { dReal?: unknown; dFake?: unknown } } | null)?.gan;
  return g && typeof g.dReal === 'number' && typeof g.dFake === 'number' && Number.isFinite(g.dReal) && Number.isFinite(g.dFake) ? { dReal: g.dReal, dFake: g.dFake } : undefined;
}

function isSettingsChange(x: unknown): x is SettingsChange {
  const c = x as SettingsChange | null;
  return !!c && typeof c.step === 'number' && !!c.changes && typeof c.changes === 'object' && Object.values(c.changes).every((v) => typeof v === 'number' || typeof v === 'string');
}

/** The probe frame recorded at `step`, or the last one before it (records are in step order). */
export function frameAt(records: readonly RunRecord[], step: number): unknown {
  let found: unknown;
  for (const r of records) {
    if (r.kind !== 'frame') continue;
    if (r.step > step) break;
    found = r;
  }
  return found === undefined ? undefined : (found as Extract<RunRecord, { kind: 'frame' }>).frame;
}
