import { defineTransform } from './types';

/** Sets each value to 0 or to 1 (half each) with probability `fraction`. */
export const saltPepper = defineTransform({
  kind: 'salt-pepper',
  label: 'salt and pepper',
  doc: 'Sets a fraction of the values to 0 or 1.',
  params: {
    fraction: { kind: 'float', default: 0.1, min: 0, max: 1, required: true, doc: 'Probability of setting each value to 0 or 1.', field: { label: 'Fraction', testId: 'ds-fraction' } },
  },
  apply({ t, x, length, rng }) {
    const p = t.fraction;
    for (let i = 0; i < length; i++) {
      const u = rng.uniform();
      if (u < p) x[i] = u < p / 2 ? 0 : 1;
    }
  },
  torch: String.raw`        u = torch.rand(x.shape, generator=generator).to(x.device)
        p = t['fraction']
        return torch.where(u < p / 2, torch.zeros_like(x), torch.where(u < p, torch.ones_like(x), x))`,
  testDomain: { torchvision: { none: 'torchvision 0.14 has no salt-and-pepper transform' }, cases: [{ name: 'a third', settings: { fraction: 0.3 } }] },
});
