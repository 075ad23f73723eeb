import { isFeatureInput, predictionNodeId } from '../../base/ir/prediction';
import type { CompiledGraph } from '../../core/autodiff/executor';
import type { Backend } from '../../core/backend/types';
import { applyNormalization } from '../../core/data';
import { assertLoadable, inferencePlan, type TrainedModel } from '../../core/export/model';
import { getOp } from '../../core/ops/registry';
import type { ScoreKind } from '../../core/train/binding';
import type { ResultOf } from '../../protocol/messages';
import { compact, rowProbabilities } from '../probes';

/**
 * A trained model answering `model.predict` without a training run: a reopened project's
 * weights. Eval mode on a batch-1 plan; inputs in the dataset's units get the model's
 * normalisation, as a live run's predictions do.
 */
export class LoadedModel {
  readonly featureInput: string;
  readonly featureShape: number[];
  readonly prediction: string;
  readonly task: 'classification' | 'regression' | 'reconstruction';
  private readonly plan: CompiledGraph;
  private readonly scores: ScoreKind;
  private readonly targetInput: string | null;

  constructor(
    readonly runId: string,
    readonly model: TrainedModel,
    backend: Backend,
  ) {
    assertLoadable(model);
    const g = model.graph;
    const feature = g.nodes.find(isFeatureInput);
    if (!feature) throw Object.assign(new Error('The model has no Input with source "features"; it cannot predict.'), { code: 'E_MODEL_GRAPH' });
    this.featureInput = feature.id;
    this.featureShape = [...((feature.attrs.shape as readonly number[] | undefined) ?? [1])];
    this.targetInput = g.nodes.find((n) => n.op === 'Input' && n.attrs.source === 'target')?.id ?? null;
    this.prediction = predictionNodeId(g) ?? Object.values(g.outputs)[0];
    this.plan = inferencePlan(model, 1, backend);
    const width = this.plan.output(this.prediction).data.length;
    const reads = getOp(g.nodes.find((n) => n.id === this.prediction)?.op ?? '')?.output?.scores;
    this.scores = width === 1 ? (reads === 'probability' ? 'single-probability' : 'single-logit') : reads === 'probabilities' ? 'probabilities' : 'logits';
    this.task = g.training?.dataset.target === 'features' ? 'reconstruction' : (model.classNames?.length ?? 0) > 0 ? 'classification' : 'regression';
  }

  /** Outputs for one sample, as `TrainingSession.predict` answers them. */
  predict(input: readonly number[], normalized = false): ResultOf<'model.predict'> {
    const x = this.plan.input(this.featureInput).data;
    if (input.length !== x.length) {
      throw Object.assign(new Error(`The model takes ${x.length} values per sample (shape [${this.featureShape.join(', ')}]); got ${input.length}.`), { code: 'E_PREDICT_SHAPE' });
    }
    x.set(input);
    if (!normalized && this.model.normalization) applyNormalization(this.model.normalization, x, x.length);
    if (this.targetInput) this.plan.input(this.targetInput).data.fill(0);
    this.plan.forward(false);
    const out = this.plan.output(this.prediction);
    if (this.task === 'classification') {
      const probs = rowProbabilities(out.data, this.scores);
      let best = 0;
      for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
      return { kind: 'probabilities', values: probs.map(compact), predicted: best, classNames: this.model.classNames ?? [] };
    }
    return { kind: 'output', values: Array.from(out.data, compact), shape: out.shape.slice(1) };
  }
}
