import type { ParamEntry } from '../../core/autodiff/executor';
import type { StepFigures } from '../../core/train/types';
import type { Histogram, TensorStats } from '../../protocol';
import { compact, figuresMeanAbs, figuresNorm, l2Distance, l2Norm, meanAbs, normOf, summaryOf, type TensorSummarizer } from './summary';

/** Gradient-flow figures of one parameter tensor. */
export interface GradientStats {
  nodeId: string;
  name: string;
  gradNorm: number;
  gradMeanAbs: number;
  weightNorm: number;
  /** ‖W_after − W_before‖₂ / ‖W_after‖₂ of the optimizer step (0 when not measured). */
  updateRatio: number;
  /** The gradient's histogram and statistics, binned as the weights' are; absent for a frozen parameter (no gradient). */
  hist?: Histogram;
  stats?: TensorStats;
}

/**
 * Per-parameter gradient norm, mean |grad|, histogram and update-to-weight ratio.
 *
 * The gradients are those of the training step itself (train mode, the training batch): the
 * probe costs no extra backward pass and shows exactly what the optimizer used. To measure the
 * update, the session calls `beforeUpdate()` just before `optimizer.step()` (copying the weights
 * into buffers allocated on first use, here) and `measure()` just after. On a GPU run the step
 * reduces its tensors on the device (`DeviceCapture`) and `measureFigures` turns the figures into
 * the same entries.
 *
 * NOTE: the histograms cost what the weights' cost (`TensorSummarizer`: ~300 µs per 100k values)
 * and are taken only for a frame, with the weights' summarizer and bins: never on a step no frame
 * follows.
 */
export class GradientProbe {
  private before: Float32Array[] | null = null;
  private armed = false;
  /** Per parameter, a frozen one's ‖W‖ as first measured (`frozenOnce`: no step changes it). */
  private readonly frozenNorms: (number | undefined)[] = [];

  constructor(
    private readonly params: readonly ParamEntry[],
    private readonly summarizer: TensorSummarizer,
    private readonly frozenOnce = false,
  ) {}

  /** Remember the weights (and read the gradients) before the optimizer step. */
  beforeUpdate(): void {
    // A frozen parameter does not move: no copy of it (its update ratio is 0).
    const before = (this.before ??= this.params.map((p) => new Float32Array(p.frozen ? 0 : p.value.data.length)));
    for (let i = 0; i < this.params.length; i++) if (!this.params[i].frozen) before[i].set(this.params[i].value.data);
    this.armed = true;
  }

  /**
   * `measure` from a probed device step's figures: ‖W‖, ‖W − W_before‖ (when the step copied
   * its weights before the update: `figures.updated`), ‖grad‖ and mean |grad| from their sums.
   */
  measureFigures(figures: StepFigures): GradientStats[] {
    return this.params.map((p, i) => {
      const { value, grad } = figures.params[i];
      const weightNorm = figuresNorm(value);
      const d = value.diff;
      const ratio = figures.updated && d ? (weightNorm > 0 ? normOf(d.sumSq, d.nan, d.inf) / weightNorm : 0) : 0;
      // A frozen parameter's gradient is not reduced with a histogram (core/gpu/executor.ts reductionsFor).
      const summary = !p.frozen && grad.bins ? summaryOf(grad) : undefined;
      return {
        nodeId: p.nodeId,
        name: p.name,
        gradNorm: compact(figuresNorm(grad)),
        gradMeanAbs: compact(figuresMeanAbs(grad)),
        weightNorm: compact(weightNorm),
        updateRatio: compact(ratio),
        ...summary,
      };
    });
  }

  /** Figures per parameter; call after `optimizer.step()` (the gradients are still in place). */
  measure(): GradientStats[] {
    const out: GradientStats[] = [];
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      const w = p.value.data;
      const weightNorm = p.frozen && this.frozenOnce ? (this.frozenNorms[i] ??= l2Norm(w)) : l2Norm(w);
      let ratio = 0;
      if (this.armed && !p.frozen) {
        ratio = weightNorm > 0 ? l2Distance(w, this.before![i]) / weightNorm : 0;
      }
      out.push({
        nodeId: p.nodeId,
        name: p.name,
        // A frozen parameter's gradient is never computed nor allocated (reading it would allocate it).
        gradNorm: p.frozen ? 0 : compact(l2Norm(p.grad.data)),
        gradMeanAbs: p.frozen ? 0 : compact(meanAbs(p.grad.data)),
        weightNorm: compact(weightNorm),
        updateRatio: compact(ratio),
        ...(p.frozen ? {} : this.summarizer.summarize(p.grad.data)),
      });
    }
    this.armed = false;
    return out;
  }
}
