import { constant as declared } from '../../../catalog/schedules/constant';
import { ClosedFormSchedule } from '../schedule-base';
import { defineSchedule } from '../schedule-def';

export const constant = defineSchedule({
  ...declared,
  create: (_s, baseLr) => new ClosedFormSchedule(declared.kind, () => baseLr),
  pytorch: { lrAt: 'return base' },
});
