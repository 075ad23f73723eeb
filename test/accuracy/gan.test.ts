/**
 * #16 item 4: the conditional DCGAN template (examples/mnist-cdcgan.json) trained with the fast
 * CPU backend draws digits an MNIST classifier trained in Netwright recognises: of the 64 samples
 * from the fixed noise (the sample grid), at least 80 % are labelled with confidence ≥ 0.9 — and,
 * since each cell asks for a digit (i mod 10), at least 80 % are confidently read as that digit.
 * `GAN_TEMPLATE=mnist-dcgan` judges the unconditional template the same way (it does not pass:
 * docs/trainer.md "Does it draw digits?"); `GAN_EPOCHS` and `GAN_SEED` override the template's epochs and seed.
 *
 * The classifier is examples/mnist-cnn.json (examples/mnist-mlp.json logged beside it) as
 * mnist.test.ts trains and checks it (its own recipe: 3 epochs, ≥ 99.0 % test accuracy; judge.ts),
 * the samples normalised as its data is. Also logged: D(x), D(G(z)) and the diversity of the grid
 * (mean pairwise distance) against 64 real digits.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src-engine/core/backend/types';
import { prepareData } from '../../src-engine/core/data';
import type { GraphIR } from '../../src-engine/base/ir/types';
import { meanPairwiseDistance } from '../../src-engine/app/probes';
import { discriminatorOutputs } from '../../src-engine/core/ops/gan-loss';
import { createBestBackend } from '../../src-engine/node/cpu';
import { loadDataset } from '../../src-engine/node/datasets';
import type { Trainer } from '../../src-engine/core/train';
import { cached } from './cache';
import { example, judge, trained } from './judge';

const ROOT = join(import.meta.dirname, '..', '..');
const RESULTS = join(ROOT, 'test', 'accuracy', 'results');
const GRID = 64;
let backend: Backend;

beforeAll(async () => {
  backend = await createBestBackend();
  mkdirSync(RESULTS, { recursive: true });
});
afterAll(() => backend?.dispose?.());

/** Top class and whether its softmax probability is ≥ 0.9, for each of the GRID rows of logits. */
function labelsOf(logits: Float32Array): { labels: number[]; confident: number; confidentAt: boolean[] } {
  const classes = logits.length / GRID;
  const labels: number[] = [];
  const confidentAt: boolean[] = [];
  for (let i = 0; i < GRID; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    const max = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp(v - max), 0);
    labels.push(row.indexOf(max));
    confidentAt.push(1 / z >= 0.9);
  }
  return { labels, confident: confidentAt.filter(Boolean).length, confidentAt };
}

/** A classifier template as mnist.test.ts trains it, and a scorer of GRID samples (judge.ts). */
async function classifier(file: string) {
  const j = await judge(file, backend, GRID);
  return {
    seconds: j.seconds,
    accuracy: j.accuracy,
    classify(samples: Float32Array) {
      return labelsOf(j.logits(samples));
    },
  };
}

/**
 * The judges trained, then the GAN, its grid scored after every epoch; the figures of the last
 * grid: how many cells the CNN labels with confidence ≥ 0.9 (and as the digit asked for), its
 * labels and diversity against real digits'.
 */
