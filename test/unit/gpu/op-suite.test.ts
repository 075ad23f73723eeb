/**
 * The op suite on the GPU: a finite-difference gradient check of every op's kernels, forward and
 * backward both on the GPU — the same cases and bounds as the reference and WebAssembly backends
 * (test/unit/engine/op-suite-cases.ts; harness.gradcheck: 5e-3 for smooth ops, 1e-2 through
 * normalisations). The weights w of L = Σ output·w and the parameters come from the reference run,
 * so every backend checks the same function; L is summed in float64 on the host, the kernels run in
 * float32 (the same round-off the NOTE on `gradcheck` budgets for).
 *
 * Skip list (explicit), beyond the suite's own (ops with no gradient):
 * - `BatchNorm eval`: the GPU has no eval-mode backward (training never asks for one; its eval
 *   forward is checked against the op file in executor.test.ts).
 *
 * The PyTorch goldens run against the kernels in goldens.test.ts, and every kernel against its op
 * file in the per-kernel tests.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { gpuKernel } from '../../../src-engine/core/gpu/kernels/registry';
import { getOp, listOps } from '../../../src-engine/core/ops/registry';
import type { OpDef } from '../../../src-engine/core/ops/types';
import { gradcheck } from '../engine/harness';
import { allCases, missingCases, opFile } from '../engine/op-suite-cases';
import { CPU_ONLY } from './cpu-only';
import { testGpu } from './device';
import { gpuOpRunner } from './kernel-harness';

/**
 * NOTE (the stacked, bidirectional recurrent cases): a gradcheck differentiates numerically through
 * every parameter, each a forward through 2 layers × 2 directions × the steps on SwiftShader: 34 s
 * (LSTM), 29 s (GRU) and 9 s (RNN), a fifth of this suite. The same stacks (2 layers, both
 * directions, their sequence out; and one layer's last state) are compared with the op files —
 * every gate per step, h, c, y, dx and every parameter gradient — in recurrent-ops.test.ts (within
 * 1e-5 of the tensor's largest), and the op files are gradchecked by the reference and CPU op
 * suites; the one-layer cases here gradcheck the GPU kernels themselves.
 */
const RECURRENT_STACKS = 'compared with the op file in recurrent-ops.test.ts; the one-layer case is gradchecked here';
const GPU_SKIP: Record<string, string> = {
  'BatchNorm eval': 'no eval-mode backward on the GPU: training never asks for one',
  'LSTM 2 layers, bidirectional, last state': RECURRENT_STACKS,
  'GRU 2 layers, bidirectional, last state': RECURRENT_STACKS,
  'RNN 2 layers, bidirectional, last state': RECURRENT_STACKS,
};



let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});

describe('op suite on the GPU: gradient checks through the kernels', () => {
  it('every registered op has a GPU kernel, a case, or an explicit skip', () => {
    const missing = missingCases(allCases().filter((c) => !GPU_SKIP[c.label]), (op) => !!CPU_ONLY[op]);
    expect(missing, `ops the GPU suite cannot test yet:\n${missing.join('\n')}`).toEqual([]);
    const noKernel = listOps().filter((d) => d.name !== 'Input' && !gpuKernel(d.name)).map((d) => d.name);
    const unlisted = noKernel.filter((op) => !CPU_ONLY[op]).map((op) => `${opFile(op)}: no GPU kernel (an elementwise or pointwise-loss declaration gets one; else core/gpu/kernels), nor a reason in test/unit/gpu/cpu-only.ts`);
    const stale = Object.keys(CPU_ONLY).filter((op) => !noKernel.includes(op)).map((op) => `test/unit/gpu/cpu-only.ts: ${op} has a GPU kernel now (or no op): remove it`);
    expect([...unlisted, ...stale], `the GPU's coverage and cpu-only.ts disagree:\n${[...unlisted, ...stale].join('\n')}`).toEqual([]);
  });

  for (const c of allCases()) {
    // No GPU kernel, or one that refuses these attrs (a bilinear Upsample runs on the CPU).
    if (GPU_SKIP[c.label] || CPU_ONLY[c.op] || gpuKernel(c.op)?.unsupported?.(c.opts.attrs ?? {})) continue;
    const def = getOp(c.op)!;
    it(`gradcheck: ${c.label}`, async () => {
      const r = await gradcheck(def, { seed: 5, ...c.opts }, gpuOpRunner(ctx));
      expect(r.checked).toBeGreaterThan(0);
      expect(r.maxError, r.worst).toBeLessThan(c.tol);
    }, 60_000);
  }

  it('the check is not vacuous: a kernel whose backward is wrong fails it', async () => {
    // Linear's GPU kernel, with dW scaled by 1.01 after its backward ran: what a wrong index or a
    // lost term would look like.
    const linear = getOp('Linear')!;
    const run = gpuOpRunner(ctx);
    const broken: typeof run = async (def: OpDef, opts) => {
      const r = await run(def, opts);
      for (const t of Object.values(r.dParams)) t.data.forEach((v, i) => (t.data[i] = v * 1.01 + 0.05));
      return r;
    };
    const c = allCases().find((x) => x.op === 'Linear')!;
    const r = await gradcheck(linear, { seed: 5, ...c.opts }, broken);
    expect(r.maxError).toBeGreaterThan(c.tol);
  });
});
