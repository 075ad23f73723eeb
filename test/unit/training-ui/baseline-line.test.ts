/** #83 in the Train dock: the baselines' figures on the network's own metric, one line beside its result. */
import { describe, expect, it } from 'vitest';
import { baselineLine, baselinesTitle } from '../../../src-renderer/src/training/baseline-line';

describe('baselineLine', () => {
  it("reads each baseline on the network's first metric they share", () => {
    const line = baselineLine({ loss: 0.4, accuracy: 0.9667, f1: 0.96 }, { majority: { accuracy: 0.3333, f1: 0.17 }, logistic: { accuracy: 0.9667 } });
    expect(line).toBe('majority accuracy 33.3 % · logistic accuracy 96.7 %');
  });
  it('falls back to a metric the network lacks only when none is shared, and to nothing without baselines', () => {
    expect(baselineLine({ loss: 1, mse: 2.31 }, { 'last-value': { mse: 0.263, mae: 0.4 } })).toBe('last-value mse 0.263');
    expect(baselineLine({ loss: 1 }, { mean: { r2: 0 } })).toBe('mean r2 0.00');
    expect(baselineLine({ accuracy: 1 }, {})).toBeUndefined();
    expect(baselineLine({ accuracy: 1 }, undefined)).toBeUndefined();
  });
  it('lists every figure in the tooltip', () => {
    expect(baselinesTitle({ ridge: { mse: 3010, r2: 0.43 } })).toContain('ridge: mse 3.01e+3, r2 0.430');
  });
});
