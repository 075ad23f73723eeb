import { floatAttr, ok, showAttr } from './shape-util';
import type { Rng } from '../../base/rng';
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
  onnx: { opType: 'Dropout', note: 'the identity at inference: the inference graph leaves it out', emit: (ctx) => ctx.inputs[0] },
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
    fillMask(mask, p * 4294967296, scale, rng);
    for (let i = 0; i < x.length; i++) y[i] = x[i] * mask[i];
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

/**
 * mask[i] = 0 with probability threshold/2³², else `scale`.
 *
 * NOTE: the draws come from a local xoshiro128** whose state is seeded by four words of the
 * executor's Rng, so masks stay reproducible from the seed. Keeping the state in local int32
 * variables lets V8 hold it unboxed; calling `rng.nextU32()` per element costs ~4× more (its
 * uint32 fields are stored as boxed doubles), which made Dropout slower than PyTorch's.
 */
function fillMask(mask: Float32Array, threshold: number, scale: number, rng: Rng): void {
  let [s0, s1, s2, s3] = dropoutStreamState(rng);
  for (let i = 0; i < mask.length; i++) {
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    mask[i] = r < threshold ? 0 : scale;
  }
}

/**
 * The state of one forward pass's mask stream: four words of the executor's Rng as int32, never all
 * zero (a fixed point of xoshiro). Backends that draw the mask themselves start from this state.
 */
export function dropoutStreamState(rng: Rng): [number, number, number, number] {
  const s: [number, number, number, number] = [rng.nextU32() | 0, rng.nextU32() | 0, rng.nextU32() | 0, rng.nextU32() | 0];
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  return s;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
