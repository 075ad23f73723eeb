/**
 * Halve a series in place, keeping its extremes: each bucket of 4 consecutive points is replaced
 * by its lowest and its highest point, in x order (the min/max downsample charts use, so a spike
 * survives any number of halvings). `x(i)`/`y(i)` read point i; `move(to, from)` copies point
 * `from` to slot `to` (always `to ≤ from`, so the copy is safe in place). A non-finite y counts
 * as an extreme (a diverging step stays visible). Returns the new length.
 *
 * @example
 * const xs = [0, 1, 2, 3], ys = [3, 1, 4, 2];
 * const n = thinMinMax(4, (i) => ys[i], (to, from) => { xs[to] = xs[from]; ys[to] = ys[from]; });
 * // n = 2; xs.slice(0, n) = [1, 2]; ys.slice(0, n) = [1, 4]
 */
export function thinMinMax(length: number, y: (i: number) => number, move: (to: number, from: number) => void): number {
  return thinBuckets(length, (start) => Math.min(start + 4, length), y, move);
}

/**
 * `thinMinMax` over buckets of any size: `end(start)` is where the bucket from `start` ends (at
 * most `length`, past `start`). A bucket of one or two points keeps them; a larger one its lowest
 * and highest, in x order. Returns the new length.
 */
export function thinBuckets(length: number, end: (start: number) => number, y: (i: number) => number, move: (to: number, from: number) => void): number {
  let out = 0;
  for (let start = 0; start < length; ) {
    const stop = end(start);
    if (stop - start <= 2) {
      for (let i = start; i < stop; i++) move(out++, i);
      start = stop;
      continue;
    }
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < stop; i++) {
      const v = y(i);
      if (!Number.isFinite(v)) {
        hi = i;
        continue;
      }
      if (v < y(lo) || !Number.isFinite(y(lo))) lo = i;
      if (Number.isFinite(y(hi)) && v > y(hi)) hi = i;
    }
    start = stop;
    if (lo === hi) {
      move(out++, lo);
      continue;
    }
    move(out++, Math.min(lo, hi));
    move(out++, Math.max(lo, hi));
  }
  return out;
}
