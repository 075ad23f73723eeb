import { ClosedFormSchedule } from '../schedule-base';
import { defineSchedule } from '../schedule-def';
import { declareSchedule } from '../../../catalog/schedules/types';

/** Its settings, as the Train dock and the IR read them (catalog/schedules/generated.ts lists every schedule's). */
const declared = declareSchedule({ kind: 'constant', label: 'constant', doc: 'The same learning rate throughout.', params: {} });

export const constant = defineSchedule({
  ...declared,
  create: (_s, baseLr) => new ClosedFormSchedule(declared.kind, () => baseLr),
  pytorch: { lrAt: 'return base' },
  testDomain: { torch: 'S.ConstantLR(optimizer, factor=1.0)', cases: [{ name: 'constant', settings: {} }] },
});
