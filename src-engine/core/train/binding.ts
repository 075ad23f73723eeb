import type { PreparedData, Samples } from '../data';
import { featureInputs, inputShape, targetInputs } from '../../base/ir/inputs';
import { predictionNodeId } from '../../base/ir/prediction';
import type { NodeIR } from '../../base/ir/types';
import type { CheckedGraph } from '../analysis/checked';
import type { MetricTarget } from '../metrics';
import { CLASS_LABEL_LOSS_OPS, GENERATIVE_LOSS_OPS } from '../ops/categories';
import { getOp } from '../ops/registry';
import { TrainError } from './types';
import { hasClasses, runTask, taskFor, taskOf, type Task } from '../../catalog/tasks';

/** How a prediction row reads as class scores. */
export type ScoreKind = 'logits' | 'probabilities' | 'single-logit' | 'single-probability';

/**
 * Where a graph is fed and read, from the checked graph alone: its one feature Input, its target
 * Input (if any), its loss nodes and its prediction node, with their per-sample sizes. The same for
 * a training run, a loaded model, a lesson's network and the probes; `checkBinding` then fits it to
 * a dataset.
 */
export interface StructuralBinding {
  featureInput: string;
  /** Per-sample shape of the feature Input. */
  featureShape: readonly number[];
  targetInput: string | null;
  /** Values per sample of the target Input (null without one). */
  targetSize: number | null;
  lossNodes: readonly string[];
  /** The losses among them that compare class labels (CrossEntropyLoss): data of values cannot train them. */
  labelLosses: readonly string[];
  /** `training.predictionOutput`, else the output named `logits`, else the first loss's first input (`predictionNodeId`); without a training section, the first output. */
  predictionNode: string;
  /** Values per sample of the prediction. */
  predictionWidth: number;
  /** Per-sample shape of the prediction (e.g. `[4, 32, 32]`: a class score per pixel). */
  predictionShape: readonly number[];
  /** Every loss reads no target (a GAN): the prediction is generated samples, not a guess at a label. */
  generative: boolean;
  /** How a prediction row reads as class scores. */
  scores: ScoreKind;
}

/**
 * Where a dataset plugs into a graph and where its predictions come out: the one binding the
 * training loop, its metrics, the probes and `predict` share (`checkBinding` of `bindGraph`).
 */
export interface GraphBinding extends StructuralBinding {
  task: Task;
  /** What the metrics accumulate against. */
  metricTarget: MetricTarget;
}

/**
 * Bind a checked graph: exactly one feature Input, at most one target Input, loss nodes that
 * exist, and a prediction node. Throws TrainError with a message that says how to fix the graph.
 */
export function bindGraph(checked: CheckedGraph): StructuralBinding {
  const graph = checked.ir;
  const config = checked.training;
  const nodes = new Map(graph.nodes.map((nd) => [nd.id, nd]));
  const feats = featureInputs(graph);
  const targets = targetInputs(graph);
  if (feats.length !== 1) {
    throw new TrainError('TRAIN_INPUTS', `The trainer feeds one dataset to one Input with source "features"; this graph has ${feats.length}.`);
  }
  if (targets.length > 1) throw new TrainError('TRAIN_INPUTS', `Only one Input with source "target" is supported; this graph has ${targets.length}.`);
  const lossIds = config ? (Array.isArray(config.loss) ? config.loss : [config.loss]) : [];
  for (const id of lossIds) if (!nodes.has(id)) throw new TrainError('TRAIN_BAD_CONFIG', `The loss node "${id}" is not in the graph.`);
  const named = config?.predictionOutput ?? (graph.outputs.logits !== undefined ? 'logits' : undefined);
  if (named !== undefined && !nodes.has(graph.outputs[named] ?? '')) {
    throw new TrainError('TRAIN_BAD_CONFIG', `predictionOutput "${named}" is not one of the graph outputs (${Object.keys(graph.outputs).join(', ')}).`);
  }
  // The base rule (the named output, else the first loss's first input); without a training section, the first output.
  const pred: NodeIR | undefined = nodes.get(predictionNodeId(graph) ?? Object.values(graph.outputs)[0] ?? '');
  if (!pred) throw new TrainError('TRAIN_BAD_CONFIG', 'Cannot find the prediction node: name it in training.predictionOutput.');
  const predictionShape = checked.shapesAt()[pred.id].slice(1);
  const width = prod(predictionShape);
  // A generative graph (a GAN: every loss reads no target) has no labels to predict; its
  // prediction is the generator's samples, shown as pixels like a reconstruction. A conditional
  // GAN still reads the labels, through a target Input that conditions both players (OneHot).
  const generative = lossIds.length > 0 && lossIds.every((id) => GENERATIVE_LOSS_OPS.has(nodes.get(id)!.op));
  return {
    featureInput: feats[0].id,
    featureShape: inputShape(feats[0]),
    targetInput: targets[0]?.id ?? null,
    targetSize: targets[0] ? prod(inputShape(targets[0])) : null,
    lossNodes: lossIds,
    labelLosses: lossIds.filter((id) => CLASS_LABEL_LOSS_OPS.has(nodes.get(id)!.op)),
    predictionNode: pred.id,
    predictionWidth: width,
    predictionShape,
    generative,
    scores: generative ? 'logits' : scoreKind(width, getOp(pred.op)?.output?.scores),
  };
}

