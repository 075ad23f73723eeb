import { useMemo, useState } from 'react';
import type { RunMeta } from '../../training/compare';
import { higherIsBetter, sweepMetrics, sweepResults } from '../../training/sweep';
import { EChart, useChartTheme } from './EChart';

const fmt = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : Number(v.toPrecision(4)).toString());

/**
 * A sweep's results: per swept value, the chosen validation metric (mean, and min–max over
 * seeds), ranked by it (★ the best), as a table and as a chart of the metric against the value.
 * The test figure is shown beside for reference, never used to pick: choosing by test would
 * make it a score of the choice, not an estimate of how the choice does on new data.
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
      grid: { left: 56, right: 16, top: 26, bottom: 34 },
      tooltip: { trigger: 'axis', confine: true },
      xAxis: numeric
        ? { type: spread >= 10 ? 'log' : 'value', name: over, nameLocation: 'middle', nameGap: 20, scale: true, axisLabel: { color: t.muted, fontSize: 10 }, nameTextStyle: { color: t.muted, fontSize: 10 }, splitLine: { lineStyle: { color: t.grid } } }
        : { type: 'category', name: over, nameLocation: 'middle', nameGap: 20, data: rows.map((r) => String(r.value)), axisLabel: { color: t.muted, fontSize: 10 } },
      yAxis: { type: 'value', scale: true, name: `validation ${metric}`, nameTextStyle: { color: t.muted, fontSize: 10 }, axisLabel: { color: t.muted, fontSize: 10 }, splitLine: { lineStyle: { color: t.grid } } },
      series: [
        // The min–max band: an invisible line at the minimum and, stacked on it, the range.
        { name: 'min', type: 'line', stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, data: rows.map((r) => [x(r), r.min]) },
        { name: 'min–max', type: 'line', stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, areaStyle: { color: t.accent, opacity: seeds > 1 ? 0.15 : 0 }, data: rows.map((r) => [x(r), r.max - r.min]) },
        { name: `mean validation ${metric}`, type: 'line', symbolSize: 6, lineStyle: { color: t.accent, width: 2 }, itemStyle: { color: t.accent }, data: rows.map((r) => [x(r), r.mean]) },
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
                  validation {m}
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
        <p className="runs__empty">No run of this sweep has validation metrics yet (runs without a validation split, stopped before an epoch ended, crashed or still training have none). Sweeps are ranked by validation, never by test.</p>
      ) : (
        <div className="compare__body sweep-results">
          <table className="runs__table" data-testid="sweep-table">
            <caption className="runs__sub sweep-results__caption">
              Ranked by validation {metric} ({higherIsBetter(metric) ? 'higher' : 'lower'} is better); test is shown for reference and never used to pick.
            </caption>
            <thead>
              <tr>
                <th title="Rank by validation">#</th>
                <th>{over}</th>
                <th>validation {metric}</th>
                {seeds > 1 ? <th>min – max</th> : null}
                {seeds > 1 ? <th>n</th> : null}
                <th className="runs__sub" title="Not used to rank">test {metric}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={String(r.value)} data-testid={`sweep-row-${r.value}`} data-mean={r.mean} data-rank={r.rank} className={r.rank === 1 ? 'sweep-results__best' : undefined}>
                  <td>{r.rank === 1 ? '★ 1' : r.rank}</td>
                  <td>{String(r.value)}</td>
                  <td>
                    <b>{fmt(r.mean)}</b>
                  </td>
                  {seeds > 1 ? <td>{`${fmt(r.min)} – ${fmt(r.max)}`}</td> : null}
                  {seeds > 1 ? <td>{r.n}</td> : null}
                  <td className="runs__sub">{r.test === undefined ? '–' : fmt(r.test)}</td>
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
