import { declareDataset } from './types';

/** The fortune files `fortunes-topics` reads, one class each, in class order. */
export const FORTUNE_TOPICS = ['computers', 'science', 'politics', 'songs-poems'] as const;

export const fortunesTopics = declareDataset({
  name: 'fortunes-topics',
  label: 'Fortunes by topic (text classification)',
  doc: 'Debian’s fortunes filed by topic — computers, science, politics, songs-poems (3,099 fortunes; the largest class 34 %) — each fortune a sample, its topic the class. A fixed stratified split (80 % train, 20 % test, seeded by options.splitSeed alone); the vocabulary is built on the training split (<pad> = 0, <unk> = 1). Needs `apt-get install fortunes`.',
  task: 'classification',
  files: true,
  options: {
    tokens: { kind: 'enum', default: 'chars', values: ['chars', 'words'], doc: 'chars: every character is a token; words: lower-cased runs of letters, digits and apostrophes.' },
    features: { kind: 'enum', default: 'ids', values: ['ids', 'counts'], doc: 'ids: the first maxLength token ids, padded with 0 (an Input [maxLength] for an Embedding); counts: how often each vocabulary entry occurs (an Input [vocabulary size], a bag of words for a Linear model).' },
    maxLength: { kind: 'int', default: 256, min: 1, max: 4096, doc: 'Tokens per sample with features "ids": longer texts are cut, shorter ones padded with <pad>.' },
    minCount: { kind: 'int', default: 1, min: 1, max: 1000, doc: 'A token seen fewer times in the training split reads as <unk>.' },
    maxVocabulary: { kind: 'int', default: 20000, min: 3, max: 50000, doc: 'The most vocabulary entries (<pad> and <unk> included); rarer tokens read as <unk>.' },
    testSplit: { kind: 'float', default: 0.2, min: 0.05, max: 0.9, doc: 'Fraction of each topic held out for the test split.' },
    splitSeed: { kind: 'int', default: 1, min: 0, max: 2 ** 31 - 1, doc: 'Seeds the split alone: every run of the set, whatever its seed, tests on the same fortunes.' },
  },
});
