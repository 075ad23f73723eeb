import { describe, expect, it } from 'vitest';
import type { ScheduleConfig } from '../../../src-engine/base/ir/types';
import { OPTIMIZER_DEFS, SCHEDULE_DEFS, createOptimizer, createSchedule, type OptimParam, type Schedule } from '../../../src-engine/core/optim';
import { PlateauSchedule } from '../../../src-engine/core/optim/schedule-kinds/plateau';
import { tensor } from '../../../src-engine/base/tensor';
import { optimGolden, optimizerCases } from '../optim-golden-cases';

// Trajectories recorded from PyTorch 1.13 by test/golden/gen_optim.py.
const golden = optimGolden;

interface ScheduleCase {
  case: string;
  config: ScheduleConfig & { cooldown?: number };
  baseLr: number;
  lrs: number[];
  metrics?: number[];
}

/** |a − b| ≤ 1e-4·|b| (plus 1e-7 absolute, for values that are 0 in exact arithmetic). */
function expectClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = 1e-4 * Math.abs(expected[i]) + 1e-7;
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      expect.fail(`${what}[${i}]: got ${actual[i]}, PyTorch ${expected[i]} (tolerance ${tol.toExponential(2)})`);
    }
  }
}

describe('every declared optimizer and schedule has PyTorch goldens', () => {
  it('names the declaration and the generator to extend for one without', () => {
    const optimizers = new Set(optimizerCases().map((c) => c.config.kind));
    const schedules = new Set((golden('schedules.json').cases as ScheduleCase[]).map((c) => c.config.kind));
    const missing = [
      ...OPTIMIZER_DEFS.filter((d) => !optimizers.has(d.kind)).map((d) => `src-engine/core/optim/${d.kind}.ts: no trajectory in test/golden/optim; add its cases to test/golden/gen_optim.py (a ${d.kind}.json) and run /usr/bin/python3 test/golden/gen_optim.py`),
      ...SCHEDULE_DEFS.filter((d) => !schedules.has(d.kind)).map((d) => `src-engine/core/optim/schedule-kinds/${d.kind}.ts: no case in test/golden/optim/schedules.json; add one to schedules() in test/golden/gen_optim.py and run it`),
    ];
    expect(missing, `declarations without PyTorch goldens:\n${missing.join('\n')}`).toEqual([]);
  });
});

describe('optimizers match PyTorch 1.13 for 5 steps', () => {
  for (const c of optimizerCases()) {
    it(c.case, () => {
      const params: OptimParam[] = c.params.map((p) => ({
        nodeId: 'fc',
        name: p.name,
        value: tensor(p.shape, Float32Array.from(p.data)),
        grad: tensor(p.shape),
        decay: p.decay,
      }));
      const opt = createOptimizer(c.config, params);
      c.grads.forEach((stepGrads, s) => {
        params.forEach((p, i) => p.grad.data.set(stepGrads[i]));
        opt.step();
        params.forEach((p, i) => expectClose(p.value.data, c.trajectory[s][i], `${p.name} after step ${s + 1}`));
      });
      expect(opt.stepCount).toBe(c.grads.length);
    });
  }
});

describe('schedules match PyTorch 1.13 for 30 steps', () => {
  for (const c of golden('schedules.json').cases as ScheduleCase[]) {
    it(c.case, () => {
      const sched: Schedule =
        c.config.kind === 'plateau' && c.config.cooldown !== undefined
          ? new PlateauSchedule(c.baseLr, c.config)
          : createSchedule(c.config, c.baseLr);
      const lrs: number[] = [];
      for (let k = 0; k < c.lrs.length; k++) {
        lrs.push(sched.lr);
        sched.step(c.metrics?.[k]);
      }
      expectClose(lrs, c.lrs, `${c.case} lr`);
      if (sched.lrAt) expectClose(c.lrs.map((_, t) => sched.lrAt!(t)), c.lrs, `${c.case} lrAt`);
    });
  }
});
