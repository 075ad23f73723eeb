import type { GraphIR } from '../../src-engine/base/ir/types';

/**
 * A GAN on two moons: G maps 4-D noise to points, D scores real and generated points; two optimizer
 * groups (the discriminator's, then the generator's), Adam at 0.01, batches of 16, one epoch, 100
 * samples. `latent: 'points'` feeds G the real points instead of noise: a two-player design that
 * draws nothing (a resumed run draws on where its checkpoint's streams stood, so the Noise latent
 * resumes bit for bit too: engine/train/resume-random.test.ts).
 */
export function moonsGan(latent: 'noise' | 'points' = 'noise'): GraphIR {
  return {
    format: 'netwright.graph',
    version: 2,
    name: 'moons GAN',
    nodes: [
      { id: 'real', op: 'Input', attrs: { shape: [2], source: 'features' }, inputs: [] },
      ...(latent === 'noise' ? [{ id: 'z', op: 'Noise', attrs: { shape: [4], seed: 3 }, inputs: ['real'] }] : []),
      { id: 'g1', op: 'Linear', attrs: { outFeatures: 8 }, inputs: [latent === 'noise' ? 'z' : 'real'] },
      { id: 'g_act', op: 'ReLU', attrs: {}, inputs: ['g1'] },
      { id: 'fake', op: 'Linear', attrs: { outFeatures: 2 }, inputs: ['g_act'] },
      { id: 'pair', op: 'RealFakeBatch', attrs: {}, inputs: ['real', 'fake'] },
      { id: 'd1', op: 'Linear', attrs: { outFeatures: 8 }, inputs: ['pair'] },
      { id: 'd_act', op: 'LeakyReLU', attrs: { negativeSlope: 0.2 }, inputs: ['d1'] },
      { id: 'd_out', op: 'Linear', attrs: { outFeatures: 1 }, inputs: ['d_act'] },
      { id: 'd_loss', op: 'GANLoss', attrs: { player: 'discriminator' }, inputs: ['d_out'] },
      { id: 'g_loss', op: 'GANLoss', attrs: { player: 'generator' }, inputs: ['d_out'] },
    ],
    outputs: { samples: 'fake', scores: 'd_out' },
    training: {
      dataset: { name: 'two-moons', options: { samples: 100 }, validationSplit: 0 },
      loss: ['d_loss', 'g_loss'],
      optimizer: { kind: 'adam', lr: 0.01 },
      groups: [
        { name: 'discriminator', params: { between: { from: ['d1'], to: 'd_out' } }, loss: 'd_loss' },
        { name: 'generator', params: { between: { from: ['g1'], to: 'fake' } }, loss: 'g_loss' },
      ],
      batchSize: 16,
      epochs: 1,
      seed: 1,
      metrics: [],
      predictionOutput: 'samples',
    },
  } as unknown as GraphIR;
}
