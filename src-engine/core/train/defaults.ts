/**
 * Training settings for a design that has none: what the app's "Add settings" gives it, and what
 * the command line trains an imported model with when `--data` names its data.
 */
import type { GraphIR, TrainingConfig } from '../../base/ir/types';
import { DEFAULT_DATASET } from '../../catalog/datasets/registry';
import { DEFAULT_OPTIMIZER } from '../../catalog/optimizers/registry';
import { getOp } from '../ops/registry';

/** The id of the graph's loss: the `loss` output when it names a loss node, else the first loss node. */
export function lossNodeOf(graph: Pick<GraphIR, 'nodes' | 'outputs'>): string | undefined {
  const isLoss = (id: string | undefined) => id !== undefined && graph.nodes.some((n) => n.id === id && getOp(n.op)?.isLoss === true);
  if (isLoss(graph.outputs.loss)) return graph.outputs.loss;
  return graph.nodes.find((n) => getOp(n.op)?.isLoss === true)?.id;
}

/**
 * Training settings for a design that has none ("Add settings"): MNIST, Adam 1e-3, batch 64, one
 * epoch, and the graph's own loss node. With no loss node yet, `loss` lists none (the engine says
 * to add one) and the first loss node added takes the role (the editor's `adoptLoss`).
 */
export function defaultTraining(graph: Pick<GraphIR, 'nodes' | 'outputs'>): TrainingConfig {
  return { dataset: { name: DEFAULT_DATASET }, loss: lossNodeOf(graph) ?? [], optimizer: { ...DEFAULT_OPTIMIZER }, batchSize: 64, epochs: 1, seed: 1, metrics: ['accuracy'] };
}
