import type { DatasetConfig } from '../../base/ir/types';
import type { Rng } from '../../base/rng';
import { paramProblem } from '../../catalog/params';
import { getTransform, unknownTransformMessage } from '../../catalog/transforms/registry';
import type { TransformDef } from '../../catalog/transforms/types';
import { DataError } from './types';

export type FeatureTransform = NonNullable<DatasetConfig['transform']>;
export type Augmentation = NonNullable<DatasetConfig['augment']>;

/**
 * Corrupt features in place for denoising/in-painting autoencoders; the clean copy stays in the
 * dataset and serves as the target. Only the first `length` values are touched (a partial batch).
 * What each kind does is declared in its file under `catalog/transforms/`; a transform declared
 * `images` needs `shape`, the per-sample `[C, H, W]`.
 */
export function applyTransform(t: FeatureTransform, x: Float32Array, rng: Rng, length = x.length, shape?: readonly number[]): void {
  const def = declared(t);
  def.apply({ t: t as never, x, rng, length, image: def.images ? imageShape(shape, `${t.kind} transform`) : undefined });
}

/** The declaration of `t`'s kind, or a coded error for a kind no file declares. */
function declared(t: FeatureTransform): TransformDef {
  const def = getTransform(t.kind);
  if (!def) throw new DataError('DATA_BAD_OPTION', unknownTransformMessage(t.kind));
  return def;
}

/** `[C, H, W]` of an image sample, or a coded error naming `what`. */
function imageShape(shape: readonly number[] | undefined, what: string): [number, number, number] {
  if (!shape || shape.length !== 3) throw new DataError('DATA_BAD_OPTION', `${what} needs image samples [C, H, W] (got [${shape ?? []}]).`);
  return [shape[0], shape[1], shape[2]];
}

/** Whether `a` changes anything (an augmentation of all zeros is none). */
export const augments = (a: Augmentation | undefined): boolean => !!a && !!(a.shift || a.rotate || a.flip || a.jitter);

/**
 * Shift each image sample by whole pixels (uniform in `[-shift, shift]` on each axis) and rotate
 * it by a uniform angle in `[-rotate, rotate]` degrees about its centre, in place, with
 * nearest-neighbour sampling; what comes in from outside the image is 0. Then, with `flip`, mirror
 * it left–right with probability ½, and with `jitter`, scale each channel by a factor uniform in
 * [1 − jitter, 1 + jitter]. Each is drawn from `rng` only when it is on, so a run without flips
 * or jitter draws exactly what it drew before they existed. `scratch` holds one sample (no
 * allocation per batch).
 */
export function applyAugmentation(a: Augmentation, x: Float32Array, rng: Rng, length: number, shape: readonly number[], scratch: Float32Array): void {
  const [c, h, w] = imageShape(shape, 'augment');
  const shift = a.shift ?? 0;
  const rotate = a.rotate ?? 0;
  if (!augments(a)) return;
  const fs = c * h * w;
  for (let s = 0; s + fs <= length; s += fs) {
    if (shift || rotate) shiftRotate(x, s, c, h, w, shift, rotate, rng, scratch);
    if (a.flip && rng.uniform() < 0.5) {
      for (let row = s; row < s + fs; row += w) x.subarray(row, row + w).reverse();
    }
    if (a.jitter) {
      for (let ch = 0; ch < c; ch++) {
        const f = 1 + (rng.uniform() * 2 - 1) * a.jitter;
        const base = s + ch * h * w;
        for (let i = base; i < base + h * w; i++) x[i] *= f;
      }
    }
  }
}

/** One sample at `s`: shifted by up to `shift` pixels and turned by up to `rotate` degrees (see applyAugmentation). */
function shiftRotate(x: Float32Array, s: number, c: number, h: number, w: number, shift: number, rotate: number, rng: Rng, scratch: Float32Array): void {
  const fs = c * h * w;
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const dy = shift ? Math.floor(rng.uniform() * (2 * shift + 1)) - shift : 0;
  const dx = shift ? Math.floor(rng.uniform() * (2 * shift + 1)) - shift : 0;
  const theta = rotate ? ((rng.uniform() * 2 - 1) * rotate * Math.PI) / 180 : 0;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  for (let i = 0; i < fs; i++) scratch[i] = x[s + i];
  for (let ch = 0; ch < c; ch++) {
    const base = ch * h * w;
    for (let r = 0; r < h; r++) {
      for (let q = 0; q < w; q++) {
        // Inverse map: the output pixel (r, q) reads the source pixel rotated back and unshifted.
        const yr = r - dy - cy;
        const xr = q - dx - cx;
        const sy = Math.round(cos * yr + sin * xr + cy);
        const sx = Math.round(-sin * yr + cos * xr + cx);
        x[s + base + r * w + q] = sy >= 0 && sy < h && sx >= 0 && sx < w ? scratch[base + sy * w + sx] : 0;
      }
    }
  }
}

/** Reject transform settings that cannot work, before training starts. `shape`: per-sample feature shape. */
export function checkTransform(t: FeatureTransform | undefined, shape?: readonly number[]): void {
  if (!t) return;
  const def = declared(t);
  const setting = t as unknown as Readonly<Record<string, unknown>>;
  for (const [name, p] of Object.entries(def.params)) {
    const problem = paramProblem(`${t.kind} transform`, name, p, setting[name]);
    if (problem) throw new DataError('DATA_BAD_OPTION', problem);
  }
  if (def.images && shape) imageShape(shape, `${t.kind} transform`);
}

/** Reject augmentation settings that cannot work on samples of `shape`. */
export function checkAugmentation(a: Augmentation | undefined, shape: readonly number[], targetShape: readonly number[] = []): void {
  if (!augments(a) || !a) return;
  // A class per pixel (segmentation masks, [H, W]): a shift, turn or mirror of the image alone would
  // leave its mask where it was — every moved pixel trained on another pixel's class, silently.
  const perPixel = targetShape.length === 2 && shape.length === 3 && targetShape[0] === shape[1] && targetShape[1] === shape[2];
  if (perPixel && (a.shift || a.rotate || a.flip)) {
    throw new DataError('DATA_BAD_OPTION', 'Shifts, rotations and flips move an image but not its per-pixel mask, so this dataset trains without them; colour jitter is fine.');
  }
  if (a.jitter !== undefined && !(a.jitter >= 0 && a.jitter <= 1)) throw new DataError('DATA_BAD_OPTION', `augment.jitter must be in [0, 1] (a channel scaled by 1 ± jitter; got ${a.jitter}).`);
  if (a.shift !== undefined && !(Number.isInteger(a.shift) && a.shift >= 0)) throw new DataError('DATA_BAD_OPTION', `augment.shift must be a whole number of pixels ≥ 0 (got ${a.shift}).`);
  if (a.rotate !== undefined && !(a.rotate >= 0 && a.rotate <= 180)) throw new DataError('DATA_BAD_OPTION', `augment.rotate must be in [0, 180] degrees (got ${a.rotate}).`);
  imageShape(shape, 'augment');
}
