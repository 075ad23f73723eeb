import { DEFAULT_START_FROM } from '../../../src-engine/facade';
import type { Histogram, ResultOf, StoredFrame } from '../../../src-engine/protocol';
import { gradFlowGeometry, type ChartTheme } from './charts';
import { settingOverRun } from './settings-history';

export type RunMeta = ResultOf<'runs.list'>['runs'][number];
/** A run folder the engine could not read, with why (the Runs tab offers Delete). */
export type DamagedRun = ResultOf<'runs.list'>['damaged'][number];
export type StoredRun = ResultOf<'runs.open'>;

/** The longest run label a legend or a column shows (the whole name is in its tooltip). */
export const RUN_LABEL_MAX = 56;

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
export const IMPLIED: Readonly<Record<string, unknown>> = { evaluation: 'eval', frozenBatchNorm: 'eval', 'startFrom.kind': DEFAULT_START_FROM.kind };

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
  const order = ['mean-iou', 'accuracy', 'loss', 'mse', 'psnr', 'mae', 'r2'];
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

/**
 * The figure a run is judged by: test accuracy for classifiers, R² for a regression (its loss is in
 * the target's units squared: 3.8e+11 for prices in dollars, where R² reads the same at any scale),
 * else the test (or last) loss.
 */
export function headlineOf(m: Pick<RunMeta, 'summary'>): { label: string; value?: number; higherIsBetter: boolean } {
  const test = m.summary?.metrics.test as Record<string, unknown> | undefined;
  if (typeof test?.accuracy === 'number') return { label: `${(100 * test.accuracy).toFixed(2)} %`, value: test.accuracy, higherIsBetter: true };
  if (typeof test?.r2 === 'number' && Number.isFinite(test.r2)) return { label: `R² ${test.r2.toFixed(3)}`, value: test.r2, higherIsBetter: true };
  if (typeof test?.loss === 'number') return { label: `loss ${test.loss.toPrecision(3)}`, value: test.loss, higherIsBetter: false };
  return { label: '–', higherIsBetter: true };
}

/**
 * The figure runs are ranked by (the Runs list's "best result"): validation accuracy for
 * classifiers, R² for a regression, else the validation loss; never a test figure, which would then stop being an
 * estimate of how the picked run does on new data.
 */
export function validationOf(m: Pick<RunMeta, 'summary'>): { value?: number; higherIsBetter: boolean } {
  const val = m.summary?.metrics.val as Record<string, unknown> | undefined;
  if (typeof val?.accuracy === 'number') return { value: val.accuracy, higherIsBetter: true };
  if (typeof val?.r2 === 'number' && Number.isFinite(val.r2)) return { value: val.r2, higherIsBetter: true };
  if (typeof val?.loss === 'number') return { value: val.loss, higherIsBetter: false };
  return { higherIsBetter: true };
}

/** A confusion matrix of a run's final test (else last validation) metrics. */
export function confusionOf(m: Pick<RunMeta, 'summary'>): number[][] | undefined {
  for (const split of ['test', 'val']) {
    const c = (m.summary?.metrics[split] as Record<string, unknown> | undefined)?.confusion;
    if (Array.isArray(c) && c.every((row) => Array.isArray(row))) return c as number[][];
  }
  return undefined;
}

/** A head shared by every name shorter than this is kept: eliding it would save little. */
const MIN_ELIDED_HEAD = 12;

/**
 * Names with their shared head elided, so what tells them apart shows (`RNN vs LSTM on long
 * sequences: the adding problem — RNN, T = 10` → `…RNN, T = 10` beside `…LSTM, T = 100`): the
 * head is cut where the part they differ in starts, and only when every name keeps something
 * after it. The whole name belongs in a tooltip.
 */
export function elideSharedHead(names: readonly string[]): string[] {
  const distinct = [...new Set(names)];
  if (distinct.length < 2) return names.slice();
  let n = 0;
  while (distinct.every((d) => n < d.length && d[n] === distinct[0][n])) n++;
  // Back to the start of the part where they differ (after ` — `, ` · `, `: ` or `, `), else of
  // the word: `…LSTM, T = 100`, `…seed 20`, never `…0`.
  const head = distinct[0].slice(0, n);
  const part = Math.max(...[' — ', ' – ', ' · ', ': ', ', '].map((sep) => { const i = head.lastIndexOf(sep); return i < 0 ? -1 : i + sep.length; }));
  const cut = part >= 0 ? part : head.search(/\s\S*$/) + 1;
  if (cut < MIN_ELIDED_HEAD || distinct.some((d) => d.slice(cut).trim() === '')) return names.slice();
  return names.map((x) => `…${x.slice(cut)}`);
}

/**
 * What tells each run apart in a legend: its name (a head every name shares elided,
 * `elideSharedHead`), and where names repeat, the values of the settings that differ
 * (`sgd · lr 0.01`), else its start time.
 */
