/**
 * The reports users expect (#83 deliverable 5): scikit-learn's classification_report, balanced
 * accuracy, the 15-bin expected calibration error with its reliability diagram, RMSE and the
 * predicted-vs-true pairs — on hand-computed cases, and against scikit-learn itself (Debian's
 * python3-sklearn, run by /usr/bin/python3) on the same predictions.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MAX_RESIDUAL_POINTS, MetricAccumulator, METRIC_NAMES, balancedAccuracy, classificationReport, confusionMatrix } from '../../../../src-engine/core/metrics';
import { TASKS } from '../../../../src-engine/catalog/tasks';
import { Rng } from '../../../../src-engine/base/rng';
import { pythonHas } from '../../python-found';

/** Runs `script` under Debian's Python with `input` as JSON on stdin; its stdout parsed (the cases that call it skip where scikit-learn is missing: `hasSklearn`). */
function python(script: string, input: unknown): unknown {
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}
const hasSklearn = pythonHas('/usr/bin/python3', ['sklearn']);
if (!hasSklearn) console.warn('report.test.ts: scikit-learn is not installed for /usr/bin/python3 (apt-get install -y python3-sklearn); its comparisons are skipped.');

/** A classifier's figures streamed through the accumulator in batches of 7, as evaluation adds them. */
function measure(scores: Float32Array, labels: Float32Array, k: number, kind: 'logits' | 'probabilities' | 'single-probability' = 'logits') {
  const w = kind === 'single-probability' ? 1 : k;
  const acc = new MetricAccumulator(['accuracy', 'balanced-accuracy', 'report', 'ece', 'confusion'], { kind: 'classes', outputSize: w, numClasses: k, scores: kind, ...(w === 1 ? { threshold: 0.5 } : {}) });
  for (let s = 0; s < labels.length; s += 7) {
    const n = Math.min(7, labels.length - s);
    acc.add(n, 0, scores.subarray(s * w), labels.subarray(s));
  }
  return acc.result();
}

describe('classification report, balanced accuracy, ECE (hand-computed)', () => {
  it('per-class precision, recall and F1, their macro and weighted averages, balanced accuracy', () => {
    // labels 0 0 1 1 2, predicted 0 0 0 1 1; class 3 neither present nor predicted.
    const m = confusionMatrix([0, 0, 0, 1, 1], [0, 0, 1, 1, 2], 4);
    const r = classificationReport(m);
    expect(r.classes.map((c) => c.precision)).toEqual([2 / 3, 1 / 2, 0, 0]);
    expect(r.classes.map((c) => c.recall)).toEqual([1, 1 / 2, 0, 0]);
    expect(r.classes[0].f1).toBeCloseTo(0.8, 14);
    expect(r.classes.map((c) => c.support)).toEqual([2, 2, 1, 0]);
    expect(r.accuracy).toBe(3 / 5);
    // The averages cover classes 0-2 only (class 3 occurs nowhere), as scikit-learn without labels=.
    expect(r.macro.precision).toBeCloseTo(7 / 18, 14);
    expect(r.macro.recall).toBeCloseTo(1 / 2, 14);
    expect(r.macro.f1).toBeCloseTo(1.3 / 3, 14);
    expect(r.weighted.f1).toBeCloseTo((2 * 0.8 + 2 * 0.5) / 5, 14);
    expect(r.weighted.support).toBe(5);
    expect(balancedAccuracy(m)).toBeCloseTo((1 + 0.5 + 0) / 3, 14);
  });

  it('ECE over 15 equal-width bins of top-label confidence, and the reliability diagram', () => {
    // P(class 1) of four samples: confidences 0.81 and 0.85 share bin 13 (0.8, 0.8667], 0.7 and 0.55 have bins of their own.
    const p = Float32Array.from([0.81, 0.85, 0.3, 0.55]);
    const r = measure(p, Float32Array.from([1, 0, 0, 1]), 2, 'single-probability');
    // bin 13: mean confidence 0.83, half right: 2·|0.5 − 0.83|; 0.7 right: 0.3; 0.55 right: 0.45.
    expect(r.ece).toBeCloseTo((2 * 0.33 + 0.3 + 0.45) / 4, 6);
    expect(r.reliability!.count).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 2, 0, 0]);
    expect(r.reliability!.accuracy[12]).toBe(0.5);
    expect(r.reliability!.confidence[12]).toBeCloseTo(0.83, 6);
    expect(r.reliability!.confidence[0]).toBeNull();
    // Logits ln 1, ln 2, ln 1: softmax 0.25, 0.5, 0.25, so a confidence of one half, wrong (bin 8): ECE 0.5.
    const logits = Float32Array.from([0, Math.log(2), 0]);
    expect(measure(logits, Float32Array.from([0]), 3).ece).toBeCloseTo(0.5, 6);
    expect(measure(logits, Float32Array.from([0]), 3).reliability!.count[7]).toBe(1);
  });

  it('every task reports metrics the accumulator knows', () => {
    for (const t of TASKS) for (const m of t.reportMetrics) expect(METRIC_NAMES).toContain(m);
  });
});

