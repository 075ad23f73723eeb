import { addToBins, argmaxRow, balancedAccuracy, calibrationBins, classificationReport, expectedCalibrationError, inTopK, precisionRecallF1, reliability, rocAuc, topConfidence, type CalibrationBins, type ClassificationReport, type Reliability, type ScoreReading } from './classification';
import { psnrFromMse } from './regression';
import type { TaskDeclaration } from '../../catalog/tasks';

/** Metric names a training config may list (`TrainingConfig.metrics`). */
export const METRIC_NAMES = ['accuracy', 'balanced-accuracy', 'top5', 'precision', 'recall', 'f1', 'report', 'confusion', 'roc-auc', 'ece', 'mse', 'rmse', 'mae', 'r2', 'residuals', 'psnr', 'mean-iou', 'pixel-accuracy'] as const;

/** The most predicted-vs-true pairs `residuals` keeps (the first ones measured): enough for a scatter plot. */
export const MAX_RESIDUAL_POINTS = 2000;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Results of one evaluation pass. Only the metrics asked for (and `loss`) are present. */
export interface MetricValues {
  /** Mean loss per sample (the loss node's value averaged over batches, weighted by batch size). */
  loss: number;
  accuracy?: number;
  /** The mean recall over the classes that have samples (scikit-learn's `balanced_accuracy_score`). */
  'balanced-accuracy'?: number;
  top5?: number;
  /** Macro averages; per-class values are in `perClass`. */
  precision?: number;
  recall?: number;
  f1?: number;
  perClass?: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  /** scikit-learn's classification_report: per class, the accuracy, macro and weighted averages. */
  report?: ClassificationReport;
  /** `confusion[true][predicted]`. */
  confusion?: number[][];
  'roc-auc'?: number;
  /** Expected calibration error over 15 equal-width bins of top-label confidence; the bins in `reliability`. */
  ece?: number;
  reliability?: Reliability;
  mse?: number;
  rmse?: number;
  mae?: number;
  /**
   * Predicted against true values (in the target's units) of the first `MAX_RESIDUAL_POINTS`
   * values measured, row-major `[n, outputs]`: a predicted-vs-true scatter and a residual plot.
   */
  residuals?: { predicted: number[]; true: number[]; outputs: number };
  r2?: number;
  psnr?: number;
  /**
   * Segmentation: the mean over classes of |predicted ∩ true| / |predicted ∪ true| pixels (a class
   * neither predicted nor present is left out, as torchmetrics' JaccardIndex with absent classes
   * ignored); per class in `iou`.
   */
  'mean-iou'?: number;
  iou?: number[];
  /** Segmentation: the fraction of pixels (positions) whose class is right. */
  'pixel-accuracy'?: number;
}

export interface MetricTarget {
  kind: TaskDeclaration['metrics'];
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
  /**
   * Where a row's class scores are with `positions`: `last` (default: `[positions, classes]`, a
   * language model's) or `first` (`[classes, positions]`: a segmenter's `[C, H, W]` score map).
   */
  classAxis?: 'first' | 'last';
  /** How a row of class scores reads, for the confidence `ece` bins (default logits). */
  scores?: ScoreReading;
  /**
   * Values learnt standardised (a regression's `targetNormalization`): predictions and targets are
   * put back in the target's units (`v · std + mean`, per output column) before MSE, MAE, R² and
   * PSNR are measured, so they read in the data's units. The loss stays the one trained on.
   */
  scale?: { readonly mean: readonly number[]; readonly std: readonly number[] };
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
  private readonly bins: CalibrationBins | null;
  private readonly pairs: { predicted: number[]; true: number[] } | null;
  /** The per-column sums R² needs (three float64 additions more per value): only when it is asked for. */
  private readonly perColumn: boolean;
  private readonly colSum: Float64Array;
  private readonly colSumSq: Float64Array;
  private readonly colSqErr: Float64Array;
  private readonly wanted: ReadonlySet<string>;
  /** One position's class scores gathered from a channels-first prediction. */
  private readonly row: Float32Array;

  constructor(
    metrics: readonly string[],
    readonly target: MetricTarget,
  ) {
    this.wanted = new Set(metrics);
    const k = target.numClasses;
    this.confusion = target.kind === 'classes' ? Array.from({ length: k }, () => new Array<number>(k).fill(0)) : null;
    const w = target.kind === 'values' ? target.outputSize : 0;
    this.perColumn = this.wanted.has('r2');
    this.colSum = new Float64Array(w);
    this.colSumSq = new Float64Array(w);
    this.colSqErr = new Float64Array(w);
    this.row = new Float32Array(target.classAxis === 'first' ? target.outputSize : 0);
    this.bins = this.confusion && this.wanted.has('ece') ? calibrationBins() : null;
    this.pairs = !this.confusion && this.wanted.has('residuals') ? { predicted: [], true: [] } : null;
  }

