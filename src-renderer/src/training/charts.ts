import type { DecisionBoundary, Histogram, ProbeFrame } from '../../../src-engine/protocol';
import type { DistributionPoint, Point } from './model';
import { characterGlyph, taskOf, type Task } from '../../../src-engine/facade';

/** Gradient norms above this are exploding (the engine's HEALTH_EXPLODING_GRAD rule). */
export const EXPLODING_GRAD = 1e3;
/** A layer's gradient below this fraction of the largest non-exploding one is vanishing (HEALTH_VANISHING_GRAD). */
export const VANISHING_RATIO = 1e-4;

/** `frozen`: a frozen layer (fine-tuning), not trained and given no gradient: neither healthy nor vanishing. */
export type GradBand = 'vanishing' | 'ok' | 'exploding' | 'nonfinite' | 'frozen';

/** One bar of the gradient-flow chart: a parameterized layer and the norm of its weight gradient. */
export interface GradBar {
  nodeId: string;
  /** ‖∇W‖ of the layer's parameters together (√Σ of the squared per-tensor norms); null when not finite. */
  gradNorm: number | null;
  /** Mean ‖ΔW‖/‖W‖ of its tensors. */
  updateRatio: number | null;
  band: GradBand;
}

/**
 * Gradient flow per parameterized layer, in the frame's (topological) order, with each layer
 * placed in a band: vanishing (< 1e-4 of the largest finite, non-exploding norm), exploding
 * (> 1e3) or ok — or frozen, for a layer fine-tuning does not train (its norm plays no part in
 * the others' bands).
 */
export function gradientFlow(frame: ProbeFrame | undefined): GradBar[] {
  if (!frame) return [];
  const byNode = new Map<string, { sq: number; bad: boolean; ratio: number; n: number; frozen: boolean }>();
  for (const p of frame.params) {
    const e = byNode.get(p.nodeId) ?? { sq: 0, bad: false, ratio: 0, n: 0, frozen: p.frozen === true };
    if (p.gradNorm === null || !Number.isFinite(p.gradNorm)) e.bad = true;
    else e.sq += p.gradNorm * p.gradNorm;
    if (p.updateRatio !== null) {
      e.ratio += p.updateRatio;
      e.n++;
    }
    byNode.set(p.nodeId, e);
  }
  const bars = [...byNode].map(([nodeId, e]): GradBar => ({ nodeId, gradNorm: e.bad ? null : Math.sqrt(e.sq), updateRatio: e.n ? e.ratio / e.n : null, band: e.frozen ? 'frozen' : 'ok' }));
  const healthy = bars.map((b) => (b.band === 'frozen' ? null : b.gradNorm)).filter((g): g is number => g !== null && g <= EXPLODING_GRAD);
  const top = healthy.length ? Math.max(...healthy) : 0;
  for (const b of bars) {
    if (b.band === 'frozen') continue;
    if (b.gradNorm === null) b.band = 'nonfinite';
    else if (b.gradNorm > EXPLODING_GRAD) b.band = 'exploding';
    else if (top > 0 && b.gradNorm < VANISHING_RATIO * top) b.band = 'vanishing';
  }
  return bars;
}

/** Theme colours the charts use (read from the CSS variables of the app's theme). */
export interface ChartTheme {
  text: string;
  muted: string;
  grid: string;
  accent: string;
  series: readonly string[];
  ok: string;
  warn: string;
  bad: string;
}

export const LIGHT: ChartTheme = { text: '#1d2330', muted: '#6b7385', grid: '#dde1e7', accent: '#3366ff', series: ['#3366ff', '#e6861b', '#1f9d55', '#8e44ad', '#d64545'], ok: '#1f9d55', warn: '#d48806', bad: '#d64545' };
export const DARK: ChartTheme = { ...LIGHT, text: '#e3e6ec', muted: '#8d95a5', grid: '#2c323d', accent: '#6d8dff', series: ['#6d8dff', '#f0a04b', '#3fbf7f', '#b57bd6', '#f06b6b'] };

