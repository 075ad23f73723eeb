/**
 * What `netwright train` says of the run's split (#83, "Splits the user sees and sets"): how many
 * samples each split holds and, for a classifier, how many of each class (the `--json` start
 * record's `splits`, and a line per split before training); under `--folds`, each fold's test
 * figures and their mean ± sd over the folds.
 */
import { splitCount, type PreparedData, type Samples, type SplitCount } from '../core/data';
import type { FoldSummary } from '../core/metrics/folds';
import type { MetricValues } from '../core/metrics';
import type { Io } from './train-progress';

/** Each split's count, and per class for a classifier: `{ train: { count, perClass? }, val, test }`. */
export function splitCounts(data: PreparedData<Samples>): { train: SplitCount; val: SplitCount; test: SplitCount } {
  return { train: splitCount(data.train), val: splitCount(data.val), test: splitCount(data.test) };
}

/** The most classes a split's line names (the `--json` start record has them all). */
const PRINTED_CLASSES = 12;

/** `  train 84: setosa 28, versicolor 28, virginica 28` for each split of a classifier (nothing for other sets: the counts line says it). */
export function printSplitClasses(io: Io, data: PreparedData<Samples>): void {
  const counts = splitCounts(data);
  for (const [name, c] of [['train', counts.train], ['validation', counts.val], ['test', counts.test]] as const) {
    if (!c.perClass) continue;
    const entries = Object.entries(c.perClass);
    const shown = entries.slice(0, PRINTED_CLASSES).map(([k, v]) => `${k} ${v}`).join(', ');
    io.out(`  ${name} ${c.count}: ${shown}${entries.length > PRINTED_CLASSES ? `, … (${entries.length} classes)` : ''}\n`);
  }
}

/** A fold's baselines' test figures by name then metric (core/metrics/baselines.ts), fitted on the fold's training split. */
export type FoldBaselines = Record<string, Partial<MetricValues>>;

/** One fold's end: a `fold` record under `--json` (with its baselines' test figures), else `fold 2/3: test loss … acc …` and a line of its baselines. */
export function printFold(io: Io, index: number, k: number, e: { reason: string; epochs: number; test?: MetricValues }, summary: (m: Partial<MetricValues>, withLoss?: boolean) => string, baselines?: FoldBaselines): void {
  if (io.json) {
    io.out(JSON.stringify({ type: 'fold', fold: index + 1, k, reason: e.reason, epochs: e.epochs, ...(e.test ? { test: e.test } : {}), ...(baselines ? { baselines } : {}) }) + '\n');
    return;
  }
  const beside = baselines ? `\n  baselines: ${Object.entries(baselines).map(([name, m]) => `${name} ${summary(m, false)}`).join(' · ')}` : '';
  io.out(`fold ${index + 1}/${k}: ${e.reason} after ${e.epochs} epoch${e.epochs === 1 ? '' : 's'}${e.test ? `; test ${summary(e.test)}` : ''}${beside}\n\n`);
}

/**
 * The cross-validation's end: the `done` record with `folds: { k, metrics: { m: { mean, sd, values } } }`
 * and `test` the means, and `baselineFolds` (each baseline's the same way, fitted on each fold's
 * training split); else a line per metric, then each baseline's.
 */
export function printFoldsDone(io: Io, folds: FoldSummary, reason: string, baselines?: Record<string, FoldSummary>): void {
  if (io.json) {
    const test = Object.fromEntries(Object.entries(folds.metrics).map(([m, v]) => [m, v.mean]));
    io.out(JSON.stringify({ type: 'done', reason, folds, test, ...(baselines ? { baselineFolds: baselines } : {}) }) + '\n');
    return;
  }
  io.out(`${folds.k}-fold cross-validation, test metrics (mean ± sd over the folds):\n`);
  const width = Math.max(...Object.keys(folds.metrics).map((m) => m.length), 4);
  for (const [m, v] of Object.entries(folds.metrics)) {
    io.out(`  ${m.padEnd(width)}  ${fmt(v.mean)} ± ${fmt(v.sd)}  (${v.values.map(fmt).join(', ')})\n`);
  }
  if (!baselines) return;
  io.out('baselines, fitted on each fold\'s training split (mean ± sd over the folds):\n');
  for (const [name, b] of Object.entries(baselines)) {
    io.out(`  ${name}: ${Object.entries(b.metrics).map(([m, v]) => `${m} ${fmt(v.mean)} ± ${fmt(v.sd)}`).join(', ')}\n`);
  }
}

const fmt = (x: number) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(4));
