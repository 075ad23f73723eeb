import type { GraphIR } from '../base/ir/types';
import { checkGraph, type CheckedGraph } from '../core/analysis/checked';
import type { SweepSpec } from '../protocol';

/** One run of a sweep: the graph to train and where it stands in the sweep. */
export interface SweepVariant {
  /** Its graph as checked (once: its run starts from this `CheckedGraph`). */
  checked: CheckedGraph;
  graph: GraphIR;
  value: number | string;
  seed?: number;
  /** e.g. `fc2.outFeatures = 16 · seed 2`, for the run's name. */
  label: string;
}

export class SweepError extends Error {
  readonly code = 'E_SWEEP_INVALID';
}

/** What a sweep varies, as a label: `fc2.outFeatures`, `optimizer.lr`. */
export function sweepLabel(spec: SweepSpec): string {
  return spec.over.kind === 'attr' ? `${spec.over.nodeId}.${spec.over.attr}` : spec.over.setting;
}

/** Set a dotted path (`optimizer.lr`) inside a copy of the training section. */
function withSetting(training: NonNullable<GraphIR['training']>, path: string, value: number | string): NonNullable<GraphIR['training']> {
  const [head, tail] = path.split('.') as [string, string | undefined];
  const t = structuredClone(training) as unknown as Record<string, unknown>;
  if (tail === undefined) t[head] = value;
  else t[head] = { ...(t[head] as Record<string, unknown>), [tail]: value };
  return t as unknown as NonNullable<GraphIR['training']>;
}

/**
 * Every run of a sweep, in order (each value, and for each value each seed), each graph checked
 * by the analyzer first, so a value that cannot train (a width of 0, an optimizer that does not
 * exist) is refused before anything runs.
 *
 * @throws SweepError naming the node, attribute or setting and the first value that fails, with why.
 */
export function sweepVariants(graph: GraphIR, spec: SweepSpec): SweepVariant[] {
  const over = sweepLabel(spec);
  if (spec.over.kind === 'attr') {
    const { nodeId } = spec.over;
    if (!graph.nodes.some((n) => n.id === nodeId)) throw new SweepError(`The sweep varies node "${nodeId}", which is not in the graph.`);
  }
  if (!graph.training) throw new SweepError('The graph has no training settings (dataset, loss, optimizer); add them before a sweep.');
  const out: SweepVariant[] = [];
  for (const value of spec.values) {
    for (const seed of spec.seeds ?? [undefined]) {
      let g: GraphIR;
      if (spec.over.kind === 'attr') {
        const { nodeId, attr } = spec.over;
        g = { ...graph, nodes: graph.nodes.map((n) => (n.id === nodeId ? { ...n, attrs: { ...n.attrs, [attr]: value } } : n)) };
      } else g = { ...graph, training: withSetting(graph.training, spec.over.setting, value) };
      if (seed !== undefined) g = { ...g, training: { ...g.training!, seed } };
      const r = checkGraph(g);
      if (!r.graph) {
        const first = r.diagnostics.find((d) => d.severity === 'error');
        throw new SweepError(`${over} = ${value} cannot train: ${first?.message ?? 'the graph is invalid'}`);
      }
      out.push({ checked: r.graph, graph: r.graph.ir, value, ...(seed !== undefined ? { seed } : {}), label: `${over} = ${value}${seed !== undefined ? ` · seed ${seed}` : ''}` });
    }
  }
  return out;
}
