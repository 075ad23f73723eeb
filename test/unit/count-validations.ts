import type * as Validate from '../../src-engine/core/analysis/validate';

/**
 * The validator module with `analyzeGraph` (the one function that checks a graph) counted in
 * `calls.n`: a test's `vi.mock` factory for `core/analysis/validate`, e.g.
 * `vi.mock(path, async (original) => (await import('../count-validations')).countingValidate(await original(), calls))`.
 */
export function countingValidate(real: typeof Validate, calls: { n: number }): typeof Validate {
  return {
    ...real,
    analyzeGraph: (...args: Parameters<typeof real.analyzeGraph>) => {
      calls.n++;
      return real.analyzeGraph(...args);
    },
  };
}
