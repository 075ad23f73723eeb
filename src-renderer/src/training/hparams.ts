import type { ChartTheme } from './charts';
import { IMPLIED, settingsRows, type RunMeta } from './compare';
import { settingOverRun } from './settings-history';
import { higherIsBetter } from './sweep';

/**
 * One column of the hyperparameter table (TensorBoard's HParams, W&B's runs table): a setting
 * (`optimizer.lr`, `batchSize`, a swept attribute) or a result (`val.accuracy`, `test.loss`,
 * steps, seconds).
 */
export interface HparamColumn {
  key: string;
  kind: 'setting' | 'result';
  /** Whether every run's value is a number (a value axis; else categories). */
  numeric: boolean;
}

/** The settings always shown, differing or not (what people tune first). */
const ALWAYS = ['optimizer.kind', 'optimizer.lr', 'batchSize', 'epochs'];
const RESULTS = ['val.accuracy', 'val.loss', 'test.accuracy', 'test.loss', 'val.mse', 'test.mse', 'val.psnr', 'test.psnr', 'steps', 'seconds'];

/** A run's value in a column: a setting (its first value, a changed one's too: see `hparamText`), a result, or undefined. */
export function hparamValue(run: RunMeta, key: string): number | string | undefined {
  if (key === 'steps') return run.summary?.steps;
  if (key === 'seconds') return run.summary?.seconds;
  if (key === 'sweep') return run.sweep ? run.sweep.value : undefined;
  const [head, ...rest] = key.split('.');
  if ((head === 'val' || head === 'test' || head === 'train') && rest.length === 1) {
    const v = (run.summary?.metrics[head] as Record<string, unknown> | undefined)?.[rest[0]];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }
  const v = key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), run.settings.training) ?? IMPLIED[key];
  return typeof v === 'number' || typeof v === 'string' ? v : typeof v === 'boolean' ? String(v) : undefined;
}

/** A cell's text: numbers to 4 significant digits, a setting changed mid-run as its history. */
export function hparamText(run: RunMeta, key: string): string {
  const v = hparamValue(run, key);
  const changed = settingOverRun(v, key, run.summary?.settingsHistory);
  if (changed) return changed;
  if (v === undefined) return '–';
  if (typeof v !== 'number') return v;
  if (key === 'seconds') return v.toFixed(1);
  return Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

/**
 * Settings that name things rather than tune them: a data file's path and fingerprint, ids, the
 * loss output's node id. Runs of different projects differ on all of them; none is a hyperparameter.
 */
const IDENTITY = /(^|\.)(path|paths|file|files|folder|dir|fingerprint|hash|sha256|url|id|ids|runId|loss)$/;
/** A value that is an id or a digest (`9f86d081884c7d65…`), not a setting's value. */
const looksLikeId = (v: string) => /^[0-9a-f]{12,}$/i.test(v) || /^[0-9a-f-]{32,}$/i.test(v);

/**
 * The table's columns for these runs: the usual settings, every other scalar setting on which
 * they differ (a sweep's variable among them) but those that name things (paths, digests, ids),
 * then the results any of them has.
 */
export function hparamColumns(runs: readonly RunMeta[]): HparamColumn[] {
  const differing = settingsRows(runs)
    .filter((r) => r.differs && r.key !== 'app version' && r.key !== 'backend' && !IDENTITY.test(r.key) && !r.values.some((v) => v.startsWith('[') || v.startsWith('{') || looksLikeId(v)))
    .map((r) => r.key);
  const settings = [...new Set([...ALWAYS, ...differing])].filter((k) => runs.some((r) => hparamValue(r, k) !== undefined));
  const results = RESULTS.filter((k) => runs.some((r) => hparamValue(r, k) !== undefined));
  const col = (key: string, kind: HparamColumn['kind']): HparamColumn => ({ key, kind, numeric: runs.every((r) => { const v = hparamValue(r, key); return v === undefined || typeof v === 'number'; }) });
  return [...settings.map((k) => col(k, 'setting')), ...results.map((k) => col(k, 'result'))];
}

/** The most setting axes the parallel coordinates draw: more and their names overlap at 1280 px. */
export const MAX_PARALLEL_SETTINGS = 7;

/**
 * The columns the parallel coordinates draw: the settings on which the runs differ (an axis
 * where every line meets says nothing), at most `MAX_PARALLEL_SETTINGS` of them — the usual
 * ones first, then numbers, then names with few values (a name per run tells nothing an axis
 * can show) — and up to `results` validation and test results.
 */
export function parallelColumns(runs: readonly RunMeta[], columns: readonly HparamColumn[], results = 3): HparamColumn[] {
  const distinct = (c: HparamColumn) => new Set(runs.map((r) => String(hparamValue(r, c.key)))).size;
  const rank = (c: HparamColumn) => (ALWAYS.includes(c.key) ? 0 : c.numeric ? 1 : 2);
  const settings = columns
    .filter((c) => c.kind === 'setting' && distinct(c) > 1 && (c.numeric || distinct(c) <= Math.max(2, runs.length / 2)))
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i)
    .slice(0, MAX_PARALLEL_SETTINGS)
    .sort((a, b) => a.i - b.i)
    .map(({ c }) => c);
  return [...settings, ...columns.filter((c) => c.kind === 'result' && /^(val|test)\./.test(c.key)).slice(0, results)];
}

