import dagre from '@dagrejs/dagre';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import type { XY } from './document';
import { UNCONNECTED } from './graph';

/** Node box and spacing of the auto-layout, in flow units (a node is about 180×70). */
export const LAYOUT_SPACING = { rank: 50, node: 40, width: 180, height: 70 } as const;

/**
 * Positions (top-left corners) for every node, top to bottom in data-flow order, by dagre's
 * layered layout (network-simplex ranking, crossing reduction, Brandes–Köpf placement).
 */
export function autoLayout(graph: GraphIR): Record<string, XY> {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', ranksep: LAYOUT_SPACING.rank, nodesep: LAYOUT_SPACING.node });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.id, { width: LAYOUT_SPACING.width, height: LAYOUT_SPACING.height });
  for (const n of graph.nodes) {
    n.inputs.forEach((src, i) => {
      if (src !== UNCONNECTED && g.hasNode(src)) g.setEdge(src, n.id, {}, `${n.id}:${i}`);
    });
  }
  dagre.layout(g);
  const out: Record<string, XY> = {};
  for (const n of graph.nodes) {
    const p = g.node(n.id);
    out[n.id] = { x: Math.round(p.x - LAYOUT_SPACING.width / 2), y: Math.round(p.y - LAYOUT_SPACING.height / 2) };
  }
  return out;
}
