/**
 * Classification metrics. `scores` are row-major `[n, numClasses]` (logits or probabilities:
 * only their order matters), `labels` are class indices.
 */

/** Index of the largest score in row `i` (first one on ties, like torch.argmax). */
export function argmaxRow(scores: ArrayLike<number>, i: number, k: number): number {
  let best = 0;
  let bv = scores[i * k];
  for (let c = 1; c < k; c++) {
    const v = scores[i * k + c];
    if (v > bv) {
      bv = v;
      best = c;
    }
  }
  return best;
}

/** Whether the label is among the `topK` highest scores of row `i` (ties counted against). */
export function inTopK(scores: ArrayLike<number>, i: number, k: number, label: number, topK: number): boolean {
  const v = scores[i * k + label];
  let above = 0;
  for (let c = 0; c < k; c++) {
    const s = scores[i * k + c];
    if (s > v || (s === v && c < label)) above++;
  }
  return above < topK;
}

/** Fraction of rows whose argmax equals the label. */
export function accuracy(scores: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number {
  return topKAccuracy(scores, labels, numClasses, 1);
}

/** Fraction of rows whose label is among the k highest scores. */
export function topKAccuracy(scores: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number, k: number): number {
  const n = labels.length;
  if (n === 0) return NaN;
  let hit = 0;
  for (let i = 0; i < n; i++) if (inTopK(scores, i, numClasses, labels[i], k)) hit++;
  return hit / n;
}

/** `m[t][p]`: how many samples of true class t were predicted as p. */
export function confusionMatrix(predicted: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][predicted[i]]++;
  return m;
}

export interface PerClassScores {
  precision: number[];
  recall: number[];
  f1: number[];
  /** Number of true samples per class. */
  support: number[];
  macro: { precision: number; recall: number; f1: number };
}

/**
 * Per-class precision, recall and F1 from a confusion matrix, plus macro averages.
 *
 * NOTE: a class never predicted has precision 0 and one with no samples has recall 0, as
 * sklearn does with `zero_division=0`; the macro average includes them.
 */
export function precisionRecallF1(confusion: readonly (readonly number[])[]): PerClassScores {
  const k = confusion.length;
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  const support: number[] = [];
  for (let c = 0; c < k; c++) {
    const tp = confusion[c][c];
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < k; j++) {
      predicted += confusion[j][c];
      actual += confusion[c][j];
    }
    const p = predicted > 0 ? tp / predicted : 0;
    const r = actual > 0 ? tp / actual : 0;
    precision.push(p);
    recall.push(r);
    f1.push(p + r > 0 ? (2 * p * r) / (p + r) : 0);
    support.push(actual);
  }
  const mean = (a: number[]) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN);
  return { precision, recall, f1, support, macro: { precision: mean(precision), recall: mean(recall), f1: mean(f1) } };
}

