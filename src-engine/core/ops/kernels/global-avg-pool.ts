import { globalAvgPool } from '../global-avg-pool';
import { defineKernel } from './kernel';

/** GlobalAvgPool's reference kernels (the op's declaration: ops/global-avg-pool.ts). */
export const globalAvgPoolKernel = defineKernel(globalAvgPool, {
  forward({ inputs, output }) {
    const x = inputs[0].data;
    const planes = output.data.length;
    const per = x.length / Math.max(1, planes);
    for (let p = 0; p < planes; p++) {
      let s = 0;
      for (let i = p * per; i < (p + 1) * per; i++) s += x[i];
      output.data[p] = s / per;
    }
  },
  backward({ inputs, dOutput, dInputs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const planes = dOutput.data.length;
    const per = inputs[0].data.length / Math.max(1, planes);
    for (let p = 0; p < planes; p++) {
      const g = dOutput.data[p] / per;
      for (let i = p * per; i < (p + 1) * per; i++) dx[i] += g;
    }
  },
});
