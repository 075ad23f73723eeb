import type { StartResult } from '../../../src-renderer/src/training/model';

/** What `train.start` answers for a small two-class run (10 steps an epoch, 2 epochs). */
export const startResult: StartResult = {
  runId: 'run-1',
  backend: 'CPU · 2 threads',
  stepsPerEpoch: 10,
  epochs: 2,
  batchSize: 4,
  task: 'classification',
  classNames: ['a', 'b'],
  probeSamples: { shape: [2], inputs: [[0, 1]], targets: [1] },
};
