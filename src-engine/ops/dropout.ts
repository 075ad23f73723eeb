import { floatAttr, ok } from './shape-util';
import type { OpDef } from './types';

/**
 * Inverted dropout, as `torch.nn.Dropout(p)`: in train mode each element is zeroed with
 * probability p and the survivors are scaled by 1/(1−p), so eval mode is the identity.
 * The mask (0 or 1/(1−p) per element) is drawn from the executor's seeded Rng and kept in the
 * workspace for backward. The values differ from PyTorch's (another generator); the statistics
 * match.
 */
export const dropout: OpDef = {
  name: 'Dropout',
  category: 'regularization',
  doc: 'Randomly zero a fraction p of the values during training (scaled so eval is unchanged).',
  inputs: [{ name: 'x' }],
  attrs: {
    p: { kind: 'float', default: 0.5, min: 0, max: 1, doc: 'Probability of zeroing each value during training.' },
  },
  inferShape: ({ inputs }) => ok([...inputs[0]]),
  workspace({ inputs }) {
    return [{ name: 'mask', shape: [...inputs[0]] }];
  },
  forward({ inputs, output, workspace, attrs, training, rng }) {
    const x = inputs[0].data;
    const y = output.data;
    const p = floatAttr(attrs, 'p');
    if (!training || p === 0) {
      y.set(x);
      return;
    }
    const mask = workspace.mask.data;
    // NOTE: p = 1 zeroes everything (PyTorch does the same) rather than dividing by zero.
    const scale = p >= 1 ? 0 : 1 / (1 - p);
    for (let i = 0; i < x.length; i++) {
      const m = rng.uniform() < p ? 0 : scale;
      mask[i] = m;
      y[i] = x[i] * m;
    }
  },
  backward({ dOutput, dInputs, workspace, attrs, training }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const dy = dOutput.data;
    if (!training || floatAttr(attrs, 'p') === 0) {
      for (let i = 0; i < dy.length; i++) dx[i] += dy[i];
      return;
    }
    const mask = workspace.mask.data;
    for (let i = 0; i < dy.length; i++) dx[i] += dy[i] * mask[i];
  },
};
