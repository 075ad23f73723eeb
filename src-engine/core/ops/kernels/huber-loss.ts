import { floatAttr } from '../shape-util';
import { huberLoss } from '../huber-loss';
import { defineKernel } from './kernel';

/** HuberLoss's reference kernels (the op's declaration: ops/huber-loss.ts). */
export const huberLossKernel = defineKernel(huberLoss, {
  forward({ inputs, output, attrs }) {
    const p = inputs[0].data;
    const t = inputs[1].data;
    const delta = floatAttr(attrs, 'delta');
    let sum = 0;
    for (let i = 0; i < p.length; i++) {
      const a = Math.abs(p[i] - t[i]);
      sum += a < delta ? 0.5 * a * a : delta * (a - 0.5 * delta);
    }
    output.data[0] = sum / p.length;
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const p = inputs[0].data;
    const t = inputs[1].data;
    const delta = floatAttr(attrs, 'delta');
    const g = dOutput.data[0] / p.length;
    const dp = dInputs[0]?.data;
    const dt = dInputs[1]?.data;
    // The gradient is d clamped to [−δ, δ]; both pieces agree at |d| = δ, so it is continuous.
    for (let i = 0; i < p.length; i++) {
      const d = p[i] - t[i];
      const s = g * (d > delta ? delta : d < -delta ? -delta : d);
      if (dp) dp[i] += s;
      if (dt) dt[i] -= s;
    }
  },
});
