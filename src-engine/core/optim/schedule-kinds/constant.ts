import { ClosedFormSchedule } from '../schedule-base';
import { defineSchedule } from '../schedule-def';

export const constant = defineSchedule({
  kind: 'constant',
  label: 'constant',
  doc: 'The same learning rate throughout.',
  params: {},
  create: (_s, baseLr) => new ClosedFormSchedule('constant', () => baseLr),
  pytorch: { lrAt: 'return base' },
});
