import { noise, samples } from './options';
import { declareDataset } from './types';
import { taskFor } from '../tasks';

export const circles = declareDataset({
  name: 'circles', label: 'circles', doc: 'A ring around a disc.', task: taskFor('classes'), featureShape: [2], options: { samples: samples(), noise: noise(0.1), factor: { kind: 'float', default: 0.5, min: 0, max: 1, doc: 'Inner radius ÷ outer radius.' } },
});
