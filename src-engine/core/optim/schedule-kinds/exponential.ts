import { ClosedFormSchedule, check } from '../schedule-base';
import { defineSchedule } from '../schedule-def';
import { float } from '../setting-spec';

export const exponential = defineSchedule({
  kind: 'exponential',
  label: 'exponential',
  doc: 'Multiply the rate by gamma every epoch (ExponentialLR).',
  params: { gamma: float(0.9, 'Factor per epoch (or step).', 0) },
  create(c, baseLr) {
    check(c.kind, 'gamma', c.gamma, c.gamma > 0, 'positive');
    return new ClosedFormSchedule('exponential', (t) => baseLr * Math.pow(c.gamma, t));
  },
  pytorch: { lrAt: "return base * s['gamma'] ** t" },
});
