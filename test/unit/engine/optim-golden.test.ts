import { describe, expect, it } from 'vitest';
import { OPTIMIZER_DEFS, createOptimizer, type OptimParam } from '../../../src-engine/core/optim';
import { tensor } from '../../../src-engine/base/tensor';
import { optimizerCases } from '../optim-golden-cases';

// Trajectories recorded from PyTorch 1.13 by test/golden/gen_optim.py. The schedules are compared
// with PyTorch at the cases their files declare: schedules/schedules-torch.test.ts.

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

describe('every declared optimizer has PyTorch goldens', () => {
  it('names the declaration and the generator to extend for one without', () => {
    const optimizers = new Set(optimizerCases().map((c) => c.config.kind));
    const missing = OPTIMIZER_DEFS.filter((d) => !optimizers.has(d.kind)).map((d) => `src-engine/core/optim/${d.kind}.ts: no trajectory in test/golden/optim; add its cases to test/golden/gen_optim.py (a ${d.kind}.json) and run /usr/bin/python3 test/golden/gen_optim.py`);
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
