import type { Histogram, ResultOf, StoredFrame } from '../../../src-engine/protocol';
import type { ChartTheme } from './charts';
import { settingOverRun } from './settings-history';

export type RunMeta = ResultOf<'runs.list'>['runs'][number];
/** A run folder the engine could not read, with why (the Runs tab offers Delete). */
export type DamagedRun = ResultOf<'runs.list'>['damaged'][number];
export type StoredRun = ResultOf<'runs.open'>;

/** At most this many runs are compared at once (the 2–10). */
export const MAX_COMPARED = 10;

/** One row of the settings table: a setting's value in each compared run (`–`: not set). */
export interface SettingRow {
  key: string;
  values: string[];
  /** Whether the runs disagree on it. */
  differs: boolean;
}

const show = (v: unknown): string => (v === undefined || v === null ? '–' : typeof v === 'number' ? String(Number(v.toPrecision(6))) : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Every leaf of a settings object as `path → value` (arrays of scalars are one leaf). */
function flatten(x: unknown, prefix: string, out: Map<string, unknown>): void {
  if (x && typeof x === 'object' && !Array.isArray(x)) {
    for (const [k, v] of Object.entries(x)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.set(prefix, x);
}

/** Settings a run may leave out, and what leaving them out means (so `–` does not stand for a value). */
const IMPLIED: Readonly<Record<string, unknown>> = { evaluation: 'eval' };

/**
 * The settings of each run side by side: the training section (dataset and transforms, loss,
 * optimizer, schedule, batch, epochs, seed…), the backend and the app version, one row per
 * setting any run has; a setting the learner changed mid-run reads as its history
 * (`1000000000 → 0.001 from step 57`). `differs` marks the rows that tell the runs apart.
 */
export function settingsRows(runs: readonly (Pick<RunMeta, 'settings'> & Partial<Pick<RunMeta, 'summary'>>)[]): SettingRow[] {
  const flat = runs.map((r) => {
    const m = new Map<string, unknown>(Object.entries(IMPLIED));
    flatten(r.settings.training, '', m);
    // A setting changed mid-run shows its whole history: what trained, not only what started.
    for (const key of new Set((r.summary?.settingsHistory ?? []).flatMap((c) => Object.keys(c.changes)))) m.set(key, settingOverRun(m.get(key), key, r.summary?.settingsHistory));
    m.set('backend', r.settings.backend);
    m.set('app version', r.settings.appVersion);
    return m;
  });
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const m of flat) {
    for (const k of m.keys()) {
      if (seen.has(k)) continue;
      seen.add(k);
      keys.push(k);
    }
  }
  return keys.map((key) => {
    const values = flat.map((m) => show(m.get(key)));
    return { key, values, differs: values.some((v) => v !== values[0]) };
  });
}

/**
 * TensorBoard's smoothing: an exponential moving average debiased like Adam's first moment, so
 * the start of the curve is not pulled towards 0. `weight` in [0, 1): 0 leaves the values as
 * they are. Nulls (a non-finite loss) stay null and do not enter the average.
 */
export function smoothEma(values: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values.slice();
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - Math.pow(weight, n));
  });
}

export type XAxis = 'step' | 'epoch' | 'time';

/** Points `[x, loss]` of a stored run's loss curve, smoothed, with x by step, epoch (fractional) or wall time (s); at most `max` points, evenly picked. */
export function lossPoints(run: Pick<StoredRun, 'curve' | 'epochs'>, x: XAxis, smoothing: number, max = 2000): [number, number][] {
  const { step, loss, t } = run.curve;
  const smooth = smoothEma(loss, smoothing);
  const steps = run.epochs.length ? run.epochs[0].step : 0;
  const xs = x === 'step' ? step : x === 'time' ? t : step.map((s) => (steps > 0 ? s / steps : s));
  // Every stride-th point and the last: at most `max` in all.
  const stride = Math.max(1, Math.ceil((step.length - 1) / Math.max(1, max - 1)));
  const out: [number, number][] = [];
  for (let i = 0; i < step.length; i += stride) {
    const v = smooth[i];
    if (v !== null) out.push([xs[i], v]);
  }
  const lastI = step.length - 1;
  if (lastI >= 0 && lastI % stride !== 0 && smooth[lastI] !== null) out.push([xs[lastI], smooth[lastI]!]);
  return out;
}

/** Per epoch `[x, value]` of a metric of one split (`val.accuracy`, `val.loss`…), x by step, epoch or time. */
export function epochPoints(run: Pick<StoredRun, 'epochs'>, split: string, metric: string, x: XAxis): [number, number][] {
  const out: [number, number][] = [];
  for (const e of run.epochs) {
    const v = e.metrics[split]?.[metric];
    if (typeof v === 'number' && Number.isFinite(v)) out.push([x === 'step' ? e.step : x === 'time' ? e.t : e.epoch, v]);
  }
  return out;
}

