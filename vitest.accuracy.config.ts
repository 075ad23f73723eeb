import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { rankIn } from './vitest.config';

// Long training runs that check the accuracy the textbooks promise (MNIST MLP ≥ 97.5 %, …), the
// lessons' claims, and the GAN's bar (test/accuracy/gan.test.ts: the conditional DCGAN template,
// 8 epochs of ~160 s on 2 cores; alone: `npm run test:gan`). CI runs these (`npm test -- --with-accuracy`).
export const ACCURACY_TEST = {
  environment: 'node',
  testTimeout: 60 * 60_000,
  hookTimeout: 60_000,
} as const;

/**
 * These first, in this order: the GAN's file, longer than every other accuracy file together; then
 * the MNIST file, which trains the classifiers the GAN's samples are judged by (judge.ts) while
 * the GAN trains.
 */
const FIRST = ['test/accuracy/gan.test.ts', 'test/accuracy/mnist.test.ts'];

class GanFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = rankIn(FIRST);
    // Array.prototype.sort is stable: vitest's order stays within each rank.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

/**
 * Two files at a time: the GAN's on one worker for its whole run (~25 min), every other file one
 * after another on the second. A training run on the CPU backend's 2 threads keeps ~1.7 of 2 cores
 * busy (its fork/joins, the loop's own JavaScript, evaluation between epochs), and a second run
 * beside it fills the rest. Measured (2 cores, quiet): 200 steps of the cDCGAN and one epoch of
 * 12,800 MNIST LSTM samples, each `npx tsx src-engine/node/train-cli.ts … --threads 2`, took 21.1 +
 * 10.1 s one after the other and 28.9 s side by side, the same losses. The files that share a
 * design (runs.ts) are then on the same worker, so the first trains it and the second reads it;
 * each run's figures are those it gives alone (a thread count splits the work one fixed way).
 */
const WORKERS = 2;

export default defineConfig({
  test: {
    ...ACCURACY_TEST,
    include: ['test/accuracy/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: WORKERS,
    sequence: { sequencer: GanFirst },
    // Every file but the GAN's at the lowest priority (test/accuracy/priority.ts).
    setupFiles: ['test/accuracy/priority.ts'],
    // A run's start, which cache.ts reads: with `ACCURACY_CACHE=0` a design two files train (runs.ts) still trains once.
    env: { ACCURACY_RUN_STARTED: String(Date.now()) },
  },
});
