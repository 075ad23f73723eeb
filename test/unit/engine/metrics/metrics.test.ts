import { describe, expect, it } from 'vitest';
import {
  MetricAccumulator,
  accuracy,
  confusionMatrix,
  meanAbsoluteError,
  meanSquaredError,
  precisionRecallF1,
  psnrFromMse,
  r2Score,
  rocAuc,
  topKAccuracy,
} from '../../../../src-engine/core/metrics';

// Scores for 5 samples × 3 classes; argmax = [0, 1, 2, 1, 0], labels = [0, 1, 1, 2, 0].
const scores = Float32Array.from([
  0.9, 0.05, 0.05,
  0.1, 0.8, 0.1,
  0.2, 0.3, 0.5,
  0.3, 0.4, 0.3,
  0.6, 0.1, 0.3,
]);
const labels = Float32Array.from([0, 1, 1, 2, 0]);

describe('classification metrics', () => {
  it('accuracy and top-k', () => {
    expect(accuracy(scores, labels, 3)).toBeCloseTo(3 / 5, 12);
    // top-2: sample 2 (label 1, scores .2 .3 .5 → rank 2) hits; sample 3 (label 2, .3 .4 .3: tie with
    // class 0 counted against, so rank 3) misses.
    expect(topKAccuracy(scores, labels, 3, 2)).toBeCloseTo(4 / 5, 12);
    expect(topKAccuracy(scores, labels, 3, 3)).toBe(1);
  });

  it('confusion matrix and per-class precision/recall/F1 (by hand)', () => {
    const m = confusionMatrix([0, 1, 2, 1, 0], labels, 3);
    expect(m).toEqual([
      [2, 0, 0],
      [0, 1, 1],
      [0, 1, 0],
    ]);
    const s = precisionRecallF1(m);
    // class 0: P=2/2 R=2/2; class 1: P=1/2 R=1/2; class 2: P=0/1 R=0/1.
    expect(s.precision).toEqual([1, 0.5, 0]);
    expect(s.recall).toEqual([1, 0.5, 0]);
    expect(s.f1).toEqual([1, 0.5, 0]);
    expect(s.support).toEqual([2, 2, 1]);
    expect(s.macro.f1).toBeCloseTo(0.5, 12);
  });

  it('precision with an unpredicted class is 0 (zero_division=0)', () => {
    const s = precisionRecallF1([
      [3, 1],
      [2, 0],
    ]);
    // class 0: TP 3, predicted 5 → 0.6, recall 0.75, F1 = 2·.6·.75/1.35 = 2/3.
    expect(s.precision[0]).toBeCloseTo(0.6, 12);
    expect(s.recall[0]).toBeCloseTo(0.75, 12);
    expect(s.f1[0]).toBeCloseTo(2 / 3, 12);
    expect(s.precision[1]).toBe(0);
    expect(s.f1[1]).toBe(0);
  });

  it('ROC-AUC counts pairs, ties as one half', () => {
    // Positives {0.8, 0.4, 0.4}, negatives {0.4, 0.1}. Pairs (pos > neg): 0.8>0.4 ✓, 0.8>0.1 ✓,
    // 0.4 vs 0.4 tie ½ (twice), 0.4>0.1 ✓ (twice) → (2 + 1 + 2) / 6 = 5/6.
    const auc = rocAuc([0.8, 0.4, 0.4, 0.4, 0.1], [1, 1, 0, 1, 0]);
    expect(auc).toBeCloseTo(5 / 6, 12);
    expect(rocAuc([0.1, 0.2, 0.3], [0, 0, 1])).toBe(1);
    expect(rocAuc([0.3, 0.2, 0.1], [0, 0, 1])).toBe(0);
    expect(rocAuc([1, 2], [1, 1])).toBeNaN();
  });
});

describe('regression metrics', () => {
  const t = [3, -0.5, 2, 7];
  const p = [2.5, 0.0, 2, 8];
  it('MSE, MAE and R² (sklearn docs example)', () => {
    expect(meanSquaredError(p, t)).toBeCloseTo(0.375, 12);
    expect(meanAbsoluteError(p, t)).toBeCloseTo(0.5, 12);
    // sklearn.metrics.r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) == 0.948...: SS_res 1.5,
    // mean 2.875, SS_tot 29.1875 → 1 − 1.5/29.1875.
    expect(r2Score(p, t)).toBeCloseTo(1 - 1.5 / 29.1875, 12);
  });
  it('PSNR for [0, 1] data', () => {
    expect(psnrFromMse(0.01)).toBeCloseTo(20, 12);
    expect(psnrFromMse(0)).toBe(Infinity);
  });
});

