import { ClosedFormSchedule, check } from '../schedule-base';
import { defineSchedule } from '../schedule-def';
import { float, required } from '../../../catalog/settings';
import { declareSchedule } from '../../../catalog/schedules/types';

/** Its settings, as the Train dock and the IR read them (catalog/schedules/generated.ts lists every schedule's). */
const declared = declareSchedule({
  kind: 'exponential',
  label: 'exponential',
  doc: 'Multiply the rate by gamma every epoch (ExponentialLR).',
  params: { gamma: required(float(0.9, 'Factor per epoch (or step).', 0)) },
});

export const exponential = defineSchedule({
  ...declared,
  create(c, baseLr) {
    check(c.kind, 'gamma', c.gamma, c.gamma > 0, 'positive');
    return new ClosedFormSchedule(declared.kind, (t) => baseLr * Math.pow(c.gamma, t));
  },
  pytorch: { lrAt: "return base * s['gamma'] ** t" },
  testDomain: { torch: "S.ExponentialLR(optimizer, gamma=s['gamma'])", cases: [{ name: 'gamma 0.85', settings: { gamma: 0.85 } }] },
});
