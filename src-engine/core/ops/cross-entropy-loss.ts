import { LABEL_RANGE, opError, TARGET_SOURCE } from './loss-util';
import { fail, floatAttr, fmt, ok, ShapeCode } from './shape-util';
import { defineOp, type ShapeResult } from './types';

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

function crossEntropyShape(logits: readonly number[] | undefined, target: readonly number[] | undefined, weights: readonly number[]): ShapeResult {
  if (!logits || !target) {
    return fail(ShapeCode.MISMATCH, `CrossEntropyLoss needs two inputs: the logits and the class labels (${TARGET_SOURCE}).`);
  }
  if (logits.length < 2) {
    return fail(
      ShapeCode.RANK,
      `CrossEntropyLoss expects logits [N, classes]; got ${fmt(logits)}. Add a Linear layer with one output per class before it.`,
    );
  }
  const classes = logits[1];
  if (classes >= 0 && classes < 2) {
    return fail(
      ShapeCode.MISMATCH,
      `CrossEntropyLoss needs at least 2 classes but the logits are ${fmt(logits)}; for a single 0/1 output use BCEWithLogitsLoss.`,
    );
  }
  // Targets hold one label per position: the logits' shape without the class axis ([N] for [N, C]).
  const expected = [logits[0], ...logits.slice(2)];
  const same = (a: readonly number[], b: readonly number[]): boolean =>
    a.length === b.length && a.every((d, i) => d === b[i] || (i === 0 && (d < 0 || b[i] < 0)));
  const squeezed = target.length === 2 && target[1] === 1 && logits.length === 2 ? [target[0]] : target;
  if (!same(squeezed, expected)) {
    const oneHot = same(target, logits);
    return fail(
      ShapeCode.MISMATCH,
      `CrossEntropyLoss: the logits are ${fmt(logits)} so the target must be ${fmt(expected)} (one class label per sample), but it is ${fmt(target)}. ` +
        (oneHot
          ? `One-hot or multi-label targets of the logits' shape need BCEWithLogitsLoss; for single-label classes set ${TARGET_SOURCE} to shape [] with integer labels.`
          : `The target comes from ${TARGET_SOURCE}: set its shape to [${expected.slice(1).join(', ')}].`),
    );
  }
  if (weights.length > 0 && classes >= 0 && weights.length !== classes) {
    return fail(
      ShapeCode.ATTR_RANGE,
      `CrossEntropyLoss: classWeights has ${weights.length} values but the logits have ${classes} classes; give one weight per class, or none.`,
    );
  }
  return ok([]);
}

/**
 * Cross-entropy between logits `[N, C]` (or `[N, C, d1, …]`) and integer class labels `[N]`
 * (`[N, d1, …]`) stored as floats, as `torch.nn.CrossEntropyLoss(weight, label_smoothing)` with
 * the mean reduction:
 *
 * `loss = Σᵢ Σ_c aᵢ_c·(−log pᵢ_c) / Σᵢ w[yᵢ]`, with `aᵢ_c = w_c·((1 − ε)·[c = yᵢ] + ε/C)`,
 *
 * i.e. PyTorch's weighted mean: the smoothed term is normalised by the same Σ w[yᵢ] as the NLL
 * term (both by N without weights). Labels outside [0, C) throw `E_LABEL_RANGE`.
 */
export const crossEntropyLoss = defineOp({
  name: 'CrossEntropyLoss',
  category: 'losses',
  onnx: { none: 'a training loss: it belongs in the training script, not in the exported inference model' },
  torch: { module: 'nn.CrossEntropyLoss(weight={classWeights:tensor}, label_smoothing={labelSmoothing})', target: 'class-index' },
  doc: 'Classification loss on raw scores (logits) and integer class labels; applies log-softmax itself.',
  inputs: [{ name: 'logits' }, { name: 'target' }],
  attrs: {
    labelSmoothing: {
      kind: 'float',
      default: 0,
      min: 0,
      max: 1,
      doc: 'Spread this fraction of the target probability evenly over all classes (0 = hard labels; 0.1 is common).',
    },
    classWeights: {
      kind: 'floats',
      default: [],
      doc: 'One weight per class (rare classes higher); empty = all 1. The mean is weighted, as in PyTorch.',
    },
  },
  isLoss: true,
  inferShape: ({ inputs, attrs }) => crossEntropyShape(inputs[0], inputs[1], (attrs.classWeights as readonly number[]) ?? []),
  workspace: ({ inputs }) => [{ name: 'probs', shape: [...inputs[0]] }],
  flops: ({ inputs }) => 4 * inputs[0].slice(1).reduce((a, b) => a * b, 1),
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
