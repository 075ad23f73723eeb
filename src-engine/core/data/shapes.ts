import { Rng } from '../../base/rng';
import type { Dataset } from './types';
import { taskFor } from '../../catalog/tasks';

/** The classes of the `shapes` set, in label order. */
export const SHAPE_CLASSES = ['circle', 'square', 'triangle'] as const;

/** Sub-pixel samples per axis: each pixel's share of the shape, so edges are anti-aliased. */
const SUPERSAMPLE = 3;

/**
 * Coloured shapes drawn in code (no files): a circle, a square or a triangle of a random colour,
 * size and place on a background of another random colour, with a little pixel noise — colour
 * images `[3, size, size]` in 0–1, classes balanced. What the "Your photos" template learns until
 * the user points it at their own folder (it needs a colour-image task that ships with the app).
 *
 * @example shapesDataset({ samples: 300, seed: 1 }).featureShape // [3, 32, 32]
 */
export function shapesDataset(o: { samples?: number; size?: number; seed: number }): Dataset {
  const count = o.samples ?? 3000;
  const size = o.size ?? 32;
  const rng = new Rng(o.seed);
  const plane = size * size;
  const features = new Float32Array(count * 3 * plane);
  const targets = new Float32Array(count);
  const bg = [0, 0, 0];
  const fg = [0, 0, 0];
  for (let i = 0; i < count; i++) {
    const label = i % SHAPE_CLASSES.length;
    targets[i] = label;
    // Two colours far enough apart to tell the shape from the ground.
    do {
      for (let k = 0; k < 3; k++) {
        bg[k] = rng.uniform();
        fg[k] = rng.uniform();
      }
    } while (Math.abs(bg[0] - fg[0]) + Math.abs(bg[1] - fg[1]) + Math.abs(bg[2] - fg[2]) < 0.6);
    const r = size * (0.15 + 0.2 * rng.uniform());
    const cx = r + (size - 2 * r) * rng.uniform();
    const cy = r + (size - 2 * r) * rng.uniform();
    const inside = (x: number, y: number): boolean => {
      const dx = x - cx;
      const dy = y - cy;
      if (label === 0) return dx * dx + dy * dy <= r * r;
      if (label === 1) return Math.abs(dx) <= 0.85 * r && Math.abs(dy) <= 0.85 * r;
      // Pointing up: the apex at cy − r, the base at cy + 0.8·r.
      return dy >= -r && dy <= 0.8 * r && Math.abs(dx) <= 0.62 * (dy + r);
    };
    const base = i * 3 * plane;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let hit = 0;
        for (let sy = 0; sy < SUPERSAMPLE; sy++) for (let sx = 0; sx < SUPERSAMPLE; sx++) if (inside(x + (sx + 0.5) / SUPERSAMPLE, y + (sy + 0.5) / SUPERSAMPLE)) hit++;
        const a = hit / (SUPERSAMPLE * SUPERSAMPLE);
        for (let k = 0; k < 3; k++) {
          const v = bg[k] * (1 - a) + fg[k] * a + 0.04 * (rng.uniform() - 0.5);
          features[base + k * plane + y * size + x] = Math.min(1, Math.max(0, v));
        }
      }
    }
  }
  return {
    name: 'shapes',
    task: taskFor('classes'),
    count,
    features,
    featureShape: [3, size, size],
    targets,
    targetShape: [],
    numClasses: SHAPE_CLASSES.length,
    classNames: [...SHAPE_CLASSES],
  };
}
