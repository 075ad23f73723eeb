import { LABEL_RANGE, opError } from '../loss-util';
import { floatAttr } from '../shape-util';
import { crossEntropyLoss } from '../cross-entropy-loss';
import { defineKernel } from './kernel';

/** Logits `[N, C, …]` → (N, C, inner) where inner is the product of the trailing dims. */
function dims(shape: readonly number[]): [number, number, number] {
  let inner = 1;
  for (let i = 2; i < shape.length; i++) inner *= shape[i];
  return [shape[0], shape[1], inner];
}

function classWeights(attrs: Record<string, unknown>): readonly number[] | null {
  const w = attrs.classWeights as readonly number[] | undefined;
  return w && w.length > 0 ? w : null;
}

/** The label at flat position `j` (sample `j / inner`), checked to be a class index. */
function labelAt(t: Float32Array, j: number, classes: number, inner: number): number {
  const y = t[j];
  if (!(y >= 0 && y < classes && y === Math.floor(y))) {
    const where = inner === 1 ? `batch sample ${j}` : `batch sample ${Math.floor(j / inner)}, position ${j % inner}`;
    throw opError(
      LABEL_RANGE,
      Number.isInteger(y)
        ? `CrossEntropyLoss: target label ${y} (${where}) is outside 0…${classes - 1}: the logits have ${classes} classes. ` +
            `Make the layer before the loss output one score per class, or check the dataset's labels.`
        : `CrossEntropyLoss: target ${y} (${where}) is not a class index (an integer in 0…${classes - 1}). ` +
            `CrossEntropyLoss takes class labels; for 0/1 or soft targets of the logits' shape use BCEWithLogitsLoss.`,
    );
  }
  return y;
}

/** CrossEntropyLoss's reference kernels (the op's declaration: ops/cross-entropy-loss.ts). */
export const crossEntropyLossKernel = defineKernel(crossEntropyLoss, {
  forward({ inputs, output, workspace, attrs }) {
    const x = inputs[0].data;
    const t = inputs[1].data;
    const probs = workspace.probs.data;
    const [n, classes, inner] = dims(inputs[0].shape);
    const w = classWeights(attrs);
    const eps = floatAttr(attrs, 'labelSmoothing');
    let nll = 0;
    let smooth = 0;
    let weightSum = 0;
    for (let s = 0; s < n; s++) {
      for (let r = 0; r < inner; r++) {
        const base = s * classes * inner + r;
        // NOTE: log-sum-exp with the max subtracted: log Σ exp(x_c) = m + log Σ exp(x_c − m).
        // Every exp argument is ≤ 0, so nothing overflows for large logits, and log p_c = x_c − lse
        // is computed directly instead of log(softmax), which would give log(0) = −Infinity once
        // a probability underflows.
        let m = -Infinity;
        for (let c = 0; c < classes; c++) {
          const v = x[base + c * inner];
          if (v > m || v !== v) m = v;
        }
        let sum = 0;
        for (let c = 0; c < classes; c++) {
          const e = Math.exp(x[base + c * inner] - m);
          probs[base + c * inner] = e;
          sum += e;
        }
        const lse = m + Math.log(sum);
        const inv = 1 / sum;
        const y = labelAt(t, s * inner + r, classes, inner);
        const wy = w ? w[y] : 1;
        weightSum += wy;
        nll -= wy * (x[base + y * inner] - lse);
        for (let c = 0; c < classes; c++) {
          const i = base + c * inner;
          probs[i] *= inv; // kept for backward: p = softmax(x)
          if (eps > 0) smooth -= (w ? w[c] : 1) * (x[i] - lse);
        }
      }
    }
    // NOTE: with class weights, a batch whose samples all have weight 0 gives 0/0 = NaN, exactly
    // as PyTorch does.
    output.data[0] = ((1 - eps) * nll + (eps / classes) * smooth) / weightSum;
  },
  backward({ inputs, dOutput, dInputs, workspace, attrs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const t = inputs[1].data;
    const probs = workspace.probs.data;
    const [n, classes, inner] = dims(inputs[0].shape);
    const w = classWeights(attrs);
    const eps = floatAttr(attrs, 'labelSmoothing');
    let weightSum = 0;
    for (let j = 0; j < n * inner; j++) weightSum += w ? w[labelAt(t, j, classes, inner)] : 1;
    let allWeights = classes;
    if (w) {
      allWeights = 0;
      for (let c = 0; c < classes; c++) allWeights += w[c];
    }
    const g = dOutput.data[0] / weightSum;
    const smoothShare = eps / classes;
    // ∂/∂x_k Σ_c a_c·(−log p_c) = A·p_k − a_k, with A = Σ_c a_c = (1 − ε)·w_y + (ε/C)·Σ_c w_c.
    for (let s = 0; s < n; s++) {
      for (let r = 0; r < inner; r++) {
        const base = s * classes * inner + r;
        const y = t[s * inner + r];
        const wy = w ? w[y] : 1;
        const total = (1 - eps) * wy + smoothShare * allWeights;
        for (let c = 0; c < classes; c++) {
          const i = base + c * inner;
          const a = (w ? w[c] : 1) * ((c === y ? 1 - eps : 0) + smoothShare);
          dx[i] += g * (total * probs[i] - a);
        }
      }
    }
  },
});
