import { mseLoss } from '../mse-loss';
import { defineKernel } from './kernel';

/** MSELoss's reference kernels (the op's declaration: ops/mse-loss.ts). */
export const mseLossKernel = defineKernel(mseLoss, {
  forward({ inputs, output }) {
    const p = inputs[0].data;
    const t = inputs[1].data;
    let sum = 0;
    for (let i = 0; i < p.length; i++) {
      const d = p[i] - t[i];
      sum += d * d;
    }
    output.data[0] = sum / p.length;
  },
  backward({ inputs, dOutput, dInputs }) {
    const p = inputs[0].data;
    const t = inputs[1].data;
    const g = (2 * dOutput.data[0]) / p.length;
    const dp = dInputs[0]?.data;
    const dt = dInputs[1]?.data;
    for (let i = 0; i < p.length; i++) {
      const d = g * (p[i] - t[i]);
      if (dp) dp[i] += d;
      if (dt) dt[i] -= d;
    }
  },
});