/** An axis in the theme's colours (`extra`: its type, name, bounds). */
export const axis = (t: ChartTheme, extra: Record<string, unknown> = {}) => ({
  axisLine: { lineStyle: { color: t.grid } },
  axisLabel: { color: t.muted, fontSize: 10, hideOverlap: true },
  splitLine: { lineStyle: { color: t.grid } },
  nameTextStyle: { color: t.muted, fontSize: 10 },
  ...extra,
});

/**
 * The legend: every name in sight, wrapped onto up to three rows when the chart is narrow (the
 * dock at 1280 px gives each chart ~210 px: a one-line paged legend showed "batch loss, tra… 1/3").
 * Charts leave LEGEND_ROOM above the plot for it.
 */
export const legend = (t: ChartTheme) => ({ type: 'plain', top: 4, left: 4, right: 4, itemGap: 6, itemWidth: 16, itemHeight: 8, textStyle: { color: t.muted, fontSize: 10, lineHeight: 12 } });
/** Three legend rows (18 px each with their gaps), and room for the top axis label above the plot. */
const LEGEND_ROOM = 72;

/** Loss curves by step (train epoch mean, batch) and validation loss by epoch (placed at that epoch's last step). */
export function lossChartOption(
  t: ChartTheme,
  s: { loss: readonly Point[]; batchLoss: readonly Point[]; valLoss: readonly Point[]; stepsPerEpoch?: number; logScale?: boolean },
): Record<string, unknown> {
  const spe = s.stepsPerEpoch ?? 0;
  return {
    animation: false,
    grid: { left: 48, right: 12, top: LEGEND_ROOM, bottom: 24 },
    legend: legend(t),
    tooltip: { trigger: 'axis', confine: true },
    xAxis: axis(t, { type: 'value', name: 'step', min: 0, nameLocation: 'end', nameGap: 4 }),
    yAxis: axis(t, { type: s.logScale ? 'log' : 'value', scale: true }),
    series: [
      // Every step's loss: thousands of points, drawn min/max-downsampled to the plot's pixels (spikes stay).
      { name: 'batch loss', type: 'line', showSymbol: false, sampling: 'minmax', data: s.batchLoss, lineStyle: { width: 1, opacity: 0.35 }, color: t.series[0] },
      { name: 'train loss (epoch mean)', type: 'line', showSymbol: false, data: s.loss, lineStyle: { width: 2 }, color: t.series[0] },
      { name: 'val loss', type: 'line', data: s.valLoss.map(([e, v]) => [e * spe, v]), symbolSize: 6, color: t.series[1] },
    ],
  };
}

/**
 * The learning-rate finder's curve (docs/trainer.md, "Finding a learning rate"): each step's loss
 * faint and the smoothed loss against the rate on a log axis, the suggested rate marked on the
 * smoothed curve. The loss axis stops at 4× the smoothed minimum, so the divergence at the end
 * does not flatten the part that matters.
 */
export function lrFinderChartOption(t: ChartTheme, f: { lrs: readonly number[]; losses: readonly (number | null)[]; smoothed: readonly (number | null)[]; suggestion: number | null }): Record<string, unknown> {
  const smooth = f.lrs.map((lr, i) => [lr, f.smoothed[i]] as const).filter((p): p is readonly [number, number] => p[1] !== null);
  // From 0 (or below, for a loss that goes negative) to 4× the smoothed minimum.
  const low = Math.min(0, ...f.losses.filter((x): x is number => x !== null));
  const high = smooth.length ? 4 * Math.min(...smooth.map((p) => p[1])) : undefined;
  const at = f.suggestion === null ? -1 : f.lrs.indexOf(f.suggestion);
  const mark = at >= 0 && f.smoothed[at] !== null ? [[f.suggestion, f.smoothed[at]]] : [];
  return {
    animation: false,
    grid: { left: 48, right: 16, top: 28, bottom: 40 },
    legend: legend(t),
    tooltip: { trigger: 'axis', confine: true, valueFormatter: (v: unknown) => (typeof v === 'number' ? v.toPrecision(4) : String(v)) },
    xAxis: axis(t, { type: 'log', name: 'learning rate', nameLocation: 'middle', nameGap: 24, min: f.lrs[0], max: f.lrs[f.lrs.length - 1], axisLabel: { color: t.muted, fontSize: 10, hideOverlap: true, formatter: rateLabel } }),
    // The top of the loss axis is 4× the minimum, rarely a tick: its label ("3.1") would sit on the last tick's ("3").
    yAxis: axis(t, { type: 'value', min: Number(low.toPrecision(2)), ...(high !== undefined && Number.isFinite(high) && high > low ? { max: Number(high.toPrecision(2)), axisLabel: { color: t.muted, fontSize: 10, hideOverlap: true, showMaxLabel: false } } : {}) }),
    series: [
      { name: 'loss', type: 'line', showSymbol: false, data: f.lrs.map((lr, i) => [lr, f.losses[i]]), lineStyle: { width: 1, opacity: 0.35 }, color: t.series[0] },
      { name: 'smoothed loss', type: 'line', showSymbol: false, data: smooth, lineStyle: { width: 2 }, color: t.series[0] },
      {
        name: 'suggested',
        type: 'line',
        data: mark,
        symbol: 'circle',
        symbolSize: 10,
        color: t.series[1],
        label: { show: true, position: 'top', color: t.text, fontSize: 11, formatter: () => (f.suggestion === null ? '' : `suggested ${rateLabel(f.suggestion)}`) },
      },
    ],
  };
}

