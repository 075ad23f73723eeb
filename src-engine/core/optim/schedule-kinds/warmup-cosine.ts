import { ClosedFormSchedule, check } from '../schedule-base';
import { defineSchedule } from '../schedule-def';
import { float, int, required } from '../../../catalog/settings';
import { declareSchedule } from '../../../catalog/schedules/types';

/** Its settings, as the Train dock and the IR read them (catalog/schedules/generated.ts lists every schedule's). */
const declared = declareSchedule({
  kind: 'warmup-cosine',
  label: 'warm-up + cosine',
  doc: 'Linear warm-up from 0, then a cosine down to etaMin; steps per batch.',
  params: { warmupSteps: required(int(100, 'Batches of linear warm-up.', 0)), totalSteps: required(int(1000, 'Batches until the rate reaches etaMin.', 1)), etaMin: float(0, 'The lowest rate.', 0) },
  perStep: true,
});

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
  testDomain: {
    // NOTE: PyTorch's LinearLR cannot start from 0 (its chained form divides by start_factor), so
    // the warm-up is a LambdaLR; CosineAnnealingLR then climbs again past its T_max where this
    // holds etaMin, so the case ends at totalSteps.
    torch: "S.SequentialLR(optimizer, [S.LambdaLR(optimizer, lambda t: t / s['warmupSteps']), S.CosineAnnealingLR(optimizer, T_max=s['totalSteps'] - s['warmupSteps'], eta_min=s['etaMin'])], milestones=[s['warmupSteps']])",
    cases: [{ name: 'warm-up 5 of 25', settings: { warmupSteps: 5, totalSteps: 25, etaMin: 0.001 }, steps: 26 }],
  },
});
