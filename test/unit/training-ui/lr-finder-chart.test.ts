/** The learning-rate finder's chart (issue #48): a log rate axis, the suggestion marked on the smoothed curve, the loss axis cut at 4× its minimum. */
import { describe, expect, it } from 'vitest';
import { LIGHT, lrFinderChartOption } from '../../../src-renderer/src/training/charts';

type Series = { name: string; data: unknown[] };

describe('lrFinderChartOption', () => {
  const f = { lrs: [1e-4, 1e-3, 1e-2, 1e-1, 1], losses: [1, 0.9, 0.5, 0.3, null], smoothed: [1, 0.95, 0.8, 0.6, null], suggestion: 1e-2 };

  it('draws the rate on a log axis over the tested range and marks the suggestion on the smoothed curve', () => {
    const o = lrFinderChartOption(LIGHT, f) as { xAxis: { type: string; min: number; max: number }; yAxis: { min: number; max: number }; series: Series[] };
    expect(o.xAxis).toMatchObject({ type: 'log', min: 1e-4, max: 1 });
    const byName = Object.fromEntries(o.series.map((s) => [s.name, s.data]));
    // The smoothed curve ends where the loss stopped being finite.
    expect(byName['smoothed loss']).toEqual([[1e-4, 1], [1e-3, 0.95], [1e-2, 0.8], [1e-1, 0.6]]);
    expect(byName.suggested).toEqual([[1e-2, 0.8]]);
    expect(o.yAxis).toMatchObject({ min: 0, max: 2.4 });
  });

  it('marks nothing without a suggestion', () => {
    const o = lrFinderChartOption(LIGHT, { ...f, suggestion: null }) as { series: Series[] };
    expect(o.series.find((s) => s.name === 'suggested')!.data).toEqual([]);
  });
});
