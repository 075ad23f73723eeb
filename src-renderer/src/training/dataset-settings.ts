import { listTransforms, splitSteps, type DatasetConfig, type SplitFractions, type TransformConfig, type TransformDef, type TransformKind } from '../../../src-engine/facade';

/** The corruptions the dataset panel offers, in order: the declared input transforms (catalog/transforms/). */
export const CORRUPTIONS: readonly TransformDef<TransformKind>[] = listTransforms();

/**
 * The transform for a corruption chosen in the panel: its declared defaults, keeping the previous
 * one's amounts where a parameter of the same name means the same thing (a fraction stays a fraction).
 *
 * @example transformFor('salt-pepper', { kind: 'mask', fraction: 0.3 }) // { kind: 'salt-pepper', fraction: 0.3 }
 */
export function transformFor(kind: TransformKind, prev?: TransformConfig): TransformConfig | undefined {
  const def = CORRUPTIONS.find((c) => c.kind === kind);
  if (!def || def.identity) return undefined;
  const kept = (prev ?? {}) as Readonly<Record<string, unknown>>;
  const params = Object.entries(def.params).map(([name, p]) => [name, typeof kept[name] === typeof p.default ? kept[name] : p.default]);
  return { kind, ...Object.fromEntries(params) } as TransformConfig;
}

/** What the chosen normalisation feeds, in words, for the panel's hint. */
export function scaleHint(normalize: string): string {
  switch (normalize) {
    case 'raw':
      return 'pixel values 0–255, as stored';
    case 'none':
      return 'values as loaded (images scaled to 0–1)';
    case 'global':
      return 'standardised: (x − mean) / std over all values of the training split';
    case 'per-feature':
      return 'standardised per feature with the training split’s mean and std';
    default:
      return normalize;
  }
}

/** The subset sizes the panel offers as one click: overfitting a batch, a quick run, everything. */
export const SUBSET_PRESETS: readonly { label: string; limit: number | undefined }[] = [
  { label: '64', limit: 64 },
  { label: '1k', limit: 1000 },
  { label: 'all', limit: undefined },
];

/** `dataset` with `patch` applied; a key set to `undefined` is removed (the design stays minimal). */
export function patchDataset(dataset: DatasetConfig, patch: Partial<DatasetConfig>): DatasetConfig {
  const out: Record<string, unknown> = { ...dataset, ...patch };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as unknown as DatasetConfig;
}

/** A share rounded to 6 decimals (0.1 + 0.2 stays 0.3 in the design file). */
const share = (x: number) => +x.toFixed(6);

/**
 * The shares of the data the run splits it in (#83): its `split` (IR v4), else what
 * `options.testSplit` and `validationSplit` make of it (test first, validation a share of the rest).
 *
 * @example splitShares({ name: IRIS }) // { train: 0.72, val: 0.08, test: 0.2 }
 */
export function splitShares(dataset: DatasetConfig): SplitFractions {
  if (dataset.split) return dataset.split;
  const { test, valOfRest } = splitSteps(dataset);
  const val = share(valOfRest * (1 - test));
  return { train: share(1 - test - val), val, test: share(test) };
}

/**
 * `dataset` with its validation or test share of the data set to `value`: written as `split`
 * (training takes what the other two leave), the older `validationSplit` and `options.testSplit`
 * dropped (the split replaces them). Shares that leave nothing to train on are kept as given for
 * the validator to refuse (E_TRAINING), as any setting out of range.
 *
 * @example withSplitShare({ name: IRIS }, 'test', 0.15) // { name: IRIS, split: { train: 0.77, val: 0.08, test: 0.15 } }
 */
export function withSplitShare(dataset: DatasetConfig, which: 'val' | 'test', value: number): DatasetConfig {
  const s = { ...splitShares(dataset), [which]: value };
  const split = { train: share(1 - s.val - s.test), val: share(s.val), test: share(s.test) };
  const { testSplit: _testSplit, ...options } = dataset.options ?? {};
  return patchDataset(dataset, { split, validationSplit: undefined, options: Object.keys(options).length ? options : undefined });
}
