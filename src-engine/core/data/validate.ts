import { DataError } from './types';
import type { Samples } from './types';
import { featureSize, isStreamed, targetSize } from './types';
import { taskOf } from '../../catalog/tasks';

/**
 * Check a dataset before training: every feature and regression target finite, every class
 * label (one per sample, or one per position for `targetShape` [T]) an integer in `[0, numClasses)`.
 * Throws a DataError naming the first bad sample. A streamed set's labels are checked; its features
 * (decoded images, in [0, 1]) are not read here.
 */
export function checkDataset(ds: Samples): void {
  const fs = featureSize(ds);
  const x = isStreamed(ds) ? new Float32Array(0) : ds.features;
  if (!isStreamed(ds) && x.length !== ds.count * fs) {
    throw new DataError('DATA_TOO_SMALL', `${ds.name}: ${x.length} feature values for ${ds.count} samples of ${fs}.`);
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      const name = ds.featureNames?.[i % fs];
      throw new DataError(
        'DATA_NAN',
        `${ds.name}: sample ${Math.floor(i / fs)}, feature ${name ? JSON.stringify(name) : i % fs} is ${x[i]}; fill or drop missing values before training.`,
      );
    }
  }
  const targets = taskOf(ds.task).targets;
  if (targets === 'classes') {
    // One label per sample, or one per position (`targetShape` [T]: a language model's next tokens).
    const per = targetSize(ds);
    if (ds.targets.length !== ds.count * per) throw new DataError('DATA_TOO_SMALL', `${ds.name}: ${ds.targets.length} labels for ${ds.count} samples of ${per}.`);
    for (let i = 0; i < ds.targets.length; i++) {
      const y = ds.targets[i];
      if (!Number.isInteger(y) || y < 0 || y >= ds.numClasses) {
        throw new DataError(
          'DATA_LABEL_RANGE',
          `${ds.name}: sample ${Math.floor(i / per)} has label ${y}, but labels must be whole numbers from 0 to ${ds.numClasses - 1} (${ds.numClasses} classes).`,
        );
      }
    }
  } else if (targets === 'values') {
    const ts = targetSize(ds);
    for (let i = 0; i < ds.targets.length; i++) {
      if (!Number.isFinite(ds.targets[i])) {
        throw new DataError('DATA_NAN', `${ds.name}: sample ${Math.floor(i / ts)} has target ${ds.targets[i]}; fill or drop it before training.`);
      }
    }
  }
}
