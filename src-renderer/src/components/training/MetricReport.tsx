import { characterGlyph } from '../../../../src-engine/facade';
import type { ResultOf } from '../../../../src-engine/protocol';
import { predictedVsTrueOption, reliabilityChartOption, residualOption } from '../../training/report-charts';
import { EChart, useChartTheme } from './EChart';

type Metrics = ResultOf<'model.evaluate'>['metrics'];
type Row = NonNullable<Metrics['report']>['macro'];

/** The most classes whose rows the table lists (the command line's `--json` has them all). */
const MAX_REPORT_CLASSES = 50;

const n3 = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : 'n/a');

/**
 * The report users expect beside an evaluation's figures (#83 deliverable 5): for a classifier,
 * scikit-learn's classification_report as a table, balanced accuracy, the expected calibration error
 * and the reliability diagram; for a regression, RMSE, MAE and R² with the predicted-vs-true and
 * residual plots. The Evaluate result and a finished run's test figures show it; nothing when the
 * metrics hold none of it (a run stored before #83).
 */
export function MetricReport({ metrics, classNames }: { metrics: Metrics; classNames: readonly string[] }) {
  const t = useChartTheme();
  const r = metrics.report;
  const rel = metrics.reliability;
  const res = metrics.residuals;
  if (!r && !rel && !res && metrics.rmse === undefined) return null;
  const row = (name: string, x: Row, key: string) => (
    <tr key={key} data-row={key}>
      <th>{name}</th>
      <td>{n3(x.precision)}</td>
      <td>{n3(x.recall)}</td>
      <td>{n3(x.f1)}</td>
      <td>{x.support.toLocaleString()}</td>
    </tr>
  );
  return (
    <div className="metric-report" data-testid="metric-report">
      {r ? (
        <table className="ds-preview__splits metric-report__table" data-testid="classification-report" title="scikit-learn's classification_report: per class, then the accuracy and the macro and support-weighted averages over the classes that occur">
          <thead>
            <tr>
              <th />
              <th>precision</th>
              <th>recall</th>
              <th>f1-score</th>
              <th>support</th>
            </tr>
          </thead>
          <tbody>
            {/* a character model's tab, newline and space as glyphs (⇥ ↵ ␣), as the confusion matrix labels them: blank row heads before */}
            {r.classes.slice(0, MAX_REPORT_CLASSES).map((c, i) => row(characterGlyph(classNames[i] ?? String(i), true), c, `class-${i}`))}
            {r.classes.length > MAX_REPORT_CLASSES ? (
              <tr>
                <th colSpan={5}>… {r.classes.length - MAX_REPORT_CLASSES} more classes</th>
              </tr>
            ) : null}
            <tr data-row="accuracy">
              <th>accuracy</th>
              <td />
              <td />
              <td>{n3(r.accuracy)}</td>
              <td>{r.macro.support.toLocaleString()}</td>
            </tr>
            {row('macro avg', r.macro, 'macro')}
            {row('weighted avg', r.weighted, 'weighted')}
          </tbody>
        </table>
      ) : null}
      {metrics['balanced-accuracy'] !== undefined || metrics.ece !== undefined ? (
        <div className="train-result" data-testid="report-calibration" data-ece={metrics.ece ?? ''} data-balanced={metrics['balanced-accuracy'] ?? ''}>
          balanced accuracy {n3(metrics['balanced-accuracy'])} · expected calibration error {typeof metrics.ece === 'number' ? metrics.ece.toFixed(4) : 'n/a'} (15 bins)
        </div>
      ) : null}
      {rel ? <EChart className="metric-report__chart" option={reliabilityChartOption(t, rel)} data-testid="reliability-diagram" data-bins={rel.count.length} /> : null}
      {metrics.rmse !== undefined ? (
        <div className="train-result" data-testid="report-regression" data-rmse={metrics.rmse ?? ''}>
          RMSE {typeof metrics.rmse === 'number' ? metrics.rmse.toPrecision(4) : 'n/a (the run diverged)'}
          {typeof metrics.mae === 'number' ? ` · MAE ${metrics.mae.toPrecision(4)}` : ''}
          {typeof metrics.r2 === 'number' ? ` · R² ${metrics.r2.toFixed(3)}` : ''}
        </div>
      ) : null}
      {res && res.true.length ? (
        <div className="metric-report__pair">
          <EChart className="metric-report__chart" option={predictedVsTrueOption(t, res)} data-testid="predicted-vs-true" data-points={res.true.length} title="Predicted against true values" />
          <EChart className="metric-report__chart" option={residualOption(t, res)} data-testid="residual-plot" data-points={res.true.length} title="Residuals (predicted − true) against the prediction" />
        </div>
      ) : null}
    </div>
  );
}
