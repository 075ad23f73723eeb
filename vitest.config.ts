import { defineConfig } from 'vitest/config';

// Unit tests: fast, deterministic, no browser. End-to-end tests live in test/e2e (Playwright) and
// the long accuracy runs in vitest.accuracy.config.ts.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
  },
});
