import type { CompiledGraph } from '../../core/autodiff/executor';
import type { SampleProbeResult } from '../../protocol/messages';
import type { ScoreKind } from '../../core/train/binding';

/** How a prediction row turns into class probabilities (declared with the graph binding). */
export type { ScoreKind };

/**
 * Class probabilities (classifiers) or outputs (autoencoders, regression) of the current weights
 * for the first `count` samples of the probe batch: the same fixed test samples in every frame.
 */
export class SampleProbe {
  constructor(
    private readonly plan: CompiledGraph,
    private readonly predictionNode: string,
    private readonly count: number,
    private readonly task: 'classification' | 'reconstruction' | 'regression',
    private readonly scores: ScoreKind,
    /** Class index per probe sample (classification). */
    private readonly targets: ArrayLike<number>,
  ) {}

  /** Read the outputs of the plan's last eval-mode forward. */
  measure(): SampleProbeResult | undefined {
    if (this.count === 0) return undefined;
    const out = this.plan.output(this.predictionNode);
    const width = out.data.length / out.shape[0];
    if (this.task === 'classification') {
      const probs: Float32Array<ArrayBuffer>[] = [];
      const predicted: number[] = [];
      const targets: number[] = [];
      for (let i = 0; i < this.count; i++) {
        const p = rowProbabilities(out.data.subarray(i * width, (i + 1) * width), this.scores);
        let best = 0;
        for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
        probs.push(Float32Array.from(p));
        predicted.push(best);
        targets.push(this.targets[i]);
      }
      return { kind: 'classification', probs, predicted, targets };
    }
    // Copies into plain (not shared) buffers: the plan's storage is overwritten by the next step,
    // and a view of the CPU backend's shared heap must not leave the engine.
    const outputs: Float32Array<ArrayBuffer>[] = [];
    for (let i = 0; i < this.count; i++) outputs.push(new Float32Array(out.data.subarray(i * width, (i + 1) * width)));
    return { kind: this.task, outputs, shape: out.shape.slice(1) };
  }
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
