import { TARGET_SOURCE } from './loss-util';
import { fail, fmt, ok, ShapeCode } from './shape-util';
import { defineOp } from './types';

/**
 * Soft Dice loss of logits `[N, C, d1, …]` (a segmenter's score map) against class labels
 * `[N, d1, …]`: with p = softmax over C and y the one-hot labels, per class
 * `Dᶜ = (2·Σ pᶜ·yᶜ + s) / (Σ pᶜ + Σ yᶜ + s)` summed over the batch and every position, and
 * `loss = 1 − mean_c Dᶜ`. The overlap itself is what it scores, so a small class counts as much as
 * the background (cross-entropy, averaged per pixel, is dominated by the background); `smooth`
 * keeps an absent class at D = 1 and the gradient finite. Labels outside [0, C) throw E_LABEL_RANGE.
 */
export const diceLoss = defineOp({
  name: 'DiceLoss',
  category: 'losses',
  onnx: { none: 'a training loss: it belongs in the training script, not in the exported inference model' },
  torch: {
    module: 'DiceLoss(smooth={smooth})',
    helper: [
      'class DiceLoss(nn.Module):',
      '    """1 - mean over classes of (2 sum(p y) + s) / (sum(p) + sum(y) + s); p = softmax(logits, 1), y one-hot labels."""',
      '',
      '    def __init__(self, smooth=1.0):',
      '        super().__init__()',
      '        self.smooth = smooth',
      '',
      '    def forward(self, input, target):',
      '        p = torch.softmax(input, dim=1)',
      '        y = nn.functional.one_hot(target.long(), input.shape[1]).movedim(-1, 1).to(p.dtype)',
      '        dims = [0] + list(range(2, input.dim()))',
      '        dice = (2 * (p * y).sum(dims) + self.smooth) / (p.sum(dims) + y.sum(dims) + self.smooth)',
      '        return 1 - dice.mean()',
    ].join('\n'),
    target: 'class-index',
  },
  doc: 'Segmentation loss: 1 − the mean over classes of the soft Dice overlap between softmax(logits) [N, C, H, W] and the label mask [N, H, W].',
  inputs: [{ name: 'logits' }, { name: 'target' }],
  attrs: {
    smooth: { kind: 'float', default: 1, min: 0, doc: 'Added above and below each class’s ratio: an absent class scores 1, and nothing divides by 0.' },
  },
  isLoss: true,
  inferShape({ inputs }) {
    const [logits, target] = inputs;
    if (!logits || !target) return fail(ShapeCode.MISMATCH, `DiceLoss needs two inputs: the logits [N, C, H, W] and the label mask [N, H, W] (${TARGET_SOURCE}).`);
    if (logits.length < 2 || logits[1] < 2) return fail(ShapeCode.RANK, `DiceLoss expects logits [N, classes, …] with at least 2 classes; got ${fmt(logits)}.`);
    const expected = [logits[0], ...logits.slice(2)];
    const same = target.length === expected.length && target.every((d, i) => d === expected[i] || (i === 0 && (d < 0 || expected[i] < 0)));
    if (!same) return fail(ShapeCode.MISMATCH, `DiceLoss: the logits are ${fmt(logits)} so the target must be ${fmt(expected)} (one class id per position), but it is ${fmt(target)}. Set ${TARGET_SOURCE} to shape [${expected.slice(1).join(', ')}].`);
    return ok([]);
  },
  workspace: ({ inputs }) => [{ name: 'probs', shape: [...inputs[0]] }],
  flops: ({ inputs }) => 6 * inputs[0].slice(1).reduce((a, b) => a * b, 1),
});
