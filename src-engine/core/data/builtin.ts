import type { DatasetConfig } from '../../base/ir/types';
import { CODE_LOADERS, codeLoader } from './registry';
import type { LoadedDataset } from './types';

/** Datasets that need no files (those with a loader in code): Iris, the housing table, the synthetic 2-D sets, the sequence tasks, a generated time series and the coloured shapes. Node adds the rest. */
export const BUILTIN_DATASETS: readonly string[] = Object.keys(CODE_LOADERS);

/**
 * Load a dataset that lives in code (runtime-neutral), with its loader. Returns undefined for the
 * datasets declared `files` (read by the Node host), so hosts can fall back to their own loader.
 *
 * @param seed used by synthetic sets when `options.seed` is not given.
 */
export function loadBuiltinDataset(config: DatasetConfig, seed = 0): LoadedDataset | undefined {
  return codeLoader(config.name)?.(config, seed);
}
