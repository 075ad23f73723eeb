import { defineTransform } from './types';
import type { TransformParam } from './types';

const params = {
  std: { kind: 'float', default: 0.3, min: 0, required: true, doc: 'Standard deviation of the noise.', field: { label: 'Noise σ', testId: 'ds-noise-std', max: 10 } },
  clip: { kind: 'bool', default: true, doc: 'Clip the noisy values to [0, 1].' },
} as const satisfies Readonly<Record<string, TransformParam>>;

/** Adds N(0, std²) to each value, then clips to [0, 1] when `clip` (its default: a setting that leaves it out clips). */
export const gaussianNoise = defineTransform({
  kind: 'gaussian-noise',
  label: 'Gaussian noise',
  doc: 'Adds N(0, σ²) to every value, clipped to [0, 1] (denoising autoencoders).',
  params,
  apply({ t, x, length, rng }) {
    const std = t.std;
    if (t.clip ?? params.clip.default) {
      for (let i = 0; i < length; i++) {
        const v = x[i] + std * rng.normal();
        x[i] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    } else {
      for (let i = 0; i < length; i++) x[i] += std * rng.normal();
    }
  },
  torch: String.raw`        x = x + t['std'] * torch.randn(x.shape, generator=generator).to(x.device)
        return x.clamp(0, 1) if t.get('clip', True) else x`,
  testDomain: {
    torchvision: { none: 'torchvision 0.14 has no additive-noise transform' },
    cases: [
      { name: 'σ 0.3, clipped by default', settings: { std: 0.3 } },
      { name: 'σ 0.2, unclipped', settings: { std: 0.2, clip: false } },
    ],
  },
});
