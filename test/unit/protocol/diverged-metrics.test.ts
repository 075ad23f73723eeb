/**
 * A diverged run's figures cross the wire: its loss and its errors are NaN, which JSON carries as
 * null. Seen in the e2e suite: a reconstruction that diverged had `mse` and `rmse` NaN in its test
 * figures (the report metrics, measured for every run since #83), the page rejected its
 * train.done ("test.rmse: expected number, received null") and the run never showed as ended.
 */
import { describe, expect, it } from 'vitest';
import { MetricValuesSchema } from '../../../src-engine/protocol/schemas';

describe('MetricValuesSchema', () => {
  it("takes a diverged run's NaN errors as they arrive (null), as it takes its loss", () => {
    const wire = JSON.parse(JSON.stringify({ loss: NaN, mse: NaN, rmse: NaN, mae: NaN, r2: NaN, psnr: NaN })) as unknown;
    expect(wire).toEqual({ loss: null, mse: null, rmse: null, mae: null, r2: null, psnr: null });
    expect(MetricValuesSchema.safeParse(wire).success).toBe(true);
  });
  it('still refuses an error that is not a number', () => {
    expect(MetricValuesSchema.safeParse({ loss: 1, mse: 'high' }).success).toBe(false);
  });
});