/**
 * What a chart saved as a PNG adds to the chart on screen, where the legend is HTML beside it and
 * the axes are read from the panel: `show` (merged before the image is taken) puts a legend of
 * every series (each run's label, in its colour) under the title and names both axes; `hide`
 * (merged after) puts the chart back as it was.
 *
 * @example
 * ```ts
 * const { show, hide } = exportedChartPatch(option, 'loss');
 * chart.setOption(show); const url = chart.getDataURL(); chart.setOption(hide);
 * ```
 */
export function exportedChartPatch(t: ChartTheme, option: Record<string, unknown>, yName: string): { show: Record<string, unknown>; hide: Record<string, unknown> } {
  const series = (option.series as { name?: string }[] | undefined) ?? [];
  const grid = (option.grid as { top?: number; left?: number } | undefined) ?? {};
  const x = (option.xAxis as { name?: string } | undefined) ?? {};
  const top = grid.top ?? 24;
  const left = grid.left ?? 52;
  return {
    show: {
      legend: { show: true, type: 'plain', top: top - 2, left: left, right: 14, itemWidth: 14, itemHeight: 8, textStyle: { color: t.text, fontSize: 10 }, data: series.map((s) => s.name ?? '') },
      grid: { top: top + 18 * Math.ceil(series.length / 3), left: left + 14 },
      xAxis: { name: x.name || 'step', nameLocation: 'middle', nameGap: 18 },
      yAxis: { name: yName, nameLocation: 'middle', nameGap: left - 10, nameTextStyle: { color: t.muted, fontSize: 10 } },
    },
    hide: { legend: { show: false }, grid: { top, left }, xAxis: { name: x.name ?? '' }, yAxis: { name: '' } },
  };
}

/**
 * A learning-rate axis label: two significant digits, so neighbouring ticks never read the same
 * (0.0015 and 0.002 were both "2e-3"), and 0 as `0`.
 */
export const rateLabel = (v: number): string => (v === 0 ? '0' : Number(v.toPrecision(2)).toExponential());

/**
 * The headline metric per epoch (train and validation), the training batches' metric so far in
 * each epoch by step (`stepMetric`: a one-epoch run has a curve too), and the learning rate by
 * step on a second axis.
 */
export function metricChartOption(t: ChartTheme, s: { trainMetric: readonly Point[]; valMetric: readonly Point[]; stepMetric?: readonly Point[]; lr: readonly Point[]; metricName?: string; stepsPerEpoch?: number }): Record<string, unknown> {
  const spe = s.stepsPerEpoch ?? 0;
  const name = s.metricName ?? 'metric';
  return {
    animation: false,
    grid: { left: 48, right: 56, top: LEGEND_ROOM, bottom: 24 },
    legend: legend(t),
    tooltip: { trigger: 'axis', confine: true },
    xAxis: axis(t, { type: 'value', name: 'step', min: 0 }),
    yAxis: [axis(t, { type: 'value', scale: true }), axis(t, { type: 'value', name: 'lr', nameGap: 6, splitLine: { show: false }, axisLabel: { color: t.muted, fontSize: 10, formatter: rateLabel } })],
    series: [
      { name: `train ${name} (epoch so far)`, type: 'line', showSymbol: false, data: s.stepMetric ?? [], lineStyle: { width: 1, opacity: 0.5 }, color: t.series[0] },
      { name: `train ${name}`, type: 'line', data: s.trainMetric.map(([e, v]) => [e * spe, v]), color: t.series[0] },
      { name: `val ${name}`, type: 'line', data: s.valMetric.map(([e, v]) => [e * spe, v]), color: t.series[1] },
      { name: 'lr', type: 'line', yAxisIndex: 1, showSymbol: false, step: 'end', data: s.lr, lineStyle: { type: 'dashed', width: 1 }, color: t.series[2] },
    ],
  };
}

