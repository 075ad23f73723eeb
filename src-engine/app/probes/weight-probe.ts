import type { ParamEntry } from '../../core/autodiff/executor';
import type { Histogram, TensorStats } from '../../protocol';
import type { StepFigures } from '../../core/train/types';
import { summaryOf, type TensorSummarizer } from './summary';

/** Histograms and statistics of every parameter tensor's current values. */
export class WeightProbe {
  constructor(
    private readonly params: readonly ParamEntry[],
    private readonly summarizer: TensorSummarizer,
  ) {}

  measure(): { nodeId: string; name: string; shape: number[]; hist: Histogram; stats: TensorStats }[] {
    return this.params.map((p) => {
      const { hist, stats } = this.summarizer.summarize(p.value.data);
      return { nodeId: p.nodeId, name: p.name, shape: [...p.value.shape], hist, stats };
    });
  }

  /** `measure` from a probed device step's figures (each parameter's, with its histogram). */
  measureFigures(figures: StepFigures): { nodeId: string; name: string; shape: number[]; hist: Histogram; stats: TensorStats }[] {
    return this.params.map((p, i) => ({ nodeId: p.nodeId, name: p.name, shape: [...p.value.shape], ...summaryOf(figures.params[i].value) }));
  }
}
