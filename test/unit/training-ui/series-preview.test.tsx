/**
 * #83 deliverable 6 in Add data: a time series' preview shows the column, its dates and the gaps,
 * and the three choices that make its samples (window, horizon, gaps), each set as the dataset's
 * option and scanned again; "Use this data" fits the design to its windows.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { DataScanResult } from '../../../src-engine/protocol';
import { SeriesPreview } from '../../../src-renderer/src/components/training/AddDataDialog';
import { dataShapeOf, datasetToUse } from '../../../src-renderer/src/training/add-data';
import { WindowStoresProvider } from '../../../src-renderer/src/state/window';
import { createWindowStores } from '../../../src-renderer/src/state/window-stores';
import { seriesOptions } from '../../../src-renderer/src/state/add-data-store';

const series: NonNullable<DataScanResult['timeSeries']> = {
  values: 2284,
  column: 'ppm',
  columns: ['date', 'ppm'],
  time: { column: 'date', kind: 'dates', first: '1974-05-19', last: '2018-03-18', step: '7 days' },
  gaps: { cells: 16, steps: 3 },
  policy: 'refuse',
  window: 20,
  horizon: 1,
};

describe('Add data: a time series (#83)', () => {
  it('shows the values by their dates, the gaps with what to do, and the window, horizon and gaps fields', () => {
    const stores = createWindowStores();
    const html = renderToStaticMarkup(
      <WindowStoresProvider stores={stores}>
        <SeriesPreview series={series} path="co2_weekly.csv" />
      </WindowStoresProvider>,
    );
    expect(html).toContain('data-testid="add-data-series" data-values="2284" data-gaps="19"');
    expect(html).toContain('2,284 values of <b>ppm</b> by date, 1974-05-19 to 2018-03-18, a step of 7 days');
    expect(html).toContain('16 rows without a value and 3 missing time steps: choose what to do with them below.');
    expect(html).toMatch(/data-testid="add-data-series-window"[^>]*value="20"|value="20"[^>]*data-testid="add-data-series-window"/);
    expect(html).toMatch(/data-testid="add-data-series-horizon"[^>]*value="1"|value="1"[^>]*data-testid="add-data-series-horizon"/);
    expect(html).toMatch(/<option value="refuse" selected="">refuse/);
    expect(html).toContain('<option value="interpolate">interpolate');
    expect(html).toContain('data-testid="add-data-as-table"');
  });

  it('a choice is the dataset\'s option, scanned again with it', () => {
    const stores = createWindowStores();
    const scans: unknown[] = [];
    stores.addData.setState({ source: { path: 'co2_weekly.csv', kind: 'series' }, scan: (...a: unknown[]) => void scans.push(a) } as never);
    stores.addData.getState().setTableOptions({ gaps: 'interpolate', window: 52 });
    expect(stores.addData.getState().tableOptions).toEqual({ gaps: 'interpolate', window: 52 });
    expect(scans).toEqual([['co2_weekly.csv', 'series', true]]);
  });

  it('a design made for a series scans a file with its window, horizon and gap policy; another design with the defaults', () => {
    expect(seriesOptions({ name: 'series', options: { path: 'old.csv', window: 52, horizon: 4, gaps: 'drop', fingerprint: 'x' } }, 'series')).toEqual({ window: 52, horizon: 4, gaps: 'drop' });
    expect(seriesOptions({ name: 'housing' }, 'series')).toEqual({});
    expect(seriesOptions({ name: 'series', options: { window: 52 } }, undefined)).toEqual({});
  });

  it('"Use this data": the series dataset with its options; the design takes its windows', () => {
    const r = { kind: 'series', name: 'co2_weekly.csv', featureShape: [52, 1], targetShape: [1], classes: [], timeSeries: { ...series, policy: 'interpolate', window: 52 }, dataset: { name: 'series', options: { path: 'co2_weekly.csv', gaps: 'interpolate', window: 52, fingerprint: 'f' } } } as unknown as DataScanResult;
    expect(dataShapeOf(r)).toEqual({ name: 'co2_weekly.csv', kind: 'time series', featureShape: [52, 1], classes: 0, targetShape: [1] });
    expect(datasetToUse(r, { name: 'housing' })).toEqual({ name: 'series', options: { path: 'co2_weekly.csv', gaps: 'interpolate', window: 52, fingerprint: 'f' } });
  });
});
