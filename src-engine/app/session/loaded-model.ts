import type { CheckedGraph } from '../../core/analysis/checked';
import type { CompiledGraph } from '../../core/autodiff/executor';
import type { Backend } from '../../core/backend/types';
import { CLASS_LABEL_LOSS_OPS } from '../../core/ops/categories';
import { assertLoadable, checkModelGraph, type TrainedModel } from '../../core/export/model';
import { inferencePlan } from '../../core/export/infer';
import { Predictor, TrainError, bindGraph, type GraphBinding, type StructuralBinding } from '../../core/train';
import type { ResultOf } from '../../protocol';
import { predictSample, textSample } from './predict';
import { taskFor } from '../../catalog/tasks';

/**
 * A trained model answering `model.predict` without a training run: a reopened project's
 * weights. Eval mode on a batch-1 plan, read by the one `Predictor` over the graph's binding
 * (`bindGraph`); inputs in the dataset's units get the model's normalisation, as a live run's
 * predictions do.
 */
export class LoadedModel {
  readonly featureInput: string;
  readonly featureShape: number[];
  readonly predictionNode: string;
  readonly task: GraphBinding['task'];
  private readonly predictor: Predictor;

  constructor(
    readonly runId: string,
    readonly model: TrainedModel,
    backend: Backend,
    /** `model.graph` when the caller checked it already (an ONNX import's `checked`): not checked again. */
    known?: CheckedGraph,
  ) {
    assertLoadable(model);
    const checked = known ?? checkModelGraph(model.graph);
    let binding: StructuralBinding;
    try {
      binding = bindGraph(checked);
    } catch (e) {
      if (!(e instanceof TrainError)) throw e;
      throw Object.assign(new Error(`The model cannot predict: ${e.message}`), { code: 'E_MODEL_GRAPH' });
    }
    this.featureInput = binding.featureInput;
    this.featureShape = [...binding.featureShape];
    this.predictionNode = binding.predictionNode;
    const plan: CompiledGraph = inferencePlan(model, 1, backend, checked);
    this.predictor = new Predictor(plan, binding);
    // A classifier: it has class names, or it trains with a loss on class labels (an imported
    // classifier, given one at import: core/analysis/classifier.ts).
    const classifier = (model.classNames?.length ?? 0) > 0 || checked.ir.nodes.some((n) => CLASS_LABEL_LOSS_OPS.has(n.op));
    this.task = taskFor(model.graph.training?.dataset.target === 'features' ? 'features' : classifier ? 'classes' : 'values');
  }

  /** Outputs for one sample, as `TrainingSession.predict` answers them. */
  predict(input: readonly number[], normalized = false, text?: string): ResultOf<'model.predict'> {
    const { predictor, task, featureShape, model } = this;
    const p = { predictor, task, featureShape, normalization: model.normalization, targetNormalization: model.targetNormalization, classNames: model.classNames ?? [], ...(model.tokenizer ? { tokenizer: model.tokenizer } : {}) };
    // A typed text is read with the tokenizer the model file carries (E_PREDICT_TEXT without one).
    return text === undefined ? predictSample(p, input, normalized) : predictSample(p, textSample(p, text), false);
  }
}
