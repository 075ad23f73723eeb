/**
 * The largest |a − b| / max(1, |b|) over two arrays (Infinity for a NaN or a length mismatch): the
 * CPU backend suites' error measure, absolute near zero and relative for large values.
 */
export function scaledDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let e = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(d <= e)) e = Number.isNaN(d) ? Infinity : d;
  }
  return e;
}
