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
