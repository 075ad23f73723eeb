import { frozenNodeIds } from './freeze';
import type { DatasetConfig, GradClipConfig, GraphIR, OptimizerConfig, ScheduleConfig, TrainingConfig } from './types';

/** Every loss node training touches: `training.loss`, then each group's, without repeats. */
export function trainingLossNodes(config: TrainingConfig): string[] {
  const out: string[] = [];
  const add = (l: string | string[] | undefined): void => {
    for (const id of l === undefined ? [] : Array.isArray(l) ? l : [l]) if (!out.includes(id)) out.push(id);
  };
  add(config.loss);
  for (const g of config.groups ?? []) add(g.loss);
  return out;
}

/** A training group with its defaults filled in and its parameter nodes resolved. */
export interface ResolvedGroup {
  name: string;
  /** Ids of the nodes whose parameters the group trains (never a frozen one); null: every node (the implicit group of a graph that freezes none). */
  nodes: ReadonlySet<string> | null;
  loss: string[];
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig | undefined;
  gradClip: GradClipConfig | undefined;
}

/**
 * The groups one training step runs, in order: `training.groups` resolved, or the single
 * implicit group of a graph without them (all parameters, `training.loss`).
 */
export function resolveGroups(graph: Pick<GraphIR, 'nodes'>, config: TrainingConfig): ResolvedGroup[] {
  const losses = (l: string | string[]): string[] => (Array.isArray(l) ? [...l] : [l]);
  // Frozen nodes (IR v3) train in no group: their parameters are left out of every optimizer.
  const frozen = frozenNodeIds(graph);
  const thawed = (ids: Set<string>): Set<string> => {
    for (const id of frozen) ids.delete(id);
    return ids;
  };
  if (!config.groups || config.groups.length === 0) {
    const nodes = frozen.size === 0 ? null : thawed(new Set(graph.nodes.map((n) => n.id)));
    return [{ name: 'model', nodes, loss: losses(config.loss), optimizer: config.optimizer, schedule: config.schedule, gradClip: config.gradClip }];
  }
  return config.groups.map((g) => ({
    name: g.name,
    nodes: thawed(groupNodes(graph, g.params)),
    loss: losses(g.loss),
    optimizer: g.optimizer ?? config.optimizer,
    schedule: g.schedule ?? config.schedule,
    gradClip: g.gradClip ?? config.gradClip,
  }));
}

/** The node ids a group's `params` names: the listed nodes plus the `between` sub-graph. */
export function groupNodes(graph: Pick<GraphIR, 'nodes'>, params: NonNullable<TrainingConfig['groups']>[number]['params']): Set<string> {
  const out = new Set<string>(params.nodes ?? []);
  const b = params.between;
  if (b) {
    // Forward from `from`, then keep what reaches `to` (walking the inputs back from it).
    const consumers = new Map<string, string[]>();
    for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n.id]);
    const reached = new Set<string>();
    const stack = [...b.from];
    while (stack.length) {
      const id = stack.pop()!;
      if (reached.has(id)) continue;
      reached.add(id);
      stack.push(...(consumers.get(id) ?? []));
    }
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    const back = [b.to];
    const seen = new Set<string>();
    while (back.length) {
      const id = back.pop()!;
      if (seen.has(id) || !reached.has(id)) continue;
      seen.add(id);
      out.add(id);
      back.push(...(byId.get(id)?.inputs ?? []));
    }
  }
  return out;
}

/**
 * A dataset as the user knows it: the folder or file it reads by reference (`digits`, for an image
 * folder of that name), else the dataset's name (MNIST's, say). Runs and summaries named the folder loader instead.
 */
export function datasetLabel(dataset: Pick<DatasetConfig, 'name' | 'options'> | undefined): string | undefined {
  const path = dataset?.options?.path;
  const base = typeof path === 'string' ? path.split(/[\\/]/).filter(Boolean).pop() : undefined;
  return base ?? dataset?.name;
}
