import type { CheckedGraph } from '../analysis/checked';
import type { Backend } from '../backend/types';
import { applyNormalization, isStreamed, normalizedSource, prepareData, standardizesTargets, standardizeTargets, subsetOf, type LoadedDataset, type Normalization, type PreparedData, type Samples, type TargetNormalization } from '../data';
import { featureSize } from '../data/types';
import type { DatasetConfig, GraphIR } from '../../base/ir/types';
import { ModelError, type TrainedModel } from '../export/model';
import { MetricAccumulator, type MetricValues } from '../metrics';
import { evaluationBaselines, type EvaluationBaselines } from '../metrics/baselines';
import { TrainingLoop } from './loop';
import type { CompileFn } from './types';
import { runTask, taskOf, type Task } from '../../catalog/tasks';

/** The splits an evaluation can read: `test` (what training held out, the default), `val`, `train`, or `all` of them as one. */
export const EVALUATION_SPLITS = ['test', 'val', 'train', 'all'] as const;
export type EvaluationSplit = (typeof EVALUATION_SPLITS)[number];

/** What `evaluateModel` answers: the split's metrics (loss, accuracy, the confusion matrix…) and what they were measured on. */
export interface Evaluation {
  split: EvaluationSplit;
  /** The split's name, e.g. `MNIST (test)`. */
  dataset: string;
  samples: number;
  task: Task;
  classNames: string[];
  metrics: MetricValues;
  /** Which normalisation fed the inputs: the model's own (saved with it), or the dataset's (fitted on its training split). */
  normalization: 'model' | 'dataset' | 'none';
  /** The model's baselines (#83), from the run that trained it, by name then metric; absent for a model without them. */
  baselines?: EvaluationBaselines['baselines'];
  /** Which of that run's splits they were measured on, and whether it is the split measured here (`evaluationBaselines`). */
  baselinesOn?: EvaluationBaselines['baselinesOn'];
  /** A sentence when the network did worse than a baseline on the same samples. */
  baselineVerdict?: string;
}

/**
 * The data an evaluation reads: `loaded` split as training splits it (the same seed, so the same
 * test split), normalised with the model's own normalisation when it has one — what it was
 * trained with, not figures fitted on this data — else as the dataset's settings say. The targets
 * likewise: standardised with the model's `targetNormalization` when it has one (its outputs are in
 * those units; the metrics undo both), else left in their own units, which such a model predicts in.
 */
export function prepareForEvaluation(loaded: LoadedDataset<Samples>, config: DatasetConfig, seed: number, normalization: Normalization | undefined, targetNormalization?: TargetNormalization): PreparedData<Samples> {
  const raw = { ...config, targetNormalization: 'none' as const };
  const data = withModelTargets(normalization ? prepareData(loaded, { ...raw, options: { ...config.options, normalize: 'none' } }, seed) : prepareData(loaded, raw, seed), targetNormalization);
  if (!normalization) return data;
  const norm = normalization;
  const normalized = (s: Samples): Samples => {
    if (isStreamed(s)) return normalizedSource(s, norm);
    // A copy: the host may cache what it loaded.
    const own = { ...s, features: s.features.slice() };
    applyNormalization(norm, own.features, featureSize(s));
    return own;
  };
  return { ...data, train: normalized(data.train), val: normalized(data.val), test: normalized(data.test), normalization: norm };
}

/** `data` (targets in their own units) with its targets standardised as the model learnt them. */
function withModelTargets(data: PreparedData<Samples>, norm: TargetNormalization | undefined): PreparedData<Samples> {
  if (!norm || !standardizesTargets({ target: data.target }, data.train.task)) return data;
  const scaled = (s: Samples): Samples => {
    const own = isStreamed(s) ? subsetOf(s, Int32Array.from({ length: s.count }, (_, i) => i), s.name) : { ...s, targets: s.targets.slice() };
    standardizeTargets(norm, own.targets);
    return own;
  };
  return { ...data, train: scaled(data.train), val: scaled(data.val), test: scaled(data.test), targetNormalization: norm };
}

