import { ClosedFormSchedule, check } from '../schedule-base';
import { defineSchedule } from '../schedule-def';
import { float, int, required } from '../../../catalog/settings';
import { declareSchedule } from '../../../catalog/schedules/types';

/** Its settings, as the Train dock and the IR read them (catalog/schedules/generated.ts lists every schedule's). */
const declared = declareSchedule({
  kind: 'cosine',
  label: 'cosine',
  doc: 'Half a cosine from the rate down to etaMin over tMax epochs (CosineAnnealingLR).',
  params: { tMax: required(int(10, 'Epochs (or steps) of the half cosine; the run\u2019s epochs by default.', 1)), etaMin: float(0, 'The lowest rate.', 0) },
  fit: { tMax: { from: 'epochs', atLeast: 1 } },
});

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
  testDomain: {
    torch: "S.CosineAnnealingLR(optimizer, T_max=s['tMax'], eta_min=s['etaMin'])",
    // 30 steps of a 10-step half cosine: down, and back up past tMax.
    cases: [
      { name: 'tMax 10, past it', settings: { tMax: 10, etaMin: 0.001 } },
      { name: 'etaMin by default', settings: { tMax: 30 } },
    ],
  },
});
