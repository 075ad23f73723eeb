import type { CompiledGraph } from '../../core/autodiff/executor';
import type { SampleProbeResult } from '../../protocol';
import type { GraphBinding, ScoreKind } from '../../core/train/binding';
import { Predictor, argmax, maskOf, positionsOf } from '../../core/train/predictor';
import { segmentationMask, sequencePositions } from '../../core/train/binding';
import { hasClasses, showsProbabilities, taskFor } from '../../catalog/tasks';
import { restoreTargets } from '../../core/data/target-normalization';

/** How a prediction row turns into class probabilities (declared with the graph binding). */
export type { ScoreKind };
/** One row of scores as probabilities (the predictor's). */
export { rowProbabilities } from '../../core/train/predictor';

/**
 * Class probabilities (classifiers) or outputs (autoencoders, regression) of the current weights
 * for the first `count` samples of the probe batch: the same fixed test samples in every frame.
 */
export class SampleProbe {
  private readonly predictor: Predictor;
  private readonly task: GraphBinding['task'];
  /** A segmenter's mask shape (`[H, W]`): its samples are masks, not one row of scores. */
  private readonly mask: readonly number[] | null;
  /** A sequence's positions (`[T]`: a language model's next characters): its samples are a class per position. */
  private readonly positions: readonly number[] | null;
  /** A regression learnt standardised: its outputs are shown in the target's units (`restoreTargets`). */
  private readonly scale: GraphBinding['metricTarget']['scale'];

  constructor(
    private readonly plan: CompiledGraph,
    binding: Pick<GraphBinding, 'featureInput' | 'targetInput' | 'predictionNode' | 'scores' | 'task' | 'predictionShape' | 'targetSize'> & { metricTarget?: Pick<GraphBinding['metricTarget'], 'scale'> },
    private readonly count: number,
    /** Class index per probe sample (classification). */
    private readonly targets: ArrayLike<number>,
  ) {
    this.predictor = new Predictor(plan, binding);
    this.scale = binding.metricTarget?.scale;
    this.task = binding.task;
    this.mask = hasClasses(binding.task) ? segmentationMask(binding) : null;
    this.positions = hasClasses(binding.task) && !this.mask ? sequencePositions(binding) : null;
  }

  /** Read the outputs of the plan's last eval-mode forward. */
  measure(): SampleProbeResult | undefined {
    if (this.count === 0) return undefined;
    const out = this.plan.output(this.predictor.binding.predictionNode);
    const width = out.data.length / out.shape[0];
    if (this.mask) {
      const masks = Array.from({ length: this.count }, (_, i) => Array.from(maskOf(out.data.subarray(i * width, (i + 1) * width), out.shape[1]).mask));
      return { kind: 'segmentation', masks, shape: [...this.mask] };
    }
    if (this.positions) {
      const classes = out.shape.at(-1) ?? 1;
      const rows = Array.from({ length: this.count }, (_, i) => positionsOf(out.data.subarray(i * width, (i + 1) * width), classes, this.predictor.binding.scores));
      return { kind: 'sequence', predicted: rows.map((r) => Array.from(r.predicted)), confidence: rows.map((r) => Float32Array.from(r.confidence)) };
    }
    if (showsProbabilities(this.task)) {
      const probs: Float32Array<ArrayBuffer>[] = [];
      const predicted: number[] = [];
      const targets: number[] = [];
      for (let i = 0; i < this.count; i++) {
        const p = this.predictor.probabilities(i);
        probs.push(Float32Array.from(p));
        predicted.push(argmax(p));
        targets.push(this.targets[i]);
      }
      return { kind: taskFor('classes'), probs, predicted, targets };
    }
    // Copies into plain (not shared) buffers: the plan's storage is overwritten by the next step,
    // and a view of the CPU backend's shared heap must not leave the engine.
    const outputs: Float32Array<ArrayBuffer>[] = [];
    for (let i = 0; i < this.count; i++) {
      const row = new Float32Array(out.data.subarray(i * width, (i + 1) * width));
      if (this.scale) restoreTargets(this.scale, row);
      outputs.push(row);
    }
    return { kind: this.task, outputs, shape: out.shape.slice(1) };
  }
}
