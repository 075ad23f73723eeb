import { normalize, testSplit } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const imageFolder = declareDataset({
  name: 'image-folder',
  label: 'Image folder',
  doc: 'Your images: one sub-folder per class (PNG, JPEG or WebP, grey or colour), optionally under train/, val/, test/. Fed at the features Input\'s shape: converted to its channels, resized (antialiased bilinear, as Pillow and torchvision do).',
  task: taskFor('classes'),
  files: true,
  options: {
    normalize: { ...normalize, default: 'per-channel', values: ['none', 'per-channel', 'global', 'per-feature'], doc: 'per-channel: each colour channel standardised with its mean and std on the training split (torchvision Normalize); none: pixels in 0–1.' },
    testSplit: testSplit,
    memoryBudget: { kind: 'int', default: 1024, min: 16, max: 1_048_576, doc: 'MiB of decoded images held in memory. A larger folder is streamed from disk as it trains (decoded in worker threads, a cache of this size).' },
  },
});
