import type { DatasetConfig } from '../../base/ir/types';
import { DATASETS, getDataset } from './registry';
import type { LoadedDataset } from './types';

/** Datasets that need no files (those the registry gives a `load`): Iris, the housing table, the synthetic 2-D sets, the sequence tasks, a generated time series and the coloured shapes. Node adds the rest. */
export const BUILTIN_DATASETS: readonly string[] = DATASETS.filter((d) => d.load).map((d) => d.name);

/**
 * Load a dataset that lives in code (runtime-neutral), as its registry entry says. Returns
 * undefined for names that need a file system (`mnist`, `fashion-mnist`, `csv`), so hosts can fall
 * back to their own loader.
 *
 * @param seed used by synthetic sets when `options.seed` is not given.
 */
export function loadBuiltinDataset(config: DatasetConfig, seed = 0): LoadedDataset | undefined {
  return getDataset(config.name)?.load?.(config, seed);
}