describe('against scikit-learn on the same predictions', () => {
  it.skipIf(!hasSklearn)('classification_report, balanced_accuracy_score and calibration_curve(n_bins=15)', () => {
    const rng = new Rng(83);
    const n = 503;
    const k = 5;
    const scores = new Float32Array(n * k);
    const labels = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      // Class 4 never occurs; class 3 is seldom predicted. Scores lean towards the label, so some are right.
      labels[i] = Math.floor(rng.uniform() * 4);
      for (let c = 0; c < k; c++) scores[i * k + c] = 2 * rng.uniform() + (c === labels[i] ? 1.2 : 0) - (c === 3 ? 1.5 : 0) - (c === 4 ? 3 : 0);
    }
    const ours = measure(scores, labels, k);
    const sk = python(
      `
import json, sys
import numpy as np
from sklearn.metrics import classification_report, balanced_accuracy_score
from sklearn.calibration import calibration_curve
d = json.load(sys.stdin)
k = d['k']
s = np.array(d['scores'], dtype=np.float64).reshape(-1, k)
y = np.array(d['labels'], dtype=int)
p = np.exp(s - s.max(axis=1, keepdims=True)); p /= p.sum(axis=1, keepdims=True)
pred = p.argmax(axis=1); conf = p.max(axis=1); right = (pred == y).astype(int)
rep = classification_report(y, pred, output_dict=True, zero_division=0)
prob_true, prob_pred = calibration_curve(right, conf, n_bins=15, strategy='uniform')
bins = np.linspace(0, 1, 16)
counts = np.bincount(np.searchsorted(bins[1:-1], conf), minlength=15)
nonempty = counts[counts > 0]
ece = float(np.sum(nonempty / len(y) * np.abs(prob_true - prob_pred)))
print(json.dumps({'report': rep, 'balanced': balanced_accuracy_score(y, pred), 'ece': ece, 'counts': counts.tolist(), 'prob_true': prob_true.tolist(), 'prob_pred': prob_pred.tolist()}))
`,
      { k, scores: Array.from(scores), labels: Array.from(labels) },
    ) as { report: Record<string, { precision: number; recall: number; 'f1-score': number; support: number } | number>; balanced: number; ece: number; counts: number[]; prob_true: number[]; prob_pred: number[] };
    const row = (key: string) => sk.report[key] as { precision: number; recall: number; 'f1-score': number; support: number };
    // scikit-learn lists the classes that occur (0-3); class 4 is in ours with zeros and out of the averages.
    for (let c = 0; c < 4; c++) {
      const want = row(String(c));
      const got = ours.report!.classes[c];
      expect([got.precision, got.recall, got.f1, got.support]).toEqual([want.precision, want.recall, want['f1-score'], want.support].map((v, j) => (j < 3 ? expect.closeTo(v, 12) : v)));
    }
    expect(ours.report!.classes[4]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    for (const [ourKey, key] of [['macro', 'macro avg'], ['weighted', 'weighted avg']] as const) {
      const want = row(key);
      const got = ours.report![ourKey];
      expect(got.precision).toBeCloseTo(want.precision, 12);
      expect(got.recall).toBeCloseTo(want.recall, 12);
      expect(got.f1).toBeCloseTo(want['f1-score'], 12);
      expect(got.support).toBe(want.support);
    }
    expect(ours.report!.accuracy).toBeCloseTo(sk.report.accuracy as number, 12);
    // The scores are not all right nor all wrong, class 3 is predicted at least once: a case that tells.
    expect(ours.report!.accuracy).toBeGreaterThan(0.3);
    expect(ours.report!.accuracy).toBeLessThan(0.9);
    expect(ours.confusion!.reduce((sum, r) => sum + r[3], 0)).toBeGreaterThan(0);
    expect(ours['balanced-accuracy']).toBeCloseTo(sk.balanced, 12);
    expect(ours.reliability!.count).toEqual(sk.counts);
    const filled = ours.reliability!.count.flatMap((c, i) => (c > 0 ? [i] : []));
    expect(filled.map((i) => ours.reliability!.accuracy[i])).toEqual(sk.prob_true.map((v) => expect.closeTo(v, 12)));
    // Our confidences are softmax of the float32 scores in float64, as numpy's.
    expect(filled.map((i) => ours.reliability!.confidence[i])).toEqual(sk.prob_pred.map((v) => expect.closeTo(v, 12)));
    expect(ours.ece).toBeCloseTo(sk.ece, 12);
    expect(ours.ece).toBeGreaterThan(0.01);
  });

  it.skipIf(!hasSklearn)('RMSE, MAE and R² in the target units, and the predicted-vs-true pairs they are measured on', () => {
    const rng = new Rng(5);
    const n = 300;
    const target = Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);
    const pred = Float32Array.from(target, (t) => 0.8 * t + 0.3 * (rng.uniform() - 0.5));
    const scale = { mean: [150], std: [20] };
    const acc = new MetricAccumulator(['mse', 'rmse', 'mae', 'r2', 'residuals'], { kind: 'values', outputSize: 1, numClasses: 0, scale });
    for (let s = 0; s < n; s += 64) acc.add(Math.min(64, n - s), 0, pred.subarray(s), target.subarray(s));
    const ours = acc.result();
    const res = ours.residuals!;
    expect(res.true.length).toBe(n);
    expect(res.true[0]).toBeCloseTo(target[0] * 20 + 150, 9);
    const sk = python(
      `
import json, sys
from sklearn.metrics import mean_squared_error, mean_absolute_error, r2_score
d = json.load(sys.stdin)
print(json.dumps({'rmse': mean_squared_error(d['true'], d['predicted'], squared=False), 'mae': mean_absolute_error(d['true'], d['predicted']), 'r2': r2_score(d['true'], d['predicted'])}))
`,
      res,
    ) as { rmse: number; mae: number; r2: number };
    expect(ours.rmse).toBeCloseTo(sk.rmse, 10);
    expect(ours.rmse).toBeCloseTo(Math.sqrt(ours.mse!), 14);
    expect(ours.mae).toBeCloseTo(sk.mae, 10);
    expect(ours.r2).toBeCloseTo(sk.r2, 8);
    // The pairs stop at MAX_RESIDUAL_POINTS, whole rows of a wide prediction.
    const wide = new MetricAccumulator(['residuals'], { kind: 'values', outputSize: 3, numClasses: 0 });
    const big = new Float32Array(3 * 1000);
    wide.add(1000, 0, big, big);
    expect(wide.result().residuals!.true.length).toBe(MAX_RESIDUAL_POINTS - (MAX_RESIDUAL_POINTS % 3));
  });
});
