/**
 * The CPU backend's Add (overrides/shape-ops.ts, addOverride): the op file's float32 sums in f32x4,
 * so the same bits as the reference backend, forward and backward, for 2 and 3 inputs, at sizes
 * split across threads and not, with input gradients accumulated and assigned (fresh).
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createReferenceBackend } from '../../../src-engine/core/backend/reference';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';
import { getOp } from '../../../src-engine/core/ops/registry';
import { Rng } from '../../../src-engine/base/rng';
import { tensor, type Tensor } from '../../../src-engine/base/tensor';
import { runOp } from '../engine/harness';
import { expectSameValues } from '../same-values';

let cpu2: CpuBackend;
beforeAll(async () => {
  cpu2 = await createCpuBackend({ threads: 2 });
});
afterAll(() => cpu2?.dispose());

const ADD = getOp('Add')!;

function randn(shape: number[], rng: Rng): Tensor {
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal() * 10 ** Math.floor(rng.uniform() * 6 - 3);
  return t;
}

describe('Add on the CPU backend', () => {
  for (const [shape, count] of [
    [[16, 64, 64], 2], // a quarter of the tiny GPT's residuals: still split across threads
    [[3, 5, 7], 3], // odd, small: one task, scalar tail
  ] as const) {
    for (const fresh of [false, true]) {
      it(`${count} inputs of [${shape.join(', ')}]${fresh ? ', fresh gradients' : ''}: the same bits as the op file`, () => {
        const rng = new Rng(shape[0] * 10 + count);
        const inputs = Array.from({ length: count }, () => randn([...shape], rng));
        const dOutput = randn([...shape], rng);
        // A fresh gradient (stale memory the executor leaves unzeroed) is assigned: the op file's
        // sum into zeros.
        const ours = runOp(ADD, { inputs, dOutput, freshInputGradients: fresh, backend: cpu2 });
        const ref = runOp(ADD, { inputs, dOutput, backend: createReferenceBackend() });
        expectSameValues(ours.output.data, ref.output.data, 'output');
        for (let k = 0; k < count; k++) expectSameValues(ours.dInputs[k]!.data, ref.dInputs[k]!.data, `dInputs[${k}]`);
      });
    }
  }
});
