import { step as declared } from '../../../catalog/schedules/step';
import { ClosedFormSchedule, check } from '../schedule-base';
import { defineSchedule } from '../schedule-def';

export const step = defineSchedule({
  ...declared,
  create(c, baseLr) {
    check(c.kind, 'stepSize', c.stepSize, Number.isInteger(c.stepSize) && c.stepSize > 0, 'a positive integer');
    check(c.kind, 'gamma', c.gamma, c.gamma > 0, 'positive');
    return new ClosedFormSchedule(declared.kind, (t) => baseLr * Math.pow(c.gamma, Math.floor(t / c.stepSize)));
  },
  pytorch: { lrAt: "return base * s['gamma'] ** (t // s['stepSize'])" },
});
