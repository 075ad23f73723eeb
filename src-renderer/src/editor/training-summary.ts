import { datasetLabel, type GraphIR, type TrainingConfig } from '../../../src-engine/facade';

export { datasetLabel };

/**
 * The design's loss as a reader wants it: the loss node's op, with its id only when the id says
 * something the op does not (a node named `loss` is shown as `CrossEntropyLoss`, not "loss loss";
 * one named `recon` as `MSELoss (recon)`). Several losses are joined with " + ".
 */
export function lossLabel(graph: Pick<GraphIR, 'nodes'>, loss: TrainingConfig['loss']): string {
  const ids = Array.isArray(loss) ? loss : [loss];
  return ids
    .map((id) => {
      const op = graph.nodes.find((n) => n.id === id)?.op;
      if (!op) return id;
      return id.toLowerCase() === 'loss' || id === op ? op : `${op} (${id})`;
    })
    .join(' + ');
}

/** One line about the training settings: dataset, optimizer and loss. */
export function trainingSummary(graph: Pick<GraphIR, 'nodes'>, training: TrainingConfig): string {
  return `Dataset ${datasetLabel(training.dataset)} · ${training.optimizer.kind} · ${lossLabel(graph, training.loss)}`;
}

