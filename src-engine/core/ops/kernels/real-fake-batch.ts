import { realFakeBatch } from '../real-fake-batch';
import { defineKernel } from './kernel';

/** RealFakeBatch's reference kernels (the op's declaration: ops/real-fake-batch.ts). */
export const realFakeBatchKernel = defineKernel(realFakeBatch, {
  forward({ inputs, output }) {
    output.data.set(inputs[0].data, 0);
    output.data.set(inputs[1].data, inputs[0].data.length);
  },
  backward({ inputs, dOutput, dInputs }) {
    const dy = dOutput.data;
    const n = inputs[0].data.length;
    const dr = dInputs[0]?.data;
    const df = dInputs[1]?.data;
    if (dr) for (let i = 0; i < n; i++) dr[i] += dy[i];
    if (df) for (let i = 0; i < df.length; i++) df[i] += dy[n + i];
  },
});
