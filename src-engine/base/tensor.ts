/**
 * A dense float32 tensor: a row-major view over storage the backend owns.
 *
 * Shapes always include the batch dimension first where there is one (PyTorch's convention:
 * Linear acts on the last dim, Conv2d takes `[N, C, H, W]`). All data is float32; class labels
 * are stored as exact small integers in float32.
 */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Number of elements of a shape (1 for a scalar `[]`). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
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

/** Wrap existing data as a tensor, checking that the sizes agree. */
export function tensor(shape: readonly number[], data?: Float32Array): Tensor {
  const n = sizeOf(shape);
  const d = data ?? new Float32Array(n);
  if (d.length !== n) throw new Error(`tensor: data has ${d.length} elements, shape [${shape.join(',')}] needs ${n}`);
  return { shape: [...shape], data: d };
}

export function formatShape(shape: readonly number[]): string {
  return shape.map((d) => (d < 0 ? 'N' : String(d))).join('×');
}
