/**
 * The statistics of `bench/run.ts`: ours and PyTorch are measured in interleaved rounds, and the
 * figure reported is the median of the per-round ratios (ours / PyTorch, same round, same thread
 * count) with its min–max spread and a bootstrap 95 % interval of that median. A ratio taken
 * inside one round cancels most of a shared machine's slow drift (both sides see the same load);
 * the spread and the interval say how much is left. Pure functions, no clock, no I/O.
 */
import { Rng } from '../src-engine/base/rng';

export interface RatioSummary {
  /** ours[i] / theirs[i], in round order. */
  ratios: number[];
  median: number;
  min: number;
  max: number;
  /** Bootstrap percentile interval of the median (`level`, default 95 %). */
  ci: [number, number];
}

/** Median of a non-empty list (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The q-quantile (0 ≤ q ≤ 1) of a sorted list, linear between order statistics (numpy's default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Percentile bootstrap interval of the median: `resamples` draws of xs.length values with
 * replacement from a seeded generator (same input, same interval, on every machine).
 */
export function bootstrapMedianCI(xs: readonly number[], opts: { resamples?: number; level?: number; seed?: number } = {}): [number, number] {
  const { resamples = 2000, level = 0.95, seed = 1 } = opts;
  if (xs.length === 0) throw new Error('bootstrap of an empty list');
  const rng = new Rng(seed);
  const draw = new Array<number>(xs.length);
  const medians = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < xs.length; i++) draw[i] = xs[rng.nextU32() % xs.length];
    medians[r] = median(draw);
  }
  medians.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return [quantileSorted(medians, tail), quantileSorted(medians, 1 - tail)];
}

/** Per-round ratios ours[i] / theirs[i] and their summary; rounds where either side is missing are dropped. */
export function summarizeRatios(ours: readonly number[], theirs: readonly number[]): RatioSummary | undefined {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
    if (ours[i] > 0 && theirs[i] > 0 && Number.isFinite(ours[i]) && Number.isFinite(theirs[i])) ratios.push(ours[i] / theirs[i]);
  }
  if (ratios.length === 0) return undefined;
  return { ratios, median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), ci: bootstrapMedianCI(ratios) };
}

/** `1.52× [1.31–1.70]`: the median with the min–max spread, as the README's table shows it. */
export function formatRatio(s: RatioSummary | undefined): string {
  if (!s) return '—';
  return `${s.median.toFixed(2)}× [${s.min.toFixed(2)}–${s.max.toFixed(2)}]`;
}

/** `1.35–1.66`: the bootstrap interval. */
export function formatInterval(s: RatioSummary | undefined): string {
  return s ? `${s.ci[0].toFixed(2)}–${s.ci[1].toFixed(2)}` : '—';
}