/**
 * Keras' `model.evaluate`: a trained model's metrics on one split of `data` (prepared with
 * `prepareForEvaluation`), or on all its samples (`all`), without training. `graph` is the model's graph or a design with the same
 * nodes (the app evaluates a loaded model under the design on the canvas: its dataset, loss and
 * metrics); every weight and buffer of it must be in `model`, or it throws `E_MODEL_WEIGHTS`
 * naming the missing ones. The task's `reportMetrics` (a classifier's accuracy, report, calibration and
 * confusion matrix; a regression's RMSE, MAE, R² and residuals) are measured even when the graph's metrics leave them out. It runs the training loop's own `evaluate` (eval mode, the seeded
 * transform), so a trained run's test figures come back the same.
 *
 * @example
 * ```ts
 * const data = prepareForEvaluation(loadDataset(t.dataset), t.dataset, t.seed, model.normalization, model.targetNormalization);
 * const { metrics } = await evaluateModel(model.graph, model, data, backend, { compile: compileGraph });
 * console.log(metrics.accuracy, metrics.confusion);
 * ```
 */
export async function evaluateModel(
  graph: CheckedGraph | GraphIR,
  model: Pick<TrainedModel, 'params' | 'buffers' | 'classNames' | 'normalization' | 'baselines'> & { graph?: Pick<GraphIR, 'training'> },
  data: PreparedData<Samples>,
  backend: Backend,
  options: { compile: CompileFn; split?: EvaluationSplit },
): Promise<Evaluation> {
  const split = options.split ?? 'test';
  const sets = split === 'all' ? [data.train, data.val, data.test].filter((s) => s.count > 0) : [data[split]];
  const samples = sets.reduce((n, s) => n + s.count, 0);
  const base = data.train.name.replace(/ \(.*\)$/, '');
  if (samples === 0) throw new ModelError('E_MODEL_NO_SAMPLES', `The ${split === 'val' ? 'validation' : split} split of ${base} holds no samples; evaluate another split.`);
  const ds = sets[0];
  // An evaluation always reports what its task's users expect (a classifier's accuracy, classification
  // report, confusion matrix and calibration; a regression's RMSE, MAE, R² and residuals), whatever the run measured.
  const measured = [...new Set([...(graph.training?.metrics ?? []), ...taskOf(runTask(ds.task, data.target)).reportMetrics])];
  // No batch larger than the largest split read: the same batches, so the same figures (BatchNorm
  // in training mode included), and a design's batch of 1e9 is not compiled (a typed array of
  // 16e9 values: 'Invalid typed array length', E_ENGINE_INTERNAL).
  const largest = Math.max(...sets.map((s) => s.count));
  const batchSize = graph.training && graph.training.batchSize > largest ? { batchSize: largest } : {};
  const loop = new TrainingLoop(graph, data, backend, { compile: options.compile, validate: false, test: false, checkpoints: false, overrides: { metrics: measured, ...batchSize } });
  const { fresh } = loop.warmStart({ ...model.params, ...model.buffers });
  if (fresh.length > 0) {
    throw new ModelError('E_MODEL_WEIGHTS', `The model has no weights for ${fresh.slice(0, 4).join(', ')}${fresh.length > 4 ? ` and ${fresh.length - 4} more` : ''} (or they are of another size): the design differs from the model. Evaluate the model's own design, or train this one.`);
  }
  const acc = new MetricAccumulator(loop.config.metrics, loop.binding.metricTarget);
  for (const s of sets) await loop.evaluate(s, true, acc);
  const classNames = model.classNames?.length ? model.classNames : [...ds.classNames];
  const metrics = acc.result();
  const task = loop.binding.task;
  // The baselines beside the figures: the same samples only when the data and split are those the model's run measured them on.
  const beside = evaluationBaselines(model.baselines, { split, metrics, task, trained: model.graph?.training, evaluated: graph.training });
  return { split, dataset: split === 'all' ? `${base} (all)` : ds.name, samples, metrics, task, classNames, normalization: model.normalization ? 'model' : data.normalization ? 'dataset' : 'none', ...beside };
}