/** How a prediction row of `width` values reads as class scores, from the op's `OutputTraits.scores` (absent: logits). */
export function scoreKind(width: number, reads: 'probabilities' | 'probability' | undefined): ScoreKind {
  if (width === 1) return reads === 'probability' ? 'single-probability' : 'single-logit';
  return reads === 'probabilities' ? 'probabilities' : 'logits';
}

/**
 * Fit a binding to prepared data: the feature Input's shape matches the samples, the target
 * Input's size the labels or targets, and a classifier's prediction width its classes. Throws
 * TrainError (`TRAIN_SHAPE_MISMATCH`) with a message that says how to fix the graph.
 */
export function checkBinding(binding: StructuralBinding, data: PreparedData<Samples>): GraphBinding {
  const ds = data.train;
  const fs = prod(binding.featureShape);
  const dsFs = prod(ds.featureShape);
  if (fs !== dsFs) {
    throw new TrainError(
      'TRAIN_SHAPE_MISMATCH',
      `Input "${binding.featureInput}" takes samples of shape [${binding.featureShape.join(', ')}] (${fs} values) but ${ds.name} has samples of shape [${ds.featureShape.join(', ')}] (${dsFs} values). Set the Input's shape to [${ds.featureShape.join(', ')}].`,
    );
  }
  const labels = data.target === 'label' && hasClasses(ds.task);
  if (data.target === 'label' && !labels && binding.labelLosses.length > 0) {
    const id = binding.labelLosses[0];
    const loss = taskOf(ds.task).loss;
    throw new TrainError(
      'TRAIN_TASK_MISMATCH',
      `The loss "${id}" compares class labels but ${ds.name} holds values to predict (a ${ds.task}). Use ${loss} (Add data's "Use this data" makes the change), with a target Input of shape [${ds.targetShape.join(', ')}] and a last layer of ${prod(ds.targetShape)} output${prod(ds.targetShape) === 1 ? '' : 's'}.`,
    );
  }
  // Labels per position (a language model's next tokens, targetShape [T]): T rows of scores per sample.
  const positions = labels ? prod(ds.targetShape) : 1;
  if (binding.targetSize !== null) {
    const want = data.target === 'features' ? dsFs : prod(ds.targetShape);
    if (binding.targetSize !== want) {
      const hint =
        labels && positions === 1
          ? 'class labels need shape [] (one class index per sample)'
          : labels
            ? `${ds.name} has one class index per position: shape [${ds.targetShape.join(', ')}]`
            : data.target === 'features'
              ? `the clean features need shape [${ds.featureShape.join(', ')}]`
              : `targets have shape [${ds.targetShape.join(', ')}]`;
      throw new TrainError('TRAIN_SHAPE_MISMATCH', `Target input "${binding.targetInput}" has ${binding.targetSize} values per sample but ${hint}.`);
    }
  }
  const width = binding.predictionWidth;
  if (binding.generative) {
    // A generator's samples are compared as values, as an autoencoder's reconstructions.
    const task = taskFor('features');
    return { ...binding, task, metricTarget: { kind: taskOf(task).metrics, outputSize: width, numClasses: 0 } };
  }
  // Labels per position read their class scores from the last axis ([T, V]: a language model), or,
  // for a mask ([H, W]) against a prediction [C, H, W] (a segmenter's Conv2d), from the first.
  const classAxis = labels && positions > 1 ? classAxisOf(binding.predictionShape, ds.targetShape, ds.numClasses) : 'last';
  if (labels && positions > 1 && width !== positions * ds.numClasses) {
    const want = ds.targetShape.length > 1 ? `[${ds.numClasses}, ${ds.targetShape.join(', ')}]` : `[${positions}, ${ds.numClasses}]`;
    throw new TrainError(
      'TRAIN_SHAPE_MISMATCH',
      `The prediction "${binding.predictionNode}" has ${width} values per sample but ${ds.name} has ${positions} positions of ${ds.numClasses} classes; make the last layer output ${ds.numClasses} at every position (${want}).`,
    );
  }
  if (labels && positions === 1 && width !== 1 && width !== ds.numClasses) {
    throw new TrainError(
      'TRAIN_SHAPE_MISMATCH',
      `The prediction "${binding.predictionNode}" has ${width} values per sample but ${ds.name} has ${ds.numClasses} classes; make the last layer output ${ds.numClasses}.`,
    );
  }
  const task = runTask(ds.task, data.target);
  return {
    ...binding,
    task,
    metricTarget: {
      kind: taskOf(task).metrics,
      outputSize: width / positions,
      numClasses: labels ? ds.numClasses : 0,
      ...(positions > 1 ? { positions } : {}),
      ...(classAxis === 'first' ? { classAxis } : {}),
      // A single probability (a Sigmoid head) is class 1 above one half, a single logit above 0.
      ...(labels && binding.scores === 'single-probability' ? { threshold: 0.5 } : {}),
      // How the scores read as probabilities, for the reliability diagram's confidences.
      ...(labels ? { scores: binding.scores } : {}),
      // Targets learnt standardised: metrics (and sample outputs) read back in the target's units.
      ...(data.targetNormalization && !labels && data.target !== 'features' ? { scale: data.targetNormalization } : {}),
    },
  };
}

