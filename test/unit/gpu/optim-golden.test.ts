/**
 * The optimizer trajectories recorded from PyTorch 1.13 (test/golden/optim/optimizers.json, made by
 * test/golden/gen_optim.py) against the GPU updates (core/gpu/optim.ts), with the bound the CPU
 * optimizers are held to (engine/optim-golden.test.ts): every declared optimizer, every case.
 *
 * `NETWRIGHT_OPTIM_DUMP=FILE` writes each case's weights after every step, as float32 bits, to
 * FILE: two runs on one adapter compare bit for bit (a refactor of the updates must not change them).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { submitDispatches } from '../../../src-engine/core/gpu/gemm';
import { createGpuOptimizer, type GpuOptimParam } from '../../../src-engine/core/gpu/optim';
import { testGpu } from './device';
import { OPTIMIZER_DEFS } from '../../../src-engine/core/optim';
import { optimizerCases } from '../optim-golden-cases';


const cases = optimizerCases();

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
const dump: Record<string, number[][]> = {};
afterAll(() => {
  if (process.env.NETWRIGHT_OPTIM_DUMP) writeFileSync(process.env.NETWRIGHT_OPTIM_DUMP, JSON.stringify(dump, null, 1));
  ctx?.dispose();
});

/**
 * |a − b| ≤ 1e-4·|b| + 1e-6. NOTE: the CPU's bound is 1e-4·|b| + 1e-7, but its updates compute in
 * float64 and round once on storing; the GPU's compute in float32, as PyTorch's do, so a weight that
 * lands near 0 by cancellation (AdamW's decoupled decay) carries a few float32 ulps of its terms (~1e-7 each).
 */
function expectClose(actual: Float32Array, expected: readonly number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = 1e-4 * Math.abs(expected[i]) + 1e-6;
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) expect.fail(`${what}[${i}]: got ${actual[i]}, PyTorch ${expected[i]} (tolerance ${tol.toExponential(2)})`);
  }
}

describe('GPU optimizers match PyTorch 1.13 for 5 steps', () => {
  it('covers every declared optimizer', () => {
    const kinds = new Set(cases.map((c) => c.config.kind));
    const missing = OPTIMIZER_DEFS.filter((d) => !kinds.has(d.kind)).map((d) => `src-engine/core/optim/${d.kind}.ts: no trajectory in test/golden/optim; add its cases to test/golden/gen_optim.py (a ${d.kind}.json)`);
    expect(missing, `optimizers without PyTorch goldens:\n${missing.join('\n')}`).toEqual([]);
  });
  for (const c of cases) {
    it(c.case, async () => {
      const params: GpuOptimParam[] = c.params.map((p) => {
        const value = ctx.createTensor(p.data.length, `${c.case}.${p.name}`);
        ctx.write(value, Float32Array.from(p.data));
        return { nodeId: 'fc', name: p.name, value, grad: ctx.createTensor(p.data.length), decay: p.decay };
      });
      const opt = createGpuOptimizer(ctx, c.config, params);
      dump[c.case] = [];
      for (const [s, stepGrads] of c.grads.entries()) {
        params.forEach((p, i) => ctx.write(p.grad, Float32Array.from(stepGrads[i])));
        await ctx.checked(c.case, () => submitDispatches(ctx, opt.prepareStep()));
        for (const [i, p] of params.entries()) {
          const got = await ctx.read(p.value);
          dump[c.case].push(Array.from(new Uint32Array(got.buffer, got.byteOffset, got.length)));
          expectClose(got, c.trajectory[s][i], `${p.name} after step ${s + 1}`);
        }
      }
      expect(opt.stepCount).toBe(c.grads.length);
    });
  }
});
