import { ClosedFormSchedule, check } from '../schedule-base';
import { defineSchedule } from '../schedule-def';
import { float, int } from '../setting-spec';

export const step = defineSchedule({
  kind: 'step',
  label: 'step decay',
  doc: 'Multiply the rate by gamma every stepSize epochs (StepLR).',
  params: { stepSize: int(1, 'Epochs (or steps) between decays.', 1), gamma: float(0.5, 'Factor applied at each decay.', 0) },
  create(c, baseLr) {
    check(c.kind, 'stepSize', c.stepSize, Number.isInteger(c.stepSize) && c.stepSize > 0, 'a positive integer');
    check(c.kind, 'gamma', c.gamma, c.gamma > 0, 'positive');
    return new ClosedFormSchedule('step', (t) => baseLr * Math.pow(c.gamma, Math.floor(t / c.stepSize)));
  },
  pytorch: { lrAt: "return base * s['gamma'] ** (t // s['stepSize'])" },
});
