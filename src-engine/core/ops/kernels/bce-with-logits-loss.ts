import { sigmoid, softplus } from '../special';
import { bceWithLogitsLoss } from '../bce-with-logits-loss';
import { defineKernel } from './kernel';

/** posWeight for element i: none, one for all, or one per class (the last dim). */
function posWeightAt(pw: readonly number[], i: number): number {
  return pw.length === 0 ? 1 : pw.length === 1 ? pw[0] : pw[i % pw.length];
}

/** BCEWithLogitsLoss's reference kernels (the op's declaration: ops/bce-with-logits-loss.ts). */
export const bceWithLogitsLossKernel = defineKernel(bceWithLogitsLoss, {
  forward({ inputs, output, attrs }) {
    const x = inputs[0].data;
    const t = inputs[1].data;
    const pw = attrs.posWeight as readonly number[];
    let sum = 0;
    // NOTE: log σ(x) = −softplus(−x) and log(1 − σ(x)) = −softplus(x), computed with the stable
    // softplus, so large |x| neither overflows exp nor takes log(0). This is PyTorch's
    // `(1 − t)·x + (1 + (w⁺ − 1)·t)·softplus(−x)` rearranged.
    for (let i = 0; i < x.length; i++) {
      const w = posWeightAt(pw, i);
      sum += (1 - t[i]) * x[i] + (1 + (w - 1) * t[i]) * softplus(-x[i]);
    }
    output.data[0] = sum / x.length;
  },
  backward({ inputs, dOutput, dInputs, attrs }) {
    const x = inputs[0].data;
    const t = inputs[1].data;
    const pw = attrs.posWeight as readonly number[];
    const g = dOutput.data[0] / x.length;
    const dx = dInputs[0]?.data;
    const dt = dInputs[1]?.data;
    for (let i = 0; i < x.length; i++) {
      const w = posWeightAt(pw, i);
      const lw = 1 + (w - 1) * t[i];
      // ∂/∂x = (1 − t) − lw·σ(−x); with w⁺ = 1 this is σ(x) − t.
      if (dx) dx[i] += g * (1 - t[i] - lw * sigmoid(-x[i]));
      // ∂/∂t = −x + (w⁺ − 1)·softplus(−x)
      if (dt) dt[i] += g * (-x[i] + (w - 1) * softplus(-x[i]));
    }
  },
});
