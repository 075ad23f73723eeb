/**
 * A 1-thread and a 2-thread CPU backend for a test file, created before its tests and disposed
 * after them: `const cpu = cpuBackends();` at the top level, then `cpu.one` and `cpu.two` in tests.
 */
import { afterAll, beforeAll } from 'vitest';
import { createCpuBackend, type CpuBackend } from '../../../src-engine/node/cpu';

export function cpuBackends(): { readonly one: CpuBackend; readonly two: CpuBackend } {
  const backends = {} as { one: CpuBackend; two: CpuBackend };
  beforeAll(async () => {
    backends.one = await createCpuBackend({ threads: 1 });
    backends.two = await createCpuBackend({ threads: 2 });
  });
  afterAll(() => {
    backends.one?.dispose();
    backends.two?.dispose();
  });
  return backends;
}