/**
 * Area under the ROC curve for a binary problem: the probability that a random positive scores
 * above a random negative (Mann–Whitney U).
 *
 * NOTE: tied scores get the average of the ranks they span, which counts a positive–negative
 * tie as one half — the same value as sklearn's roc_auc_score. NaN when one class is absent.
 */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (positive[order[t]]) {
        nPos++;
        rankSumPos += avgRank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** One row of a classification report: a class's, or an average's (`support`: the true samples it covers). */
export interface ReportRow {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/**
 * scikit-learn's `classification_report(y_true, y_pred, output_dict=True)`: precision, recall, F1
 * and support per class (every class, in index order), the accuracy, and their macro and
 * support-weighted averages.
 *
 * NOTE: as scikit-learn without `labels`, the averages cover the classes that occur (true or
 * predicted): a class absent from both is listed with zeros but not averaged. A class never
 * predicted has precision 0, one with no samples recall 0 (`zero_division=0`).
 */
export interface ClassificationReport {
  classes: ReportRow[];
  accuracy: number;
  macro: ReportRow;
  weighted: ReportRow;
}

/** The classification report of a confusion matrix (`m[true][predicted]`). */
export function classificationReport(confusion: readonly (readonly number[])[]): ClassificationReport {
  const s = precisionRecallF1(confusion);
  const k = confusion.length;
  const classes = s.precision.map((precision, c) => ({ precision, recall: s.recall[c], f1: s.f1[c], support: s.support[c] }));
  let total = 0;
  let correct = 0;
  const occurs: number[] = [];
  for (let c = 0; c < k; c++) {
    let predicted = 0;
    for (let j = 0; j < k; j++) predicted += confusion[j][c];
    total += s.support[c];
    correct += confusion[c][c];
    if (s.support[c] > 0 || predicted > 0) occurs.push(c);
  }
  const average = (weight: (c: number) => number): ReportRow => {
    let w = 0;
    const row = { precision: 0, recall: 0, f1: 0, support: total };
    for (const c of occurs) {
      const wc = weight(c);
      w += wc;
      row.precision += wc * classes[c].precision;
      row.recall += wc * classes[c].recall;
      row.f1 += wc * classes[c].f1;
    }
    return w > 0 ? { ...row, precision: row.precision / w, recall: row.recall / w, f1: row.f1 / w } : { ...row, precision: 0, recall: 0, f1: 0 };
  };
  return { classes, accuracy: total > 0 ? correct / total : NaN, macro: average(() => 1), weighted: average((c) => s.support[c]) };
}

/**
 * Balanced accuracy: the mean recall over the classes that have samples (scikit-learn's
 * `balanced_accuracy_score`; a class with none is left out, as it warns and does). NaN when no
 * class has samples.
 */
export function balancedAccuracy(confusion: readonly (readonly number[])[]): number {
  let sum = 0;
  let present = 0;
  for (let c = 0; c < confusion.length; c++) {
    let actual = 0;
    for (const v of confusion[c]) actual += v;
    if (actual === 0) continue;
    sum += confusion[c][c] / actual;
    present++;
  }
  return present ? sum / present : NaN;
}

/** Equal-width confidence bins of a reliability diagram (Guo et al. 2017 use 15). */
export const CALIBRATION_BINS = 15;

/**
 * A reliability diagram: per equal-width bin of top-label confidence, how many predictions fell
 * in it, their mean confidence and the fraction of them that were right (null for an empty bin).
 */
export interface Reliability {
  count: number[];
  confidence: (number | null)[];
  accuracy: (number | null)[];
}

/** Sums per bin, filled one prediction at a time (`addToBins`), read by `reliability` and `expectedCalibrationError`. */
export interface CalibrationBins {
  count: Float64Array;
  confidence: Float64Array;
  correct: Float64Array;
}

export function calibrationBins(bins = CALIBRATION_BINS): CalibrationBins {
  return { count: new Float64Array(bins), confidence: new Float64Array(bins), correct: new Float64Array(bins) };
}

/**
 * Count one prediction of top-label confidence `conf` (its largest class probability).
 *
 * NOTE: bin m (1-based) holds confidences in ((m − 1)/M, m/M], as Guo et al. define it; 0 joins the first.
 */
export function addToBins(b: CalibrationBins, conf: number, right: boolean): void {
  const m = b.count.length;
  const i = Math.min(m - 1, Math.max(0, Math.ceil(conf * m) - 1));
  b.count[i]++;
  b.confidence[i] += conf;
  if (right) b.correct[i]++;
}

export function reliability(b: CalibrationBins): Reliability {
  const count = Array.from(b.count);
  return { count, confidence: count.map((n, i) => (n > 0 ? b.confidence[i] / n : null)), accuracy: count.map((n, i) => (n > 0 ? b.correct[i] / n : null)) };
}

/**
 * Expected calibration error: Σ_bins |B|/n · |accuracy(B) − confidence(B)| over equal-width bins of
 * top-label confidence (Guo et al. 2017, "On Calibration of Modern Neural Networks"). NaN without predictions.
 */
export function expectedCalibrationError(b: CalibrationBins): number {
  let n = 0;
  let e = 0;
  for (let i = 0; i < b.count.length; i++) {
    n += b.count[i];
    e += Math.abs(b.correct[i] - b.confidence[i]);
  }
  return n > 0 ? e / n : NaN;
}

/**
 * The top-label confidence of row `r` of `scores` (width `w`): the largest softmax probability of
 * logits, the largest of probabilities, or max(p, 1 − p) of a single logit (sigmoid) or probability.
 */
export function topConfidence(scores: ArrayLike<number>, r: number, w: number, kind: ScoreReading): number {
  if (w === 1) {
    const p = kind === 'single-probability' ? scores[r] : 1 / (1 + Math.exp(-scores[r]));
    return Math.max(p, 1 - p);
  }
  let max = -Infinity;
  for (let c = 0; c < w; c++) max = Math.max(max, scores[r * w + c]);
  if (kind === 'probabilities') return max;
  // NOTE: the largest softmax probability is 1 / Σ exp(s_c − max): no division per class, no overflow.
  let sum = 0;
  for (let c = 0; c < w; c++) sum += Math.exp(scores[r * w + c] - max);
  return 1 / sum;
}

/** How a row of scores reads (the binding's `ScoreKind`): logits (default) or probabilities, one per class or a single one. */
export type ScoreReading = 'logits' | 'probabilities' | 'single-logit' | 'single-probability';
