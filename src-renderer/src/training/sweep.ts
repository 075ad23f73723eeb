import { type GraphIR, getOp, isGraphInput } from '../../../src-engine/facade';
import type { SweepSpec } from '../../../src-engine/protocol';
import type { RunMeta } from './compare';

/** Something a sweep can vary: a node's numeric attribute, or a training setting. */
export interface SweepTarget {
  key: string;
  label: string;
  over: SweepSpec['over'];
  /** Whether its values are numbers (else names, e.g. an optimizer). */
  numeric: boolean;
  /** The design's current value, as a hint. */
  current?: number | string;
}

const SETTINGS: { setting: Extract<SweepSpec['over'], { kind: 'setting' }>['setting']; label: string; numeric: boolean }[] = [
  { setting: 'optimizer.lr', label: 'learning rate', numeric: true },
  { setting: 'optimizer.kind', label: 'optimizer', numeric: false },
  { setting: 'optimizer.weightDecay', label: 'weight decay', numeric: true },
  { setting: 'batchSize', label: 'batch size', numeric: true },
  { setting: 'epochs', label: 'epochs', numeric: true },
  { setting: 'seed', label: 'seed', numeric: true },
];

/** What a sweep of this design can vary: the settings, then every numeric attribute of every layer. */
export function sweepTargets(graph: GraphIR): SweepTarget[] {
  const t = graph.training as unknown as Record<string, unknown> | undefined;
  const get = (path: string) => path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), t);
  const out: SweepTarget[] = SETTINGS.map((s) => {
    const v = get(s.setting);
    return { key: `setting:${s.setting}`, label: s.label, over: { kind: 'setting', setting: s.setting }, numeric: s.numeric, ...(typeof v === 'number' || typeof v === 'string' ? { current: v } : {}) };
  });
  for (const n of graph.nodes) {
    const def = getOp(n.op);
    if (!def || isGraphInput(n)) continue;
    for (const [attr, spec] of Object.entries(def.attrs)) {
      if (spec.kind !== 'int' && spec.kind !== 'float') continue;
      const v = Object.hasOwn(n.attrs, attr) ? n.attrs[attr] : spec.default;
      out.push({ key: `attr:${n.id}:${attr}`, label: `${n.id} · ${attr}`, over: { kind: 'attr', nodeId: n.id, attr }, numeric: true, ...(typeof v === 'number' ? { current: v } : {}) });
    }
  }
  return out;
}

/** The values typed into the sweep form (`8, 16, 32` or `adam sgd`), or why they cannot be used. */
export function parseSweepValues(text: string, numeric: boolean): (number | string)[] | { error: string } {
  const parts = text
    .split(/[\s,;]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) return { error: 'Give at least one value, e.g. 8, 16, 32.' };
  if (parts.length > 50) return { error: 'At most 50 values per sweep.' };
  if (!numeric) return parts;
  const values = parts.map(Number);
  const bad = parts.find((_, i) => !Number.isFinite(values[i]));
  return bad === undefined ? values : { error: `"${bad}" is not a number.` };
}

/** The sweeps among stored runs: by sweep id, newest first, each with its runs in sweep order. */
export function sweepGroups(runs: readonly RunMeta[]): { id: string; over: string; runs: RunMeta[]; total: number }[] {
  const by = new Map<string, RunMeta[]>();
  for (const r of runs) if (r.sweep) by.set(r.sweep.id, [...(by.get(r.sweep.id) ?? []), r]);
  return [...by.entries()]
    .map(([id, rs]) => ({ id, over: rs[0].sweep!.over, total: rs[0].sweep!.total, runs: rs.sort((a, b) => a.sweep!.index - b.sweep!.index) }))
    .sort((a, b) => (a.runs[0].createdAt < b.runs[0].createdAt ? 1 : -1));
}

/** Metrics where a lower value is better (losses and errors). */
const LOWER_IS_BETTER = new Set(['loss', 'mse', 'mae']);

/** Whether a higher value of `metric` is better (accuracy, psnr, r2, f1…) or a lower one (loss, mse, mae). */
export function higherIsBetter(metric: string): boolean {
  return !LOWER_IS_BETTER.has(metric);
}

/** A split's number `metric` of a run's summary. */
function summaryValue(r: RunMeta, split: 'val' | 'test', metric: string): number | undefined {
  const v = (r.summary?.metrics[split] as Record<string, unknown> | undefined)?.[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * The validation metrics a sweep's runs report, the most telling first: what a sweep is ranked
 * by. Never the test split's (picking by test would make the test figure a selection score,
 * not an estimate).
 */
export function sweepMetrics(runs: readonly RunMeta[]): string[] {
  const names = new Set<string>();
  for (const r of runs) for (const [k, v] of Object.entries((r.summary?.metrics.val ?? {}) as Record<string, unknown>)) if (typeof v === 'number') names.add(k);
  const order = ['mean-iou', 'accuracy', 'mse', 'psnr', 'loss', 'f1', 'mae', 'r2'];
  return [...names].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
}

/** One swept value's results: validation `metric` (mean, min, max over its seeds), its rank by it (1: best), and the test figure for reference. */
export interface SweepRow {
  value: number | string;
  n: number;
  mean: number;
  min: number;
  max: number;
  rank: number;
  /** The mean test value of the same metric, shown beside; never used to rank. */
  test?: number;
}

/**
 * One row per swept value, in value order: validation `metric`'s mean, min and max over the
 * value's runs (seeds), ranked by the validation mean (1: best, by the metric's direction; a tie
 * by the validation loss), with the test mean beside it for reference.
 */
export function sweepResults(runs: readonly RunMeta[], metric: string): SweepRow[] {
  const by = new Map<string, { value: number | string; xs: number[]; tests: number[]; losses: number[] }>();
  for (const r of runs) {
    const v = summaryValue(r, 'val', metric);
    if (!r.sweep || v === undefined) continue;
    const key = String(r.sweep.value);
    const e = by.get(key) ?? { value: r.sweep.value, xs: [], tests: [], losses: [] };
    e.xs.push(v);
    const l = summaryValue(r, 'val', 'loss');
    if (l !== undefined) e.losses.push(l);
    const t = summaryValue(r, 'test', metric);
    if (t !== undefined) e.tests.push(t);
    by.set(key, e);
  }
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const entries = [...by.values()];
  const rows: SweepRow[] = entries.map(({ value, xs, tests }) => ({ value, n: xs.length, mean: mean(xs), min: Math.min(...xs), max: Math.max(...xs), rank: 0, ...(tests.length ? { test: mean(tests) } : {}) }));
  // Ties (two rates both at 83.33 % of a small validation split) go to the lower validation loss.
  const loss = new Map(rows.map((r, i) => [r, entries[i].losses.length ? mean(entries[i].losses) : Infinity]));
  const up = higherIsBetter(metric);
  [...rows].sort((a, b) => (up ? b.mean - a.mean : a.mean - b.mean) || loss.get(a)! - loss.get(b)!).forEach((r, i) => (r.rank = i + 1));
  return rows.sort((a, b) => (typeof a.value === 'number' && typeof b.value === 'number' ? a.value - b.value : String(a.value).localeCompare(String(b.value))));
}
