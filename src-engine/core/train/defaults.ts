/**
 * Training settings for a design that has none: what the app's "Add settings" gives it, and what
 * the command line trains an imported model with when `--data` names its data.
 */
import { GRAPH_FORMAT, GRAPH_VERSION, type DatasetConfig, type GraphIR, type NodeIR, type TrainingConfig } from '../../base/ir/types';
import { featureInput, inputShape, isTargetInput } from '../../base/ir/inputs';
import { DATASETS, DEFAULT_DATASET } from '../../catalog/datasets/registry';
import type { DatasetDeclaration } from '../../catalog/datasets/types';
import { csv } from '../../catalog/datasets/csv';
import { imageFolder } from '../../catalog/datasets/image-folder';
import { DEFAULT_OPTIMIZER } from '../../catalog/optimizers/registry';
import { taskOf, type Task } from '../../catalog/tasks';
import { checkGraph } from '../analysis/checked';
import { BINARY_LOSS_OPS, CLASS_LABEL_LOSS_OPS, GENERATIVE_LOSS_OPS, LOSS_OPS } from '../ops/categories';
import { getOp } from '../ops/registry';

/** The id of the graph's loss: the `loss` output when it names a loss node, else the first loss node. */
export function lossNodeOf(graph: Pick<GraphIR, 'nodes' | 'outputs'>): string | undefined {
  const isLoss = (id: string | undefined) => id !== undefined && graph.nodes.some((n) => n.id === id && getOp(n.op)?.isLoss === true);
  if (isLoss(graph.outputs.loss)) return graph.outputs.loss;
  return graph.nodes.find((n) => getOp(n.op)?.isLoss === true)?.id;
}

/**
 * Training settings for a design that has none ("Add settings"): a dataset that fits the design
 * (`defaultDataset`), Adam 1e-3, batch 64, one epoch, and the graph's own loss node. With no loss
 * node yet, `loss` lists none (the engine says to add one) and the first loss node added takes the
 * role (the editor's `adoptLoss`).
 */
export function defaultTraining(graph: Pick<GraphIR, 'nodes' | 'outputs'>): TrainingConfig {
  return { dataset: defaultDataset(graph), loss: lossNodeOf(graph) ?? [], optimizer: { ...DEFAULT_OPTIMIZER }, batchSize: 64, epochs: 1, seed: 1, metrics: ['accuracy'] };
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * What a design's losses train it to give: class scores, values to regress, or its features again
 * (a value loss against a target Input of as many values as the features: an autoencoder); none,
 * or only generative losses: nothing said.
 */
function designTargets(nodes: readonly NodeIR[], features: readonly number[]): ReturnType<typeof taskOf>['targets'] | undefined {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const losses = nodes.filter((n) => LOSS_OPS.has(n.op) && !GENERATIVE_LOSS_OPS.has(n.op));
  if (losses.some((n) => CLASS_LABEL_LOSS_OPS.has(n.op) || BINARY_LOSS_OPS.has(n.op))) return 'classes';
  const targets = losses.flatMap((n) => n.inputs.map((i) => byId.get(i)).filter((x): x is NodeIR => x !== undefined && isTargetInput(x)));
  if (targets.length === 0) return undefined;
  // (An Input not set yet, [1], says nothing of how many values the features will have.)
  return numel(features) > 1 && targets.every((t) => numel(inputShape(t)) === numel(features)) ? 'features' : 'values';
}

/** The per-sample shape a new Input has until it is set (the op's default). */
const UNSET_SHAPE = [1];
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The dataset "Add settings" gives a design (#82: an imported resnet18 and a drawn wine MLP both got
 * MNIST, which the editor then fed at their Input: 1×28×28 into a Linear, "add a Flatten"). The
 * first built-in set whose samples fit the design's features Input and whose targets its loss
 * takes (class labels for CrossEntropyLoss, values for MSELoss, its own samples for an autoencoder): of the Input's shape when it is
 * set; when it is still the default [1], one whose shape the design takes without a new error (the
 * editor shapes the Input like it). None fits: the user's own data, an image folder for an image
 * Input [C, H, W], else a table, for Add data… to choose. A design with no features Input yet
 * (an empty canvas) gets MNIST, the app's first set.
 */
export function defaultDataset(graph: Pick<GraphIR, 'nodes' | 'outputs'>): DatasetConfig {
  const input = featureInput(graph);
  if (!input) return { name: DEFAULT_DATASET };
  const shape = inputShape(input);
  const unset = sameShape(shape, UNSET_SHAPE);
  const targets = designTargets(graph.nodes, shape);
  const errors = (nodes: readonly NodeIR[]) => {
    const r = checkGraph({ format: GRAPH_FORMAT, version: GRAPH_VERSION, nodes, outputs: graph.outputs }, { batchSize: 1 });
    return new Set(r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.nodeId ?? ''}`));
  };
  let before: Set<string> | undefined;
  const takes = (featureShape: readonly number[]) => {
    before ??= errors(graph.nodes);
    const after = errors(graph.nodes.map((n) => (n.id === input.id ? { ...n, attrs: { ...n.attrs, shape: [...featureShape] } } : n)));
    return [...after].every((e) => before!.has(e));
  };
  const fits = (d: DatasetDeclaration) => {
    if (!d.featureShape || d.task === 'auto') return false;
    // An autoencoder takes any set's samples as their own targets.
    if (targets !== undefined && targets !== 'features' && taskOf(d.task as Task).targets !== targets) return false;
    return unset ? takes(d.featureShape) : sameShape(d.featureShape, shape);
  };
  const found = DATASETS.find(fits);
  if (found) return { name: found.name, ...(targets === 'features' ? { target: 'features' as const } : {}) };
  return { name: shape.length === 3 ? imageFolder.name : csv.name };
}
