import type { Rng } from '../../base/rng';
import type { Dataset } from './types';
import { hasClasses } from '../../catalog/tasks';

/** What a split needs of a dataset: its labels (in memory or streamed alike). */
type Labelled = Pick<Dataset, 'count' | 'task' | 'targets' | 'targetShape'>;

/**
 * Split sample indices into `[kept, heldOut]`, holding out `fraction` of each class
 * (stratified) for classification sets with one label per sample and of all samples otherwise. Seeded by `rng`.
 *
 * NOTE: per class, the held-out count is `round(fraction × classCount)`, so tiny classes may
 * contribute none; both parts keep ascending sample order so that later shuffles alone decide
 * the order of visits.
 */
export function stratifiedSplit(ds: Labelled, fraction: number, rng: Rng, pool?: ArrayLike<number>): [Int32Array, Int32Array] {
  const all = pool ? Array.from(pool) : Array.from({ length: ds.count }, (_, i) => i);
  if (fraction <= 0) return [Int32Array.from(all), new Int32Array(0)];
  const groups = new Map<number, number[]>();
  for (const i of all) {
    // Per-position labels (a language model's next tokens) have no one class to stratify by.
    const key = hasClasses(ds.task) && ds.targetShape.length === 0 ? ds.targets[i] : 0;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  }
  const kept: number[] = [];
  const held: number[] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const g = rng.shuffle(groups.get(key)!);
    const h = Math.min(g.length, Math.round(fraction * g.length));
    for (let j = 0; j < g.length; j++) (j < h ? held : kept).push(g[j]);
  }
  kept.sort((a, b) => a - b);
  held.sort((a, b) => a - b);
  return [Int32Array.from(kept), Int32Array.from(held)];
}

/** Up to `limit` indices of `pool`, drawn stratified (class proportions kept), ascending. */
export function stratifiedSample(ds: Labelled, pool: ArrayLike<number>, limit: number, rng: Rng): Int32Array {
  if (limit >= pool.length) return Int32Array.from(pool);
  const [, held] = stratifiedSplit(ds, limit / pool.length, rng, pool);
  return held.length > limit ? held.subarray(0, limit) : held;
}

/** A fresh permutation of `0..n-1` written into `order` (no allocation). */
export function shuffleInto(order: Int32Array, rng: Rng): Int32Array {
  for (let i = 0; i < order.length; i++) order[i] = i;
  return rng.shuffle(order);
}
