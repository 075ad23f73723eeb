import type { DatasetConfig } from '../../base/ir/types';
import type { CodeDatasetName } from '../../catalog/datasets/registry';
import { shapeMasks } from '../../catalog/datasets/shape-masks';
import { csvDataset } from './csv';
import { HOUSING_CSV } from './housing';
import { IRIS_CLASS_NAMES, IRIS_FEATURE_NAMES, IRIS_FEATURES, IRIS_LABELS } from './iris';
import { TABLE_ENCODING_FORMAT, TABLE_ENCODING_VERSION } from './table-encoding';
import { SYNTHETIC_SETS, syntheticDataset, type SyntheticName } from './synthetic';
import { SEQUENCE_TASKS, sequenceTask, type SequenceTaskName } from './sequence-tasks';
import { shapesDataset } from './shapes';
import { shapeMasksDataset } from './shape-masks';
import { wavesDataset } from './series';
import { DataError, type LoadedDataset } from './types';
import { taskFor } from '../../catalog/tasks';
import { splitSteps } from '../../base/ir/split';

/** How a dataset that lives in code loads (runtime-neutral; `seed` for generated sets without `options.seed`). */
export type CodeLoader = (config: DatasetConfig, seed: number) => LoadedDataset;

/** A number option of `set`, or undefined when left out; anything else is a coded error. */
function num(o: Record<string, unknown>, key: string, set: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new DataError('DATA_BAD_OPTION', `${set}: option ${key} must be a number (got ${JSON.stringify(v)}).`);
  return v;
}

/** The numeric `keys` of `config.options`, checked, with `seed` defaulting to the run's. */
function numbers<K extends string>(config: DatasetConfig, keys: readonly K[], seed: number): Partial<Record<K, number>> & { seed: number } {
  const o = config.options ?? {};
  const out = Object.fromEntries(keys.map((k) => [k, num(o, k, config.name)])) as Partial<Record<K, number>>;
  return { ...out, seed: num(o, 'seed', config.name) ?? seed };
}

const iris = (config: DatasetConfig): LoadedDataset => ({
  train: {
    name: config.name,
    task: taskFor('classes'),
    count: IRIS_LABELS.length,
    features: Float32Array.from(IRIS_FEATURES),
    featureShape: [4],
    targets: Float32Array.from(IRIS_LABELS),
    targetShape: [],
    numClasses: 3,
    classNames: [...IRIS_CLASS_NAMES],
    featureNames: [...IRIS_FEATURE_NAMES],
    // A table of four measurements: a row of them is what the Playground asks for and predict reads by name.
    table: { format: TABLE_ENCODING_FORMAT, version: TABLE_ENCODING_VERSION, columns: IRIS_FEATURE_NAMES.map((name) => ({ name, kind: 'numeric' as const })), target: 'species' },
  },
});
// The housing table ships as CSV text in code and goes through the same parser as a user's CSV.
const housing = (config: DatasetConfig): LoadedDataset => ({ train: csvDataset(HOUSING_CSV, { name: config.name, targetColumn: 'price_100k', task: taskFor('values') }) });
const synthetic = (config: DatasetConfig, seed: number): LoadedDataset => ({ train: syntheticDataset(config.name as SyntheticName, numbers(config, ['samples', 'noise', 'classes', 'factor'], seed)) });
const sequence = (config: DatasetConfig, seed: number): LoadedDataset => ({ train: sequenceTask(config.name as SequenceTaskName, numbers(config, ['samples', 'length', 'symbols'], seed)) });

/**
 * How each dataset declared in code (catalog/datasets/, not `files`) loads, by its name: a name
 * declared without its loader here fails to compile. The Node host loads the rest from files
 * (node/datasets.ts).
 */
export const CODE_LOADERS: { readonly [N in CodeDatasetName]: CodeLoader } = {
  iris,
  housing,
  ...(Object.fromEntries(SYNTHETIC_SETS.map((n) => [n, synthetic])) as Record<SyntheticName, CodeLoader>),
  ...(Object.fromEntries(SEQUENCE_TASKS.map((n) => [n, sequence])) as Record<SequenceTaskName, CodeLoader>),
  // A series splits in time order, in the loader (core/data/series.ts), by the run's split settings.
  waves: (config, seed) => wavesDataset(numbers(config, ['samples', 'length'], seed), splitSteps(config)),
  shapes: (config, seed) => ({ train: shapesDataset(numbers(config, ['samples', 'size'], seed)) }),
  [shapeMasks.name]: (config, seed) => shapeMasksDataset(numbers(config, ['samples', 'testSamples', 'size'], seed)),
};

/** The loader of `name` when it is made in code, else undefined. */
export function codeLoader(name: string): CodeLoader | undefined {
  return Object.hasOwn(CODE_LOADERS, name) ? CODE_LOADERS[name as CodeDatasetName] : undefined;
}
