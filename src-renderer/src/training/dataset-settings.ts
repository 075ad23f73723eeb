import type { DatasetConfig } from '../../../src-engine/facade';

type Transform = NonNullable<DatasetConfig['transform']>;
export type CorruptionKind = Transform['kind'];

/** The corruptions the dataset panel offers, with what each one's amount means. */
export const CORRUPTIONS: readonly { kind: CorruptionKind; label: string; doc: string; images?: boolean }[] = [
  { kind: 'none', label: 'none', doc: 'The network sees the samples as they are.' },
  { kind: 'gaussian-noise', label: 'Gaussian noise', doc: 'Adds N(0, σ²) to every value, clipped to [0, 1] (denoising autoencoders).' },
  { kind: 'salt-pepper', label: 'salt and pepper', doc: 'Sets a fraction of the values to 0 or 1.' },
  { kind: 'mask', label: 'mask pixels', doc: 'Zeroes each value with the given probability.' },
  { kind: 'block-mask', label: 'mask blocks', doc: 'Zeroes size×size squares at random places (in-painting); one block, or several random patches.', images: true },
];

/**
 * The transform for a corruption chosen in the panel, keeping the amount of the previous one
 * where it means the same thing (a fraction stays a fraction).
 *
 * @example transformFor('salt-pepper', { kind: 'mask', fraction: 0.3 }) // { kind: 'salt-pepper', fraction: 0.3 }
 */
export function transformFor(kind: CorruptionKind, prev?: Transform): Transform | undefined {
  const fraction = prev && 'fraction' in prev ? prev.fraction : 0.1;
  switch (kind) {
    case 'none':
      return undefined;
    case 'gaussian-noise':
      return { kind, std: prev?.kind === kind ? prev.std : 0.3, clip: true };
    case 'salt-pepper':
    case 'mask':
      return { kind, fraction };
    case 'block-mask':
      return prev?.kind === kind ? prev : { kind, size: 10, count: 1 };
  }
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
