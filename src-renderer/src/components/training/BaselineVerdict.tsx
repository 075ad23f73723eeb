import type { RunMeta } from '../../training/compare';
import { baselineFigure, baselineLine } from '../../training/baseline-line';

/**
 * A stored run's figures beside its baselines (#83): each baseline's test figure on the run's
 * headline metric, and the sentence when the network did worse on the test split than a simple
 * model fitted on the same training split ("The network's test MSE 2.31 is worse than repeating
 * the last value (0.263)."); every baseline's figures in the tooltip. Nothing for a run stored
 * before baselines were.
 */
export function BaselineVerdict({ meta }: { meta: RunMeta }) {
  const baselines = meta.summary?.baselines;
  if (!baselines || Object.keys(baselines).length === 0) return null;
  const verdict = meta.summary?.baselineVerdict;
  const line = baselineLine(meta.summary?.metrics.test, Object.fromEntries(Object.entries(baselines).map(([name, b]) => [name, b.test])));
  const lines = Object.entries(baselines).map(([name, b]) => `${name}: ${Object.entries(b.test).map(([m, v]) => baselineFigure(m, v)).join(', ')}${b.note ? ` (${b.note})` : ''}`);
  return (
    <div className={`runs__sub runs__beside${verdict ? ' runs__verdict' : ''}`} data-testid={`run-verdict-${meta.id}`} data-worse={String(!!verdict)} title={`Baselines on the same test split, fitted on the run's training split:\n${lines.join('\n')}`}>
      {verdict ?? (line ? `beside: ${line}` : null)}
    </div>
  );
}
