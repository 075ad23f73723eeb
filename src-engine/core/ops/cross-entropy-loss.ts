import { TARGET_SOURCE } from './loss-util';
import { fail, fmt, ok, ShapeCode } from './shape-util';
import { defineOp, type ShapeResult } from './types';

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
});
