import { defineConfig } from 'vitest/config';

// Unit tests: fast, deterministic, no browser. End-to-end tests live in test/e2e (Playwright) and
// the long accuracy runs in vitest.accuracy.config.ts.
export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'] } },
      // The GPU executor, probes, loop, lost-device and service tests again, on a device across the GPU wire
      // (Electron's path to the GPU window; test/unit/gpu/device.ts).
      {
        extends: true,
        test: {
          name: 'gpu-wire',
          include: ['executor', 'executor-ops', 'probes', 'service', 'train-loop', 'device-lost'].map((f) => `test/unit/gpu/${f}.test.ts`),
          env: { NETWRIGHT_GPU_TEST_WIRE: '1' },
        },
      },
    ],
  },
});
