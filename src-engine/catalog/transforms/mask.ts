import { defineTransform } from './types';

/** Zeroes each value with probability `fraction`. */
export const mask = defineTransform({
  kind: 'mask',
  label: 'mask pixels',
  doc: 'Zeroes each value with the given probability.',
  params: {
    fraction: { kind: 'float', default: 0.1, min: 0, max: 1, required: true, doc: 'Probability of zeroing each value.', field: { label: 'Fraction', testId: 'ds-fraction' } },
  },
  apply({ t, x, length, rng }) {
    const p = t.fraction;
    for (let i = 0; i < length; i++) if (rng.uniform() < p) x[i] = 0;
  },
  torch: String.raw`        return x * (torch.rand(x.shape, generator=generator).to(x.device) >= t['fraction'])`,
  // NOTE: torch.nn.Dropout zeroes as this does but scales what it keeps by 1/(1 − p).
  testDomain: { torchvision: { none: 'torchvision 0.14 has no per-value mask' }, cases: [{ name: 'a quarter', settings: { fraction: 0.25 } }] },
});
