import { normalize, samples } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const shapeMasks = declareDataset({
  name: 'shape-masks',
  label: 'coloured shapes with masks (segmentation)',
  doc: 'Circles, squares and triangles on striped, grainy backgrounds with a class per pixel (background, circle, square, triangle), drawn in code: a segmentation task that needs no files. The test split is the same 400 images for every run.',
  hint: 'A class per pixel: the network outputs [4, 32, 32] scores and CrossEntropyLoss compares them with the [32, 32] mask. For your own images, put them in images/ and their masks (PNG, pixel value = class id) of the same names in masks/, and choose Add data….',
  task: taskFor('classes'),
  featureShape: [3, 32, 32],
  targetShape: [32, 32],
  options: {
    samples: samples(2000),
    testSamples: { kind: 'int', default: 400, min: 10, max: 100_000, doc: 'Test images (drawn from a fixed seed: the same for every run).' },
    normalize: { ...normalize, default: 'per-channel', values: ['none', 'per-channel', 'global', 'per-feature'] },
  },
});
