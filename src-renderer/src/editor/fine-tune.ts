import { getOp, upstreamNodeIds, type GraphIR } from '../../../src-engine/facade';

/** Whether freezing a node of `op` changes anything: the op has parameters or running statistics. */
export function holdsWeights(op: string): boolean {
  const def = getOp(op);
  return def?.params !== undefined || def?.buffers !== undefined;
}

/** The layers with weights that `headId` reads from, directly or not: what "Freeze the layers before it" freezes. */
export function backboneOf(graph: Pick<GraphIR, 'nodes'>, headId: string): string[] {
  const up = upstreamNodeIds(graph, [headId]);
  return graph.nodes.filter((n) => up.has(n.id) && holdsWeights(n.op)).map((n) => n.id);
}
