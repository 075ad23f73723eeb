import { ClosedFormSchedule, check } from '../schedule-base';
import { defineSchedule, type ScheduleSettings } from '../schedule-def';
import { float, int, required } from '../../../catalog/settings';
import { declareSchedule } from '../../../catalog/schedules/types';

/** Its settings, as the Train dock and the IR read them (catalog/schedules/generated.ts lists every schedule's). */
const declared = declareSchedule({
  kind: 'onecycle',
  label: 'one-cycle',
  doc: 'Up to maxLr and back down far below it in one cycle (OneCycleLR); steps per batch.',
  params: {
    maxLr: required(float(0.01, 'The peak rate.', 0)),
    totalSteps: required(int(1000, 'Batches in the cycle.', 2)),
    pctStart: float(0.3, 'Fraction of the cycle spent rising.', 0, 1),
    divFactor: float(25, 'The start rate is maxLr / divFactor.', 0),
    finalDivFactor: float(1e4, 'The final rate is the start rate / finalDivFactor.', 0),
  },
  perStep: true,
  fit: { maxLr: { from: 'lr', times: 10 } },
});

export const onecycle = defineSchedule({
  ...declared,
  // NOTE: driven by its own maxLr, not the optimizer's rate, as PyTorch's OneCycleLR is.
  create: (c) => new ClosedFormSchedule(c.kind, oneCycle(c)),
  pytorch: {
    lrAt: `total, pct = s['totalSteps'], s.get('pctStart', 0.3)
initial = s['maxLr'] / s.get('divFactor', 25)
low = initial / s.get('finalDivFactor', 1e4)
warm_end, last = pct * total - 1, total - 1
step = min(t, last)
anneal = lambda a, b, p: b + (a - b) / 2 * (math.cos(math.pi * p) + 1)
return anneal(initial, s['maxLr'], step / warm_end) if step <= warm_end else anneal(s['maxLr'], low, (step - warm_end) / (last - warm_end))`,
  },
  testDomain: {
    // NOTE: PyTorch raises when stepped past total_steps (this keeps the final rate): a case ends there.
    torch: "S.OneCycleLR(optimizer, max_lr=s['maxLr'], total_steps=s['totalSteps'], pct_start=s['pctStart'], div_factor=s['divFactor'], final_div_factor=s['finalDivFactor'], cycle_momentum=False)",
    cases: [
      { name: 'defaults', settings: { maxLr: 0.5, totalSteps: 30 } },
      { name: 'custom', settings: { maxLr: 1, totalSteps: 40, pctStart: 0.25, divFactor: 10, finalDivFactor: 100 } },
    ],
  },
});

/**
 * PyTorch OneCycleLR (1.13) with `anneal_strategy='cos'`, `three_phase=False`: from
 * `maxLr/divFactor` up to `maxLr` over the first `pctStart·totalSteps − 1` steps, then down to
 * `maxLr/(divFactor·finalDivFactor)` at step `totalSteps − 1`.
 *
 * NOTE: PyTorch raises if stepped past `totalSteps`; here later steps keep the final rate.
 * PyTorch also cycles momentum (β1) inversely by default; Netwright schedules only the rate.
 */
function oneCycle(c: ScheduleSettings<typeof declared.kind>): (t: number) => number {
  const total = c.totalSteps;
  const pctStart = c.pctStart ?? 0.3;
  const divFactor = c.divFactor ?? 25;
  const finalDivFactor = c.finalDivFactor ?? 1e4;
  check(c.kind, 'totalSteps', total, Number.isInteger(total) && total > 1, 'an integer > 1');
  check(c.kind, 'maxLr', c.maxLr, c.maxLr > 0, 'positive');
  check(c.kind, 'pctStart', pctStart, pctStart > 0 && pctStart < 1, 'in (0, 1)');
  check(c.kind, 'divFactor', divFactor, divFactor > 0, 'positive');
  check(c.kind, 'finalDivFactor', finalDivFactor, finalDivFactor > 0, 'positive');
  const initialLr = c.maxLr / divFactor;
  const minLr = initialLr / finalDivFactor;
  const warmEnd = pctStart * total - 1;
  const lastStep = total - 1;
  const cosAnneal = (start: number, end: number, pct: number): number =>
    end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  return (t) => {
    const s = Math.min(t, lastStep);
    if (s <= warmEnd) return cosAnneal(initialLr, c.maxLr, s / warmEnd);
    return cosAnneal(c.maxLr, minLr, (s - warmEnd) / (lastStep - warmEnd));
  };
}