/** A GAN's two players: each group's batch loss by step, and D(x) / D(G(z)) (0–1) on a second axis. */
export function ganChartOption(t: ChartTheme, s: { groupLoss: Readonly<Record<string, readonly Point[]>>; dReal: readonly Point[]; dFake: readonly Point[] }): Record<string, unknown> {
  const groups = Object.entries(s.groupLoss);
  return {
    animation: false,
    grid: { left: 40, right: 32, top: LEGEND_ROOM, bottom: 24 },
    // Four short names: tighter than the default legend so all four fit a narrow dock.
    legend: { ...legend(t), itemGap: 6, itemWidth: 14 },
    tooltip: { trigger: 'axis', confine: true },
    xAxis: axis(t, { type: 'value', name: 'step', min: 0 }),
    yAxis: [axis(t, { type: 'value', scale: true }), axis(t, { type: 'value', min: 0, max: 1, splitLine: { show: false } })],
    series: [
      ...groups.map(([name, data], i) => ({ name: `${name === 'discriminator' ? 'D' : name === 'generator' ? 'G' : name} loss`, type: 'line', showSymbol: false, data, lineStyle: { width: 1.5 }, color: t.series[i % 2] })),
      { name: 'D(x)', type: 'line', yAxisIndex: 1, showSymbol: false, data: s.dReal, lineStyle: { type: 'dashed', width: 1.5 }, color: t.series[2] },
      { name: 'D(G(z))', type: 'line', yAxisIndex: 1, showSymbol: false, data: s.dFake, lineStyle: { type: 'dashed', width: 1.5 }, color: t.series[4] },
    ],
  };
}

/** The gradient-flow chart's geometry: a log-scale bar per layer, with the vanishing and exploding ranges shaded. */
export interface GradFlowGeometry {
  /** The y axis runs from 10^lo (bottom) to 10^hi (top). */
  lo: number;
  hi: number;
  /** Per layer, in frame order: the bar's height as a fraction of the plot (0..1) and its band. */
  bars: { nodeId: string; gradNorm: number | null; band: GradBand; frac: number }[];
  /** Top of the shaded vanishing range (0..1 from the bottom); the range starts at the bottom. */
  vanishingTop: number;
  /** Bottom of the shaded exploding range (0..1 from the bottom), or undefined when the axis stops below it. */
  explodingBottom?: number;
  /** Decade exponents to label and rule (at most 6, evenly spaced). */
  ticks: number[];
}

/**
 * Gradient flow as a log-scale bar chart: the axis spans whole decades from below the vanishing
 * threshold (1e-4 of the largest healthy norm) to above the largest bar; a non-finite norm is
 * drawn as a full bar in the exploding range.
 */
export function gradFlowGeometry(bars: readonly GradBar[]): GradFlowGeometry {
  const finite = bars.map((b) => (b.band === 'frozen' ? null : b.gradNorm)).filter((g): g is number => g !== null && g > 0);
  const healthy = finite.filter((g) => g <= EXPLODING_GRAD);
  const top = healthy.length ? Math.max(...healthy) : 1;
  const vanish = top * VANISHING_RATIO;
  const lo = Math.floor(Math.log10(Math.min(vanish, ...finite)));
  const bad = bars.some((b) => b.gradNorm === null && b.band !== 'frozen');
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(top, ...finite))), bad ? Math.log10(EXPLODING_GRAD) + 1 : -Infinity);
  const frac = (v: number) => Math.min(1, Math.max(0, (Math.log10(v) - lo) / (hi - lo)));
  const step = Math.ceil((hi - lo) / 5);
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e += step) ticks.push(e);
  return {
    lo,
    hi,
    // A frozen layer is drawn as a full-height muted column: "not trained", not a tiny gradient.
    bars: bars.map((b) => ({ nodeId: b.nodeId, gradNorm: b.gradNorm, band: b.band, frac: b.gradNorm === null || b.band === 'frozen' ? 1 : b.gradNorm > 0 ? frac(b.gradNorm) : 0 })),
    vanishingTop: frac(vanish),
    explodingBottom: hi > Math.log10(EXPLODING_GRAD) ? frac(EXPLODING_GRAD) : undefined,
    ticks,
  };
}

