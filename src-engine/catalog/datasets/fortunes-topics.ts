import { labelledText } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

/** The fortune files this set reads, one class each, in class order. */
export const FORTUNE_TOPICS = ['computers', 'science', 'politics', 'songs-poems'] as const;

export const fortunesTopics = declareDataset({
  name: 'fortunes-topics',
  label: 'Fortunes by topic (text classification)',
  doc: 'Debian’s fortunes filed by topic — computers, science, politics, songs-poems (3,099 fortunes; the largest class 34 %) — each fortune a sample, its topic the class. A fixed stratified split (80 % train, 20 % test, seeded by options.splitSeed alone); the vocabulary is built on the training split (<pad> = 0, <unk> = 1). Needs `apt-get install fortunes`.',
  task: taskFor('classes'),
  files: true,
  options: labelledText,
  labelled: true,
});
