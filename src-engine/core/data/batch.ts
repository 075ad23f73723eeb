import type { Rng } from '../../base/rng';
import { applyAugmentation, applyTransform } from './transforms';
import type { Augmentation, FeatureTransform } from './transforms';
import type { Dataset } from './types';
import { DataError, featureSize, targetSize } from './types';

/**
 * Copies batches of samples into preallocated input tensors: no allocation per step.
 *
 * @example
 * ```ts
 * const feeder = new BatchFeeder(data.train, { transform: data.transform, target: data.target });
 * feeder.fill(order, start, count, graph.input('x').data, graph.input('y').data, rng);
 * ```
 */
export class BatchFeeder {
  readonly featureSize: number;
  readonly targetSize: number;
  private readonly scratch: Float32Array | null;

  /** `augment`: random shifts/rotations, for training batches only (never for evaluation). */
  constructor(
    readonly dataset: Dataset,
    readonly options: { transform: FeatureTransform; target: 'label' | 'features'; augment?: Augmentation },
  ) {
    this.featureSize = featureSize(dataset);
    this.scratch = options.augment && (options.augment.shift || options.augment.rotate) ? new Float32Array(this.featureSize) : null;
    this.targetSize = options.target === 'features' ? this.featureSize : targetSize(dataset);
    if (options.target === 'label' && dataset.task === 'reconstruction') {
      throw new DataError('DATA_BAD_OPTION', `${dataset.name} has no labels; set dataset.target to "features" to train an autoencoder.`);
    }
  }

  /**
   * Write samples `order[start .. start+count)` into `x` (network input, transformed) and `y`
   * (target: label, regression values or the clean features). `x`/`y` may be longer than needed.
   * `rng` drives the augmentation and the transform's noise.
   */
  fill(order: ArrayLike<number>, start: number, count: number, x: Float32Array, y: Float32Array | null, rng: Rng): void {
    const fs = this.featureSize;
    const ts = this.targetSize;
    const feats = this.dataset.features;
    const targets = this.options.target === 'features' ? feats : this.dataset.targets;
    // NOTE: plain loops rather than `set(subarray(...))`: a subarray is a new view object per
    // sample, and the training loop should not allocate.
    for (let i = 0; i < count; i++) {
      const s = order[start + i];
      const src = s * fs;
      const dst = i * fs;
      for (let j = 0; j < fs; j++) x[dst + j] = feats[src + j];
      if (y) {
        if (ts === 1) y[i] = targets[s];
        else for (let j = 0; j < ts; j++) y[i * ts + j] = targets[s * ts + j];
      }
    }
    if (this.scratch) applyAugmentation(this.options.augment!, x, rng, count * fs, this.dataset.featureShape, this.scratch);
    if (this.options.transform.kind !== 'none') applyTransform(this.options.transform, x, rng, count * fs, this.dataset.featureShape);
  }
}
