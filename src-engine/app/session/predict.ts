import type { CompiledGraph } from '../../core/autodiff/executor';
import { applyNormalization, type Normalization } from '../../core/data';
import type { GraphBinding } from '../../core/train';
import type { ResultOf } from '../../protocol/messages';
import { compact, rowProbabilities } from '../probes';

/** What one prediction reads: a batch-1 plan in eval mode, and where its input, target and prediction are. */
export interface PredictionPlan extends Pick<GraphBinding, 'featureInput' | 'targetInput' | 'predictionNode' | 'task' | 'scores'> {
  plan: CompiledGraph;
  featureShape: readonly number[];
  normalization: Normalization | null | undefined;
  classNames: readonly string[];
}

/**
 * `model.predict` for one sample, a live run's (`TrainingSession.predict`) or a loaded model's.
 * `input` is in the dataset's units (pixels in [0, 1] for MNIST) and gets the model's
 * normalisation, unless `normalized` (values already fed to the network: `probeSamples`).
 */
export function predictSample(p: PredictionPlan, input: readonly number[], normalized: boolean): ResultOf<'model.predict'> {
  const x = p.plan.input(p.featureInput).data;
  if (input.length !== x.length) {
    throw Object.assign(new Error(`The model takes ${x.length} values per sample (shape [${p.featureShape.join(', ')}]); got ${input.length}.`), { code: 'E_PREDICT_SHAPE' });
  }
  x.set(input);
  // A drawn digit arrives in the dataset's own units; the network was trained on standardised ones.
  if (!normalized && p.normalization) applyNormalization(p.normalization, x, x.length);
  if (p.targetInput) p.plan.input(p.targetInput).data.fill(0);
  p.plan.forward(false);
  const out = p.plan.output(p.predictionNode);
  if (p.task === 'classification') {
    const probs = rowProbabilities(out.data, p.scores);
    let best = 0;
    for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
    return { kind: 'probabilities', values: probs.map(compact), predicted: best, classNames: [...p.classNames] };
  }
  return { kind: 'output', values: Array.from(out.data, compact), shape: out.shape.slice(1) };
}
