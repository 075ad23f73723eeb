import { elementwiseLossShape } from './loss-util';
import { fail, ShapeCode } from './shape-util';
import { defineOp } from './types';

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
});
