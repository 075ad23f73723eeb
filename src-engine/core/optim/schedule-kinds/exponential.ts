import { exponential as declared } from '../../../catalog/schedules/exponential';
import { ClosedFormSchedule, check } from '../schedule-base';
import { defineSchedule } from '../schedule-def';

export const exponential = defineSchedule({
  ...declared,
  create(c, baseLr) {
    check(c.kind, 'gamma', c.gamma, c.gamma > 0, 'positive');
    return new ClosedFormSchedule(declared.kind, (t) => baseLr * Math.pow(c.gamma, t));
  },
  pytorch: { lrAt: "return base * s['gamma'] ** t" },
});
