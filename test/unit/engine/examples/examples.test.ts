/**
 * Every graph in examples/ must validate cleanly and learn: a few steps on a small `limit` must
 * lower the loss. (Full-length runs with accuracy targets live in test/accuracy.)
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGraph } from '../../../../src-engine/core/autodiff/executor';
import { prepareData } from '../../../../src-engine/core/data';
import { analyzeGraph } from '../../../../src-engine/core/analysis/validate';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { createCpuBackend, type CpuBackend } from '../../../../src-engine/node/cpu';
import { DEBIAN_FASHION_DIR, loadDataset } from '../../../../src-engine/node/datasets';
import { Trainer } from '../../../../src-engine/core/train';

const DIR = join(import.meta.dirname, '..', '..', '..', '..', 'examples');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

/** Short-run settings per example: enough steps to see the loss fall, small enough for a unit test. */
const QUICK: Record<string, { limit: number; batchSize: number; epochs: number }> = {
  'mnist-cnn.json': { limit: 64, batchSize: 16, epochs: 3 },
  'iris-mlp.json': { limit: 120, batchSize: 16, epochs: 6 },
  'two-moons-mlp.json': { limit: 256, batchSize: 32, epochs: 4 },
  'mnist-dcgan.json': { limit: 128, batchSize: 32, epochs: 2 },
  'mnist-cdcgan.json': { limit: 128, batchSize: 32, epochs: 2 },
  // 28 recurrent steps per sample on the reference kernels: a handful of batches.
  'mnist-lstm.json': { limit: 128, batchSize: 32, epochs: 2 },
  // 64 characters a sample through two Transformer blocks on the reference kernels: four small batches.
  'tiny-gpt.json': { limit: 32, batchSize: 16, epochs: 2 },
  // 256 characters a sample through an LSTM: four small batches.
  'fortunes-topics.json': { limit: 32, batchSize: 16, epochs: 2 },
  // A U-Net over 32×32 images, a class per pixel: a few small batches.
  'shapes-segmentation.json': { limit: 32, batchSize: 16, epochs: 2 },
};
const DEFAULT_QUICK = { limit: 256, batchSize: 32, epochs: 3 };

// The backend a user's run trains on, on one thread (vitest runs two files at once on two cores).
// The reference kernels took 35–90 s for the GAN templates' short runs; each op's kernels are
// checked against them elsewhere (test/unit/cpu-backend, the goldens).
let backend: CpuBackend;
beforeAll(async () => {
  backend = await createCpuBackend({ threads: 1 });
});
afterAll(() => backend?.dispose());

describe('examples/', () => {
  it('holds the documented examples', () => {
    expect(files.sort()).toEqual(
      expect.arrayContaining(['mnist-mlp.json', 'mnist-cnn.json', 'mnist-denoise-ae.json', 'two-moons-mlp.json', 'iris-mlp.json', 'fashion-mlp.json']),
    );
  });

  for (const file of files) {
    const needsFashion = file.startsWith('fashion');
    // Fashion-MNIST comes from a Debian package that may be absent on a developer machine.
    it.skipIf(needsFashion && !existsSync(DEBIAN_FASHION_DIR))(`${file}: validates and the loss falls in a short run`, async () => {
      const graph = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as GraphIR;
      const analysis = analyzeGraph(graph, { batchSize: graph.training!.batchSize });
      expect(analysis.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(analysis.params).toBeGreaterThan(0);

      const q = QUICK[file] ?? DEFAULT_QUICK;
      const training = { ...graph.training!, batchSize: q.batchSize, epochs: q.epochs, dataset: { ...graph.training!.dataset, limit: q.limit } };
      const quick: GraphIR = { ...graph, training };
      const data = prepareData(loadDataset(training.dataset, training.seed), training.dataset, training.seed);
      const losses: number[] = [];
      let groupLosses: Record<string, number> | undefined;
      const trainer = new Trainer(quick, data, backend, {
        compile: compileGraph,
        onStepLoss: (_, l) => losses.push(l),
        onEvent: (e) => {
          if (e.type === 'progress') groupLosses = e.groupLosses;
        },
      });
      const done = await trainer.run();
      expect(done.reason).toBe('completed');
      expect(losses.length).toBe(q.epochs * Math.ceil(data.train.count / q.batchSize));
      expect(Number.isFinite(done.test!.loss)).toBe(true);
      if (groupLosses?.discriminator !== undefined) {
        // A GAN's summed loss need not fall (the players pull against each other); its
        // discriminator must beat chance, BCE ln 2, within a few steps.
        expect(groupLosses.discriminator).toBeLessThan(Math.log(2));
        return;
      }
      const k = Math.max(2, Math.floor(losses.length / 4));
      const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
      expect(mean(losses.slice(-k))).toBeLessThan(mean(losses.slice(0, k)));
      expect(Number.isFinite(done.test!.loss)).toBe(true);
    });
  }
});
