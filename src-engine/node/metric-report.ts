/**
 * The reports users expect, as text (#83): scikit-learn's `classification_report` with balanced
 * accuracy and the expected calibration error for a classifier, RMSE, MAE and R² for a regression.
 * `netwright evaluate` and the end of `netwright train` print them; `--json` carries the values.
 */
import type { ClassificationReport, MetricValues, ReportRow } from '../core/metrics';

/** The most classes whose report is printed row by row (`--json` always has them all). */
export const MAX_REPORTED_CLASSES = 50;

/**
 * scikit-learn's `classification_report(digits=3)` layout: a row per class (named by
 * `classNames`, else its index), then accuracy, macro avg and weighted avg.
 *
 * @example
 * ```text
 *               precision    recall  f1-score   support
 *
 *       setosa      1.000     1.000     1.000        10
 *     accuracy                          0.967        30
 * ```
 */
export function classificationReportText(r: ClassificationReport, classNames: readonly string[]): string {
  const names = r.classes.map((_, i) => classNames[i] ?? String(i));
  const width = Math.max('weighted avg'.length, ...names.map((n) => n.length));
  const num = (v: number) => v.toFixed(3).padStart(9);
  const row = (name: string, x: ReportRow) => `${name.padStart(width)} ${num(x.precision)} ${num(x.recall)} ${num(x.f1)} ${String(x.support).padStart(9)}\n`;
  let s = `${''.padStart(width)} ${'precision'.padStart(9)} ${'recall'.padStart(9)} ${'f1-score'.padStart(9)} ${'support'.padStart(9)}\n\n`;
  const shown = Math.min(names.length, MAX_REPORTED_CLASSES);
  for (let c = 0; c < shown; c++) s += row(names[c], r.classes[c]);
  if (shown < names.length) s += `${'…'.padStart(width)} (${names.length - shown} more classes: --json lists them all)\n`;
  s += `\n${'accuracy'.padStart(width)} ${''.padStart(9)} ${''.padStart(9)} ${num(r.accuracy)} ${String(r.macro.support).padStart(9)}\n`;
  s += row('macro avg', r.macro);
  s += row('weighted avg', r.weighted);
  return s;
}

/** The report's lines for `m`: a classifier's table, balanced accuracy and ECE; a regression's RMSE, MAE and R². Empty when it holds none. */
export function metricReportText(m: Partial<MetricValues>, classNames: readonly string[]): string {
  let s = m.report ? classificationReportText(m.report, classNames) : '';
  const line: string[] = [];
  if (m['balanced-accuracy'] !== undefined) line.push(`balanced accuracy ${fixed(m['balanced-accuracy'], 3)}`);
  if (m.ece !== undefined) line.push(`expected calibration error ${fixed(m.ece, 4)} (15 bins)`);
  if (m.rmse !== undefined) line.push(`RMSE ${m.rmse.toPrecision(5)}`);
  if (m.rmse !== undefined && m.mae !== undefined) line.push(`MAE ${m.mae.toPrecision(5)}`);
  if (m.rmse !== undefined && m.r2 !== undefined) line.push(`R² ${fixed(m.r2, 4)}`);
  if (line.length) s += `${line.join('  ')}\n`;
  return s;
}

/** A figure that may be NaN (or null, read back from JSON). */
function fixed(v: number | null, digits: number): string {
  return v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits);
}