async function judgedGan(template: string, gan: GraphIR) {
  const { epochs, seed, dataset } = gan.training!;
  const data = prepareData(loadDataset(dataset, 1), dataset, 1);
  // The sample grid: an eval forward draws the Noise node's fixed noise (and no rng of the run,
  // so drawing it between epochs leaves the training unchanged: the figures after epoch k are
  // those of a run of k epochs).
  const grid = (trainer: Trainer) => {
    const plan = trainer.loop.planFor(GRID);
    const real = plan.input(trainer.loop.binding.featureInput);
    real.data.set(data.test.features.subarray(0, real.data.length));
    // A conditional GAN draws the digit it is given: cell i asks for digit i mod 10 (the app's grid too).
    if (labelInput) plan.input(labelInput).data.set(asked);
    plan.forward(false);
    return { samples: Float32Array.from(plan.output('fake').data), ...discriminatorOutputs(plan.output('d_out').data) };
  };
  let labelInput: string | null = null;
  const asked = Float32Array.from({ length: GRID }, (_, i) => i % 10);
  /** Confident and labelled as the digit asked for (a conditional GAN), else null. */
  const matched = (c: { labels: number[]; confidentAt: boolean[] }) => (labelInput ? c.labels.filter((l, i) => c.confidentAt[i] && l === asked[i]).length : null);
  // The grid after every epoch, scored once the GAN has trained: the judges are then in the cache
  // (mnist.test.ts, beside this file, trains them in the meantime; judge.ts), or trained here.
  const grids: Float32Array[] = [];
  const g = await trained(gan, backend, (trainer) => {
    labelInput = trainer.loop.binding.targetInput;
    grids.push(grid(trainer).samples);
  });
  // The bound is checked with the CNN (99 % test accuracy: the judge least fooled by blotches);
  // the MLP's figure is logged beside it.
  const cnn = await classifier('mnist-cnn.json');
  const mlp = await classifier('mnist-mlp.json');
  const perEpoch = grids.map((samples, i) => {
    const c = cnn.classify(samples);
    const figures = { epoch: i + 1, cnn: c.confident, mlp: mlp.classify(samples).confident, distinct: new Set(c.labels).size, matched: matched(c) };
    console.log(`${template} epoch ${i + 1}: ${JSON.stringify(figures)} of ${GRID} confident`);
    return figures;
  });

  const { samples, dReal, dFake } = grid(g.trainer);
  const judged = cnn.classify(samples);
  const { labels, confident } = judged;
  const diversity = meanPairwiseDistance(samples, GRID, 784);
  const realDiversity = meanPairwiseDistance(data.test.features.subarray(0, GRID * 784), GRID, 784);
  const record = { template, epochs, seed, matched: matched(judged), ganSeconds: g.seconds, classifiers: { cnn: { seconds: cnn.seconds, accuracy: cnn.accuracy }, mlp: { seconds: mlp.seconds, accuracy: mlp.accuracy } }, confident, mlpConfident: mlp.classify(samples).confident, labels, perEpoch, dReal, dFake, diversity, realDiversity, backend: backend.description };
  console.log(`${template}: ${JSON.stringify(record)}`);
  writeFileSync(join(RESULTS, `${template}${process.env.GAN_SEED ? `.seed${seed}` : ''}.result.json`), JSON.stringify({ ...record, samples: Array.from(samples, (v) => Math.round(v * 255)) }) + '\n');
  return record;
}

describe('MNIST GAN template', () => {
  it('≥ 80 % of 64 fixed-noise samples are labelled by an MNIST classifier with confidence ≥ 0.9', async () => {
    const template = process.env.GAN_TEMPLATE ?? 'mnist-cdcgan';
    const gan = example(`${template}.json`);
    const epochs = Number(process.env.GAN_EPOCHS ?? gan.training!.epochs);
    const seed = Number(process.env.GAN_SEED ?? gan.training!.seed);
    gan.training = { ...gan.training!, epochs, seed };
    // The figures of this recipe (and, on a re-run of the same code and data, the stored ones: cache.ts).
    const judges = [example('mnist-cnn.json'), example('mnist-mlp.json')];
    const { value: record } = await cached(`gan-${template}`, { gan, judges, backend: backend.description }, () => judgedGan(template, gan));
    const { confident, labels, diversity, realDiversity } = record;
    expect(confident / GRID).toBeGreaterThanOrEqual(0.8);
    // A conditional generator draws the digit it is asked for, not any digit the judge is sure of.
    const asAsked = record.matched;
    if (asAsked !== null) expect(asAsked / GRID).toBeGreaterThanOrEqual(0.8);
    // Not one mode: the grid shows several digits, and its samples differ about as much as real
    // digits do. A judge's confidence alone can be won by a collapse: with BatchNorm in the
    // discriminator the PyTorch recipe collapsed onto one speckled texture that the judge labelled
    // with confidence ≥ 0.9 in all 64 cells (docs/trainer.md). Mean pairwise distance of the grids
    // (test/accuracy/gan_torch_variants.py): 9.0–10.6 for every variant that drew strokes, 4.3–6.1
    // for the collapsed ones; 64 real test digits: ~9.8.
    expect(new Set(labels).size).toBeGreaterThanOrEqual(5);
    expect(diversity).toBeGreaterThanOrEqual(0.75 * realDiversity);
  });
});