  reset(): void {
    this.lossSum = this.count = this.correct = this.top5 = this.sqErr = this.absErr = 0;
    this.confusion?.forEach((row) => row.fill(0));
    this.scores.length = 0;
    this.positive.length = 0;
    this.colSum.fill(0);
    this.colSumSq.fill(0);
    this.colSqErr.fill(0);
    if (this.bins) for (const a of Object.values(this.bins)) a.fill(0);
    if (this.pairs) this.pairs.predicted.length = this.pairs.true.length = 0;
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
      const positions = this.target.positions ?? 1;
      const rows = n * positions;
      const first = this.target.classAxis === 'first';
      for (let i = 0; i < rows; i++) {
        const label = target[i];
        // A channels-first row is gathered (class c of position q at c·positions + q), then read as row 0.
        const scores = first ? this.gather(pred, Math.floor(i / positions), i % positions, positions) : pred;
        const r = first ? 0 : i;
        const p = w === 1 ? (scores[r] > (this.target.threshold ?? 0) ? 1 : 0) : argmaxRow(scores, r, w);
        if (p === label) this.correct++;
        this.confusion[label][p]++;
        if (w > 1 && inTopK(scores, r, w, label, 5)) this.top5++;
        if (this.bins) addToBins(this.bins, topConfidence(scores, r, w, this.target.scores ?? (w === 1 ? 'single-logit' : 'logits')), p === label);
        if (wantAuc) {
          // NOTE: only the order of scores matters for AUC; logit₁ − logit₀ orders samples as softmax p₁ does.
          this.scores.push(w === 1 ? scores[r] : scores[r * w + 1] - scores[r * w]);
          this.positive.push(label === 1);
        }
      }
      return;
    }
    const scale = this.target.scale;
    if (this.pairs) this.keepPairs(n * w, pred, target);
    if (scale) {
      // NOTE: in the target's units; (p − t) alone would be the error in standard deviations.
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < w; c++) {
          const k = c % scale.mean.length;
          const t = target[i * w + c] * scale.std[k] + scale.mean[k];
          const d = pred[i * w + c] * scale.std[k] + scale.mean[k] - t;
          this.sqErr += d * d;
          this.absErr += Math.abs(d);
          if (!this.perColumn) continue;
          this.colSum[c] += t;
          this.colSumSq[c] += t * t;
          this.colSqErr[c] += d * d;
        }
      }
      return;
    }
    if (!this.perColumn) {
      for (let i = 0; i < n * w; i++) {
        const d = pred[i] - target[i];
        this.sqErr += d * d;
        this.absErr += Math.abs(d);
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

  /** The first values' predicted and true values, in the target's units, until `MAX_RESIDUAL_POINTS` are kept. */
  private keepPairs(values: number, pred: Float32Array, target: Float32Array): void {
    const pairs = this.pairs!;
    const scale = this.target.scale;
    const w = this.target.outputSize;
    for (let i = 0; i < values && pairs.true.length < MAX_RESIDUAL_POINTS - (MAX_RESIDUAL_POINTS % w); i++) {
      const k = scale ? (i % w) % scale.mean.length : 0;
      pairs.predicted.push(scale ? pred[i] * scale.std[k] + scale.mean[k] : pred[i]);
      pairs.true.push(scale ? target[i] * scale.std[k] + scale.mean[k] : target[i]);
    }
  }

  /** The class scores of position `q` of sample `s` of a channels-first batch, in `this.row`. */
  private gather(pred: Float32Array, s: number, q: number, positions: number): Float32Array {
    const w = this.row.length;
    const base = s * w * positions + q;
    for (let c = 0; c < w; c++) this.row[c] = pred[base + c * positions];
    return this.row;
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
      if (want('pixel-accuracy')) out['pixel-accuracy'] = this.correct / rows;
      if (want('mean-iou')) Object.assign(out, meanIou(this.confusion));
      if (want('top5')) out.top5 = this.target.outputSize > 1 ? this.top5 / rows : out.accuracy ?? this.correct / rows;
      if (want('precision') || want('recall') || want('f1')) {
        const s = precisionRecallF1(this.confusion);
        if (want('precision')) out.precision = s.macro.precision;
        if (want('recall')) out.recall = s.macro.recall;
        if (want('f1')) out.f1 = s.macro.f1;
        out.perClass = { precision: s.precision, recall: s.recall, f1: s.f1, support: s.support };
      }
      if (want('balanced-accuracy')) out['balanced-accuracy'] = balancedAccuracy(this.confusion);
      if (want('report')) out.report = classificationReport(this.confusion);
      if (this.bins) {
        out.ece = expectedCalibrationError(this.bins);
        out.reliability = reliability(this.bins);
      }
      if (want('confusion')) out.confusion = this.confusion.map((r) => [...r]);
      if (want('roc-auc')) out['roc-auc'] = this.scores.length ? rocAuc(this.scores, this.positive) : NaN;
      return out;
    }
    const w = this.target.outputSize;
    const mse = this.sqErr / (n * w);
    if (want('mse')) out.mse = mse;
    if (want('rmse')) out.rmse = Math.sqrt(mse);
    if (want('mae')) out.mae = this.absErr / (n * w);
    if (this.pairs) out.residuals = { predicted: [...this.pairs.predicted], true: [...this.pairs.true], outputs: w };
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


/**
 * Per-class intersection over union from a confusion matrix (`m[true][predicted]`, counted per
 * pixel), and their mean over the classes that occur (predicted or true): a class absent from both
 * has no IoU (NaN in `iou`) and is left out of the mean.
 */
export function meanIou(m: readonly (readonly number[])[]): { 'mean-iou': number; iou: number[] } {
  const k = m.length;
  const iou: number[] = [];
  let sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    let union = -m[c][c];
    for (let j = 0; j < k; j++) union += m[c][j] + m[j][c];
    const v = union > 0 ? m[c][c] / union : NaN;
    iou.push(v);
    if (union > 0) {
      sum += v;
      present++;
    }
  }
  return { 'mean-iou': present ? sum / present : NaN, iou };
}
