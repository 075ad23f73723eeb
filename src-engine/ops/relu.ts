import type { OpDef } from './types';

/** max(0, x) elementwise, as `torch.nn.ReLU`. */
export const relu: OpDef = {
  name: 'ReLU',
  category: 'activations',
  doc: 'max(0, x), elementwise.',
  inputs: [{ name: 'x' }],
  attrs: {},
  inferShape: ({ inputs }) => ({ ok: true, shape: [...inputs[0]] }),
  flops: ({ output }) => output.slice(1).reduce((a, b) => a * b, 1),
  forward({ inputs, output }) {
    const x = inputs[0].data;
    const y = output.data;
    // `x < 0 ? 0 : x` rather than Math.max: NaN passes through (as in PyTorch) so divergence shows.
    for (let i = 0; i < x.length; i++) y[i] = x[i] < 0 ? 0 : x[i];
  },
  backward({ inputs, dOutput, dInputs }) {
    const dx = dInputs[0]?.data;
    if (!dx) return;
    const x = inputs[0].data;
    const dy = dOutput.data;
    // NOTE: relu'(0) is taken as 0, as PyTorch does (threshold_backward passes the gradient only
    // where x > 0). Any value in [0, 1] is a valid subgradient; 0 keeps dead units dead and
    // matches PyTorch bit for bit on inputs that are exactly 0 (e.g. after another ReLU or padding).
    for (let i = 0; i < x.length; i++) if (x[i] > 0) dx[i] += dy[i];
  },
};