describe('MetricAccumulator', () => {
  it('streams classification batches to the same figures as the one-shot functions', () => {
    const acc = new MetricAccumulator(['accuracy', 'top5', 'f1', 'confusion'], { kind: 'classes', outputSize: 3, numClasses: 3 });
    acc.add(2, 1.0, scores.subarray(0, 6), labels.subarray(0, 2));
    acc.add(3, 2.0, scores.subarray(6), labels.subarray(2));
    const r = acc.result();
    expect(r.loss).toBeCloseTo((2 * 1 + 3 * 2) / 5, 12);
    expect(r.accuracy).toBeCloseTo(0.6, 12);
    expect(r.top5).toBe(1);
    expect(r.f1).toBeCloseTo(0.5, 12);
    expect(r.confusion).toEqual(confusionMatrix([0, 1, 2, 1, 0], labels, 3));
    acc.reset();
    expect(acc.samples).toBe(0);
  });

  it('binary ROC-AUC from two logits uses logit₁ − logit₀', () => {
    const acc = new MetricAccumulator(['roc-auc', 'accuracy'], { kind: 'classes', outputSize: 2, numClasses: 2 });
    // margins: 2, -1, 0.5, -3 with labels 1, 0, 0, 1 → pos {2, -3}, neg {-1, 0.5}: pairs 2>-1 ✓ 2>0.5 ✓ → 2/4.
    acc.add(4, 0, Float32Array.from([0, 2, 1, 0, 0, 0.5, 3, 0]), Float32Array.from([1, 0, 0, 1]));
    const r = acc.result();
    expect(r['roc-auc']).toBeCloseTo(0.5, 12);
    expect(r.accuracy).toBeCloseTo(0.5, 12);
  });

  it('streams regression batches (per-column R² averaged)', () => {
    const acc = new MetricAccumulator(['mse', 'mae', 'r2', 'psnr'], { kind: 'values', outputSize: 2, numClasses: 0 });
    // Two columns: col 0 = sklearn example, col 1 = perfect prediction of [1, 2, 3, 4].
    const t = Float32Array.from([3, 1, -0.5, 2, 2, 3, 7, 4]);
    const p = Float32Array.from([2.5, 1, 0, 2, 2, 3, 8, 4]);
    acc.add(1, 0, p.subarray(0, 2), t.subarray(0, 2));
    acc.add(3, 0, p.subarray(2), t.subarray(2));
    const r = acc.result();
    expect(r.mse).toBeCloseTo(1.5 / 8, 7);
    expect(r.mae).toBeCloseTo(2 / 8, 7);
    expect(r.r2).toBeCloseTo((1 - 1.5 / 29.1875 + 1) / 2, 6);
    expect(r.psnr).toBeCloseTo(10 * Math.log10(8 / 1.5), 5);
  });

  it('without R², skips its per-column sums: MSE, MAE and PSNR the same to the bit as with it', () => {
    const t = Float32Array.from({ length: 60 }, (_, i) => Math.sin(i) * 3);
    const p = Float32Array.from({ length: 60 }, (_, i) => Math.cos(i * 0.7) + i / 17);
    const run = (metrics: string[]) => {
      const acc = new MetricAccumulator(metrics, { kind: 'values', outputSize: 6, numClasses: 0 });
      acc.add(4, 0.5, p.subarray(0, 24), t.subarray(0, 24));
      acc.add(6, 0.25, p.subarray(24), t.subarray(24));
      return acc.result();
    };
    const without = run(['mse', 'mae', 'psnr']);
    const withR2 = run(['mse', 'mae', 'psnr', 'r2']);
    expect(without.r2).toBeUndefined();
    expect(withR2.r2).toBeTypeOf('number');
    for (const k of ['loss', 'mse', 'mae', 'psnr'] as const) expect(Object.is(without[k], withR2[k]), k).toBe(true);
  });
});
