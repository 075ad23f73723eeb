/**
 * The CPU backend's PositionalEmbedding (overrides/positional-embedding.ts): its own kernels (the
 * op file's loops over shared memory before), with the op file's float32 sums in its order, so the
 * same bits as the reference backend: y, dx (accumulated and assigned) and dP, at a size split
 * across threads (the tiny GPT's, a quarter batch) and an odd one with a scalar tail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CPU_KERNEL_OPS } from '../../../src-engine/core/backend/coverage';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { getOp } from '../../../src-engine/core/ops/registry';
import { Rng } from '../../../src-engine/base/rng';
import { tensor } from '../../../src-engine/base/tensor';
import { runOp } from '../engine/harness';

let cpu2: CpuBackend;
beforeAll(async () => {
  cpu2 = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu2?.dispose());

/** How many elements of `a` differ from `b`'s bits (toEqual on 65k elements takes seconds). */
function differing(a: Float32Array, b: Float32Array): number {
  let n = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

describe('PositionalEmbedding on the CPU backend', () => {
  it('has a kernel of its own', () => expect(CPU_KERNEL_OPS).toContain('PositionalEmbedding'));
  for (const shape of [[16, 64, 64], [3, 5, 7]]) {
    for (const fresh of [false, true]) {
      it(`[${shape.join(', ')}]${fresh ? ', fresh gradients' : ''}: the same bits as the op file`, () => {
        const rng = new Rng(shape[0]);
        const x = tensor(shape);
        const dOutput = tensor(shape);
        for (let i = 0; i < x.data.length; i++) x.data[i] = rng.normal() * 10 ** Math.floor(rng.uniform() * 6 - 3);
        for (let i = 0; i < x.data.length; i++) dOutput.data[i] = rng.normal();
        const def = getOp('PositionalEmbedding')!;
        const ours = runOp(def, { inputs: [x], dOutput, seed: 1, freshInputGradients: fresh, backend: cpu2 });
        const ref = runOp(def, { inputs: [x], dOutput, seed: 1, backend: createReferenceBackend() });
        expect(differing(ours.output.data, ref.output.data), 'y').toBe(0);
        expect(differing(ours.dInputs[0]!.data, ref.dInputs[0]!.data), 'dx').toBe(0);
        expect(differing(ours.dParams.weight.data, ref.dParams.weight.data), 'dP').toBe(0);
      });
    }
  }
});
