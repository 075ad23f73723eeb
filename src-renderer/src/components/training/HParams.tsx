import { useMemo } from 'react';
import { runLabels, type RunMeta } from '../../training/compare';
import { columnHigherIsBetter, hparamColumns, hparamText, parallelColumns, parallelOption, sortByColumn, type HparamColumn } from '../../training/hparams';
import { EChart, useChartTheme } from './EChart';
import { useRunsUi, useWindow } from '../../state/window';

/** The column the table sorts by and the lines are coloured by when none is chosen: the first validation result, else the first result. */
function defaultColumn(columns: readonly HparamColumn[]): HparamColumn | undefined {
  return columns.find((c) => c.key.startsWith('val.')) ?? columns.find((c) => c.kind === 'result');
}

/**
 * Every run's hyperparameters and results in one table (TensorBoard's HParams, W&B's runs
 * table): the usual settings, whatever differs among the runs, and their validation and test
 * results; click a heading to sort (again to reverse). Below, the same runs as parallel
 * coordinates, one axis per column, lines coloured by the sorted result, so the settings the
 * best runs share stand out. Tick runs to compare them.
 */
export function HParams({ runs, selected, onToggle }: { runs: readonly RunMeta[]; selected: readonly string[]; onToggle: (id: string) => void }) {
  const w = useWindow();
  const t = useChartTheme();
  const sort = useRunsUi((s) => s.hparamSort);
  const columns = useMemo(() => hparamColumns(runs), [runs]);
  const fallback = defaultColumn(columns);
  const by = sort && columns.some((c) => c.key === sort.key) ? sort : fallback ? { key: fallback.key, dir: columnHigherIsBetter(fallback.key) ? ('desc' as const) : ('asc' as const) } : undefined;
  const rows = useMemo(() => (by ? sortByColumn(runs, by.key, by.dir) : [...runs]), [runs, by?.key, by?.dir]); // eslint-disable-line react-hooks/exhaustive-deps -- `by` is rebuilt each render; its key and dir are what matter
  const names = useMemo(() => runLabels(rows), [rows]);
  const colourBy = by && columns.find((c) => c.key === by.key)?.kind === 'result' ? by.key : fallback?.key;
  const axes = useMemo(() => parallelColumns(rows, columns), [rows, columns]);
  const option = useMemo(() => parallelOption(t, rows, axes, names, colourBy), [t, rows, axes, names, colourBy]);
  // A result sorts best first; a setting from its smallest value.
  const first = (key: string) => (columns.find((c) => c.key === key)?.kind === 'result' && columnHigherIsBetter(key) ? 'desc' : 'asc');
  const click = (key: string) => w.runsUi.getState().set({ hparamSort: { key, dir: by?.key === key ? (by.dir === 'asc' ? 'desc' : 'asc') : first(key) } });
  if (runs.length === 0) return <p className="runs__empty">No runs to show.</p>;
  return (
    <div className="hparams" data-testid="hparams" data-runs={runs.length} data-columns={columns.map((c) => c.key).join(',')} data-sort={by ? `${by.key}:${by.dir}` : ''}>
      <div className="hparams__scroll">
        <table className="runs__table hparams__table" data-testid="hparams-table">
          <thead>
            <tr>
              <th title="Tick runs to compare" />
              <th>Run</th>
              {columns.map((c) => (
                <th key={c.key} className={`hparams__th hparams__th--${c.kind}`} aria-sort={by?.key === c.key ? (by.dir === 'asc' ? 'ascending' : 'descending') : undefined}>
                  <button type="button" className="linkish" data-testid={`hparams-sort-${c.key}`} title={`Sort by ${c.key}${c.kind === 'result' ? ` (${columnHigherIsBetter(c.key) ? 'higher' : 'lower'} is better)` : ''}`} onClick={() => click(c.key)}>
                    {c.key}
                    {by?.key === c.key ? (by.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={r.id} data-testid={`hparams-row-${r.id}`} className={selected.includes(r.id) ? 'runs__row--selected' : ''}>
                <td className="runs__pick">
                  <input type="checkbox" aria-label={`Compare ${r.name}`} checked={selected.includes(r.id)} onChange={() => onToggle(r.id)} />
                </td>
                <td className="hparams__name" title={r.name}>
                  {names[i]} <span className={`runs__status runs__status--${r.status}`}>{r.status}</span>
                </td>
                {columns.map((c) => (
                  <td key={c.key} className={c.kind === 'result' ? 'hparams__result' : undefined}>
                    {hparamText(r, c.key)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {axes.length > 1 && runs.length > 1 ? (
        <EChart key={axes.map((c) => c.key).join(',')} className="chart hparams__parallel" option={option} data-testid="hparams-parallel" data-lines={rows.length} data-axes={axes.map((c) => c.key).join(',')} />
      ) : null}
    </div>
  );
}
