/**
 * The WGSL Add and Concat (`kernels/elementwise.ts`) against the op files' forward and backward
 * (`core/ops/add.ts`, `core/ops/concat.ts`), on odd sizes: Add of two and of three inputs, one of
 * which needs no gradient; Concat of three inputs along the channel axis, of two along the last
 * axis (−1, inner size 1) and along an inner axis of a 4-D tensor. NaN and ±∞ are among the values.
 *
 * Bound: exact (|Δ| = 0, NaN where the op file has NaN). Add sums the same float32 values in the
 * same left-to-right order with float32 roundings, and its backward adds dy into each gradient as
 * the op file does; Concat copies values and adds dy blocks, with no arithmetic of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../../src-engine/core/gpu/context';
import { expectWithin, outputShapeOf, runCpu, runGpu, values, type KernelCase } from './kernel-harness';
import { testGpu } from './device';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = (await testGpu()).ctx;
});
afterAll(() => ctx?.dispose());

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** A case of `op` on inputs of `shapes`; inputs listed in `noGrad` need no gradient. */
function makeCase(op: string, shapes: number[][], attrs: KernelCase['attrs'] = {}, noGrad: number[] = []): KernelCase {
  const inputs = shapes.map((s, k) => values(size(s), 10 + k, 2));
  // Special values: NaN, +∞ and −∞ (in Add, +∞ + −∞ = NaN at index 3).
  inputs[0][1] = NaN;
  inputs[0][3] = Infinity;
  inputs[1][3] = -Infinity;
  inputs[1][size(shapes[1]) - 1] = Infinity;
  const kc: KernelCase = {
    op,
    attrs,
    inputShapes: shapes,
    inputs,
    dOutput: new Float32Array(0),
    dInputs: shapes.map((s, k) => (noGrad.includes(k) ? null : values(size(s), 20 + k, 0.5))),
  };
  kc.dOutput = values(size(outputShapeOf(kc)), 2);
  return kc;
}

async function exact(kc: KernelCase): Promise<void> {
  const want = runCpu(kc);
  const got = await runGpu(ctx, kc);
  expectWithin(`${kc.op} y`, got.output, want.output, () => 0);
  kc.dInputs.forEach((d, k) => {
    if (!d) expect(got.dInputs[k]).toBeNull();
    else expectWithin(`${kc.op} dx${k}`, got.dInputs[k]!, want.dInputs[k]!, () => 0);
  });
}

describe('WGSL Add and Concat vs the op files (exact)', () => {
  it('Add of two [11, 6]', () => exact(makeCase('Add', [[11, 6], [11, 6]])), 60_000);
  it('Add of three [5, 7, 3], the second without a gradient', () => exact(makeCase('Add', [[5, 7, 3], [5, 7, 3], [5, 7, 3]], {}, [1])), 60_000);
  it('Concat along axis 1 of [5, 3, 4], [5, 2, 4], [5, 1, 4], the middle one without a gradient', () =>
    exact(makeCase('Concat', [[5, 3, 4], [5, 2, 4], [5, 1, 4]], { axis: 1 }, [1])), 60_000);
  it('Concat along axis −1 of [7, 3, 2] and [7, 3, 5]', () => exact(makeCase('Concat', [[7, 3, 2], [7, 3, 5]], { axis: -1 })), 60_000);
  it('Concat along axis 2 of [3, 2, 3, 5] and [3, 2, 1, 5]', () => exact(makeCase('Concat', [[3, 2, 3, 5], [3, 2, 1, 5]], { axis: 2 })), 60_000);
});
