import { add, div, exp, mul, neg, p, sigmoid, softplus, sub } from '../elementwise/expr';
import { prediction as x, target as t } from '../elementwise/loss';
import { pointwiseLoss } from '../elementwise/loss-js';
import { elementwiseLossShape } from './loss-util';
import { fail, ShapeCode } from './shape-util';
import { defineOp } from './types';

/** The weight of the positive term, 1 + (w⁺ − 1)·t (p = w⁺, the element's posWeight). */
const lw = add(1, mul(sub(p, 1), t));

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
  binaryTargets: true,
  // NOTE: log σ(x) = −softplus(−x) and log(1 − σ(x)) = −softplus(x), with the stable softplus, so
  // large |x| neither overflows exp nor takes log(0): PyTorch's `(1 − t)·x + (1 + (w⁺ − 1)·t)·softplus(−x)`.
  // The gradients are declared in the hand kernels' arrangement (the derived ones round otherwise):
  // ∂/∂x = (1 − t) − lw·σ(−x) (σ(x) − t where w⁺ = 1), ∂/∂t = −x + (w⁺ − 1)·softplus(−x).
  ...pointwiseLoss({
    term: add(mul(sub(1, t), x), mul(lw, softplus(neg(x)))),
    gradient: sub(sub(1, t), mul(lw, sigmoid(neg(x)))),
    gradient2: add(neg(x), mul(sub(p, 1), softplus(neg(x)))),
    // σ(−x) as 1/(1 + eˣ), the GPU kernel's float32 form (eˣ = inf gives 0).
    f32: { gradient: sub(sub(1, t), div(lw, add(1, exp(x)))) },
    reduction: 'mean',
    perClass: (attrs) => {
      const pw = attrs.posWeight as readonly number[];
      return pw.length ? pw : [1];
    },
  }),
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
});
