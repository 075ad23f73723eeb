import { elementwiseLossShape } from './loss-util';
import { fail, ShapeCode } from './shape-util';
import { sigmoid, softplus } from './special';
import { defineOp } from './types';

/** posWeight for element i: none, one for all, or one per class (the last dim). */
function posWeightAt(pw: readonly number[], i: number): number {
  return pw.length === 0 ? 1 : pw.length === 1 ? pw[0] : pw[i % pw.length];
}

/**
 * Binary cross-entropy on raw scores, as `torch.nn.BCEWithLogitsLoss(pos_weight=…)`:
 * per element `−[w⁺·t·log σ(x) + (1 − t)·log(1 − σ(x))]`, the mean over all elements. Targets
 * have the logits' shape (several independent 0/1 labels per sample: multi-label); soft targets
 * in [0, 1] work too.
 */
export const bceWithLogitsLoss = defineOp({
  name: 'BCEWithLogitsLoss',
  category: 'losses',
  onnx: { none: 'a training loss: it belongs in the training script, not in the exported inference model' },
  torch: { module: 'nn.BCEWithLogitsLoss(pos_weight={posWeight:tensor})' },
  doc: 'Binary / multi-label cross-entropy on raw scores (applies the sigmoid itself, stably).',
  inputs: [{ name: 'logits' }, { name: 'target' }],
  attrs: {
    posWeight: {
      kind: 'floats',
      default: [],
      doc: 'Weight of positive examples: one value for all outputs or one per output (last dim); empty = 1. >1 favours recall.',
    },
  },
  isLoss: true,
  inferShape({ inputs, attrs }) {
    const r = elementwiseLossShape('BCEWithLogitsLoss', inputs[0], inputs[1]);
    if (!r.ok) return r;
    const pw = attrs.posWeight as readonly number[];
    const x = inputs[0];
    const last = x.length > 1 ? x[x.length - 1] : 1;
    if (pw.length > 1 && pw.length !== last) {
      return fail(
        ShapeCode.ATTR_RANGE,
        `BCEWithLogitsLoss: posWeight has ${pw.length} values but the logits have ${last} outputs per sample; give one value, or one per output.`,
      );
    }
    return r;
  },
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