/**
 * Paths are drawn in whole units of their box (see `PATH_SCALE`): a whole number prints from V8's
 * number-string cache, where `toFixed` allocates a string per coordinate, and a probe frame
 * redraws a few thousand coordinates.
 */
export const PATH_SCALE = 10;

/**
 * A layer's output distribution over time as SVG paths in a `width × height` box of whole units
 * (TensorBoard's distributions view): the 10–90% band as a closed polygon and the median as a
 * line, x by step, y over the range of the band.
 */
export function distributionPaths(points: readonly DistributionPoint[], width: number, height: number): { band: string; median: string; lo: number; hi: number } {
  if (points.length === 0) return { band: '', median: '', lo: 0, hi: 0 };
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    lo = Math.min(lo, p[1]);
    hi = Math.max(hi, p[3]);
  }
  const x0 = points[0][0];
  const dx = points[points.length - 1][0] - x0 || 1;
  const dy = hi - lo || 1;
  const X = (step: number) => Math.round(points.length === 1 ? width / 2 : ((step - x0) / dx) * width);
  const Y = (v: number) => Math.round(height - ((v - lo) / dy) * height);
  let band = '';
  for (let i = 0; i < points.length; i++) band += `${i ? 'L' : 'M'}${X(points[i][0])} ${Y(points[i][3])}`;
  for (let i = points.length - 1; i >= 0; i--) band += `L${X(points[i][0])} ${Y(points[i][1])}`;
  let median = '';
  for (let i = 0; i < points.length; i++) median += `${i ? 'L' : 'M'}${X(points[i][0])} ${Y(points[i][2])}`;
  return { band: `${band}Z`, median, lo, hi };
}

/**
 * An SVG path of a histogram's bars in a `width × height` box of whole units (for the tiny
 * per-node sparklines and per-layer histograms), with a gap of 1/240 of the width between bars.
 * Counts are scaled by the tallest bin; a non-empty bin is at least one unit tall.
 */
export function histogramPath(hist: Histogram, width: number, height: number): string {
  const { counts } = hist;
  const n = counts.length;
  let peak = 1;
  for (let i = 0; i < n; i++) if (counts[i] > peak) peak = counts[i];
  const w = width / Math.max(1, n);
  const bar = Math.max(width / 240, w - width / 240);
  let d = '';
  for (let i = 0; i < n; i++) {
    if (!(counts[i] > 0)) continue;
    // At least one unit: a bin with a few outliers stays visible as a sliver.
    const h = Math.max(1, Math.round((counts[i] / peak) * height));
    const x = Math.round(i * w);
    const bw = Math.max(1, Math.round(i * w + bar) - x);
    d += `M${x} ${height}h${bw}v${-h}h${-bw}z`;
  }
  return d;
}

/**
 * An edge's colour for a gradient norm, on a log scale between the smallest and largest norms of
 * the frame: blue (weak) → orange → red (strong). Non-finite: magenta.
 */
export function gradColour(norm: number | null | undefined, range: readonly [number, number]): string | undefined {
  if (norm === undefined) return undefined;
  if (norm === null || !Number.isFinite(norm)) return '#d63fd6';
  const [lo, hi] = range;
  const l = Math.log10(Math.max(norm, 1e-30));
  const a = Math.log10(Math.max(lo, 1e-30));
  const b = Math.log10(Math.max(hi, 1e-30));
  const x = b > a ? Math.min(1, Math.max(0, (l - a) / (b - a))) : 0.5;
  // Hue 220 (blue) → 0 (red).
  return `hsl(${Math.round(220 * (1 - x))}, 75%, 50%)`;
}

