import { cosine as declared } from '../../../catalog/schedules/cosine';
import { ClosedFormSchedule, check } from '../schedule-base';
import { defineSchedule } from '../schedule-def';

export const cosine = defineSchedule({
  ...declared,
  create(c, baseLr) {
    check(c.kind, 'tMax', c.tMax, c.tMax > 0, 'positive');
    const etaMin = c.etaMin ?? 0;
    // PyTorch CosineAnnealingLR's closed form; past tMax it keeps following the cosine back up,
    // as PyTorch does (use warmup-cosine to stay at etaMin instead).
    return new ClosedFormSchedule(declared.kind, (t) => etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * t) / c.tMax))) / 2);
  },
  pytorch: {
    lrAt: `eta = s.get('etaMin', 0)
return eta + (base - eta) * (1 + math.cos(math.pi * t / s['tMax'])) / 2`,
  },
});
