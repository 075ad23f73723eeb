import { ok, showAttr } from './shape-util';
import { defineOp } from './types';
import { identity } from '../../base/onnx/import-rule';

/**
 * Inverted dropout, as `torch.nn.Dropout(p)`: in train mode each element is zeroed with
 * probability p and the survivors are scaled by 1/(1−p), so eval mode is the identity.
 * The mask (0 or 1/(1−p) per element) is kept in the workspace for backward. Its draws are a
 * counter-based generator keyed by four words of the executor's seeded Rng per training forward
 * ({@link dropoutKey}, {@link dropoutBits}), so every backend (this file, the WebAssembly kernel,
 * the WGSL kernel) draws the same mask, in any order and split across any number of threads. The
 * values differ from PyTorch's (another generator); the statistics match.
 */
export const dropout = defineOp({
  name: 'Dropout',
  category: 'regularization',
  drawsInTraining: true,
  onnx: { opType: 'Dropout', note: 'the identity at inference: the inference graph leaves it out', emit: (ctx) => ctx.inputs[0] },
  onnxImport: { Dropout: identity },
  torch: { module: 'nn.Dropout(p={p})' },
  card: (a) => `p=${showAttr(a.p)}`,
  withoutRegularization: (a) => ({ ...a, p: 0 }),
  doc: 'Randomly zero a fraction p of the values during training (scaled so eval is unchanged).',
  inputs: [{ name: 'x' }],
  attrs: {
    p: { kind: 'float', default: 0.5, min: 0, max: 1, doc: 'Probability of zeroing each value during training.' },
  },
  inferShape: ({ inputs }) => ok([...inputs[0]]),
  workspace({ inputs }) {
    return [{ name: 'mask', shape: [...inputs[0]] }];
  },
});

