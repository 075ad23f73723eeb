/** Datasets: parsing, built-in sets, splits, normalisation, corruption and batching (runtime-neutral). */
export * from './types';
export { parseIdx, idxImageDataset } from './idx';
export type { IdxArray } from './idx';
export { parseCsvRows, csvDataset } from './csv';
export type { CsvOptions } from './csv';
export { syntheticDataset, SYNTHETIC_SETS, isSynthetic } from './synthetic';
export type { SyntheticOptions, SyntheticName } from './synthetic';
export { loadBuiltinDataset, BUILTIN_DATASETS } from './builtin';
export { stratifiedSplit, stratifiedSample, shuffleInto } from './split';
export { fitNormalization, applyNormalization } from './normalize';
export type { Normalization, NormalizationKind } from './normalize';
export { applyTransform, applyAugmentation, checkTransform, checkAugmentation } from './transforms';
export type { FeatureTransform, Augmentation } from './transforms';
export { checkDataset } from './validate';
export { prepareData } from './prepare';
export type { PreparedData } from './prepare';
export { BatchFeeder } from './batch';
export { DATASETS, type DatasetSpec } from './registry';
