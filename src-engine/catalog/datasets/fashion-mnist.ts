import { normalizeImages } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const fashionMnist = declareDataset({
  name: 'fashion-mnist', label: 'Fashion-MNIST', doc: '70,000 clothing images in 10 classes, 28×28 grey.', sampleNoun: 'a piece of clothing', task: taskFor('classes'), featureShape: [1, 28, 28], files: true, options: { normalize: normalizeImages },
  idx: { mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'] },
});
