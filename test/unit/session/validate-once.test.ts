import { describe, expect, it, vi } from 'vitest';
import { setupEngine, twoMoonsGraph } from './fixtures';
import type * as Validate from '../../../src-engine/core/analysis/validate';

// Count every validation: a spy over analyzeGraph, the one function that checks a graph.
const calls = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../../src-engine/core/analysis/validate', async (importOriginal) => {
  const real = await importOriginal<typeof Validate>();
  return {
    ...real,
    analyzeGraph: (...args: Parameters<typeof real.analyzeGraph>) => {
      calls.n++;
      return real.analyzeGraph(...args);
    },
  };
});

describe('one train.start validates its graph once', () => {
  it('checks the graph once, for a run with a validation split, a partial last batch, probes and a memory limit', async () => {
    const { client, waitFor, service } = setupEngine({ memoryLimitBytes: 1 << 30 });
    try {
      calls.n = 0;
      // 400 samples, 10% validation: 360 training samples at batch 32 end in a partial batch of 8,
      // and validation runs at other sizes: plans for three batch sizes share one check.
      await client.request('train.start', { graph: twoMoonsGraph({ epochs: 1 }), probes: { everySteps: 2, maxHz: 30, budget: 0.5, boundary: 8 } });
      await waitFor('train.done');
      expect(calls.n).toBe(1);
    } finally {
      service.dispose();
    }
  });
});
