import { fail, fmt, ShapeCode } from './shape-util';
import { sigmoid } from './special';
import { defineOp } from './types';

/** Logits per half: the discriminator's scores of the real samples, then of the generated ones. */
export function halves(n: number): number {
  return n / 2;
}

/**
 * The two GAN losses on a discriminator's raw scores of a `RealFakeBatch` (`[2N, 1]` or `[2N]`:
 * N real samples, then N generated ones); targets are implied by position, so no target Input.
 *
 * - `player: "discriminator"`: `BCE(D(x), 1)` and `BCE(D(G(z)), 0)`, the mean over all 2N —
 *   `(bce(d_real, ones) + bce(d_fake, zeros)) / 2` in PyTorch.
 * - `player: "generator"`: the non-saturating loss `BCE(D(G(z)), 1) = mean softplus(−D(G(z)))`
 *   over the generated half only, which keeps a strong gradient while D still rejects the fakes
 *   (minimising `log(1 − D(G(z)))` would vanish there).
 *
 * NOTE: both use the stable forms log σ(x) = −softplus(−x), log(1 − σ(x)) = −softplus(x).
 */
export const ganLoss = defineOp({
  name: 'GANLoss',
  category: 'losses',
  onnx: { none: 'a training loss: it belongs in the training script, not in the exported inference model' },
  torch: { none: 'a GAN loss; a GAN is exported as its generator, without its losses' },
  card: (a) => String(a.player),
  doc: 'GAN loss on D\'s scores of real-then-fake: the discriminator\'s, or the generator\'s non-saturating one.',
  inputs: [{ name: 'logits' }],
  attrs: {
    player: {
      kind: 'enum',
      default: 'discriminator',
      values: ['discriminator', 'generator'],
      doc: 'Whose loss: the discriminator\'s (real → 1, fake → 0) or the generator\'s (fake → 1, non-saturating).',
    },
  },
  isLoss: true,
  inferShape({ inputs }) {
    const x = inputs[0];
    const perSample = x.length === 1 || (x.length === 2 && x[1] === 1);
    if (!perSample) {
      return fail(ShapeCode.MISMATCH, `GANLoss takes one score per sample ([N, 1] or [N]) from the discriminator; got ${fmt(x)}. End the discriminator with Linear(1).`);
    }
    if (x[0] > 0 && x[0] % 2 !== 0) {
      return fail(ShapeCode.MISMATCH, `GANLoss: the discriminator scored ${x[0]} samples; it needs real and generated ones in equal numbers (a RealFakeBatch).`);
    }
    return { ok: true, shape: [] };
  },
  // The generator's loss reads the scores of the generated half only.
  samplesRead: ({ inputs, attrs }) => [attrs.player === 'generator' ? [halves(inputs[0][0]), inputs[0][0]] : [0, inputs[0][0]]],
});

/**
 * D(x) and D(G(z)): the discriminator's mean probability that the real samples are real and that
 * the generated ones are, from the scores a `GANLoss` reads. D(x) → 1 with D(G(z)) → 0 is a
 * discriminator that wins; both near 0.5 is the balance a GAN seeks.
 */
export function discriminatorOutputs(logits: Float32Array): { dReal: number; dFake: number } {
  const n = halves(logits.length);
  let r = 0;
  let f = 0;
  for (let i = 0; i < n; i++) r += sigmoid(logits[i]);
  for (let i = n; i < logits.length; i++) f += sigmoid(logits[i]);
  return { dReal: n ? r / n : 0, dFake: n ? f / n : 0 };
}