/** The smallest and largest finite, positive activation-gradient norm of a frame. */
export function gradRange(frame: ProbeFrame | undefined): [number, number] {
  let lo = Infinity;
  let hi = 0;
  for (const l of frame?.layers ?? []) {
    const g = l.gradNorm;
    if (typeof g === 'number' && Number.isFinite(g) && g > 0) {
      lo = Math.min(lo, g);
      hi = Math.max(hi, g);
    }
  }
  return hi > 0 ? [lo, hi] : [1, 1];
}

/**
 * RGBA pixels of a decision-boundary grid: each cell the colour of its predicted class, blended
 * toward white (or the background) as the confidence falls toward chance.
 */
export function boundaryPixels(b: DecisionBoundary, palette: readonly (readonly [number, number, number])[], background: readonly [number, number, number]): Uint8ClampedArray {
  const out = new Uint8ClampedArray(b.width * b.height * 4);
  const classes = Math.max(2, ...b.classes.map((c) => c + 1));
  const chance = 1 / classes;
  for (let i = 0; i < b.width * b.height; i++) {
    const c = palette[b.classes[i] % palette.length];
    const strength = Math.min(1, Math.max(0, (b.confidence[i] - chance) / (1 - chance)));
    const k = 0.15 + 0.6 * strength;
    out[i * 4] = background[0] + (c[0] - background[0]) * k;
    out[i * 4 + 1] = background[1] + (c[1] - background[1]) * k;
    out[i * 4 + 2] = background[2] + (c[2] - background[2]) * k;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** A point of the data set in grid pixel coordinates (row 0 at the top, as the engine sends the grid). */
export function toGrid(b: DecisionBoundary, x: number, y: number, size: readonly [number, number]): [number, number] {
  return [((x - b.x[0]) / (b.x[1] - b.x[0])) * size[0], ((b.y[1] - y) / (b.y[1] - b.y[0])) * size[1]];
}

/** An image tensor row's RGBA (shared with the engine, which writes the same pixels to a run's TensorBoard file). */
export { imagePixels } from '../../../src-engine/facade';

/** The colour of each class of a mask, from class 1 (class 0, the background, is left unpainted). */
export const MASK_PALETTE: readonly (readonly [number, number, number])[] = [
  [255, 59, 48],
  [52, 199, 89],
  [0, 122, 255],
  [255, 204, 0],
  [175, 82, 222],
  [255, 149, 0],
  [90, 200, 250],
  [255, 45, 85],
];

/** The colour class `c` (≥ 1) of a mask is painted in. */
export function maskColour(c: number): readonly [number, number, number] {
  return MASK_PALETTE[(c - 1) % MASK_PALETTE.length];
}

/**
 * An image's RGBA (`imagePixels`) with a mask painted over it: each pixel of class c ≥ 1 blended
 * with its class colour at `alpha`, class 0 (the background) left as it is. The mask is one class
 * per pixel, row-major, the image's size (else the image is answered unchanged).
 */
export function maskOverlay(img: { width: number; height: number; data: Uint8ClampedArray }, mask: ArrayLike<number>, alpha = 0.55): { width: number; height: number; data: Uint8ClampedArray } {
  const data = img.data.slice();
  if (mask.length !== img.width * img.height) return { ...img, data };
  for (let i = 0; i < mask.length; i++) {
    const c = mask[i];
    if (!(c >= 1)) continue;
    const rgb = maskColour(c);
    for (let k = 0; k < 3; k++) data[i * 4 + k] = data[i * 4 + k] * (1 - alpha) + rgb[k] * alpha;
  }
  return { width: img.width, height: img.height, data };
}

/**
 * A test sample (as fed: normalised) as the Playground's drawing: its first channel scaled to
 * 0..1 (darkest 0, brightest 1), the pixels a pen on a blank canvas makes. Strokes drawn over it
 * then add ink to the sample, and the network is asked about the drawing as raw pixels.
 */
export function drawingFromSample(values: ArrayLike<number>, pixels: number): Float32Array {
  const out = new Float32Array(pixels);
  if (values.length < pixels) return out;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < pixels; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(hi > lo)) return out;
  for (let i = 0; i < pixels; i++) out[i] = Number.isFinite(values[i]) ? (values[i] - lo) / (hi - lo) : 0;
  return out;
}

/** Most classes a confusion matrix shows cell by cell (a character model has 97; its cells would not fit the dock). */
export const MOST_CONFUSION_CLASSES = 16;

/**
 * What a confusion matrix shows: every class up to {@link MOST_CONFUSION_CLASSES}, else that many
 * true classes with the most samples (row sums of `reference`, in class order), each row then with
 * a `rest` column counting its predictions of the classes left out (so a row still holds all its
 * class's samples). `classes` are the shown classes' indices; `names` the columns' labels (the
 * rows' are the first `classes.length`).
 */
export function confusionShown(reference: readonly (readonly number[])[], classNames: readonly string[], most = MOST_CONFUSION_CLASSES): { classes: number[]; names: string[]; other: boolean } {
  const n = reference.length;
  const name = (c: number) => characterGlyph(classNames[c] ?? String(c), true);
  if (n <= most) return { classes: reference.map((_, c) => c), names: reference.map((_, c) => name(c)), other: false };
  const totals = reference.map((row) => row.reduce((a, b) => a + b, 0));
  const classes = totals
    .map((_, c) => c)
    .sort((a, b) => totals[b] - totals[a] || a - b)
    .slice(0, most)
    .sort((a, b) => a - b);
  return { classes, names: [...classes.map(name), 'rest'], other: true };
}


/** `matrix`'s rows and columns of `shown.classes`, plus the `rest` column when `shown` has one. */
export function confusionRestricted(matrix: readonly (readonly number[])[], shown: { classes: readonly number[]; other: boolean }): number[][] {
  return shown.classes.map((a) => {
    const row = matrix[a] ?? [];
    const kept = shown.classes.map((b) => row[b] ?? 0);
    if (!shown.other) return kept;
    const all = row.reduce((x, y) => x + y, 0);
    return [...kept, all - kept.reduce((x, y) => x + y, 0)];
  });
}

/** A confusion matrix cell's count as drawn in its narrow cell: from 10,000 on in thousands (`328k`; the exact count in its title). */
export function confusionCount(count: number): string {
  return Math.abs(count) >= 10_000 ? `${Math.round(count / 1000)}k` : String(count);
}

/** Row-normalised confusion matrix (recall per true class), with the raw counts kept. */
export function confusionCells(matrix: readonly (readonly number[])[]): { row: number; col: number; count: number; share: number }[] {
  const cells: { row: number; col: number; count: number; share: number }[] = [];
  matrix.forEach((r, row) => {
    const total = r.reduce((a, b) => a + b, 0);
    r.forEach((count, col) => cells.push({ row, col, count, share: total ? count / total : 0 }));
  });
  return cells;
}

/** Most values per sample a value task's samples show as numbers (a table's price); more are drawn, as an image (a reconstruction). */
export const VALUES_AS_NUMBERS_MAX = 8;

/**
 * Whether a value task's probe outputs read as numbers rather than as an image: a task whose
 * predictions are values (a regression, not a reconstruction; catalog/tasks.ts) with at most
 * {@link VALUES_AS_NUMBERS_MAX} of them per sample.
 */
export function samplesAsNumbers(samples: { kind: Task; shape: readonly number[] }): boolean {
  return taskOf(samples.kind).predictions === 'values' && samples.shape.reduce((a, b) => a * b, 1) <= VALUES_AS_NUMBERS_MAX;
}

/** A predicted or true value as the samples show it: 4 significant digits, thousands grouped (`512,300`, `2.281`, `-0.0412`). */
export function sampleValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const r = Number(v.toPrecision(4));
  return Math.abs(r) >= 1e9 || (r !== 0 && Math.abs(r) < 1e-3) ? r.toExponential(3) : r.toLocaleString('en-US', { maximumSignificantDigits: 4 });
}

/** A sample's values, or one value, as the samples show them: `4.053`, `1, 2.5`. */
export const sampleValues = (v: number | ArrayLike<number>): string => (typeof v === 'number' ? sampleValue(v) : Array.from(v, sampleValue).join(', '));
