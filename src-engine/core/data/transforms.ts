import type { DatasetConfig } from '../../base/ir/types';
import type { Rng } from '../../base/rng';
import { DataError } from './types';

export type FeatureTransform = NonNullable<DatasetConfig['transform']>;
export type Augmentation = NonNullable<DatasetConfig['augment']>;

/**
 * Corrupt features in place for denoising/in-painting autoencoders; the clean copy stays in the
 * dataset and serves as the target. Only the first `length` values are touched (a partial batch).
 *
 * - `gaussian-noise` adds N(0, std²) per value (then clips to [0, 1] when `clip`);
 * - `salt-pepper` sets each value to 0 or to 1 (half each) with probability `fraction`;
 * - `mask` zeroes each value with probability `fraction`;
 * - `block-mask` zeroes `count` (default 1) `size × size` squares per sample, at random positions,
 *   in every channel: images only, `shape` is the per-sample `[C, H, W]`.
 */
export function applyTransform(t: FeatureTransform, x: Float32Array, rng: Rng, length = x.length, shape?: readonly number[]): void {
  switch (t.kind) {
    case 'none':
      return;
    case 'gaussian-noise': {
      const std = t.std;
      if (t.clip) {
        for (let i = 0; i < length; i++) {
          const v = x[i] + std * rng.normal();
          x[i] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
      } else {
        for (let i = 0; i < length; i++) x[i] += std * rng.normal();
      }
      return;
    }
    case 'mask': {
      const p = t.fraction;
      for (let i = 0; i < length; i++) if (rng.uniform() < p) x[i] = 0;
      return;
    }
    case 'salt-pepper': {
      const p = t.fraction;
      for (let i = 0; i < length; i++) {
        const u = rng.uniform();
        if (u < p) x[i] = u < p / 2 ? 0 : 1;
      }
      return;
    }
    case 'block-mask': {
      const [c, h, w] = imageShape(shape, 'block-mask transform');
      const fs = c * h * w;
      const size = Math.min(t.size, h, w);
      const count = t.count ?? 1;
      for (let s = 0; s + fs <= length; s += fs) {
        for (let k = 0; k < count; k++) {
          const top = Math.floor(rng.uniform() * (h - size + 1));
          const left = Math.floor(rng.uniform() * (w - size + 1));
          for (let ch = 0; ch < c; ch++) {
            for (let r = top; r < top + size; r++) x.fill(0, s + ch * h * w + r * w + left, s + ch * h * w + r * w + left + size);
          }
        }
      }
      return;
    }
  }
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
  if (t.kind === 'gaussian-noise' && !(t.std >= 0 && Number.isFinite(t.std))) {
    throw new DataError('DATA_BAD_OPTION', `gaussian-noise transform: std must be a finite number ≥ 0 (got ${t.std}).`);
  }
  if ((t.kind === 'mask' || t.kind === 'salt-pepper') && !(t.fraction >= 0 && t.fraction <= 1)) {
    throw new DataError('DATA_BAD_OPTION', `${t.kind} transform: fraction must be in [0, 1] (got ${t.fraction}).`);
  }
  if (t.kind === 'block-mask') {
    if (!(Number.isInteger(t.size) && t.size >= 1)) throw new DataError('DATA_BAD_OPTION', `block-mask transform: size must be a whole number ≥ 1 (got ${t.size}).`);
    if (t.count !== undefined && !(Number.isInteger(t.count) && t.count >= 1)) throw new DataError('DATA_BAD_OPTION', `block-mask transform: count must be a whole number ≥ 1 (got ${t.count}).`);
    if (shape) imageShape(shape, 'block-mask transform');
  }
}

/** Reject augmentation settings that cannot work on samples of `shape`. */
export function checkAugmentation(a: Augmentation | undefined, shape: readonly number[]): void {
  if (!augments(a) || !a) return;
  if (a.jitter !== undefined && !(a.jitter >= 0 && a.jitter <= 1)) throw new DataError('DATA_BAD_OPTION', `augment.jitter must be in [0, 1] (a channel scaled by 1 ± jitter; got ${a.jitter}).`);
  if (a.shift !== undefined && !(Number.isInteger(a.shift) && a.shift >= 0)) throw new DataError('DATA_BAD_OPTION', `augment.shift must be a whole number of pixels ≥ 0 (got ${a.shift}).`);
  if (a.rotate !== undefined && !(a.rotate >= 0 && a.rotate <= 180)) throw new DataError('DATA_BAD_OPTION', `augment.rotate must be in [0, 180] degrees (got ${a.rotate}).`);
  imageShape(shape, 'augment');
}
