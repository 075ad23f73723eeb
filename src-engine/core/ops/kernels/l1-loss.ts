import { l1Loss } from '../l1-loss';
import { defineKernel } from './kernel';

/** L1Loss's reference kernels (the op's declaration: ops/l1-loss.ts). */
export const l1LossKernel = defineKernel(l1Loss, {
  forward({ inputs, output }) {
    const p = inputs[0].data;
    const t = inputs[1].data;
    let sum = 0;
    for (let i = 0; i < p.length; i++) sum += Math.abs(p[i] - t[i]);
    output.data[0] = sum / p.length;
  },
  backward({ inputs, dOutput, dInputs }) {
    const p = inputs[0].data;
    const t = inputs[1].data;
    const g = dOutput.data[0] / p.length;
    const dp = dInputs[0]?.data;
    const dt = dInputs[1]?.data;
    // NOTE: the gradient at p = t is 0 (sign(0) = 0), as PyTorch's l1_loss backward.
    for (let i = 0; i < p.length; i++) {
      const d = p[i] - t[i];
      const s = d > 0 ? g : d < 0 ? -g : 0;
      if (dp) dp[i] += s;
      if (dt) dt[i] -= s;
    }
  },
});
