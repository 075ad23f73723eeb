/**
 * The Playground's look inside a prediction, as pixels and shades (pure: tested without a DOM).
 * The engine answers the numbers (`model.explain`); these turn them into what is drawn.
 */

/** A per-input-value map `[C, H, W]` (or `[H, W]`) as one value per pixel: the sum over channels. */
export function perPixel(values: ArrayLike<number>, shape: readonly number[]): { h: number; w: number; map: Float32Array } | undefined {
  const dims = shape.length === 3 ? shape : shape.length === 2 ? [1, ...shape] : undefined;
  if (!dims || dims[0] * dims[1] * dims[2] !== values.length) return undefined;
  const [c, h, w] = dims;
  const map = new Float32Array(h * w);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) map[i] += values[k * h * w + i];
  return { h, w, map };
}

/**
 * RGBA pixels of a heat map over an image. `signed` (a saliency map): red where the value is
 * positive (the pixel raised the score), blue where negative, more opaque the larger |value|
 * against the largest. Otherwise (Grad-CAM, ≥ 0): from transparent through orange to opaque
 * yellow-white as the value grows.
 */
export function heatPixels(map: ArrayLike<number>, signed: boolean): Uint8ClampedArray {
  let top = 0;
  for (let i = 0; i < map.length; i++) top = Math.max(top, Math.abs(map[i]));
  const out = new Uint8ClampedArray(map.length * 4);
  for (let i = 0; i < map.length; i++) {
    const t = top > 0 ? map[i] / top : 0;
    const a = Math.min(1, Math.abs(t));
    if (signed) out.set(t >= 0 ? [255, 40, 30] : [40, 110, 255], i * 4);
    else out.set([255, Math.round(80 + 175 * a), Math.round(255 * Math.max(0, a - 0.6) * 2.5)], i * 4);
    out[i * 4 + 3] = Math.round(255 * (signed ? Math.sqrt(a) : a));
  }
  return out;
}

/**
 * Each character's shade for per-position saliency over the text: in [−1, 1], against the largest
 * |value| among the text's positions (the padding after it does not count).
 */
export function characterShades(values: ArrayLike<number>, text: string): number[] {
  const chars = Array.from(text).slice(0, values.length);
  let top = 0;
  for (let i = 0; i < chars.length; i++) top = Math.max(top, Math.abs(values[i]));
  return chars.map((_, i) => (top > 0 ? values[i] / top : 0));
}

/** One bar of a per-column explanation: the column, its signed score, and its length against the largest |score| (0 to 1). */
export interface ColumnBar {
  name: string;
  value: number;
  length: number;
}

/**
 * The columns (or features) of a per-column explanation as bars, the `top` largest |score| first
 * (the engine sends them sorted), each as long as its |score| against the largest; `more`: how
 * many smaller ones are not drawn.
 *
 * @example columnBars([{ name: 'alcohol', value: 2 }, { name: 'pH', value: -1 }]) // { bars: [{ name: 'alcohol', value: 2, length: 1 }, { name: 'pH', value: -1, length: 0.5 }], more: 0 }
 */
export function columnBars(columns: readonly { name: string; value: number }[], top = 12): { bars: ColumnBar[]; more: number } {
  const sorted = [...columns].sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  const largest = sorted.length ? Math.abs(sorted[0].value) : 0;
  return { bars: sorted.slice(0, top).map((c) => ({ name: c.name, value: c.value, length: largest > 0 ? Math.abs(c.value) / largest : 0 })), more: Math.max(0, sorted.length - top) };
}

/**
 * Each piece's shade of a per-token explanation (a word's or a character's score): in [−1, 1]
 * against the largest |score| among the scored pieces; null for the text between tokens or past
 * what the model reads.
 */
export function pieceShades(pieces: readonly { value: number | null }[]): (number | null)[] {
  let top = 0;
  for (const p of pieces) if (p.value !== null) top = Math.max(top, Math.abs(p.value));
  return pieces.map((p) => (p.value === null ? null : top > 0 ? p.value / top : 0));
}
