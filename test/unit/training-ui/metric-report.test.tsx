/**
 * The report beside an evaluation in the Train dock (#83 deliverable 5): a classifier's
 * classification_report table, balanced accuracy, ECE and reliability diagram; a regression's
 * RMSE, MAE and R² with its predicted-vs-true and residual plots — from the engine's own figures.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { MetricAccumulator } from '../../../src-engine/core/metrics';
import { MetricReport } from '../../../src-renderer/src/components/training/MetricReport';
import { LIGHT } from '../../../src-renderer/src/training/charts';
import { extent, predictedVsTrueOption, reliabilityChartOption, reliabilityTip, residualOption } from '../../../src-renderer/src/training/report-charts';
import { WindowStoresProvider } from '../../../src-renderer/src/state/window';
import { createWindowStores } from '../../../src-renderer/src/state/window-stores';

type Series = { name: string; data: unknown[] };
const series = (o: Record<string, unknown>) => o.series as Series[];

/** Three classes, logits leaning to the label for 9 samples of 12. */
function classifier() {
  const labels = Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  const guess = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 0, 2];
  const scores = new Float32Array(36);
  guess.forEach((g, i) => {
    for (let c = 0; c < 3; c++) scores[i * 3 + c] = c === g ? 1 + (i % 4) * 0.7 : 0;
  });
  const acc = new MetricAccumulator(['accuracy', 'balanced-accuracy', 'report', 'ece', 'confusion'], { kind: 'classes', outputSize: 3, numClasses: 3, scores: 'logits' });
  acc.add(12, 0, scores, labels);
  return acc.result();
}

function regression() {
  const target = Float32Array.from([1, 2, 3, 4, 5]);
  const pred = Float32Array.from([1.5, 1.5, 3.5, 3, 5]);
  const acc = new MetricAccumulator(['mse', 'rmse', 'mae', 'r2', 'residuals'], { kind: 'values', outputSize: 1, numClasses: 0 });
  acc.add(5, 0, pred, target);
  return acc.result();
}

const html = (m: ReturnType<typeof classifier>, names: string[] = []) =>
  renderToStaticMarkup(
    <WindowStoresProvider stores={createWindowStores()}>
      <MetricReport metrics={{ ...m, loss: m.loss }} classNames={names} />
    </WindowStoresProvider>,
  );

describe('the report of a classifier', () => {
  it("lists classification_report's rows and averages, balanced accuracy and ECE, and draws the reliability diagram", () => {
    const m = classifier();
    const out = html(m, ['cat', 'dog', 'eel']);
    expect(out).toContain('data-testid="classification-report"');
    // cat: 3 of 4 right, 3 predicted cat of 4 (one eel) → precision 0.750, recall 0.750.
    expect(out).toContain('<tr data-row="class-0"><th>cat</th><td>0.750</td><td>0.750</td><td>0.750</td><td>4</td></tr>');
    expect(out).toContain(`<tr data-row="accuracy"><th>accuracy</th><td></td><td></td><td>${(9 / 12).toFixed(3)}</td><td>12</td></tr>`);
    expect(out).toContain(`<tr data-row="weighted"><th>weighted avg</th><td>${m.report!.weighted.precision.toFixed(3)}</td>`);
    expect(out).toContain(`data-ece="${m.ece}" data-balanced="${m['balanced-accuracy']}"`);
    expect(out).toContain('data-testid="reliability-diagram" data-bins="15"');
    expect(out).not.toContain('predicted-vs-true');
  });

  it("a character model's tab, newline and space head their rows as glyphs (⇥ ↵ ␣), as the confusion matrix labels them, not blank", () => {
    const out = html(classifier(), ['\t', '\n', ' ']);
    expect(out).toContain('<tr data-row="class-0"><th>⇥</th>');
    expect(out).toContain('<tr data-row="class-1"><th>↵</th>');
    expect(out).toContain('<tr data-row="class-2"><th>␣</th>');
  });

  it('the diagram: a bar per bin of the fraction right, the mean confidence, the diagonal at the bins’ centres', () => {
    const rel = classifier().reliability!;
    const o = reliabilityChartOption(LIGHT, rel);
    const [bars, confidence, calibrated] = series(o);
    expect(bars.data).toEqual(rel.accuracy);
    expect(confidence.data).toEqual(rel.confidence);
    expect(calibrated.data).toEqual(Array.from({ length: 15 }, (_, i) => (i + 0.5) / 15));
    expect((o.xAxis as { data: string[] }).data[14]).toBe('0.93–1.00');
    const filled = rel.count.findIndex((n) => n > 0);
    expect(reliabilityTip(rel, filled)).toMatch(new RegExp(`^confidence \\S+: ${rel.count[filled]} predictions?, \\d+\\.\\d % right at \\d+\\.\\d % confidence$`));
    expect(reliabilityTip(rel, rel.count.indexOf(0))).toMatch(/: 0 predictions$/);
  });
});

describe('the report of a regression', () => {
  it('gives RMSE, MAE and R², and a point per sample in both plots', () => {
    const m = regression();
    const out = html(m);
    expect(out).toContain(`data-rmse="${m.rmse}"`);
    expect(out).toContain(`RMSE ${Math.sqrt(1.75 / 5).toPrecision(4)} · MAE ${(2.5 / 5).toPrecision(4)} · R² ${(1 - 1.75 / 10).toFixed(3)}`);
    expect(out).toContain('data-testid="predicted-vs-true" data-points="5"');
    expect(out).toContain('data-testid="residual-plot" data-points="5"');
    expect(out).not.toContain('classification-report');
  });

  it('plots predicted against true on equal axes with the diagonal, and residuals (predicted − true) against the prediction', () => {
    const res = regression().residuals!;
    const pvt = predictedVsTrueOption(LIGHT, res);
    const [diagonal, points] = series(pvt);
    expect(points.data).toEqual([[1, 1.5], [2, 1.5], [3, 3.5], [4, 3], [5, 5]]);
    expect(diagonal.data).toEqual([[1, 1], [5, 5]]);
    expect((pvt.xAxis as { min: number }).min).toBe((pvt.yAxis as { min: number }).min);
    const [zero, residuals] = series(residualOption(LIGHT, res));
    expect(residuals.data).toEqual([[1.5, 0.5], [1.5, -0.5], [3.5, 0.5], [3, -1], [5, 0]]);
    expect(zero.data).toEqual([[1, 0], [5, 0]]);
    // Round ends at any scale: the diabetes targets' 5.4–372.7 read 0–400, CO2's 353.4–374.8 350–375.
    expect(extent({ true: [25, 5.4], predicted: [372.7, 300] })).toEqual([0, 400]);
    expect(extent({ true: [353.4, 360], predicted: [374.8] })).toEqual([350, 375]);
    expect(extent({ true: [2], predicted: [2] })).toEqual([1, 3]);
  });

  it('shows nothing for figures stored before the report', () => {
    expect(html({ loss: 0.1, accuracy: 0.9 })).toBe('');
  });
});
