import type { CompiledGraph } from '../autodiff/executor';
import type { PreparedData } from '../data';
import type { GraphIR, TrainingConfig } from '../ir/types';
import type { ProbeBinding } from '../probes';
import type { ScoreKind } from '../probes/sample-probe';
import { TrainError } from '../train';

/**
 * The graph's feature and target Inputs, the node whose output is the prediction (the same rule
 * as the Trainer: `training.predictionOutput`, else the output named `logits`, else the loss's
 * first input), what the task is, and how to read a prediction row as probabilities.
 */
export function bindGraph(graph: GraphIR, config: TrainingConfig, data: PreparedData, plan: CompiledGraph): ProbeBinding {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const inputs = graph.nodes.filter((n) => n.op === 'Input');
  const feature = inputs.find((n) => (n.attrs.source ?? 'features') === 'features');
  if (!feature) throw new TrainError('TRAIN_INPUTS', 'The graph needs an Input with source "features".');
  const target = inputs.find((n) => n.attrs.source === 'target');
  const losses = Array.isArray(config.loss) ? config.loss : [config.loss];
  const named = config.predictionOutput ?? (graph.outputs.logits !== undefined ? 'logits' : undefined);
  const predictionNode = named !== undefined ? graph.outputs[named] : nodes.get(losses[0])?.inputs[0];
  if (!predictionNode || !nodes.has(predictionNode)) throw new TrainError('TRAIN_BAD_CONFIG', 'Cannot find the prediction node: name it in training.predictionOutput.');
  const task = data.target === 'features' ? 'reconstruction' : data.train.task === 'classification' ? 'classification' : 'regression';
  const out = plan.output(predictionNode);
  const width = out.data.length / out.shape[0];
  const op = nodes.get(predictionNode)!.op;
  let scores: ScoreKind = 'logits';
  if (width === 1) scores = op === 'Sigmoid' ? 'single-probability' : 'single-logit';
  else if (op === 'Softmax') scores = 'probabilities';
  return { featureInput: feature.id, targetInput: target?.id ?? null, predictionNode, task, scores };
}
