import { describe, expect, it } from 'vitest';
import { sweepMetrics, sweepResults } from '../../../src-renderer/src/training/sweep';
import { headlineOf, validationOf, type RunMeta } from '../../../src-renderer/src/training/compare';

/** A sweep run over the learning rate with its validation and test figures. */
const run = (value: number, index: number, val: Record<string, number>, test: Record<string, number>) =>
  ({ id: `r${index}`, name: `MLP · optimizer.lr = ${value}`, sweep: { id: 's', over: 'optimizer.lr', value, index, total: 3 }, summary: { steps: 1, epochs: 1, seconds: 1, metrics: { val, test } } }) as unknown as RunMeta;

describe('a sweep is ranked by validation, never by test', () => {
  // Validation prefers 0.01; test (which must not pick) prefers 0.1.
  const runs = [run(0.001, 0, { accuracy: 0.8, loss: 0.5 }, { accuracy: 0.81, loss: 0.5 }), run(0.01, 1, { accuracy: 0.95, loss: 0.2 }, { accuracy: 0.9, loss: 0.3 }), run(0.1, 2, { accuracy: 0.9, loss: 0.3 }, { accuracy: 0.97, loss: 0.1 })];

  it('offers the validation metrics', () => {
    expect(sweepMetrics(runs)).toEqual(['accuracy', 'loss']);
    // Runs with test figures only (no validation split) offer nothing to rank by.
    expect(sweepMetrics([run(1, 0, {}, { accuracy: 0.9 })])).toEqual([]);
  });

  it('the best by validation accuracy ranks first; test is shown beside and changes nothing', () => {
    const rows = sweepResults(runs, 'accuracy');
    expect(rows.map((r) => [r.value, r.mean, r.rank, r.test])).toEqual([[0.001, 0.8, 3, 0.81], [0.01, 0.95, 1, 0.9], [0.1, 0.9, 2, 0.97]]);
  });

  it('a loss ranks lowest first', () => {
    expect(sweepResults(runs, 'loss').map((r) => [r.value, r.rank])).toEqual([[0.001, 3], [0.01, 1], [0.1, 2]]);
  });

  it('a tie on the metric goes to the lower validation loss', () => {
    const tied = [run(0.1, 0, { accuracy: 0.8333, loss: 0.7 }, { accuracy: 0.97 }), run(0.3, 1, { accuracy: 0.8333, loss: 0.5 }, { accuracy: 0.93 })];
    expect(sweepResults(tied, 'accuracy').map((r) => [r.value, r.rank])).toEqual([[0.1, 2], [0.3, 1]]);
  });

  it('the Runs list\'s "best validation" ranks by validation, not by test', () => {
    expect(validationOf(runs[2])).toEqual({ value: 0.9, higherIsBetter: true });
    expect(validationOf(run(1, 0, { loss: 0.4 }, { accuracy: 0.99 }))).toEqual({ value: 0.4, higherIsBetter: false });
    expect(validationOf(run(1, 0, {}, { accuracy: 0.99 })).value).toBeUndefined();
    // A regression by its R² (its loss is in the target's units squared).
    expect(validationOf(run(1, 0, { loss: 3.8e11, r2: -8.99 }, {}))).toEqual({ value: -8.99, higherIsBetter: true });
  });

  it("the Runs list's result of a regression is its test R²; a classifier's its accuracy, anything else its loss", () => {
    expect(headlineOf(run(1, 0, {}, { loss: 0.0177, mse: 0.0177, r2: 0.99612 }))).toEqual({ label: 'R² 0.996', value: 0.99612, higherIsBetter: true });
    expect(headlineOf(run(1, 0, {}, { loss: 0.3, accuracy: 0.9 })).label).toBe('90.00 %');
    expect(headlineOf(run(1, 0, {}, { loss: 0.3 })).label).toBe('loss 0.300');
  });
});
