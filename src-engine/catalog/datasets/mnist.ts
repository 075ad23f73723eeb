import { normalizeImages } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const mnist = declareDataset({
  name: 'mnist', label: 'MNIST digits', doc: '70,000 handwritten digits, 28×28 grey.', sampleNoun: 'a digit', task: taskFor('classes'), featureShape: [1, 28, 28], files: true, options: { normalize: normalizeImages },
  idx: { mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/'] },
});
