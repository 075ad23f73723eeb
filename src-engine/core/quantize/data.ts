/**
 * What a quantisation reads from a dataset, raw (the int8 file takes raw features: its
 * normalisation leads): N calibration samples of the training split, evenly spaced, and the test
 * split, split as training split them (the same seed).
 */
import type { DatasetConfig } from '../../base/ir/types';
import { DataError, inMemory, type Dataset, type LoadedDataset, type Normalization, type Samples } from '../data';
import { prepareForEvaluation } from '../train/evaluate';

/** Raw samples: `count` of them, their features and targets. */
export interface Sampled {
  x: Float32Array;
  y: Float32Array;
  count: number;
}

/** A normalisation that leaves every value as it is: x − 0 is x, and x · (1 / 1) is x. */
const RAW: Normalization = { kind: 'global', mean: [0], std: [1] };

/** `count` samples of `s`, evenly spaced, with their targets. */
export function evenly(s: Dataset, count: number): Sampled {
  const n = s.features.length / Math.max(1, s.count);
  const take = Math.min(count, s.count);
  const per = s.targets.length / Math.max(1, s.count);
  const x = new Float32Array(take * n);
  const y = new Float32Array(take * per);
  for (let i = 0; i < take; i++) {
    const r = Math.floor((i * s.count) / take);
    x.set(s.features.subarray(r * n, (r + 1) * n), i * n);
    y.set(s.targets.subarray(r * per, (r + 1) * per), i * per);
  }
  return { x, y, count: take };
}

/**
 * `samples` calibration samples of the training split of `loaded` (split by `config` and `seed`
 * as training split it) and the test split (the validation split when there is no test split), at
 * most `limit` of its samples; features and targets raw.
 *
 * @throws DataError when the splits are not in memory (a streamed folder) or the training split is empty.
 */
export function quantizationSplits(loaded: LoadedDataset<Samples>, config: DatasetConfig, seed: number, samples: number, limit?: number): { calibration: Sampled; test: Sampled } {
  // "Normalised" by x − 0 / 1 (exact): the data's own normalisation is not fitted; targets raw.
  const data = prepareForEvaluation(loaded, config, seed, RAW, undefined);
  const train = inMemory(data.train, 'calibration');
  if (train.count === 0) throw new DataError('DATA_TOO_SMALL', 'the training split holds no samples to calibrate on');
  const test = inMemory(data.test.count > 0 ? data.test : data.val, 'the test split');
  return { calibration: evenly(train, samples), test: evenly(test, limit ?? test.count) };
}
