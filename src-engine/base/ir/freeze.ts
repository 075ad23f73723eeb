import type { GraphIR, NodeIR, TrainingConfig } from './types';

/** Ids of the graph's frozen nodes (`NodeIR.frozen`), in node order. */
export function frozenNodeIds(graph: Pick<GraphIR, 'nodes'>): Set<string> {
  const out = new Set<string>();
  for (const n of graph.nodes) if (n.frozen === true) out.add(n.id);
  return out;
}

/**
 * Freeze (or unfreeze) a set of nodes: one operation for a node, a selection, a canvas group or
 * "everything but the head". Pure: returns a new node list, sharing every node it leaves alone
 * (ids not in the graph are ignored). Frozen is stored as `frozen: true`; unfreezing removes the
 * field, so a graph that freezes nothing is written as before.
 *
 * @example
 * ```ts
 * graph = { ...graph, nodes: freezeNodes(graph.nodes, backboneIds, true) };
 * ```
 */
export function freezeNodes(nodes: readonly NodeIR[], ids: Iterable<string>, frozen: boolean): NodeIR[] {
  const wanted = new Set(ids);
  return nodes.map((n) => {
    if (!wanted.has(n.id) || (n.frozen === true) === frozen) return n;
    if (frozen) return { ...n, frozen: true };
    const { frozen: _was, ...rest } = n;
    return rest;
  });
}

/**
 * The nodes upstream of `headIds` (everything the head reads, directly or not), without the
 * head itself: what "freeze the backbone" freezes when fine-tuning a replaced head.
 */
export function upstreamNodeIds(graph: Pick<GraphIR, 'nodes'>, headIds: Iterable<string>): Set<string> {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const head = new Set(headIds);
  const out = new Set<string>();
  const stack = [...head].flatMap((id) => byId.get(id)?.inputs ?? []);
  while (stack.length) {
    const id = stack.pop()!;
    if (out.has(id) || head.has(id) || !byId.has(id)) continue;
    out.add(id);
    stack.push(...byId.get(id)!.inputs);
  }
  return out;
}

/**
 * Whether `node`, which keeps running statistics (BatchNorm), runs as in eval mode in training
 * steps: when it is frozen, unless `training.frozenBatchNorm` is `'train'`. Both executors and
 * the PyTorch export read it.
 */
export function statisticsFrozen(node: Pick<NodeIR, 'frozen'>, training: Pick<TrainingConfig, 'frozenBatchNorm'> | undefined): boolean {
  return node.frozen === true && training?.frozenBatchNorm !== 'train';
}
