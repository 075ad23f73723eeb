import type { MetricValues } from './accumulator';

/** One metric over the folds of a cross-validation: each fold's test value, their mean and sample standard deviation. */
export interface FoldMetric {
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator): the spread a new fold's figure may be expected to show. */
  sd: number;
  values: number[];
}

/** What `netwright train --folds K` reports (the `--json` done record's `folds`). */
export interface FoldSummary {
  k: number;
  metrics: Record<string, FoldMetric>;
}

/**
 * Each numeric test metric (loss, accuracy, F1, MSE…; not the confusion matrix or per-class lists)
 * over the folds of a cross-validation, in fold order: its values, mean and sample standard
 * deviation. A metric missing from a fold (none is, for one design) is left out.
 *
 * @example foldSummary([{ loss: 0.3, accuracy: 0.9 }, { loss: 0.5, accuracy: 0.8 }]).metrics.accuracy // { mean: 0.85, sd: 0.0707…, values: [0.9, 0.8] }
 */
export function foldSummary(tests: readonly Partial<MetricValues>[]): FoldSummary {
  const names = new Set<string>();
  for (const t of tests) for (const [name, v] of Object.entries(t)) if (typeof v === 'number') names.add(name);
  const metrics: Record<string, FoldMetric> = {};
  for (const name of names) {
    const values = tests.map((t) => (t as Record<string, unknown>)[name]);
    if (!values.every((v): v is number => typeof v === 'number')) continue;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
    metrics[name] = { mean, sd, values };
  }
  return { k: tests.length, metrics };
}
