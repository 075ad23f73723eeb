/**
 * The CPU backend's heap may grow to 4 GiB (kernels/constants.mjs HEAP.MAX_PAGES, wasm32's
 * most): every kernel addresses memory above 2 GiB as below it (its addresses are unsigned; a
 * signed comparison of two addresses would stop a loop at 2³¹). The op suite's forward and backward
 * against the reference backend on a backend whose heap first reserves 2 GiB, so that every
 * tensor lies above it, and on one whose first tensors straddle 2³¹ (#59).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import { checkedOrThrow } from '../../../src-engine/core/analysis/checked';
import { compileGraph } from '../../../src-engine/core/autodiff/executor';
import { createOptimizer } from '../../../src-engine/core/optim';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { getOp } from '../../../src-engine/core/ops/registry';
import { runOp } from '../engine/harness';
import { allCases } from '../engine/op-suite-cases';
import { scaledDiff } from './scaled-diff';

let cpu: CpuBackend;
beforeAll(async () => {
  cpu = await createCpuBackend({ threads: 2 });
  // Pages reserved and never touched: no resident memory.
  cpu.heap.reserve(2 ** 31 + 4096);
});
afterAll(() => cpu?.dispose());

describe('the CPU backend above 2 GiB of heap', () => {
  it('allocates there', () => {
    expect(cpu.alloc(16).byteOffset).toBeGreaterThan(2 ** 31);
  });
  it('trains the MNIST CNN (its BatchNorm→ReLU fused, Adam) to the same bits as below 2 GiB', async () => {
    const g = JSON.parse(readFileSync('examples/mnist-cnn.json', 'utf8')) as GraphIR;
    const low = await createCpuBackend({ threads: 2 });
    try {
      const run = (backend: CpuBackend) => {
        const plan = compileGraph(checkedOrThrow(g), { batchSize: 8, backend, seed: 1 });
        const opt = createOptimizer({ kind: 'adam', lr: 1e-3 }, plan.params, backend);
        const losses: number[] = [];
        for (let step = 0; step < 3; step++) {
          plan.input('image').data.set(Float32Array.from({ length: 8 * 784 }, (_, i) => Math.sin(i * (step + 1))));
          plan.input('label').data.set(Float32Array.from({ length: 8 }, (_, i) => (i * 3 + step) % 10));
          losses.push(plan.forward(true));
          plan.backward();
          opt.step();
        }
        return { losses, weights: plan.params.map((p) => p.value.data.slice()) };
      };
      const above = run(cpu);
      expect(cpu.alloc(1).byteOffset).toBeGreaterThan(2 ** 31);
      expect(above).toEqual(run(low));
    } finally {
      low.dispose();
    }
  });

  for (const c of allCases()) {
    it(`matches the reference backend: ${c.label}`, async () => {
      const def = getOp(c.op)!;
      const ref = runOp(def, { seed: 5, ...c.opts, backend: createReferenceBackend() });
      const check = (got: ReturnType<typeof runOp>, where: string) => {
        expect(scaledDiff(got.output.data, ref.output.data), `${where}: output`).toBeLessThan(1e-5);
        ref.dInputs.forEach((d, i) => {
          if (d) expect(scaledDiff(got.dInputs[i]!.data, d.data), `${where}: dInputs[${i}]`).toBeLessThan(1e-5);
        });
      };
      check(runOp(def, { seed: 5, ...c.opts, backend: cpu }), 'above 2 GiB');
      const across = await createCpuBackend({ threads: 2 });
      try {
        across.heap.reserve(2 ** 31 - 256 - across.heap.used);
        check(runOp(def, { seed: 5, ...c.opts, backend: across }), 'across 2 GiB');
      } finally {
        across.dispose();
      }
    });
  }
});
