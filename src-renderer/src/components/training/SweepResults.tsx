import { useMemo, useState } from 'react';
import type { RunMeta } from '../../training/compare';
import { sweepMetrics, sweepResults } from '../../training/sweep';
import { EChart, useChartTheme } from './EChart';

const fmt = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : Number(v.toPrecision(4)).toString());

/**
 * A sweep's results: per swept value, the chosen test metric (mean, and min–max over seeds) as a
 * table and as a chart of the metric against the value.
 */
export function SweepResults({ over, runs, total, onClose, onCompare }: { over: string; runs: readonly RunMeta[]; total: number; onClose: () => void; onCompare: () => void }) {
  const t = useChartTheme();
  const metrics = useMemo(() => sweepMetrics(runs), [runs]);
  const [picked, setPicked] = useState<string | undefined>(undefined);
  const metric = picked && metrics.includes(picked) ? picked : metrics[0];
  const rows = useMemo(() => (metric ? sweepResults(runs, metric) : []), [runs, metric]);
  const numeric = rows.every((r) => typeof r.value === 'number');
  const positive = numeric && rows.every((r) => (r.value as number) > 0);
  const spread = positive && rows.length > 1 ? Math.max(...rows.map((r) => r.value as number)) / Math.min(...rows.map((r) => r.value as number)) : 1;
  const seeds = Math.max(0, ...rows.map((r) => r.n));
  const option = useMemo(() => {
    const x = (r: (typeof rows)[number]) => (numeric ? r.value : String(r.value));
    return {
      animation: false,
      grid: { left: 56, right: 16, top: 14, bottom: 34 },
      tooltip: { trigger: 'axis' },
      xAxis: numeric
        ? { type: spread >= 10 ? 'log' : 'value', name: over, nameLocation: 'middle', nameGap: 20, scale: true, axisLabel: { color: t.muted, fontSize: 10 }, nameTextStyle: { color: t.muted, fontSize: 10 }, splitLine: { lineStyle: { color: t.grid } } }
        : { type: 'category', name: over, nameLocation: 'middle', nameGap: 20, data: rows.map((r) => String(r.value)), axisLabel: { color: t.muted, fontSize: 10 } },
      yAxis: { type: 'value', scale: true, name: `test ${metric}`, nameTextStyle: { color: t.muted, fontSize: 10 }, axisLabel: { color: t.muted, fontSize: 10 }, splitLine: { lineStyle: { color: t.grid } } },
      series: [
        // The min–max band: an invisible line at the minimum and, stacked on it, the range.
        { name: 'min', type: 'line', stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, data: rows.map((r) => [x(r), r.min]) },
        { name: 'min–max', type: 'line', stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, areaStyle: { color: t.accent, opacity: seeds > 1 ? 0.15 : 0 }, data: rows.map((r) => [x(r), r.max - r.min]) },
        { name: `mean test ${metric}`, type: 'line', symbolSize: 6, lineStyle: { color: t.accent, width: 2 }, itemStyle: { color: t.accent }, data: rows.map((r) => [x(r), r.mean]) },
      ],
    };
  }, [t, rows, numeric, spread, over, metric, seeds]);
  return (
    <div className="compare" data-testid="sweep-results" data-runs={runs.length} data-values={rows.length} data-metric={metric ?? ''}>
      <header className="compare__header">
        <button type="button" data-testid="sweep-results-close" onClick={onClose}>
          ← Runs
        </button>
        <span>
          Sweep over <b>{over}</b> · {runs.length} of {total} runs{seeds > 1 ? ` · ${seeds} seeds per value` : ''}
        </span>
        {metrics.length > 1 ? (
          <label className="runs__sort">
            metric{' '}
            <select data-testid="sweep-metric" value={metric} onChange={(e) => setPicked(e.target.value)}>
              {metrics.map((m) => (
                <option key={m} value={m}>
                  test {m}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <button type="button" data-testid="sweep-compare" disabled={runs.length < 2} onClick={onCompare} title="Open the sweep's runs (up to 10) in the compare view">
          Compare runs
        </button>
      </header>
      {!metric ? (
        <p className="runs__empty">No run of this sweep has test metrics yet (runs that were stopped early, crashed or are still training have none).</p>
      ) : (
        <div className="compare__body sweep-results">
          <table className="runs__table" data-testid="sweep-table">
            <thead>
              <tr>
                <th>{over}</th>
                <th>test {metric}</th>
                {seeds > 1 ? <th>min – max</th> : null}
                {seeds > 1 ? <th>n</th> : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={String(r.value)} data-testid={`sweep-row-${r.value}`} data-mean={r.mean}>
                  <td>{String(r.value)}</td>
                  <td>
                    <b>{fmt(r.mean)}</b>
                  </td>
                  {seeds > 1 ? <td>{`${fmt(r.min)} – ${fmt(r.max)}`}</td> : null}
                  {seeds > 1 ? <td>{r.n}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
          <EChart key={`${metric}-${rows.length}`} className="chart compare__chart" option={option} data-testid="sweep-chart" data-points={rows.length} />
        </div>
      )}
    </div>
  );
}
