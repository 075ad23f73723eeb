import type { AttrSpec } from '../attr-spec';

/** How a table's missing cells are handled (`options.missing` of a CSV; core/data/csv.ts). */
export const MISSING_POLICIES = ['error', 'drop', 'mean', 'median', 'most-frequent', 'indicator'] as const;
/** What a time series does with a row without a value or a missing time step (`options.gaps` of the series set; core/data/series-table.ts). */
export const SERIES_GAP_POLICIES = ['refuse', 'interpolate', 'drop'] as const;
/** How a regression's targets are learnt (`training.dataset.targetNormalization`, #83): standardised with the training split's figures (the default), or as loaded. */
export const TARGET_NORMALIZATIONS = ['standard', 'none'] as const;
/** How a table's text columns are encoded (`options.categorical` of a CSV). */
export const CATEGORICAL_ENCODINGS = ['one-hot', 'index', 'error'] as const;

// The options several datasets share, as attribute specs (the Train dock builds fields from them).
export const samples = (def = 500): AttrSpec => ({ kind: 'int', default: def, min: 10, max: 1_000_000, doc: 'Samples to generate.' });
export const noise = (def: number): AttrSpec => ({ kind: 'float', default: def, min: 0, doc: 'Spread of the points around the pattern.' });
export const normalize = { kind: 'enum', default: 'none', values: ['none', 'global', 'per-feature'], doc: 'Standardise the features with statistics of the training split.' } as const satisfies AttrSpec;
/** Images: stored scaled to [0, 1]; `raw` feeds them on their 0–255 scale. */
export const normalizeImages: AttrSpec = { ...normalize, values: ['none', 'raw', 'global', 'per-feature'], doc: 'none: pixels scaled to 0–1; raw: 0–255; global / per-feature: standardised with statistics of the training split.' };
export const seqLength: AttrSpec = { kind: 'int', default: 20, min: 2, max: 1000, doc: 'Steps per sequence: the Input is [length, features].' };
export const textWindow: AttrSpec = { kind: 'int', default: 64, min: 2, max: 4096, doc: 'Characters per sample (T): the features Input is [T] token ids, the target Input [T] next characters.' };
export const testSplit: AttrSpec = { kind: 'float', default: 0.2, min: 0, max: 0.9, doc: 'Fraction held out for the test split (stratified by class), unless the data has its own test/.' };

/** The options of a labelled-text set (fortunes-topics, text-folder; core/data/labelled-text.ts). */
export const labelledText = {
  tokens: { kind: 'enum', default: 'chars', values: ['chars', 'words'], doc: 'chars: every character is a token; words: lower-cased runs of letters, digits and apostrophes.' },
  features: { kind: 'enum', default: 'ids', values: ['ids', 'counts'], doc: 'ids: the first maxLength token ids, padded with 0 (an Input [maxLength] for an Embedding); counts: how often each vocabulary entry occurs (an Input [vocabulary size], a bag of words for a Linear model).' },
  maxLength: { kind: 'int', default: 256, min: 1, max: 4096, doc: 'Tokens per sample with features "ids": longer texts are cut, shorter ones padded with <pad>.' },
  minCount: { kind: 'int', default: 1, min: 1, max: 1000, doc: 'A token seen fewer times in the training split reads as <unk>.' },
  maxVocabulary: { kind: 'int', default: 20000, min: 3, max: 50000, doc: 'The most vocabulary entries (<pad> and <unk> included); rarer tokens read as <unk>.' },
  testSplit: { kind: 'float', default: 0.2, min: 0.05, max: 0.9, doc: 'Fraction of each class held out for the test split.' },
  splitSeed: { kind: 'int', default: 1, min: 0, max: 2 ** 31 - 1, doc: 'Seeds the split alone: every run of the set, whatever its seed, tests on the same texts.' },
} as const satisfies Readonly<Record<string, AttrSpec>>;
