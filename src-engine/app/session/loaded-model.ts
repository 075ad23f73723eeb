import { targetInputs } from '../../base/ir/inputs';
import { isFeatureInput, predictionNodeId } from '../../base/ir/prediction';
import type { CompiledGraph } from '../../core/autodiff/executor';
import type { Backend } from '../../core/backend/types';
import { assertLoadable, inferencePlan, type TrainedModel } from '../../core/export/model';
import { getOp } from '../../core/ops/registry';
import type { ScoreKind } from '../../core/train/binding';
import type { ResultOf } from '../../protocol/messages';
import { predictSample } from './predict';

/**
 * A trained model answering `model.predict` without a training run: a reopened project's
 * weights. Eval mode on a batch-1 plan; inputs in the dataset's units get the model's
 * normalisation, as a live run's predictions do.
 */
export class LoadedModel {
  readonly featureInput: string;
  readonly featureShape: number[];
  readonly predictionNode: string;
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
    this.targetInput = targetInputs(g)[0]?.id ?? null;
    this.predictionNode = predictionNodeId(g) ?? Object.values(g.outputs)[0];
    this.plan = inferencePlan(model, 1, backend);
    const width = this.plan.output(this.predictionNode).data.length;
    const reads = getOp(g.nodes.find((n) => n.id === this.predictionNode)?.op ?? '')?.output?.scores;
    this.scores = width === 1 ? (reads === 'probability' ? 'single-probability' : 'single-logit') : reads === 'probabilities' ? 'probabilities' : 'logits';
    this.task = g.training?.dataset.target === 'features' ? 'reconstruction' : (model.classNames?.length ?? 0) > 0 ? 'classification' : 'regression';
  }

  /** Outputs for one sample, as `TrainingSession.predict` answers them. */
  predict(input: readonly number[], normalized = false): ResultOf<'model.predict'> {
    const { plan, featureInput, targetInput, predictionNode, task, scores, featureShape, model } = this;
    return predictSample({ plan, featureInput, targetInput, predictionNode, task, scores, featureShape, normalization: model.normalization, classNames: model.classNames ?? [] }, input, normalized);
  }
}
