import { fail, fmt, ShapeCode } from './shape-util';
import { defineOp } from './types';

/**
 * A GAN discriminator's batch: real samples then generated ones, joined along the batch dim
 * (`[N, ...]` + `[M, ...]` → `[N + M, ...]`), so one discriminator with one set of weights scores
 * both in a single pass. `GANLoss` reads the halves back by position. As `torch.cat([real, fake])`.
 *
 * NOTE: a BatchNorm inside the discriminator would normalise real and fake together; the
 * DCGAN template's discriminator has none (LeakyReLU only), the generator keeps its BatchNorms.
 */
export const realFakeBatch = defineOp({
  name: 'RealFakeBatch',
  category: 'structure',
  trainingOnly: true,
  onnx: { none: 'a GAN training construct (real and generated samples in one discriminator batch); export the generator alone' },
  torch: { none: 'a GAN training construct; a GAN is exported as its generator, without the discriminator' },
  doc: 'Real then generated samples in one batch, for a GAN discriminator.',
  inputs: [{ name: 'real' }, { name: 'fake' }],
  testDomain: { graph: { none: 'a GAN training construct, which neither exporter writes' } },
  attrs: {},
  inferShape({ inputs }) {
    const [real, fake] = inputs;
    if (!real || !fake) return fail(ShapeCode.MISMATCH, 'RealFakeBatch needs two inputs: the real samples, then the generated ones.');
    if (real.length !== fake.length || real.some((d, i) => i > 0 && d !== fake[i])) {
      return fail(
        ShapeCode.MISMATCH,
        `RealFakeBatch: real samples are ${fmt(real)} but generated ones are ${fmt(fake)}; the generator must output the real samples' shape.`,
      );
    }
    const n = real[0] < 0 || fake[0] < 0 ? -1 : real[0] + fake[0];
    return { ok: true, shape: [n, ...real.slice(1)] };
  },
  samplesRead({ inputs }, [first, end]) {
    const n = inputs[0][0];
    const part = (from: number, to: number): [number, number] => (from < to ? [from, to] : [0, 0]);
    return [part(first, Math.min(end, n)), part(Math.max(first - n, 0), end - n)];
  },
});
