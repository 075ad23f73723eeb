import { ClosedFormSchedule, check } from '../schedule-base';
import { defineSchedule } from '../schedule-def';
import { float, int } from '../setting-spec';

export const cosine = defineSchedule({
  kind: 'cosine',
  label: 'cosine',
  doc: 'Half a cosine from the rate down to etaMin over tMax epochs (CosineAnnealingLR).',
  params: { tMax: int(10, 'Epochs (or steps) of the half cosine; the run\u2019s epochs by default.', 1), etaMin: float(0, 'The lowest rate.', 0) },
  fit(setting, { epochs }) {
    if (epochs) setting.tMax = Math.max(1, epochs);
  },
  create(c, baseLr) {
    check(c.kind, 'tMax', c.tMax, c.tMax > 0, 'positive');
    const etaMin = c.etaMin ?? 0;
    // PyTorch CosineAnnealingLR's closed form; past tMax it keeps following the cosine back up,
    // as PyTorch does (use warmup-cosine to stay at etaMin instead).
    return new ClosedFormSchedule('cosine', (t) => etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * t) / c.tMax))) / 2);
  },
  pytorch: {
    lrAt: `eta = s.get('etaMin', 0)
return eta + (base - eta) * (1 + math.cos(math.pi * t / s['tMax'])) / 2`,
  },
});
