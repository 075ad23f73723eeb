import type { Rng } from '../../base/rng';
import { applyAugmentation, applyTransform, augments } from './transforms';
import type { Augmentation, FeatureTransform } from './transforms';
import type { SampleSource, Samples } from './types';
import { DataError, featureSize, isStreamed, targetSize } from './types';
import { taskOf } from '../../catalog/tasks';

/** Batches a streamed source decodes ahead of the one being trained (worker threads; `BatchFeeder.ready`). */
export const PREFETCH_BATCHES = 3;

/**
 * Copies batches of samples into preallocated input tensors: no allocation per step. A streamed
 * set (`SampleSource`) is read by index instead: `ready` has its source decode the batch and the
 * next PREFETCH_BATCHES ahead (in worker threads where it can), then `fill` reads it.
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
  private readonly source: SampleSource | null;
  /** A streamed batch's sample indices (grown to the largest batch). */
  private indices = new Int32Array(0);
  /** Batches asked of the source this pass over `order`, by their first position. */
  private readonly loading = new Map<number, Promise<void>>();
  private lastStart = -1;

  /** `augment`: random shifts/rotations, for training batches only (never for evaluation). */
  constructor(
    readonly dataset: Samples,
    readonly options: { transform: FeatureTransform; target: 'label' | 'features'; augment?: Augmentation },
  ) {
    this.featureSize = featureSize(dataset);
    this.source = isStreamed(dataset) ? dataset : null;
    this.scratch = augments(options.augment) ? new Float32Array(this.featureSize) : null;
    this.targetSize = options.target === 'features' ? this.featureSize : targetSize(dataset);
    if (options.target === 'label' && taskOf(dataset.task).targets === 'features') {
      throw new DataError('DATA_BAD_OPTION', `${dataset.name} has no labels; set dataset.target to "features" to train an autoencoder.`);
    }
  }

  /**
   * Whether `fill` only writes the features it copies, reading none of them back: a set in memory
   * without augmentation or transform (both work in place; a streamed source normalises in place,
   * caches what it decoded from `x`, and an autoencoder's target is copied from it). Then `x` may
   * be memory that is slow to read, as a staging buffer mapped for writing (write-combined on a
   * discrete GPU's host-visible memory).
   */
  get writesOnly(): boolean {
    return !this.source && !this.scratch && this.options.transform.kind === 'none';
  }

  /**
   * Write samples `order[start .. start+count)` into `x` (network input, transformed) and `y`
   * (target: label, regression values or the clean features). `x`/`y` may be longer than needed.
   * `rng` drives the augmentation and the transform's noise.
   */
  fill(order: ArrayLike<number>, start: number, count: number, x: Float32Array, y: Float32Array | null, rng: Rng): void {
    if (this.source) this.fillStreamed(this.source, order, start, count, x, y);
    else this.fillFromMemory(this.dataset as Exclude<Samples, SampleSource>, order, start, count, x, y);
    const fs = this.featureSize;
    if (this.scratch) applyAugmentation(this.options.augment!, x, rng, count * fs, this.dataset.featureShape, this.scratch);
    if (this.options.transform.kind !== 'none') applyTransform(this.options.transform, x, rng, count * fs, this.dataset.featureShape);
  }

  /**
   * The targets alone of samples `order[start .. start+count)` into `y`, as `fill` writes them, for a
   * set in memory whose features the device gathers itself (core/gpu/resident.ts): the host still
   * scores the batch's prediction against them.
   */
  fillTargets(order: ArrayLike<number>, start: number, count: number, y: Float32Array): void {
    if (this.source) throw new DataError('DATA_BAD_OPTION', `${this.dataset.name} is streamed from disk: its batches are read whole (fill).`);
    const ds = this.dataset as Exclude<Samples, SampleSource>;
    const ts = this.targetSize;
    const targets = this.options.target === 'features' ? ds.features : ds.targets;
    for (let i = 0; i < count; i++) {
      const s = order[start + i];
      if (ts === 1) y[i] = targets[s];
      else for (let j = 0; j < ts; j++) y[i * ts + j] = targets[s * ts + j];
    }
  }

  /**
   * A streamed set: have its source decode batch `order[start .. start+count)` and the next
   * PREFETCH_BATCHES batches of `order` (`batch` samples each) ahead; resolves when this one is
   * ready. Null when there is nothing to wait for (in memory, or a source that decodes in `read`).
   * `order` must not change while its batches load (the loop reshuffles it only between epochs,
   * after its last batch was read).
   */
  ready(order: ArrayLike<number>, start: number, count: number, batch = count): Promise<void> | null {
    const load = this.source?.load;
    if (!load) return null;
    // A new pass over `order` (the next epoch, a new evaluation) forgets what the last one asked.
    if (start <= this.lastStart) this.loading.clear();
    this.lastStart = start;
    const ask = (from: number, n: number): Promise<void> => {
      let p = this.loading.get(from);
      if (!p) {
        p = load.call(this.source, Int32Array.from({ length: n }, (_, i) => order[from + i]));
        // A failed prefetch is reported by the `read` that needs it; nothing waits on it here.
        p.catch(() => undefined);
        this.loading.set(from, p);
      }
      return p;
    };
    const here = ask(start, count);
    for (let k = 1, from = start + count; k <= PREFETCH_BATCHES && from < order.length; k++, from += batch) ask(from, Math.min(batch, order.length - from));
    this.loading.delete(start);
    return here;
  }

  private fillStreamed(source: SampleSource, order: ArrayLike<number>, start: number, count: number, x: Float32Array, y: Float32Array | null): void {
    const fs = this.featureSize;
    const ts = this.targetSize;
    if (this.indices.length < count) this.indices = new Int32Array(count);
    const idx = this.indices.subarray(0, count);
    for (let i = 0; i < count; i++) idx[i] = order[start + i];
    source.read(idx, x);
    if (!y) return;
    if (this.options.target === 'features') {
      for (let j = 0; j < count * fs; j++) y[j] = x[j];
      return;
    }
    const targets = source.targets;
    for (let i = 0; i < count; i++) {
      const s = idx[i];
      if (ts === 1) y[i] = targets[s];
      else for (let j = 0; j < ts; j++) y[i * ts + j] = targets[s * ts + j];
    }
  }

  private fillFromMemory(ds: Exclude<Samples, SampleSource>, order: ArrayLike<number>, start: number, count: number, x: Float32Array, y: Float32Array | null): void {
    const fs = this.featureSize;
    const feats = ds.features;
    // NOTE: plain loops rather than `set(subarray(...))`: a subarray is a new view object per
    // sample, and the training loop should not allocate.
    for (let i = 0; i < count; i++) {
      const src = order[start + i] * fs;
      const dst = i * fs;
      for (let j = 0; j < fs; j++) x[dst + j] = feats[src + j];
    }
    if (y) this.fillTargets(order, start, count, y);
  }
}
