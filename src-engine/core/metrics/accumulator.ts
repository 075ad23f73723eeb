import { argmaxRow, inTopK, precisionRecallF1, rocAuc } from './classification';
import { psnrFromMse } from './regression';

/** Metric names a training config may list (`TrainingConfig.metrics`). */
export const METRIC_NAMES = ['accuracy', 'top5', 'precision', 'recall', 'f1', 'confusion', 'roc-auc', 'mse', 'mae', 'r2', 'psnr'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Results of one evaluation pass. Only the metrics asked for (and `loss`) are present. */
export interface MetricValues {
  /** Mean loss per sample (the loss node's value averaged over batches, weighted by batch size). */
  loss: number;
  accuracy?: number;
  top5?: number;
  /** Macro averages; per-class values are in `perClass`. */
  precision?: number;
  recall?: number;
  f1?: number;
  perClass?: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  /** `confusion[true][predicted]`. */
  confusion?: number[][];
  'roc-auc'?: number;
  mse?: number;
  mae?: number;
  r2?: number;
  psnr?: number;
}

export interface MetricTarget {
  kind: 'classification' | 'regression';
  /** Width of one prediction row (classes for classification; 1 = a single logit). */
  outputSize: number;
  numClasses: number;
  /** A single-value prediction is class 1 above this (default 0: a logit; 0.5 for a probability). */
  threshold?: number;
  /**
   * Rows of scores (and labels) per sample, when a sample is labelled at every position (a
   * language model's next tokens: T); the classification metrics count positions. Default 1.
   */
  positions?: number;
}

/**
 * Streams batches of predictions and accumulates the asked-for metrics without keeping every
 * prediction (except for ROC-AUC, which needs one score per sample).
 *
 * Classification predictions are `[n, numClasses]` scores (argmax = class), or `[n, 1]` logits for
 * a binary problem (class 1 when the logit is > 0, i.e. sigmoid > 0.5). Regression/reconstruction
 * predictions and targets are `[n, outputSize]`.
 */
export class MetricAccumulator {
  private lossSum = 0;
  private count = 0;
  private correct = 0;
  private top5 = 0;
  private readonly confusion: number[][] | null;
  private readonly scores: number[] = [];
  private readonly positive: boolean[] = [];
  private sqErr = 0;
  private absErr = 0;
  private readonly colSum: Float64Array;
  private readonly colSumSq: Float64Array;
  private readonly colSqErr: Float64Array;
  private readonly wanted: ReadonlySet<string>;

  constructor(
    metrics: readonly string[],
    readonly target: MetricTarget,
  ) {
    this.wanted = new Set(metrics);
    const k = target.numClasses;
    this.confusion = target.kind === 'classification' ? Array.from({ length: k }, () => new Array<number>(k).fill(0)) : null;
    const w = target.kind === 'regression' ? target.outputSize : 0;
    this.colSum = new Float64Array(w);
    this.colSumSq = new Float64Array(w);
    this.colSqErr = new Float64Array(w);
  }

  reset(): void {
    this.lossSum = this.count = this.correct = this.top5 = this.sqErr = this.absErr = 0;
    this.confusion?.forEach((row) => row.fill(0));
    this.scores.length = 0;
    this.positive.length = 0;
    this.colSum.fill(0);
    this.colSumSq.fill(0);
    this.colSqErr.fill(0);
  }

  /** Add one batch: `meanLoss` is the batch's mean loss; `pred`/`target` hold at least `n` rows. */
  add(n: number, meanLoss: number, pred: Float32Array, target: Float32Array | null): void {
    this.lossSum += meanLoss * n;
    this.count += n;
    if (!target) return;
    const w = this.target.outputSize;
    if (this.confusion) {
      const k = this.target.numClasses;
      const wantAuc = this.wanted.has('roc-auc') && k === 2;
      const rows = n * (this.target.positions ?? 1);
      for (let i = 0; i < rows; i++) {
        const label = target[i];
        const p = w === 1 ? (pred[i] > (this.target.threshold ?? 0) ? 1 : 0) : argmaxRow(pred, i, w);
        if (p === label) this.correct++;
        this.confusion[label][p]++;
        if (w > 1 && inTopK(pred, i, w, label, 5)) this.top5++;
        if (wantAuc) {
          // NOTE: only the order of scores matters for AUC; logit₁ − logit₀ orders samples as softmax p₁ does.
          this.scores.push(w === 1 ? pred[i] : pred[i * w + 1] - pred[i * w]);
          this.positive.push(label === 1);
        }
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < w; c++) {
        const t = target[i * w + c];
        const d = pred[i * w + c] - t;
        this.sqErr += d * d;
        this.absErr += Math.abs(d);
        this.colSum[c] += t;
        this.colSumSq[c] += t * t;
        this.colSqErr[c] += d * d;
      }
    }
  }

  /** Number of samples added since the last reset. */
  get samples(): number {
    return this.count;
  }

  result(): MetricValues {
    const n = this.count;
    const out: MetricValues = { loss: n > 0 ? this.lossSum / n : NaN };
    const want = (m: MetricName) => this.wanted.has(m);
    if (this.confusion) {
      const rows = n * (this.target.positions ?? 1);
      if (want('accuracy')) out.accuracy = this.correct / rows;
      if (want('top5')) out.top5 = this.target.outputSize > 1 ? this.top5 / rows : out.accuracy ?? this.correct / rows;
      if (want('precision') || want('recall') || want('f1')) {
        const s = precisionRecallF1(this.confusion);
        if (want('precision')) out.precision = s.macro.precision;
        if (want('recall')) out.recall = s.macro.recall;
        if (want('f1')) out.f1 = s.macro.f1;
        out.perClass = { precision: s.precision, recall: s.recall, f1: s.f1, support: s.support };
      }
      if (want('confusion')) out.confusion = this.confusion.map((r) => [...r]);
      if (want('roc-auc')) out['roc-auc'] = this.scores.length ? rocAuc(this.scores, this.positive) : NaN;
      return out;
    }
    const w = this.target.outputSize;
    const mse = this.sqErr / (n * w);
    if (want('mse')) out.mse = mse;
    if (want('mae')) out.mae = this.absErr / (n * w);
    if (want('psnr')) out.psnr = psnrFromMse(mse);
    if (want('r2')) {
      // NOTE: SS_tot = Σt² − (Σt)²/n in float64; fine for data in a normal range, and it lets R²
      // stream over batches. Averaged over output columns like sklearn's `uniform_average`.
      let r2 = 0;
      for (let c = 0; c < w; c++) {
        const ssTot = this.colSumSq[c] - (this.colSum[c] * this.colSum[c]) / n;
        r2 += ssTot > 1e-12 * Math.max(1, this.colSumSq[c]) ? 1 - this.colSqErr[c] / ssTot : this.colSqErr[c] === 0 ? 1 : 0;
      }
      out.r2 = r2 / w;
    }
    return out;
  }
}

