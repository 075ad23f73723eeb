/**
 * The charts of an evaluation's report (#83 deliverable 5), as echarts options: a classifier's
 * reliability diagram (accuracy per bin of top-label confidence against the diagonal of perfect
 * calibration, scikit-learn's CalibrationDisplay), a regression's predicted-vs-true scatter and its
 * residual plot. Pure: the components draw them with `EChart`.
 */
import { axis, legend, type ChartTheme } from './charts';

/** A reliability diagram's bins as the engine reports them (`MetricValues.reliability`). */
export interface ReliabilityBins {
  count: readonly number[];
  confidence: readonly (number | null)[];
  accuracy: readonly (number | null)[];
}

/** Predicted and true values as the engine reports them (`MetricValues.residuals`). */
export interface ResidualPairs {
  predicted: readonly number[];
  true: readonly number[];
}

/** `0.67–0.73`: bin `i` of `m` equal-width bins of [0, 1]. */
export const binLabel = (i: number, m: number): string => `${(i / m).toFixed(2)}–${((i + 1) / m).toFixed(2)}`;

/**
 * The reliability diagram: a bar per bin for the fraction right, a line for the mean confidence in
 * it, and the bin's centre dashed (where a calibrated model's bars would reach). Empty bins have no bar.
 */
export function reliabilityChartOption(t: ChartTheme, r: ReliabilityBins): Record<string, unknown> {
  const m = r.count.length;
  const labels = r.count.map((_, i) => binLabel(i, m));
  return {
    animation: false,
    grid: { left: 40, right: 12, top: 36, bottom: 40 },
    legend: legend(t),
    tooltip: { trigger: 'axis', confine: true, formatter: (ps: { dataIndex: number }[]) => reliabilityTip(r, ps[0]?.dataIndex ?? 0) },
    xAxis: axis(t, { type: 'category', data: labels, name: 'confidence', nameLocation: 'middle', nameGap: 26, axisLabel: { color: t.muted, fontSize: 9, hideOverlap: true } }),
    // The legend names the bars: no axis name to crowd it.
    yAxis: axis(t, { type: 'value', min: 0, max: 1 }),
    series: [
      { name: 'accuracy', type: 'bar', data: r.accuracy.map((a) => a), barCategoryGap: '10%', color: t.series[0] },
      { name: 'mean confidence', type: 'line', data: r.confidence.map((c) => c), connectNulls: false, symbolSize: 5, color: t.series[1] },
      { name: 'calibrated', type: 'line', data: labels.map((_, i) => (i + 0.5) / m), showSymbol: false, lineStyle: { type: 'dashed', width: 1 }, color: t.muted },
    ],
  };
}

/** A bin's tooltip: its range, how many predictions fell in it, their accuracy and mean confidence. */
export function reliabilityTip(r: ReliabilityBins, i: number): string {
  const n = r.count[i] ?? 0;
  const a = r.accuracy[i];
  const c = r.confidence[i];
  return `confidence ${binLabel(i, r.count.length)}: ${n.toLocaleString()} prediction${n === 1 ? '' : 's'}${a !== null && c !== null && a !== undefined && c !== undefined ? `, ${(100 * a).toFixed(1)} % right at ${(100 * c).toFixed(1)} % confidence` : ''}`;
}

/**
 * The axes' bounds (and the diagonal's ends): the smallest and largest of the true and predicted
 * values, widened to multiples of half a power of ten below their range (5.4–372.7 → 0–400), so
 * both axes are the same and their end labels round.
 */
export function extent(p: ResidualPairs): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of [...p.true, ...p.predicted]) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) return Number.isFinite(lo) ? [lo - 1, lo + 1] : [0, 1];
  const step = 5 * 10 ** (Math.floor(Math.log10(hi - lo)) - 1);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

/** Predicted against true values, one point each, with the line where they are equal. */
export function predictedVsTrueOption(t: ChartTheme, p: ResidualPairs): Record<string, unknown> {
  const [lo, hi] = extent(p);
  return {
    animation: false,
    grid: { left: 48, right: 12, top: 12, bottom: 36 },
    tooltip: { trigger: 'item', confine: true },
    xAxis: axis(t, { type: 'value', name: 'true', nameLocation: 'middle', nameGap: 22, min: lo, max: hi, axisLabel: { color: t.muted, fontSize: 10, hideOverlap: true, formatter: short } }),
    yAxis: axis(t, { type: 'value', name: 'predicted', min: lo, max: hi, axisLabel: { color: t.muted, fontSize: 10, hideOverlap: true, formatter: short } }),
    series: [
      { name: 'predicted = true', type: 'line', data: [[lo, lo], [hi, hi]], showSymbol: false, lineStyle: { type: 'dashed', width: 1 }, color: t.muted },
      { name: 'samples', type: 'scatter', data: p.true.map((v, i) => [v, p.predicted[i]]), symbolSize: 4, color: t.series[0], large: true },
    ],
  };
}

/** Residuals (predicted − true) against the predicted value, with the zero line. */
export function residualOption(t: ChartTheme, p: ResidualPairs): Record<string, unknown> {
  const [lo, hi] = extent(p);
  return {
    animation: false,
    grid: { left: 48, right: 12, top: 12, bottom: 36 },
    tooltip: { trigger: 'item', confine: true },
    xAxis: axis(t, { type: 'value', name: 'predicted', nameLocation: 'middle', nameGap: 22, min: lo, max: hi, axisLabel: { color: t.muted, fontSize: 10, hideOverlap: true, formatter: short } }),
    yAxis: axis(t, { type: 'value', name: 'residual', axisLabel: { color: t.muted, fontSize: 10, hideOverlap: true, formatter: short } }),
    series: [
      { name: 'zero', type: 'line', data: [[lo, 0], [hi, 0]], showSymbol: false, lineStyle: { type: 'dashed', width: 1 }, color: t.muted },
      { name: 'samples', type: 'scatter', data: p.predicted.map((v, i) => [v, v - p.true[i]]), symbolSize: 4, color: t.series[1], large: true },
    ],
  };
}

/** An axis label of at most 4 significant figures. */
function short(v: number): string {
  return Number(v.toPrecision(4)).toString();
}
