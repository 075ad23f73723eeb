import type { GraphIR } from './types';

export { isFeatureInput } from './inputs';

/**
 * The node whose output is the model's prediction: the output `training.predictionOutput` names,
 * else the output called `logits`, else the first input of the first loss (what a design whose
 * head was replaced on the canvas, with no output naming it, predicts with). Undefined when none.
 */
export function predictionNodeId(graph: Pick<GraphIR, 'nodes' | 'outputs' | 'training'>): string | undefined {
  const t = graph.training;
  const named = t?.predictionOutput ?? (graph.outputs.logits !== undefined ? 'logits' : undefined);
  if (named !== undefined && Object.hasOwn(graph.outputs, named)) return graph.outputs[named];
  const firstLoss = t ? (Array.isArray(t.loss) ? t.loss[0] : t.loss) : undefined;
  return graph.nodes.find((n) => n.id === firstLoss)?.inputs[0];
}

/**
 * The head to resize for a dataset of `classes` classes (a user's image folder): the prediction
 * node when it is a Linear that outputs another number (else null: nothing to change, or not a
 * layer whose output size is one attribute). The app's "Use this data" and the CLI's `--data`
 * resize it.
 *
 * @example headToFit(yourPhotos, 5) // { nodeId: 'fc', from: 3 }
 */
export function headToFit(graph: Pick<GraphIR, 'nodes' | 'outputs' | 'training'>, classes: number): { nodeId: string; from: number } | null {
  return classes < 2 ? null : headToWidth(graph, classes);
}

/**
 * The prediction node when it is a Linear that outputs another number than `width` (a
 * regression's values per sample), else null, as {@link headToFit} for classes.
 *
 * @example headToWidth(irisMlp, 1) // { nodeId: 'fc2', from: 3 }
 */
export function headToWidth(graph: Pick<GraphIR, 'nodes' | 'outputs' | 'training'>, width: number): { nodeId: string; from: number } | null {
  const id = predictionNodeId(graph);
  const node = id === undefined ? undefined : graph.nodes.find((n) => n.id === id);
  if (!node || node.op !== 'Linear') return null;
  const from = node.attrs.outFeatures;
  return typeof from === 'number' && from !== width ? { nodeId: node.id, from } : null;
}
