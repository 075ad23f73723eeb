import { defineConfig } from 'vitest/config';

// Long training runs that check the accuracy the textbooks promise (MNIST MLP ≥ 97.5 %, …), the
// lessons' claims, and the GAN's bar (test/accuracy/gan.test.ts: the conditional DCGAN template,
// 8 epochs, ~13 min on 2 cores; alone: `npm run test:gan`). CI runs these (`npm test -- --with-accuracy`).
export const ACCURACY_TEST = {
  environment: 'node',
  testTimeout: 60 * 60_000,
  hookTimeout: 60_000,
  fileParallelism: false,
} as const;

export default defineConfig({
  test: {
    ...ACCURACY_TEST,
    include: ['test/accuracy/**/*.test.ts'],
    // A run's start, which cache.ts reads: with `ACCURACY_CACHE=0` a design two files train (runs.ts) still trains once.
    env: { ACCURACY_RUN_STARTED: String(Date.now()) },
  },
});
