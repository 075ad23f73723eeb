import type { PreparedData } from '../data';
import { featureInputs, targetInputs } from '../../base/ir/inputs';
import type { NodeIR } from '../../base/ir/types';
import type { CheckedGraph } from '../analysis/checked';
import type { MetricTarget } from '../metrics';
import { getOp } from '../ops/registry';
import type { TrainableGraph } from './types';
import { TrainError } from './types';

/** How a prediction row reads as class scores. */
export type ScoreKind = 'logits' | 'probabilities' | 'single-logit' | 'single-probability';

/**
 * Where a dataset plugs into a graph and where its predictions come out: the one binding the
 * training loop, its metrics, the probes and `predict` share.
 */
export interface GraphBinding {
  featureInput: string;
  targetInput: string | null;
  /** `training.predictionOutput`, else the output named `logits`, else the first loss's first input. */
  predictionNode: string;
  task: 'classification' | 'reconstruction' | 'regression';
  /** How a prediction row reads as probabilities (classifiers). */
  scores: ScoreKind;
  /** What the metrics accumulate against. */
  metricTarget: MetricTarget;
}

/**
 * Bind a graph to prepared data: exactly one feature Input whose shape matches the samples, at
 * most one target Input of the right size, loss nodes that exist, and a prediction node whose
 * width matches the classes. Throws TrainError with a message that says how to fix the graph.
 */
export function bindGraph(checked: CheckedGraph, data: PreparedData, plan: Pick<TrainableGraph, 'output'>): GraphBinding {
  const graph = checked.ir;
  const config = checked.training;
  if (!config) throw new TrainError('TRAIN_NO_CONFIG', 'The graph has no training settings (dataset, loss, optimizer); add them before training.');
  const nodes = new Map(graph.nodes.map((nd) => [nd.id, nd]));
  const feats = featureInputs(graph);
  const targets = targetInputs(graph);
  if (feats.length !== 1) {
    throw new TrainError('TRAIN_INPUTS', `The trainer feeds one dataset to one Input with source "features"; this graph has ${feats.length}.`);
  }
  if (targets.length > 1) throw new TrainError('TRAIN_INPUTS', `Only one Input with source "target" is supported; this graph has ${targets.length}.`);

  const ds = data.train;
  const featShape = (feats[0].attrs.shape as readonly number[] | undefined) ?? [1];
  const fs = prod(featShape);
  const dsFs = prod(ds.featureShape);
  if (fs !== dsFs) {
    throw new TrainError(
      'TRAIN_SHAPE_MISMATCH',
      `Input "${feats[0].id}" takes samples of shape [${featShape.join(', ')}] (${fs} values) but ${ds.name} has samples of shape [${ds.featureShape.join(', ')}] (${dsFs} values). Set the Input's shape to [${ds.featureShape.join(', ')}].`,
    );
  }
  const labels = data.target === 'label' && ds.task === 'classification';
  if (targets[0]) {
    const ts = prod((targets[0].attrs.shape as readonly number[] | undefined) ?? [1]);
    const want = data.target === 'features' ? dsFs : labels ? 1 : prod(ds.targetShape);
    if (ts !== want) {
      const hint = labels ? 'class labels need shape [] (one class index per sample)' : data.target === 'features' ? `the clean features need shape [${ds.featureShape.join(', ')}]` : `targets have shape [${ds.targetShape.join(', ')}]`;
      throw new TrainError('TRAIN_SHAPE_MISMATCH', `Target input "${targets[0].id}" has ${ts} values per sample but ${hint}.`);
    }
  }

  const lossIds = Array.isArray(config.loss) ? config.loss : [config.loss];
  for (const id of lossIds) if (!nodes.has(id)) throw new TrainError('TRAIN_BAD_CONFIG', `The loss node "${id}" is not in the graph.`);
  const named = config.predictionOutput ?? (graph.outputs.logits !== undefined ? 'logits' : undefined);
  let pred: NodeIR | undefined;
  if (named !== undefined) {
    pred = nodes.get(graph.outputs[named] ?? '');
    if (!pred) throw new TrainError('TRAIN_BAD_CONFIG', `predictionOutput "${named}" is not one of the graph outputs (${Object.keys(graph.outputs).join(', ')}).`);
  } else {
    pred = nodes.get(nodes.get(lossIds[0])!.inputs[0]);
  }
  if (!pred) throw new TrainError('TRAIN_BAD_CONFIG', 'Cannot find the prediction node: name it in training.predictionOutput.');
  const out = plan.output(pred.id);
  const width = prod(out.shape.slice(1));
  // A generative graph (a GAN: every loss reads no target) has no labels to predict; its
  // prediction is the generator's samples, shown as pixels like a reconstruction. A conditional
  // GAN still reads the labels, through a target Input that conditions both players (OneHot).
  const generative = lossIds.every((id) => getOp(nodes.get(id)!.op)?.inputs.length === 1);
  if (generative) {
    return {
      featureInput: feats[0].id,
      targetInput: targets[0]?.id ?? null,
      predictionNode: pred.id,
      task: 'reconstruction',
      scores: 'logits',
      metricTarget: { kind: 'regression', outputSize: width, numClasses: 0 },
    };
  }
  if (labels && width !== 1 && width !== ds.numClasses) {
    throw new TrainError(
      'TRAIN_SHAPE_MISMATCH',
      `The prediction "${pred.id}" has ${width} values per sample but ${ds.name} has ${ds.numClasses} classes; make the last layer output ${ds.numClasses}.`,
    );
  }
  // The op says how its output reads as class scores (OutputTraits.scores); absent: logits.
  const reads = getOp(pred.op)?.output?.scores;
  let scores: ScoreKind = 'logits';
  if (width === 1) scores = reads === 'probability' ? 'single-probability' : 'single-logit';
  else if (reads === 'probabilities') scores = 'probabilities';
  return {
    featureInput: feats[0].id,
    targetInput: targets[0]?.id ?? null,
    predictionNode: pred.id,
    task: data.target === 'features' ? 'reconstruction' : ds.task === 'classification' ? 'classification' : 'regression',
    scores,
    metricTarget: { kind: labels ? 'classification' : 'regression', outputSize: width, numClasses: labels ? ds.numClasses : 0 },
  };
}

function prod(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