/** The metrics every compared run reports per epoch on validation (accuracy, loss…), in a stable order. */
export function sharedEpochMetrics(runs: readonly Pick<StoredRun, 'epochs'>[], split = 'val'): string[] {
  const per = runs.map((r) => new Set(r.epochs.flatMap((e) => Object.entries(e.metrics[split] ?? {}).filter(([, v]) => typeof v === 'number').map(([k]) => k))));
  if (per.length === 0) return [];
  const order = ['accuracy', 'loss', 'mse', 'psnr', 'mae', 'r2'];
  const all = [...per[0]].filter((k) => per.every((s) => s.has(k)));
  return all.sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
}

/** A histogram as `[binCentre, density]` points, the density normalised so runs with different counts overlay. */
export function densityPoints(h: Histogram): [number, number][] {
  const counts = Array.from(h.counts as ArrayLike<number>);
  const total = counts.reduce((a, b) => a + b, 0);
  const width = (h.max - h.min) / Math.max(1, counts.length) || 1;
  return counts.map((c, i) => [h.min + width * (i + 0.5), total ? c / (total * width) : 0]);
}

/** Which histogram of a layer a frame offers: its activations, or one of its parameters' weights. */
export type HistKind = 'activation' | 'weight';

/** A layer's histogram in a stored frame: `activation` of its output, `weight` of its first parameter (the weight matrix). */
export function layerHistogram(frame: StoredFrame | null | undefined, nodeId: string, kind: HistKind): Histogram | undefined {
  if (!frame) return undefined;
  if (kind === 'activation') return frame.layers.find((l) => l.nodeId === nodeId)?.hist;
  return frame.params.find((p) => p.nodeId === nodeId && p.name === 'weight')?.weightHist ?? frame.params.find((p) => p.nodeId === nodeId)?.weightHist;
}

/** ‖∇W‖ per parameterized layer in a frame (the gradient flow), √Σ of its tensors' squared norms; null when not finite. */
export function gradNorms(frame: StoredFrame | null | undefined): Map<string, number | null> {
  const out = new Map<string, number | null>();
  if (!frame) return out;
  for (const p of frame.params) {
    const prev = out.get(p.nodeId);
    if (prev === null) continue;
    out.set(p.nodeId, p.gradNorm === null ? null : Math.sqrt((prev ?? 0) ** 2 + p.gradNorm * p.gradNorm));
  }
  return out;
}

/** The colour of the i-th compared run (the baseline is always first). */
export function runColour(t: ChartTheme, i: number): string {
  const extra = ['#0f9aa6', '#b8860b', '#5d6d7e', '#c2185b', '#2e7d32'];
  return i < t.series.length ? t.series[i] : extra[(i - t.series.length) % extra.length];
}

/** The figure a run is judged by: test accuracy for classifiers, else the test (or last) loss. */
export function headlineOf(m: Pick<RunMeta, 'summary'>): { label: string; value?: number; higherIsBetter: boolean } {
  const test = m.summary?.metrics.test as Record<string, unknown> | undefined;
  if (typeof test?.accuracy === 'number') return { label: `${(100 * test.accuracy).toFixed(2)} %`, value: test.accuracy, higherIsBetter: true };
  if (typeof test?.loss === 'number') return { label: `loss ${test.loss.toPrecision(3)}`, value: test.loss, higherIsBetter: false };
  return { label: '–', higherIsBetter: true };
}

/** A confusion matrix of a run's final test (else last validation) metrics. */
export function confusionOf(m: Pick<RunMeta, 'summary'>): number[][] | undefined {
  for (const split of ['test', 'val']) {
    const c = (m.summary?.metrics[split] as Record<string, unknown> | undefined)?.confusion;
    if (Array.isArray(c) && c.every((row) => Array.isArray(row))) return c as number[][];
  }
  return undefined;
}

/**
 * What tells each run apart in a legend: its name, and where names repeat, the values of the
 * settings that differ (`sgd · lr 0.01`), else its start time.
 */
export function runLabels(runs: readonly Pick<RunMeta, 'name' | 'settings' | 'createdAt'>[]): string[] {
  const rows = settingsRows(runs).filter((r) => r.differs && r.key !== 'app version');
  const short = (key: string) => key.replace(/^optimizer\./, '').replace(/^dataset\./, '').replace(/^schedule\./, 'schedule ');
  // Runs of one design (one name) are told apart by what differs alone; the name would only repeat.
  const allSame = runs.every((r) => r.name === runs[0].name);
  const time = (r: Pick<RunMeta, 'createdAt'>) => new Date(r.createdAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const labels = runs.map((r, i) => {
    const same = runs.filter((o) => o.name === r.name).length > 1;
    if (!same) return r.name;
    const parts = rows.map((row) => (short(row.key) === 'kind' ? row.values[i] : `${short(row.key)} ${row.values[i]}`));
    const extra = parts.length ? parts.slice(0, 3).join(' · ') : time(r);
    return allSame ? extra : `${r.name} · ${extra}`;
  });
  // Still alike (runs that differ only in their design or seed of chance): their start times tell them apart.
  return labels.map((l, i) => (labels.indexOf(l) !== labels.lastIndexOf(l) && !l.endsWith(time(runs[i])) ? `${l} · ${time(runs[i])}` : l));
}
