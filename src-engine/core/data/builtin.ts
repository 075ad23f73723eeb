import type { DatasetConfig } from '../../base/ir/types';
import { csvDataset } from './csv';
import { HOUSING_CSV } from './housing';
import { IRIS_CLASS_NAMES, IRIS_FEATURE_NAMES, IRIS_FEATURES, IRIS_LABELS } from './iris';
import { isSynthetic, syntheticDataset } from './synthetic';
import { isSequenceTask, sequenceTask } from './sequence-tasks';
import { shapesDataset } from './shapes';
import { wavesDataset } from './series';
import type { LoadedDataset } from './types';
import { DataError } from './types';

/** Datasets that need no files: Iris, the housing table, the synthetic 2-D sets, the sequence tasks, a generated time series and the coloured shapes. Node adds MNIST, Fashion-MNIST and CSV. */
export const BUILTIN_DATASETS = ['iris', 'housing', 'two-moons', 'circles', 'spirals', 'xor', 'blobs', 'adding', 'memory', 'parity', 'waves', 'shapes'] as const;

/**
 * Load a dataset that lives in code (runtime-neutral). Returns undefined for names that need a
 * file system (`mnist`, `fashion-mnist`, `csv`), so hosts can fall back to their own loader.
 *
 * @param seed used by synthetic sets when `options.seed` is not given.
 */
export function loadBuiltinDataset(config: DatasetConfig, seed = 0): LoadedDataset | undefined {
  const o = config.options ?? {};
  if (config.name === 'iris') {
    return {
      train: {
        name: 'iris',
        task: 'classification',
        count: IRIS_LABELS.length,
        features: Float32Array.from(IRIS_FEATURES),
        featureShape: [4],
        targets: Float32Array.from(IRIS_LABELS),
        targetShape: [],
        numClasses: 3,
        classNames: [...IRIS_CLASS_NAMES],
        featureNames: [...IRIS_FEATURE_NAMES],
      },
    };
  }
  // The housing table ships as CSV text in code and goes through the same parser as a user's CSV.
  if (config.name === 'housing') return { train: csvDataset(HOUSING_CSV, { name: 'housing', targetColumn: 'price_100k', task: 'regression' }) };
  if (isSynthetic(config.name)) {
    return {
      train: syntheticDataset(config.name, {
        samples: num(o, 'samples', config.name),
        noise: num(o, 'noise', config.name),
        classes: num(o, 'classes', config.name),
        factor: num(o, 'factor', config.name),
        seed: num(o, 'seed', config.name) ?? seed,
      }),
    };
  }
  if (config.name === 'waves') return wavesDataset({ samples: num(o, 'samples', 'waves'), length: num(o, 'length', 'waves'), seed: num(o, 'seed', 'waves') ?? seed });
  if (config.name === 'shapes') {
    return { train: shapesDataset({ samples: num(o, 'samples', 'shapes'), size: num(o, 'size', 'shapes'), seed: num(o, 'seed', 'shapes') ?? seed }) };
  }
  if (isSequenceTask(config.name)) {
    return {
      train: sequenceTask(config.name, {
        samples: num(o, 'samples', config.name),
        length: num(o, 'length', config.name),
        symbols: num(o, 'symbols', config.name),
        seed: num(o, 'seed', config.name) ?? seed,
      }),
    };
  }
  return undefined;
}

function num(o: Record<string, unknown>, key: string, set: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new DataError('DATA_BAD_OPTION', `${set}: option ${key} must be a number (got ${JSON.stringify(v)}).`);
  return v;
}
