import { Rng } from '../../base/rng';
import type { Dataset, LoadedDataset } from './types';
import { taskFor } from '../../catalog/tasks';

/** The classes of the `shape-masks` set, in label order: every pixel is one of them. */
export const SHAPE_MASK_CLASSES = ['background', 'circle', 'square', 'triangle'] as const;

/** Sub-pixel samples per axis: a pixel belongs to a shape when at least half of it is covered. */
const SUPERSAMPLE = 3;

/** Seeds of the fixed test split: every run of the set, whatever its seed, tests on the same images. */
const TEST_SEED = 0x5e9_7e57;

type Draw = (x: number, y: number) => boolean;

/** One shape of class `label` (1–3) of radius `r` centred at (cx, cy), as an inside test. */
function shapeAt(label: number, cx: number, cy: number, r: number): Draw {
  if (label === 1) return (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  if (label === 2) return (x, y) => Math.abs(x - cx) <= 0.85 * r && Math.abs(y - cy) <= 0.85 * r;
  // Pointing up: the apex at cy − r, the base at cy + 0.8·r.
  return (x, y) => y - cy >= -r && y - cy <= 0.8 * r && Math.abs(x - cx) <= 0.62 * (y - cy + r);
}

function colour(rng: Rng): [number, number, number] {
  return [rng.uniform(), rng.uniform(), rng.uniform()];
}

const distance = (a: readonly number[], b: readonly number[]) => Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]);

/**
 * Draw one sample into `x` (`[3, size, size]`) and its mask into `mask` (`[size, size]`, class per
 * pixel): a textured background (stripes of two colours at a random angle and period, with grain)
 * under one to three shapes of random classes, colours, sizes and places, later ones on top.
 */
function drawSample(rng: Rng, size: number, x: Float32Array, mask: Float32Array): void {
  const plane = size * size;
  const bgA = colour(rng);
  const bgB = bgA.map((v) => Math.min(1, Math.max(0, v + 0.3 * (rng.uniform() - 0.5)))) as [number, number, number];
  const angle = Math.PI * rng.uniform();
  const period = 3 + 5 * rng.uniform();
  const [ux, uy] = [Math.cos(angle), Math.sin(angle)];
  for (let y = 0; y < size; y++) {
    for (let px = 0; px < size; px++) {
      const t = 0.5 + 0.5 * Math.sin(((px * ux + y * uy) * 2 * Math.PI) / period);
      for (let k = 0; k < 3; k++) x[k * plane + y * size + px] = bgA[k] * (1 - t) + bgB[k] * t;
    }
  }
  mask.fill(0);
  const count = 1 + rng.int(3);
  for (let s = 0; s < count; s++) {
    const label = 1 + rng.int(3);
    // A colour far enough from the background's to tell the shape from the ground.
    let fg = colour(rng);
    while (distance(fg, bgA) < 0.6 || distance(fg, bgB) < 0.6) fg = colour(rng);
    const r = size * (0.12 + 0.16 * rng.uniform());
    const cx = r + (size - 2 * r) * rng.uniform();
    const cy = r + (size - 2 * r) * rng.uniform();
    const inside = shapeAt(label, cx, cy, r);
    // Only the shape's bounding box can be covered (a triangle's base is 1.12·r wide each side).
    const e = 1.2 * r;
    const [x0, x1] = [Math.max(0, Math.floor(cx - e)), Math.min(size - 1, Math.ceil(cx + e))];
    const [y0, y1] = [Math.max(0, Math.floor(cy - e)), Math.min(size - 1, Math.ceil(cy + e))];
    for (let y = y0; y <= y1; y++) {
      for (let px = x0; px <= x1; px++) {
        let hit = 0;
        for (let sy = 0; sy < SUPERSAMPLE; sy++) for (let sx = 0; sx < SUPERSAMPLE; sx++) if (inside(px + (sx + 0.5) / SUPERSAMPLE, y + (sy + 0.5) / SUPERSAMPLE)) hit++;
        if (hit === 0) continue;
        const a = hit / (SUPERSAMPLE * SUPERSAMPLE);
        const i = y * size + px;
        for (let k = 0; k < 3; k++) x[k * plane + i] = x[k * plane + i] * (1 - a) + fg[k] * a;
        if (a >= 0.5) mask[i] = label;
      }
    }
  }
  for (let i = 0; i < 3 * plane; i++) x[i] = Math.min(1, Math.max(0, x[i] + 0.06 * (rng.uniform() - 0.5)));
}

/** `count` samples drawn from `seed`. */
function shapeMasks(name: string, count: number, size: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const plane = size * size;
  const features = new Float32Array(count * 3 * plane);
  const targets = new Float32Array(count * plane);
  for (let i = 0; i < count; i++) drawSample(rng, size, features.subarray(i * 3 * plane, (i + 1) * 3 * plane), targets.subarray(i * plane, (i + 1) * plane));
  return {
    name,
    task: taskFor('classes'),
    count,
    features,
    featureShape: [3, size, size],
    targets,
    targetShape: [size, size],
    numClasses: SHAPE_MASK_CLASSES.length,
    classNames: [...SHAPE_MASK_CLASSES],
  };
}

/**
 * Coloured shapes on textured backgrounds with a class per pixel (segmentation), drawn in code:
 * colour images `[3, size, size]` in 0–1 and masks `[size, size]` of background / circle / square
 * / triangle. The training samples come from the run's seed (validation is carved from them); the
 * test split (`testSamples`) from a fixed seed, so every run is scored on the same images.
 *
 * @example shapeMasksDataset({ samples: 100, seed: 1 }).train.targetShape // [32, 32]
 */
export function shapeMasksDataset(o: { samples?: number; testSamples?: number; size?: number; seed: number }): LoadedDataset {
  const size = o.size ?? 32;
  return {
    train: shapeMasks('shape-masks', o.samples ?? 2000, size, o.seed),
    test: shapeMasks('shape-masks (test)', o.testSamples ?? 400, size, TEST_SEED),
  };
}
