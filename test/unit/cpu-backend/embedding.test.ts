/**
 * The CPU backend's Embedding (overrides/embedding.ts): its own kernels (the op file's loops over
 * shared memory before), each id's row copied and dW += dy in id order with float32 sums, so the
 * same bits as the reference backend: y and dW, at the tiny GPT's size split across threads (a
 * quarter batch) and an odd one with a scalar tail, with ids the op file treats specially
 * (negative: from the end; fractional: truncated); an id out of range or NaN refused by both with
 * E_ID_RANGE (#83: a row of zeros before).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CPU_KERNEL_OPS } from '../../../src-engine/core/backend/coverage';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { getOp } from '../../../src-engine/core/ops/registry';
import { Rng } from '../../../src-engine/base/rng';
import { tensor } from '../../../src-engine/base/tensor';
import { runOp } from '../engine/harness';
import { expectSameValues } from '../same-values';

let cpu2: CpuBackend;
beforeAll(async () => {
  cpu2 = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu2?.dispose());

/** Ids the op file treats specially, for a vocabulary of v: from the end, truncated. */
const special = (v: number): number[] => [-1, -v, v - 0.5, -v + 0.5, 2.7, -0.5, -1.5];

describe('Embedding on the CPU backend', () => {
  it('has a kernel of its own', () => expect(CPU_KERNEL_OPS).toContain('Embedding'));
  for (const [shape, vocab, dim] of [[[16, 64], 97, 64], [[3, 5], 11, 7]] as const) {
    it(`ids [${shape.join(', ')}], ${vocab} × ${dim}: the same bits as the op file`, () => {
      const rng = new Rng(dim);
      const ids = tensor([...shape]);
      // repeated ids (the gradient sums them in order), and the special ones scattered in
      for (let i = 0; i < ids.data.length; i++) ids.data[i] = Math.floor(rng.uniform() * vocab);
      const at = (j: number): number => (j * 7) % ids.data.length;
      special(vocab).forEach((s, j) => (ids.data[at(j)] = s));
      const dOutput = tensor([...shape, dim]);
      for (let i = 0; i < dOutput.data.length; i++) dOutput.data[i] = rng.normal() * 10 ** Math.floor(rng.uniform() * 6 - 3);
      const def = getOp('Embedding')!;
      const attrs = { numEmbeddings: vocab, embeddingDim: dim };
      const ours = runOp(def, { inputs: [ids], attrs, dOutput, seed: 1, backend: cpu2 });
      const ref = runOp(def, { inputs: [ids], attrs, dOutput, seed: 1, backend: createReferenceBackend() });
      expectSameValues(ours.output.data, ref.output.data, 'y');
      expectSameValues(ours.dParams.weight.data, ref.dParams.weight.data, 'dW');
    });
  }
  it('an id out of range (past the end, below −V, huge, NaN) is refused with E_ID_RANGE by both backends, Embedding and OneHot', () => {
    for (const bad of [11, -12, 1e10, -1e10, NaN]) {
      const ids = tensor([3, 5]);
      ids.data.set([0, 3, 10, -11, 5, 2]);
      ids.data[7] = bad;
      for (const [op, attrs] of [['Embedding', { numEmbeddings: 11, embeddingDim: 7 }], ['OneHot', { numClasses: 11 }]] as const) {
        const dOutput = tensor([3, 5, op === 'Embedding' ? 7 : 11]);
        for (const backend of [cpu2, createReferenceBackend()]) {
          expect(() => runOp(getOp(op)!, { inputs: [ids], attrs, dOutput, seed: 1, backend }), `${op} ${bad}`).toThrow(/^E_ID_RANGE: .* 11 .*given the id (-?[0-9.e+]+|NaN)/);
        }
      }
    }
  });
});
