import dagre from '@dagrejs/dagre';
import type { GraphIR } from '../../../src-engine/base/ir/types';
import type { XY } from './document';
import { UNCONNECTED } from './graph';

/** Node box and spacing of the auto-layout, in flow units (a node is about 180×70). */
export const LAYOUT_SPACING = { rank: 50, node: 40, width: 180, height: 70 } as const;

/**
 * Graphs up to this many nodes get dagre's layout; larger ones the iterative layered layout.
 * NOTE: dagre recurses along paths (ranking, DFS), so a chain of ~2,000 nodes overflows the stack,
 * and it costs ~0.2 s at 300 nodes; designs that large come from files, not from the canvas.
 */
export const DAGRE_MAX_NODES = 150;

/**
 * Positions (top-left corners) for every node, top to bottom in data-flow order. Up to
 * `DAGRE_MAX_NODES` nodes by dagre's layered layout (network-simplex ranking, crossing reduction,
 * Brandes–Köpf placement); beyond that, or if dagre fails, by `layeredLayout`. Never throws, and
 * safe for any node id: dagre only sees index keys, and the result has no prototype, so an id such
 * as `__proto__` or `toString` is an ordinary key.
 */
export function autoLayout(graph: GraphIR): Record<string, XY> {
  if (graph.nodes.length <= DAGRE_MAX_NODES) {
    try {
      return dagreLayout(graph);
    } catch {
      // Fall through to the layout that cannot fail.
    }
  }
  return layeredLayout(graph);
}

/** Edges as index pairs (source → consumer), skipping unconnected slots and unknown sources. */
function indexEdges(graph: GraphIR): { index: Map<string, number>; edges: [number, number][] } {
  const index = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    if (!index.has(n.id)) index.set(n.id, i);
  });
  const edges: [number, number][] = [];
  graph.nodes.forEach((n, i) => {
    for (const src of n.inputs) {
      const s = src === UNCONNECTED ? undefined : index.get(src);
      if (s !== undefined) edges.push([s, i]);
    }
  });
  return { index, edges };
}

function toRecord(graph: GraphIR, place: (i: number) => XY): Record<string, XY> {
  const out = Object.create(null) as Record<string, XY>;
  graph.nodes.forEach((n, i) => {
    if (!Object.hasOwn(out, n.id)) out[n.id] = place(i);
  });
  return out;
}

function dagreLayout(graph: GraphIR): Record<string, XY> {
  const { edges } = indexEdges(graph);
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', ranksep: LAYOUT_SPACING.rank, nodesep: LAYOUT_SPACING.node });
  g.setDefaultEdgeLabel(() => ({}));
  const key = (i: number) => `n${i}`;
  graph.nodes.forEach((_, i) => g.setNode(key(i), { width: LAYOUT_SPACING.width, height: LAYOUT_SPACING.height }));
  edges.forEach(([s, t], e) => g.setEdge(key(s), key(t), {}, `e${e}`));
  dagre.layout(g);
  return toRecord(graph, (i) => {
    const p = g.node(key(i)) as { x: number; y: number };
    return { x: Math.round(p.x - LAYOUT_SPACING.width / 2), y: Math.round(p.y - LAYOUT_SPACING.height / 2) };
  });
}

/**
 * A layered layout without recursion, linear in nodes and edges plus a sort per layer: each node's
 * layer is its longest path from a source (Kahn's order; nodes on a cycle, which a damaged file
 * may hold, go below the rest), and within a layer nodes are ordered by the mean position of
 * their inputs, then centred.
 */
export function layeredLayout(graph: GraphIR): Record<string, XY> {
  const n = graph.nodes.length;
  const { edges } = indexEdges(graph);
  const outs: number[][] = Array.from({ length: n }, () => []);
  const ins: number[][] = Array.from({ length: n }, () => []);
  const indegree = new Int32Array(n);
  for (const [s, t] of edges) {
    outs[s].push(t);
    ins[t].push(s);
    indegree[t]++;
  }
  const rank = new Int32Array(n);
  const placed = new Uint8Array(n);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) queue.push(i);
  let maxRank = 0;
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q];
    placed[v] = 1;
    maxRank = Math.max(maxRank, rank[v]);
    for (const t of outs[v]) {
      rank[t] = Math.max(rank[t], rank[v] + 1);
      if (--indegree[t] === 0) queue.push(t);
    }
  }
  for (let i = 0; i < n; i++) if (!placed[i]) rank[i] = ++maxRank;
  const layers: number[][] = Array.from({ length: maxRank + 1 }, () => []);
  for (let i = 0; i < n; i++) layers[rank[i]].push(i);
  const slot = new Float64Array(n);
  const xs = new Float64Array(n);
  for (const layer of layers) {
    const key = layer.map((v) => {
      const from = ins[v].filter((s) => rank[s] < rank[v]);
      return from.length ? from.reduce((sum, s) => sum + slot[s], 0) / from.length : v;
    });
    const order = layer.map((_, k) => k).sort((a, b) => key[a] - key[b] || layer[a] - layer[b]);
    order.forEach((k, pos) => {
      const v = layer[k];
      slot[v] = pos;
      xs[v] = (pos - (layer.length - 1) / 2) * (LAYOUT_SPACING.width + LAYOUT_SPACING.node);
    });
  }
  return toRecord(graph, (i) => ({ x: Math.round(xs[i]), y: rank[i] * (LAYOUT_SPACING.height + LAYOUT_SPACING.rank) }));
}