export function runLabels(runs: readonly Pick<RunMeta, 'name' | 'settings' | 'createdAt'>[]): string[] {
  const names = elideSharedHead(runs.map((r) => r.name));
  const rows = settingsRows(runs).filter((r) => r.differs && r.key !== 'app version');
  const short = (key: string) => key.replace(/^optimizer\./, '').replace(/^dataset\./, '').replace(/^schedule\./, 'schedule ');
  // Runs of one design (one name) are told apart by what differs alone; the name would only repeat.
  const allSame = runs.every((r) => r.name === runs[0].name);
  const time = (r: Pick<RunMeta, 'createdAt'>) => new Date(r.createdAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const labels = runs.map((r, i) => {
    const same = runs.filter((o) => o.name === r.name).length > 1;
    if (!same) return names[i];
    const parts = rows.map((row) => (short(row.key) === 'kind' ? row.values[i] : `${short(row.key)} ${row.values[i]}`));
    const extra = parts.length ? parts.slice(0, 3).join(' · ') : time(r);
    return allSame ? extra : `${names[i]} · ${extra}`;
  });
  // Still alike (runs that differ only in their design or seed of chance): their start times tell them apart.
  // Long names give way at their head, never mid-number (`fitRunName`).
  return labels.map((l, i) => fitRunName(labels.indexOf(l) !== labels.lastIndexOf(l) && !l.endsWith(time(runs[i])) ? `${l} · ${time(runs[i])}` : l, RUN_LABEL_MAX));
}

/**
 * A run name that fits `max` characters without cutting a number or a setting in half: a sweep
 * run's name ends in what tells it apart (`… · optimizer.lr = 0.0001 · seed 2`), so the name's
 * head (the design's name) gives way first, then whole trailing parts; never mid-part.
 */
export function fitRunName(name: string, max = 48): string {
  if (name.length <= max) return name;
  const parts = name.split(' · ');
  // The parts that tell a sweep's runs apart (`x = v`, `seed n`) are kept whole, as many as fit.
  let tail: string[] = [];
  for (let i = parts.length - 1; i > 0; i--) {
    const next = [parts[i], ...tail];
    if (next.join(' · ').length + 4 > max) break;
    tail = next;
  }
  const rest = tail.length ? max - tail.join(' · ').length - 3 : max;
  const head = parts.slice(0, parts.length - tail.length).join(' · ');
  const cut = head.length <= rest ? head : `${head.slice(0, Math.max(1, rest - 1)).replace(/\s*[-+]?\d[\d.eE+-]*$/, '').trimEnd()}…`;
  return tail.length ? `${cut} · ${tail.join(' · ')}` : cut;
}

/** The x value a tooltip heads its lines with: a whole step, an epoch to 2 decimals, seconds to 1. */
export function tooltipHeader(x: number, axis: XAxis): string {
  if (axis === 'step') return `step ${Math.round(x)}`;
  if (axis === 'epoch') return `epoch ${Number(x.toFixed(2))}`;
  return `${x.toFixed(1)} s`;
}

/**
 * A chart's series as CSV, one row per point (`run,step,value`): what a spreadsheet or pandas
 * reads as it is. Names with commas or quotes are quoted.
 */
export function curvesCsv(xName: string, valueName: string, names: readonly string[], data: readonly (readonly (readonly [number, number])[])[]): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = [`run,${q(xName)},${q(valueName)}`];
  names.forEach((n, i) => {
    for (const [x, y] of data[i] ?? []) rows.push(`${q(n)},${x},${y}`);
  });
  return `${rows.join('\n')}\n`;
}

/** Points a log axis can draw (values above 0). */
export function forLogAxis(points: readonly (readonly [number, number])[]): [number, number][] {
  return points.filter(([, y]) => y > 0).map(([x, y]) => [x, y]);
}

/** The loss ops each compared run minimises (from its stored graph), as `CrossEntropyLoss`, `MSELoss + L1Loss`. */
export function lossKinds(stored: readonly Pick<StoredRun, 'graph' | 'meta'>[]): string[] {
  return stored.map((r) => {
    const g = r.graph as { nodes?: { id: string; op: string }[]; training?: { loss?: string | string[] } } | undefined;
    const ids = g?.training?.loss === undefined ? [] : Array.isArray(g.training.loss) ? g.training.loss : [g.training.loss];
    const ops = ids.map((id) => g?.nodes?.find((n) => n.id === id)?.op ?? id);
    return ops.length ? ops.join(' + ') : '?';
  });
}

/** A warning when the compared runs minimise different losses, whose values one axis cannot compare. */
export function lossMismatch(stored: readonly Pick<StoredRun, 'graph' | 'meta'>[], labels: readonly string[]): string | undefined {
  const kinds = lossKinds(stored);
  const distinct = [...new Set(kinds)];
  if (distinct.length < 2) return undefined;
  const who = distinct.map((k) => `${k} (${labels.filter((_, i) => kinds[i] === k).join(', ')})`);
  return `These runs minimise different losses: ${who.join('; ')}. Their loss values are on different scales; compare their metrics instead.`;
}

/** The labels of a confusion matrix's rows and columns: the run's class names when they fit, else the class indices. */
export function confusionLabels(classNames: readonly string[] | undefined, n: number): string[] {
  return classNames && classNames.length === n ? [...classNames] : Array.from({ length: n }, (_, i) => String(i));
}

/**
 * The compare view's gradient flow drawn as the live one is (charts.ts `gradFlowGeometry`): each
 * layer's ‖∇W‖ as a bar rising from the bottom of a log axis of whole decades, `heights[run][layer]`
 * in decades above `lo` (null: no such layer in that run), a non-finite norm a full bar.
 */
export function gradFlowBars(norms: readonly Map<string, number | null>[]): { layers: string[]; lo: number; hi: number; heights: (number | null)[][]; vanishingTop: number } {
  const layers = [...new Set(norms.flatMap((m) => [...m.keys()]))];
  const all = norms.flatMap((m) => [...m].map(([nodeId, gradNorm]) => ({ nodeId, gradNorm, updateRatio: null, band: 'ok' as const })));
  const g = gradFlowGeometry(all);
  const span = g.hi - g.lo;
  const heights = norms.map((m) =>
    layers.map((l) => {
      if (!m.has(l)) return null;
      const v = m.get(l);
      return v === null || v === undefined ? span : v > 0 ? Math.min(span, Math.max(0, Math.log10(v) - g.lo)) : 0;
    }),
  );
  return { layers, lo: g.lo, hi: g.hi, heights, vanishingTop: g.vanishingTop * span };
}
