import type { GraphIR, NodeIR } from '../../base/ir/types';
import { trainingLossNodes } from '../../base/ir/training';
import { getOp } from '../ops/registry';

/**
 * Which nodes a training backward gives a gradient: those that train parameters (`trains`: some,
 * and the node is not frozen) or are fed by one that does (forward pass), or are among `roots`,
 * and which reach one of `losses` (backward pass). Everything else — Inputs, the target path,
 * branches that only feed metrics, a frozen prefix — gets no gradient storage and no backward
 * call. The executor allocates and runs by it, and the memory estimate (core/analysis/memory.ts)
 * counts by it.
 *
 * @param order the nodes in a topological order.
 */
export function nodesNeedingGradients(order: readonly NodeIR[], losses: readonly string[], trains: (node: NodeIR) => boolean, roots: ReadonlySet<string> = new Set()): Set<string> {
  const byId = new Map(order.map((n) => [n.id, n]));
  const requires = new Set<string>();
  for (const node of order) {
    const def = getOp(node.op);
    if (roots.has(node.id)) {
      requires.add(node.id);
      continue;
    }
    // A differentiable op's kernel has a backward (reference-kernels.test.ts): the op's trait says
    // it without reaching for its kernel, so the renderer's memory estimate bundles no kernel.
    if (!def || def.differentiable === false) continue;
    if (trains(node) || node.inputs.some((i) => requires.has(i))) requires.add(node.id);
  }
  const reaches = new Set<string>();
  const stack = losses.filter((id) => requires.has(id));
  while (stack.length) {
    const id = stack.pop()!;
    if (reaches.has(id)) continue;
    reaches.add(id);
    for (const i of byId.get(id)?.inputs ?? []) if (requires.has(i)) stack.push(i);
  }
  return reaches;
}

/** The loss nodes a training step sums: training.loss, or every loss op when there is no training section. */
export function lossNodesOf(g: Pick<GraphIR, 'nodes' | 'training'>): string[] {
  if (g.training) return trainingLossNodes(g.training);
  return g.nodes.filter((n) => getOp(n.op)?.isLoss).map((n) => n.id);
}
