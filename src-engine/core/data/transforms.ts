import type { DatasetConfig } from '../../base/ir/types';
import type { Rng } from '../../base/rng';
import { DataError } from './types';

export type FeatureTransform = NonNullable<DatasetConfig['transform']>;

/**
 * Corrupt features in place for denoising/in-painting autoencoders: `gaussian-noise` adds
 * N(0, std²) per value (then clips to [0, 1] when `clip`), `mask` zeroes each value with
 * probability `fraction`. The clean copy stays in the dataset and serves as the target.
 * Only the first `length` values are touched (a partial batch).
 */
export function applyTransform(t: FeatureTransform, x: Float32Array, rng: Rng, length = x.length): void {
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
  }
}

/** Reject transform settings that cannot work, before training starts. */
export function checkTransform(t: FeatureTransform | undefined): void {
  if (!t) return;
  if (t.kind === 'gaussian-noise' && !(t.std >= 0 && Number.isFinite(t.std))) {
    throw new DataError('DATA_BAD_OPTION', `gaussian-noise transform: std must be a finite number ≥ 0 (got ${t.std}).`);
  }
  if (t.kind === 'mask' && !(t.fraction >= 0 && t.fraction <= 1)) {
    throw new DataError('DATA_BAD_OPTION', `mask transform: fraction must be in [0, 1] (got ${t.fraction}).`);
  }
}
