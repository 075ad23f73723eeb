import { crossEntropyLoss } from './cross-entropy-loss';
import { TARGET_SOURCE } from './loss-util';
import { fail, fmt, ok, ShapeCode } from './shape-util';
import { defineOp } from './types';

/**
 * Cross-entropy of next-token logits `[N, T, V]` (the class axis last, as a language model's
 * per-position Linear gives them) against integer targets `[N, T]`, the mean over all N·T
 * positions: `nn.CrossEntropyLoss()(logits.reshape(-1, V), target.reshape(-1))`. Label smoothing
 * and class weights as CrossEntropyLoss's.
 */
export const tokenCrossEntropyLoss = defineOp({
  name: 'TokenCrossEntropyLoss',
  category: 'losses',
  onnx: { none: 'a training loss: it belongs in the training script, not in the exported inference model' },
  torch: {
    module: 'TokenCrossEntropyLoss(weight={classWeights:tensor}, label_smoothing={labelSmoothing})',
    helper: [
      'class TokenCrossEntropyLoss(nn.CrossEntropyLoss):',
      '    """nn.CrossEntropyLoss over every position: logits [N, T, V] (classes last), targets [N, T]."""',
      '',
      '    def forward(self, input, target):',
      '        return super().forward(input.reshape(-1, input.shape[-1]), target.reshape(-1).long())',
    ].join('\n'),
    target: 'class-index',
  },
  doc: 'Language-model loss: cross-entropy of logits [N, T, V] against the next token at every position [N, T].',
  inputs: [{ name: 'logits' }, { name: 'target' }],
  attrs: crossEntropyLoss.attrs,
  isLoss: true,
  inferShape({ inputs, attrs }) {
    const [logits, target] = inputs;
    if (!logits || !target) return fail(ShapeCode.MISMATCH, `TokenCrossEntropyLoss needs two inputs: the logits [N, T, V] and the next tokens [N, T] (${TARGET_SOURCE}).`);
    if (logits.length !== 3) return fail(ShapeCode.RANK, `TokenCrossEntropyLoss expects logits [N, T, V] (one score per vocabulary entry at every step); got ${fmt(logits)}.${logits.length === 2 ? ' For one label per sample use CrossEntropyLoss.' : ''}`);
    if (target.length !== 2 || target[1] !== logits[1]) return fail(ShapeCode.MISMATCH, `TokenCrossEntropyLoss: the logits are ${fmt(logits)} so the target must be [N, ${logits[1]}] (one token id per step), but it is ${fmt(target)}. Set ${TARGET_SOURCE} to shape [${logits[1]}].`);
    const weights = (attrs.classWeights as readonly number[] | undefined) ?? [];
    if (weights.length > 0 && weights.length !== logits[2]) return fail(ShapeCode.ATTR_RANGE, `TokenCrossEntropyLoss: classWeights has ${weights.length} values but the vocabulary has ${logits[2]}; give one weight per token, or none.`);
    if (logits[2] < 2) return fail(ShapeCode.MISMATCH, `TokenCrossEntropyLoss needs a vocabulary of at least 2 tokens; the logits are ${fmt(logits)}.`);
    return ok([]);
  },
  workspace: ({ inputs }) => [{ name: 'probs', shape: [...inputs[0]] }],
  flops: ({ inputs }) => 4 * inputs[0].slice(1).reduce((a, b) => a * b, 1),
});
