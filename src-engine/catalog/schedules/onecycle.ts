import { float, int, required } from '../settings';
import { declareSchedule } from './types';

export const onecycle = declareSchedule({
  kind: 'onecycle',
  label: 'one-cycle',
  doc: 'Up to maxLr and back down far below it in one cycle (OneCycleLR); steps per batch.',
  params: {
    maxLr: required(float(0.01, 'The peak rate.', 0)),
    totalSteps: required(int(1000, 'Batches in the cycle.', 2)),
    pctStart: float(0.3, 'Fraction of the cycle spent rising.', 0, 1),
    divFactor: float(25, 'The start rate is maxLr / divFactor.', 0),
    finalDivFactor: float(1e4, 'The final rate is the start rate / finalDivFactor.', 0),
  },
  perStep: true,
  fit(setting, { lr }) {
    if (lr) setting.maxLr = 10 * lr;
  },
});
