/**
 * #83 in the Runs tab: a stored run's result is shown beside its baselines' (their figure on the
 * run's metric), and one whose network did worse than a baseline says so instead, each
 * baseline's test figures in the tooltip; a run stored before baselines were shows nothing.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { BaselineVerdict } from '../../../src-renderer/src/components/training/BaselineVerdict';
import type { RunMeta } from '../../../src-renderer/src/training/compare';

const run = (summary: Partial<NonNullable<RunMeta['summary']>> | undefined) => ({ id: '20261129-060000-abcd', summary: summary && { steps: 10, epochs: 1, seconds: 1, metrics: { test: { mse: 2.31 } }, ...summary } }) as unknown as RunMeta;

describe('the Runs tab says when a run did worse than its baselines (#83)', () => {
  it('shows the verdict, with every baseline\'s test figures and note in its tooltip', () => {
    const html = renderToStaticMarkup(
      <BaselineVerdict
        meta={run({
          baselines: { 'last-value': { test: { mse: 0.263, r2: 0.91 } }, 'linear-lags': { test: { mse: 0.205 }, val: { mse: 0.2 }, note: 'ridge on the 20 values of the window' } },
          baselineVerdict: "The network's test MSE 2.31 is worse than a linear model on the lags (0.205).",
        })}
      />,
    );
    expect(html).toContain('data-testid="run-verdict-20261129-060000-abcd"');
    expect(html).toContain('The network&#x27;s test MSE 2.31 is worse than a linear model on the lags (0.205).');
    expect(html).toContain('last-value: mse 0.263, r2 0.910');
    expect(html).toContain('linear-lags: mse 0.205 (ridge on the 20 values of the window)');
  });

  it('shows the baselines beside a run that beat them, and nothing for one stored before them', () => {
    const beat = renderToStaticMarkup(<BaselineVerdict meta={run({ baselines: { mean: { test: { mse: 3.5, r2: 0 } }, ridge: { test: { mse: 2.9 } } } })} />);
    expect(beat).toContain('beside: mean mse 3.50 · ridge mse 2.90');
    expect(beat).toContain('data-worse="false"');
    expect(renderToStaticMarkup(<BaselineVerdict meta={run({})} />)).toBe('');
    expect(renderToStaticMarkup(<BaselineVerdict meta={run(undefined)} />)).toBe('');
  });
});
