import { float, int, required } from '../settings';
import { declareSchedule } from './types';

export const warmupCosine = declareSchedule({
  kind: 'warmup-cosine',
  label: 'warm-up + cosine',
  doc: 'Linear warm-up from 0, then a cosine down to etaMin; steps per batch.',
  params: { warmupSteps: required(int(100, 'Batches of linear warm-up.', 0)), totalSteps: required(int(1000, 'Batches until the rate reaches etaMin.', 1)), etaMin: float(0, 'The lowest rate.', 0) },
  perStep: true,
});
