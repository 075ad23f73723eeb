import { float, int, required } from '../settings';
import { declareSchedule } from './types';

export const step = declareSchedule({
  kind: 'step',
  label: 'step decay',
  doc: 'Multiply the rate by gamma every stepSize epochs (StepLR).',
  params: { stepSize: required(int(1, 'Epochs (or steps) between decays.', 1)), gamma: required(float(0.5, 'Factor applied at each decay.', 0)) },
});
