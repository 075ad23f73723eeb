import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * The GPU test files run again across the GPU wire: those whose cases (not marked `itDirectOnly`)
 * send every kind of wire message the whole set sends (test/unit/gpu/wire-cases.ts); with
 * NETWRIGHT_GPU_WIRE_ALL=1 also the kernel and loop files, and every case.
 */
const WIRE_FILES = ['executor', 'probes', 'service', 'device-lost', ...(process.env.NETWRIGHT_GPU_WIRE_ALL === '1' ? ['executor-ops', 'train-loop'] : [])];

// Unit tests: fast, deterministic, no browser. End-to-end tests live in test/e2e (Playwright) and
// the long accuracy runs in vitest.accuracy.config.ts.
export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the cores: one worker on a 2-core machine (CI), where
    // the slow files (SwiftShader, the WebAssembly backend, PyTorch in a child process) then run
    // one after another. Two at a time keep both cores busy.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'] } },
      // GPU executor, probe, lost-device and service tests again, on a device across the GPU wire
      // (Electron's path to the GPU window; test/unit/gpu/device.ts): WIRE_FILES above.
      {
        extends: true,
        test: {
          name: 'gpu-wire',
          include: WIRE_FILES.map((f) => `test/unit/gpu/${f}.test.ts`),
          env: { NETWRIGHT_GPU_TEST_WIRE: '1' },
        },
      },
    ],
  },
});
