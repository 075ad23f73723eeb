import { defineConfig } from 'vitest/config';

// Long training runs that check the accuracy the textbooks promise (MNIST MLP ≥ 97.5 %, …).
export default defineConfig({
  test: {
    include: ['test/accuracy/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60 * 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
