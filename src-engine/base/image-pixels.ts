/**
 * An image tensor row as RGBA pixels: what the app draws for a probe sample, a reconstruction or a
 * generated sample (the renderer's canvases), and what a run's TensorBoard file holds as its PNG
 * (app/runs/tf-images.ts), so both show the same pixels.
 */

/**
 * Grey-scale (C = 1) or colour (C = 3) RGBA of an image tensor row (`[C, H, W]`, or `[H, W]`),
 * scaled from `range` (default: the row's finite min and max) to 0–255; undefined for any other shape.
 */
export function imagePixels(values: ArrayLike<number>, shape: readonly number[], range?: readonly [number, number]): { width: number; height: number; data: Uint8ClampedArray } | undefined {
  const dims = shape.length === 3 ? shape : shape.length === 2 ? [1, ...shape] : undefined;
  if (!dims) return undefined;
  const [c, h, w] = dims;
  if ((c !== 1 && c !== 3) || c * h * w !== values.length) return undefined;
  let lo = range?.[0];
  let hi = range?.[1];
  if (lo === undefined || hi === undefined) {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  const span = hi > lo ? hi - lo : 1;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    for (let k = 0; k < 3; k++) data[i * 4 + k] = ((values[(c === 3 ? k : 0) * h * w + i] - lo) / span) * 255;
    data[i * 4 + 3] = 255;
  }
  return { width: w, height: h, data };
}
