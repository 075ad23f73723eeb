import { float, int, required } from '../settings';
import { declareSchedule } from './types';

export const cosine = declareSchedule({
  kind: 'cosine',
  label: 'cosine',
  doc: 'Half a cosine from the rate down to etaMin over tMax epochs (CosineAnnealingLR).',
  params: { tMax: required(int(10, 'Epochs (or steps) of the half cosine; the run\u2019s epochs by default.', 1)), etaMin: float(0, 'The lowest rate.', 0) },
  fit(setting, { epochs }) {
    if (epochs) setting.tMax = Math.max(1, epochs);
  },
});
