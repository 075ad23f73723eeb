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
