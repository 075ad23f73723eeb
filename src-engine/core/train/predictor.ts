import type { Tensor } from '../../base/tensor';
import { argmaxRow } from '../metrics';
import type { ScoreKind, StructuralBinding } from './binding';

/** What a predictor runs: a plan's Inputs, its eval-mode forward and its outputs (a CPU or GPU plan's host side). */
export interface PredictorPlan {
  readonly batchSize: number;
  input(name: string): Tensor;
  output(nodeId: string): Tensor;
  forward(training: boolean): number;
}

/**
 * The one way a network's output is read as a prediction: a plan and its binding (`bindGraph`).
 * `predict` runs the plan in eval mode on feature rows (the target Input zeroed: a loss is
 * computed over but never read) and answers the prediction rows; `probabilities` reads a row as
 * class probabilities by the binding's score kind; `classify` is the class a row predicts (the one
 * argmax). Used by a run's and a loaded model's `model.predict`, the lessons' batch models, the
 * sample and decision-boundary probes; the metrics classify the same way (`argmaxRow`).
 */
export class Predictor {
  constructor(
    readonly plan: PredictorPlan,
    readonly binding: Pick<StructuralBinding, 'featureInput' | 'targetInput' | 'predictionNode' | 'scores'> & Partial<Pick<StructuralBinding, 'predictionShape' | 'targetSize'>>,
  ) {}

  /** Values per sample of the prediction (from the plan's last forward's storage). */
  get width(): number {
    return this.plan.output(this.binding.predictionNode).data.length / this.plan.batchSize;
  }

  /**
   * The prediction rows (`count × width`, a view of the plan's storage: copy what you keep) for
   * the first `count` rows of `features`, or, without `features`, for what the feature Input holds.
   */
  predict(features?: Float32Array, count = this.plan.batchSize): Float32Array {
    if (count > this.plan.batchSize) throw new RangeError(`Predictor: ${count} samples, compiled for ${this.plan.batchSize}.`);
    const x = this.plan.input(this.binding.featureInput).data;
    if (features) x.set(features.subarray(0, count * (x.length / this.plan.batchSize)));
    if (this.binding.targetInput) this.plan.input(this.binding.targetInput).data.fill(0);
    this.plan.forward(false);
    return this.rows(count);
  }

  /** The first `count` prediction rows of the plan's last forward, without running it. */
  rows(count = this.plan.batchSize): Float32Array {
    return this.plan.output(this.binding.predictionNode).data.subarray(0, count * this.width);
  }

  /** Row `i` of `rows` (default: the last forward's) as class probabilities. */
  probabilities(i: number, rows: Float32Array = this.rows()): number[] {
    const w = this.width;
    return rowProbabilities(rows.subarray(i * w, (i + 1) * w), this.binding.scores);
  }

  /** The class row `i` predicts: the argmax of its probabilities (first on ties). */
  classify(i: number, rows: Float32Array = this.rows()): number {
    return argmax(this.probabilities(i, rows));
  }
}

/**
 * A channels-first score map (`classes × positions` values: `[C, H, W]`) as the class of each
 * position (`torch.argmax(logits, dim=0)`, first on ties), and that class's softmax probability.
 */
export function maskOf(scores: ArrayLike<number>, classes: number): { mask: Int32Array; confidence: Float32Array } {
  const positions = scores.length / classes;
  const mask = new Int32Array(positions);
  const confidence = new Float32Array(positions);
  for (let q = 0; q < positions; q++) {
    let best = 0;
    let bv = scores[q];
    for (let c = 1; c < classes; c++) {
      const v = scores[c * positions + q];
      if (v > bv) [best, bv] = [c, v];
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(scores[c * positions + q] - bv);
    mask[q] = best;
    confidence[q] = 1 / sum;
  }
  return { mask, confidence };
}

/**
 * A classes-last score map (`positions × classes` values: `[T, V]`) as the class of each position
 * (`torch.argmax(logits, dim=-1)`, first on ties) and that class's probability by the score kind.
 */
export function positionsOf(scores: Float32Array, classes: number, kind: ScoreKind): { predicted: Int32Array; confidence: Float32Array } {
  const positions = scores.length / classes;
  const predicted = new Int32Array(positions);
  const confidence = new Float32Array(positions);
  for (let q = 0; q < positions; q++) {
    const p = rowProbabilities(scores.subarray(q * classes, (q + 1) * classes), kind);
    predicted[q] = argmax(p);
    confidence[q] = p[predicted[q]];
  }
  return { predicted, confidence };
}

/** Index of the largest value (first one on ties, like torch.argmax). */
export function argmax(values: ArrayLike<number>): number {
  return argmaxRow(values, 0, values.length);
}

/**
 * One row of scores as probabilities.
 *
 * NOTE: softmax subtracts the row's max before exponentiating, so large logits cannot overflow;
 * a single logit z is the binary case, [1 − σ(z), σ(z)].
 */
export function rowProbabilities(row: Float32Array, kind: ScoreKind): number[] {
  if (kind === 'single-logit') {
    const p = 1 / (1 + Math.exp(-row[0]));
    return [1 - p, p];
  }
  if (kind === 'single-probability') return [1 - row[0], row[0]];
  if (kind === 'probabilities') return Array.from(row);
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  const e = new Array<number>(row.length);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += e[i] = Math.exp(row[i] - max);
  for (let i = 0; i < row.length; i++) e[i] /= sum;
  return e;
}
