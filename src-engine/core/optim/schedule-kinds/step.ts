import { ClosedFormSchedule, check } from '../schedule-base';
import { defineSchedule } from '../schedule-def';
import { float, int, required } from '../../../catalog/settings';
import { declareSchedule } from '../../../catalog/schedules/types';

/** Its settings, as the Train dock and the IR read them (catalog/schedules/generated.ts lists every schedule's). */
const declared = declareSchedule({
  kind: 'step',
  label: 'step decay',
  doc: 'Multiply the rate by gamma every stepSize epochs (StepLR).',
  params: { stepSize: required(int(1, 'Epochs (or steps) between decays.', 1)), gamma: required(float(0.5, 'Factor applied at each decay.', 0)) },
});

export const step = defineSchedule({
  ...declared,
  create(c, baseLr) {
    check(c.kind, 'stepSize', c.stepSize, Number.isInteger(c.stepSize) && c.stepSize > 0, 'a positive integer');
    check(c.kind, 'gamma', c.gamma, c.gamma > 0, 'positive');
    return new ClosedFormSchedule(declared.kind, (t) => baseLr * Math.pow(c.gamma, Math.floor(t / c.stepSize)));
  },
  pytorch: { lrAt: "return base * s['gamma'] ** (t // s['stepSize'])" },
  testDomain: { torch: "S.StepLR(optimizer, step_size=s['stepSize'], gamma=s['gamma'])", cases: [{ name: 'every 7 steps', settings: { stepSize: 7, gamma: 0.3 } }] },
});
