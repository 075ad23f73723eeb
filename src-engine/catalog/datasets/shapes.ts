import { normalize, samples } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const shapes = declareDataset({
  name: 'shapes',
  label: 'coloured shapes (images)',
  doc: 'Circles, squares and triangles of random colours, sizes and places, drawn in code: a colour-image task that needs no files (what "Your photos" learns until Add data… points it at your folder).',
  hint: 'Coloured shapes drawn in code, standing in for your photos: put them in a folder with one sub-folder per class (optionally under train/, val/ and test/), and choose Add data…; the last layer is then resized to your classes.',
  task: taskFor('classes'),
  featureShape: [3, 32, 32],
  options: {
    samples: samples(3000),
    normalize: { ...normalize, default: 'per-channel', values: ['none', 'per-channel', 'global', 'per-feature'] },
  },
});
