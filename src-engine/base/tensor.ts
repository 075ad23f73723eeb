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
