import { gt, log, mul, select, sub } from '../elementwise/expr';
import { prediction, target } from '../elementwise/loss';
import { pointwiseLoss } from '../elementwise/loss-js';
import { elementwiseLossShape } from './loss-util';
import { defineOp } from './types';

/**
 * Kullback–Leibler divergence of the target distribution from the predicted one, as
 * `torch.nn.KLDivLoss(reduction='batchmean')`: the prediction holds log-probabilities (a
 * LogSoftmax's), the target probabilities; per element t·(log t − x), summed and divided by the
 * batch size (the mean over samples of each sample's divergence).
 */
export const klDivLoss = defineOp({
  name: 'KLDivLoss',
  category: 'losses',
  onnx: { none: 'a training loss: it belongs in the training script, not in the exported inference model' },
  torch: { module: "nn.KLDivLoss(reduction='batchmean')" },
  doc: 'KL divergence from log-probabilities (prediction) to target probabilities, averaged over the batch (distillation, label distributions).',
  inputs: [{ name: 'logProbs' }, { name: 'target' }],
  attrs: {},
  isLoss: true,
  // NOTE: a zero target adds 0 and passes no gradient (PyTorch's xlogy: 0·log 0 = 0), where
  // t·(log t − x) would give NaN. Gradients derived: −t for the prediction, log t − x + 1 for the target.
  ...pointwiseLoss({ term: select(gt(target, 0), mul(target, sub(log(target), prediction)), 0), reduction: 'batchmean' }),
  testDomain: { inputs: ['log-distribution', 'distribution'] },
  inferShape: ({ inputs }) => elementwiseLossShape('KLDivLoss', inputs[0], inputs[1]),
});
