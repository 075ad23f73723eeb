import { warmupCosine as declared } from '../../../catalog/schedules/warmup-cosine';
import { ClosedFormSchedule, check } from '../schedule-base';
import { defineSchedule } from '../schedule-def';

export const warmupCosine = defineSchedule({
  ...declared,
  create(c, baseLr) {
    const { warmupSteps: w, totalSteps: total } = c;
    const etaMin = c.etaMin ?? 0;
    check(c.kind, 'warmupSteps', w, Number.isInteger(w) && w >= 0, 'an integer ≥ 0');
    check(c.kind, 'totalSteps', total, Number.isInteger(total) && total > w, `an integer > warmupSteps (${w})`);
    // Linear warmup from 0 (step 0 has rate 0, as transformers' get_cosine_schedule_with_warmup),
    // then a half cosine from baseLr down to etaMin at totalSteps, then etaMin.
    return new ClosedFormSchedule(c.kind, (t) => {
      if (t < w) return (baseLr * t) / w;
      const progress = Math.min(1, (t - w) / (total - w));
      return etaMin + ((baseLr - etaMin) * (1 + Math.cos(Math.PI * progress))) / 2;
    });
  },
  pytorch: {
    lrAt: `w, total, eta = s['warmupSteps'], s['totalSteps'], s.get('etaMin', 0)
if t < w:
    return base * t / w
progress = min(1, (t - w) / (total - w))
return eta + (base - eta) * (1 + math.cos(math.pi * progress)) / 2`,
  },
});
