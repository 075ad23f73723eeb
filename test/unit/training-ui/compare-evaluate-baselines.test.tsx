/**
 * #83 in Compare and Evaluate: each compared run's legend entry carries its baselines' `Beside: …`
 * line under its test figure (the Train dock's), in the warning colour with the verdict in its
 * tooltip when the network did worse; Evaluate sets the model's baselines under its figures, as
 * `Beside: …` only when they were measured on the split it evaluated, and says whose they are otherwise.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { CompareLegend } from '../../../src-renderer/src/components/training/Compare';
import { EvaluatedBaselines } from '../../../src-renderer/src/components/training/EvaluateModel';
import type { RunMeta } from '../../../src-renderer/src/training/compare';
import type { ResultOf } from '../../../src-engine/protocol';
import { WindowStoresProvider } from '../../../src-renderer/src/state/window';
import { createWindowStores } from '../../../src-renderer/src/state/window-stores';
import { baselineLine } from '../../../src-renderer/src/training/baseline-line';

const run = (id: string, name: string, summary: Partial<NonNullable<RunMeta['summary']>>) =>
  ({ id, name, status: 'done', createdAt: '2026-11-29T06:00:00Z', settings: { training: {}, backend: 'cpu', appVersion: '0' }, summary: { steps: 10, epochs: 1, seconds: 1, metrics: {}, ...summary } }) as unknown as RunMeta;

describe('Compare: each run\'s baselines beside its test figure (#83)', () => {
  it('the legend reads each run\'s baselines on its own metric; a run worse than one is marked, the verdict in the tooltip; a run without baselines shows none', () => {
    const wine = run('20261129-060000-aaaa', 'wine MLP', { metrics: { test: { loss: 0.1, accuracy: 0.9722 } }, baselines: { majority: { test: { accuracy: 0.3889, f1: 0.187 } }, logistic: { test: { accuracy: 0.9722 }, val: { accuracy: 1 } } } });
    const co2 = run('20261129-060100-bbbb', 'co2 MLP', {
      metrics: { test: { loss: 0.73, mse: 0.731, r2: 0.968 } },
      baselines: { 'last-value': { test: { mse: 1.582, r2: 0.93 } }, 'linear-lags': { test: { mse: 0.228, r2: 0.99 }, note: 'ridge on the 24 values of the window' } },
      baselineVerdict: "The network's test MSE 0.731 is worse than a linear model on the lags (0.228).",
    });
    const old = run('20261129-060200-cccc', 'before baselines', { metrics: { test: { loss: 0.2, accuracy: 0.9 } } });
    // In a window's stores, as Compare renders it (its chart theme colours the swatches).
    const html = renderToStaticMarkup(
      <WindowStoresProvider stores={createWindowStores()}>
        <CompareLegend runs={[wine, co2, old]} star="" />
      </WindowStoresProvider>,
    );
    expect(html).toMatch(/data-testid="compare-baselines-20261129-060000-aaaa" data-worse="false" title="[^"]*"[^>]*>Beside: majority accuracy 38\.9 % · logistic accuracy 97\.2 %</);
    expect(html).toMatch(/data-testid="compare-baselines-20261129-060100-bbbb" data-worse="true" title="The network&#x27;s test MSE 0\.731 is worse than a linear model on the lags \(0\.228\)\.\nBaselines on the same test split[^"]*linear-lags: mse 0\.228, r2 0\.990"[^>]*>Beside: last-value mse 1\.58 · linear-lags mse 0\.228</);
    expect(html).not.toContain('compare-baselines-20261129-060200-cccc');
  });
});

type Evaluated = ResultOf<'model.evaluate'>;
const evaluated = (extra: Partial<Evaluated>): Evaluated => ({ split: 'test', dataset: 'wine (test)', samples: 36, task: 'classification', classNames: ['a', 'b', 'c'], metrics: { loss: 0.3, accuracy: 0.8333 }, normalization: 'model', ...extra });

describe('Evaluate: the model\'s baselines beside its figures (#83)', () => {
  it('the same samples: "Beside: …" and the verdict', () => {
    const html = renderToStaticMarkup(
      <EvaluatedBaselines
        result={evaluated({
          baselines: { majority: { accuracy: 0.3889 }, logistic: { accuracy: 0.9722 } },
          baselinesOn: { split: 'test', sameSamples: true },
          baselineVerdict: "The network's test accuracy 83.33 % is worse than logistic regression on the same inputs (97.22 %).",
        })}
      />,
    );
    expect(html).toMatch(/data-testid="evaluate-baselines" data-same-samples="true" title="Baselines on the same test split, fitted on the run&#x27;s training split:\nmajority: accuracy 38\.9 %\nlogistic: accuracy 97\.2 %">Beside: majority accuracy 38\.9 % · logistic accuracy 97\.2 %</);
    expect(html).toContain('data-testid="evaluate-baseline-verdict"');
    expect(html).toContain('is worse than logistic regression on the same inputs (97.22 %).');
  });

  it('other samples: whose figures they are, no verdict; a model without baselines: nothing', () => {
    const html = renderToStaticMarkup(<EvaluatedBaselines result={evaluated({ split: 'all', baselines: { majority: { accuracy: 0.3889 } }, baselinesOn: { split: 'test', sameSamples: false } })} />);
    expect(html).toContain('data-same-samples="false"');
    expect(html).toContain('>Baselines of the run&#x27;s test split, not these samples: majority accuracy 38.9 %<');
    expect(html).not.toContain('evaluate-baseline-verdict');
    expect(renderToStaticMarkup(<EvaluatedBaselines result={evaluated({})} />)).toBe('');
  });
});

describe('a reopened model says what its run said beside its figures (#83)', () => {
  it('model.load\'s baselines and verdict become the dock\'s result, as train.done\'s do', () => {
    const w = createWindowStores();
    const info = {
      runId: 'run-7',
      task: 'classification' as const,
      classNames: ['a', 'b'],
      probeSamples: { shape: [2], inputs: [], targets: [] },
      metrics: { test: { loss: 0.6, accuracy: 0.53 } },
      baselines: { majority: { accuracy: 0.261 }, logistic: { accuracy: 0.61 } },
      baselineVerdict: "The network's test accuracy 53.00 % is worse than logistic regression on the same inputs (61.00 %).",
    };
    w.run.getState().dispatch({ type: 'model-loaded', info, graph: { format: 'netwright.graph', version: 3, nodes: [], outputs: {} }, source: 'the project "icons"' });
    const done = w.run.getState().done!;
    expect(done.baselines).toEqual(info.baselines);
    expect(done.baselineVerdict).toBe(info.baselineVerdict);
    expect(baselineLine(done.test, done.baselines)).toBe('majority accuracy 26.1 % · logistic accuracy 61.0 %');
  });
});