/** Whether a bigger value of a result column is better (accuracy, psnr) or a smaller (loss, mse, seconds). */
export function columnHigherIsBetter(key: string): boolean {
  if (key === 'seconds') return false;
  const metric = key.split('.').pop()!;
  return higherIsBetter(metric);
}

/** The runs sorted by a column, `desc` or `asc`; runs without a value always last. Numbers by value, the rest by text. */
export function sortByColumn(runs: readonly RunMeta[], key: string, dir: 'asc' | 'desc'): RunMeta[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...runs].sort((a, b) => {
    const x = hparamValue(a, key);
    const y = hparamValue(b, key);
    if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? 0 : 1) : -1;
    if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
    return sign * String(x).localeCompare(String(y));
  });
}

/**
 * The parallel-coordinates chart (echarts `parallel` series): one axis per column (a log axis for
 * a positive setting spanning 100× or more, categories for names), one line per run, coloured
 * from grey (worst) to the accent (best) by `colourBy`, so the settings of the good runs stand out.
 */
export function parallelOption(t: ChartTheme, runs: readonly RunMeta[], columns: readonly HparamColumn[], names: readonly string[], colourBy: string | undefined): Record<string, unknown> {
  const axes = columns.map((c, dim) => {
    const values = runs.map((r) => hparamValue(r, c.key)).filter((v) => v !== undefined);
    const nums = values.filter((v): v is number => typeof v === 'number');
    const log = c.numeric && c.kind === 'setting' && nums.length > 1 && nums.every((v) => v > 0) && Math.max(...nums) / Math.min(...nums) >= 100;
    const base = { dim, name: axisName(c.key), nameLocation: 'end', nameGap: 10, nameTextStyle: { color: t.text, fontSize: 10 }, axisLabel: { color: t.muted, fontSize: 9, hideOverlap: true }, axisLine: { lineStyle: { color: t.muted } } };
    return c.numeric ? { ...base, type: log ? 'log' : 'value', scale: true } : { ...base, type: 'category', data: [...new Set(values.map(String))] };
  });
  const score = colourBy ? runs.map((r) => hparamValue(r, colourBy)) : [];
  const nums = score.filter((v): v is number => typeof v === 'number');
  const [lo, hi] = nums.length ? [Math.min(...nums), Math.max(...nums)] : [0, 1];
  const up = colourBy ? columnHigherIsBetter(colourBy) : true;
  const colour = (i: number) => {
    const v = score[i];
    if (typeof v !== 'number') return t.grid;
    const f = hi > lo ? (v - lo) / (hi - lo) : 1;
    return mix(t.muted, t.accent, up ? f : 1 - f);
  };
  return {
    animation: false,
    parallel: { left: 40, right: 60, top: 36, bottom: 16 },
    parallelAxis: axes,
    tooltip: { confine: true, trigger: 'item', formatter: (p: { dataIndex: number }) => names[p.dataIndex] ?? '' },
    series: [
      {
        type: 'parallel',
        lineStyle: { width: 2, opacity: 0.85 },
        emphasis: { lineStyle: { width: 4, opacity: 1 } },
        data: runs.map((r, i) => ({
          name: names[i],
          value: columns.map((c) => {
            const v = hparamValue(r, c.key);
            return v === undefined ? null : c.numeric ? v : String(v);
          }),
          lineStyle: { color: colour(i) },
        })),
      },
    ],
  };
}

/** A short axis name: `lr`, `samples`, `val accuracy` (the table's heading has the whole key). */
export function axisName(key: string): string {
  return key.replace(/^optimizer\./, '').replace(/^dataset\.options\./, '').replace(/^dataset\./, 'dataset ').replace(/^schedule\./, 'schedule ').replace(/\./g, ' ');
}

/** `a` and `b` (#rrggbb) mixed, `f` of the way to `b`. */
function mix(a: string, b: string, f: number): string {
  const p = (c: string, i: number) => parseInt(c.slice(1 + 2 * i, 3 + 2 * i), 16);
  const ch = (i: number) => Math.round(p(a, i) + (p(b, i) - p(a, i)) * Math.min(1, Math.max(0, f)))
    .toString(16)
    .padStart(2, '0');
  return `#${ch(0)}${ch(1)}${ch(2)}`;
}
