import { imagePixels } from '../../base/image-pixels';
import type { StartInfo, StoredFrame } from '../../protocol';

/**
 * The sample images a probe frame shows in the app's Samples tab, as RGBA grids for a run's
 * TensorBoard file (tf-events.ts writes each as a PNG): an autoencoder's reconstructions (one
 * column per probe sample: the clean input, what the network was fed, its output), a classifier's
 * predictions on image inputs (each sample framed green when right, red when wrong, over a bar as
 * long as its confidence) and a GAN's samples from its fixed noise. The pixels are the app's
 * (`imagePixels`, with the ranges its panels use). Frames of other tasks (tables, texts,
 * segmentation masks) give none.
 */

/** One image: `rgba` row-major, 4 bytes a pixel; `grey` when every pixel is (its PNG then has one channel). */
export interface TfImage {
  tag: string;
  width: number;
  height: number;
  rgba: Uint8Array;
  grey: boolean;
}

type Pixels = NonNullable<ReturnType<typeof imagePixels>>;

/** Pixels between cells and around the grid. */
const GAP = 2;
const BACKGROUND = 40;
/** The app's colours for a right and a wrong prediction (Samples.tsx). */
const RIGHT: readonly [number, number, number] = [31, 157, 85];
const WRONG: readonly [number, number, number] = [214, 69, 69];
/** A prediction's frame, and the height of its confidence bar. */
const BORDER = 2;
const BAR = 3;

/** Cells laid out in rows (`grid[row][column]`, undefined: an empty cell) on a dark background. */
function compose(tag: string, grid: readonly (readonly (Pixels | undefined)[])[]): TfImage | undefined {
  const columns = Math.max(0, ...grid.map((r) => r.length));
  const cellW = Math.max(0, ...grid.flat().map((c) => c?.width ?? 0));
  const rowH = grid.map((r) => Math.max(0, ...r.map((c) => c?.height ?? 0)));
  if (!columns || !cellW || !rowH.some((h) => h > 0)) return undefined;
  const width = GAP + columns * (cellW + GAP);
  const height = GAP + rowH.reduce((a, h) => a + h + GAP, 0);
  const rgba = new Uint8Array(width * height * 4).fill(BACKGROUND);
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
  let y = GAP;
  grid.forEach((row, r) => {
    row.forEach((cell, c) => {
      if (!cell) return;
      const x = GAP + c * (cellW + GAP);
      for (let j = 0; j < cell.height; j++) rgba.set(cell.data.subarray(j * cell.width * 4, (j + 1) * cell.width * 4), ((y + j) * width + x) * 4);
    });
    y += rowH[r] + GAP;
  });
  let grey = true;
  for (let i = 0; i < rgba.length && grey; i += 4) grey = rgba[i] === rgba[i + 1] && rgba[i] === rgba[i + 2];
  return { tag, width, height, rgba, grey };
}

/** `p` in a frame of `colour`, over a bar of that colour as long as `confidence` (0–1). */
function framed(p: Pixels, colour: readonly [number, number, number], confidence: number): Pixels {
  const width = p.width + 2 * BORDER;
  const height = p.height + 2 * BORDER + BAR + 1;
  const data = new Uint8ClampedArray(width * height * 4);
  const bar = Math.round(Math.min(1, Math.max(0, confidence)) * width);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const on = j < p.height + 2 * BORDER || (j > p.height + 2 * BORDER && i < bar);
      const at = (j * width + i) * 4;
      data[at] = on ? colour[0] : BACKGROUND;
      data[at + 1] = on ? colour[1] : BACKGROUND;
      data[at + 2] = on ? colour[2] : BACKGROUND;
      data[at + 3] = 255;
    }
  }
  for (let j = 0; j < p.height; j++) data.set(p.data.subarray(j * p.width * 4, (j + 1) * p.width * 4), ((j + BORDER) * width + BORDER) * 4);
  return { width, height, data };
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * The frame's sample images (`samples/reconstructions`, `samples/predictions`, `samples/generated`),
 * given the run's probe samples (its start info's `probeSamples`).
 */
export function frameImages(frame: Pick<StoredFrame, 'samples' | 'gan'>, probe: StartInfo['probeSamples'] | undefined): TfImage[] {
  const out: (TfImage | undefined)[] = [];
  const { samples, gan } = frame;
  if (gan) {
    const n = gan.samples.length / Math.max(1, gan.count);
    const side = Math.ceil(Math.sqrt(gan.count));
    const cells = Array.from({ length: gan.count }, (_, i) => imagePixels(gan.samples.slice(i * n, (i + 1) * n), gan.shape, [0, 1]));
    out.push(compose('samples/generated', Array.from({ length: Math.ceil(gan.count / side) }, (_, r) => cells.slice(r * side, (r + 1) * side))));
  } else if (probe && samples && 'outputs' in samples) {
    // A value task's outputs (catalog/tasks.ts `ValueTask`: a reconstruction, raw outputs).
    // As the app's reconstruction grid: a flat output of the input's size is drawn in the input's image shape.
    const shape = samples.shape.length < 2 && size(samples.shape) === size(probe.shape) ? probe.shape : samples.shape;
    const outputs = samples.outputs.map((o) => imagePixels(o, shape, [0, 1]));
    if (outputs.some(Boolean)) {
      const clean = samples.outputs.map((_, i) => {
        const t = probe.targets[i];
        return Array.isArray(t) && t.length ? imagePixels(t, shape, [0, 1]) : undefined;
      });
      const fed = samples.outputs.map((_, i) => (probe.inputs[i] ? imagePixels(probe.inputs[i], probe.shape) : undefined));
      out.push(compose('samples/reconstructions', [clean, fed, outputs].filter((row) => row.some(Boolean))));
    }
  } else if (probe && samples && 'probs' in samples) {
    const cells = samples.predicted.map((p, i) => {
      const px = probe.inputs[i] ? imagePixels(probe.inputs[i], probe.shape) : undefined;
      return px && framed(px, p === samples.targets[i] ? RIGHT : WRONG, samples.probs[i]?.[p] ?? 0);
    });
    if (cells.some(Boolean)) out.push(compose('samples/predictions', [cells]));
  }
  return out.filter((x): x is TfImage => x !== undefined);
}