/**
 * The mask shape (`[H, W]`) when the prediction is a class score per pixel, `[classes, H, W]`
 * against a target Input of `H·W` class ids (a segmenter), else null: the prediction then reads
 * as a mask of classes (`maskOf`), not as one row of scores.
 */
export function segmentationMask(binding: Partial<Pick<StructuralBinding, 'predictionShape' | 'targetSize'>>): readonly number[] | null {
  const [classes, ...mask] = binding.predictionShape ?? [];
  return mask.length >= 2 && classes >= 2 && binding.targetSize === prod(mask) ? mask : null;
}

/**
 * The positions' shape (`[T]`) when the prediction is a class score per position along its last
 * axis, `[...positions, classes]` against a target Input of one class id per position (a language
 * model's next-token logits `[T, V]`), else null: the prediction then reads as a class per position
 * (`positionsOf`), not as one row of scores. A channels-first map is `segmentationMask`'s.
 */
export function sequencePositions(binding: Partial<Pick<StructuralBinding, 'predictionShape' | 'targetSize'>>): readonly number[] | null {
  const shape = binding.predictionShape ?? [];
  const positions = shape.slice(0, -1);
  const classes = shape.at(-1) ?? 0;
  return positions.length >= 1 && classes >= 2 && prod(positions) > 1 && binding.targetSize === prod(positions) ? positions : null;
}

/**
 * Where a prediction with a label per position keeps its classes: `first` when it is
 * `[classes, ...targetShape]` (channels first, as a Conv2d writes a per-pixel score map, and as
 * PyTorch's CrossEntropyLoss reads `[N, C, H, W]`), else `last` (`[..., classes]`).
 */
export function classAxisOf(prediction: readonly number[], targetShape: readonly number[], classes: number): 'first' | 'last' {
  const first = prediction.length === targetShape.length + 1 && prediction[0] === classes && targetShape.every((d, i) => prediction[i + 1] === d);
  const last = prediction.length === targetShape.length + 1 && prediction.at(-1) === classes && targetShape.every((d, i) => prediction[i] === d);
  return first && !last ? 'first' : 'last';
}

function prod(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
