import { LABEL_RANGE, opError } from '../loss-util';
import { floatAttr } from '../shape-util';
import { diceLoss } from '../dice-loss';
import { defineKernel } from './kernel';

/** Logits `[N, C, …]` → (N, C, positions per sample). */
function dims(shape: readonly number[]): [number, number, number] {
  let inner = 1;
  for (let i = 2; i < shape.length; i++) inner *= shape[i];
  return [shape[0], shape[1], inner];
}

/**
 * Softmax over the class axis into `probs`, and per class Σ p·y (`overlap`) and Σ p + Σ y
 * (`total`), checking every label.
 */
function measure(x: Float32Array, t: Float32Array, probs: Float32Array, n: number, classes: number, inner: number): { overlap: Float64Array; total: Float64Array } {
  const overlap = new Float64Array(classes);
  const total = new Float64Array(classes);
  for (let s = 0; s < n; s++) {
    for (let r = 0; r < inner; r++) {
      const base = s * classes * inner + r;
      const y = t[s * inner + r];
      if (!(y >= 0 && y < classes && y === Math.floor(y))) {
        throw opError(LABEL_RANGE, `DiceLoss: target ${y} (batch sample ${s}, position ${r}) is not a class index in 0…${classes - 1}: the logits have ${classes} classes.`);
      }
      // NOTE: softmax with the max subtracted, so large logits cannot overflow.
      let m = -Infinity;
      for (let c = 0; c < classes; c++) m = Math.max(m, x[base + c * inner]);
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += probs[base + c * inner] = Math.exp(x[base + c * inner] - m);
      for (let c = 0; c < classes; c++) {
        const p = (probs[base + c * inner] /= sum);
        total[c] += p;
        if (c === y) overlap[c] += p;
      }
      total[y] += 1;
    }
  }
  return { overlap, total };
}

/** DiceLoss's reference kernels (the op's declaration: ops/dice-loss.ts). */
export const diceLossKernel = defineKernel(diceLoss, {
  forward({ inputs, output, workspace, attrs }) {
    const [n, classes, inner] = dims(inputs[0].shape);
    const sm = floatAttr(attrs, 'smooth');
    const { overlap, total } = measure(inputs[0].data, inputs[1].data, workspace.probs.data, n, classes, inner);
    let dice = 0;
    for (let c = 0; c < classes; c++) dice += (2 * overlap[c] + sm) / (total[c] + sm);
    output.data[0] = 1 - dice / classes;
  },
  backward({ inputs, dOutput, dInputs, workspace, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const [n, classes, inner] = dims(inputs[0].shape);
    const sm = floatAttr(attrs, 'smooth');
    const t = inputs[1].data;
    const probs = workspace.probs.data;
    const { overlap, total } = measure(inputs[0].data, t, probs, n, classes, inner);
    // ∂L/∂pᶜ = −(2·yᶜ − Dᶜ) / (C·(Σᶜ + s)); then through the softmax: dxᶜ = pᶜ·(gᶜ − Σ_k p_k·g_k).
    const d = Float64Array.from({ length: classes }, (_, c) => (2 * overlap[c] + sm) / (total[c] + sm));
    const g = new Float64Array(classes);
    const scale = dOutput.data[0] / classes;
    for (let s = 0; s < n; s++) {
      for (let r = 0; r < inner; r++) {
        const base = s * classes * inner + r;
        const y = t[s * inner + r];
        let dot = 0;
        for (let c = 0; c < classes; c++) {
          g[c] = (-scale * ((c === y ? 2 : 0) - d[c])) / (total[c] + sm);
          dot += probs[base + c * inner] * g[c];
        }
        for (let c = 0; c < classes; c++) dx[base + c * inner] += probs[base + c * inner] * (g[c] - dot);
      }
    }
  },
});
