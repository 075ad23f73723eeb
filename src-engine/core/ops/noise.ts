import { fail, fmt, ShapeCode } from './shape-util';
import { defineOp } from './types';

/**
 * A GAN's latent source: `[N, ...shape]` values drawn from N(0, 1), one row per sample of its
 * input's batch (the input only gives the batch size; its values are not read and it gets no
 * gradient). In train mode every forward draws fresh noise under a key of four words from the
 * executor's seeded Rng, so a run is reproducible from its seed; in eval mode it draws the same
 * noise every time, under a key from its own `seed`, so evaluating the generator shows the same
 * latent points throughout a run — the fixed-noise sample grid.
 *
 * Element i's value is a function of (i, key) only ({@link noiseNormal}: Box–Muller on two draws
 * of Dropout's counter-based hash), so the WGSL kernel (`core/gpu/kernels/noise.ts`) draws the
 * same values, and a row's latent point does not depend on the batch size.
 */
export const noise = defineOp({
  name: 'Noise',
  category: 'input',
  drawsInTraining: true,
  onnx: { none: 'a training-time noise source; export the generator alone, with z as its graph input' },
  torch: { none: 'a GAN noise source; a GAN is exported as its generator, with z as the input of model.py' },
  card: (a) => `z ~ N(0, 1) · [${(a.shape as readonly number[]).join(', ')}]`,
  doc: 'Random N(0, 1) values per sample (a GAN generator\'s z); fixed in eval mode.',
  inputs: [{ name: 'like' }],
  attrs: {
    shape: { kind: 'ints', default: [32], min: 1, doc: 'Per-sample shape of the noise, e.g. [32] for a 32-dim latent vector.' },
    seed: { kind: 'int', default: 0, min: 0, doc: 'Seed of the fixed noise drawn in eval mode (the sample grid); training draws from the run seed.' },
  },
  differentiable: false,
  inferShape({ inputs, attrs }) {
    const shape = attrs.shape as readonly number[];
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      return fail(ShapeCode.ATTR_RANGE, `Noise shape must be positive whole numbers; got ${fmt(shape)}.`);
    }
    return { ok: true, shape: [inputs[0][0], ...shape] };
  },
});

