import { float, required } from '../settings';
import { declareSchedule } from './types';

export const exponential = declareSchedule({
  kind: 'exponential',
  label: 'exponential',
  doc: 'Multiply the rate by gamma every epoch (ExponentialLR).',
  params: { gamma: required(float(0.9, 'Factor per epoch (or step).', 0)) },
});
