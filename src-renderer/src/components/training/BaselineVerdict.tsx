import type { RunMeta } from '../../training/compare';

/** `mse 0.263`, `accuracy 91.2 %`: one test figure as the line's tooltip lists it. */
const figure = (metric: string, v: number) => (metric === 'accuracy' || metric === 'top5' ? `${metric} ${(100 * v).toFixed(1)} %` : `${metric} ${v.toPrecision(3)}`);

/**
 * A stored run's verdict against its baselines (#83): the sentence when the network did worse on
 * the test split than a simple model fitted on the same training split ("The network's test MSE
 * 2.31 is worse than repeating the last value (0.263)."), each baseline's test figures in its
 * tooltip. Nothing for a run that beat them, or one stored before baselines were.
 */
export function BaselineVerdict({ meta }: { meta: RunMeta }) {
  const verdict = meta.summary?.baselineVerdict;
  if (!verdict) return null;
  const lines = Object.entries(meta.summary?.baselines ?? {}).map(([name, b]) => `${name}: ${Object.entries(b.test).map(([m, v]) => figure(m, v)).join(', ')}${b.note ? ` (${b.note})` : ''}`);
  return (
    <div className="runs__sub runs__verdict" data-testid={`run-verdict-${meta.id}`} title={`Baselines on the same test split, fitted on the run's training split:\n${lines.join('\n')}`}>
      {verdict}
    </div>
  );
}
