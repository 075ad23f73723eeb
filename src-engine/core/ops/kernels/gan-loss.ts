import { sigmoid, softplus } from '../special';
import { ganLoss, halves } from '../gan-loss';
import { defineKernel } from './kernel';

/** GANLoss's reference kernels (the op's declaration: ops/gan-loss.ts). */
export const ganLossKernel = defineKernel(ganLoss, {
  forward({ inputs, output, attrs }) {
    const x = inputs[0].data;
    const n = halves(x.length);
    let sum = 0;
    if (attrs.player === 'generator') {
      for (let i = n; i < x.length; i++) sum += softplus(-x[i]);
      output.data[0] = sum / n;
      return;
    }
    for (let i = 0; i < n; i++) sum += softplus(-x[i]);
    for (let i = n; i < x.length; i++) sum += softplus(x[i]);
    output.data[0] = sum / x.length;
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const x = inputs[0].data;
    const n = halves(x.length);
    if (attrs.player === 'generator') {
      // d/dx softplus(−x) = −σ(−x); the real half gets no gradient.
      const g = dOutput.data[0] / n;
      for (let i = n; i < x.length; i++) dx[i] -= g * sigmoid(-x[i]);
      return;
    }
    const g = dOutput.data[0] / x.length;
    for (let i = 0; i < n; i++) dx[i] -= g * sigmoid(-x[i]);
    for (let i = n; i < x.length; i++) dx[i] += g * sigmoid(x[i]);
  },
});
