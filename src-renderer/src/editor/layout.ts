import dagre from '@dagrejs/dagre';
import type { GraphIR } from '../../../src-engine/facade';
import type { XY } from './document';
import { UNCONNECTED } from './graph';

/** Node box and spacing of the auto-layout, in flow units (a node is about 180×70). */
export const LAYOUT_SPACING = { rank: 50, node: 40, width: 180, height: 70, rankLR: 100 } as const;

/** A box on the canvas: width and height in flow units. */
export interface Box {
  width: number;
  height: number;
}

/** The layout's node box. */
export const LAYOUT_BOX: Box = { width: LAYOUT_SPACING.width, height: LAYOUT_SPACING.height };

/**
 * Graphs up to this many nodes get dagre's layout; larger ones the iterative layered layout.
 * NOTE: dagre recurses along paths (ranking, DFS), so a chain of ~2,000 nodes overflows the stack,
 * and it costs ~0.2 s at 300 nodes; designs that large come from files, not from the canvas.
 */
export const DAGRE_MAX_NODES = 150;

/** Direction of the data flow in a layout: top to bottom, or left to right. */
export type LayoutDirection = 'TB' | 'LR';

export interface LayoutOptions {
  direction?: LayoutDirection;
  /**
   * Width / height of the view the layout will be fitted into. Given, a long layout is folded into
   * bands (rows of ranks for left-to-right, columns for top-to-bottom, like lines of text) when that
   * lets it be shown larger at fit; see `foldLayout`.
   */
  aspect?: number;
}

/**
 * Positions (top-left corners) for every node in data-flow order, top to bottom or left to right,
 * folded to the view's aspect when one is given. Up to
 * `DAGRE_MAX_NODES` nodes by dagre's layered layout (network-simplex ranking, crossing reduction,
 * Brandes–Köpf placement); beyond that, or if dagre fails, by `layeredLayout`. Never throws, and
 * safe for any node id: dagre only sees index keys, and the result has no prototype, so an id such
 * as `__proto__` or `toString` is an ordinary key.
 */
export function autoLayout(graph: GraphIR, options: LayoutOptions = {}): Record<string, XY> {
  const direction = options.direction ?? 'TB';
  let out: Record<string, XY> | undefined;
  if (graph.nodes.length <= DAGRE_MAX_NODES) {
    try {
      out = dagreLayout(graph, direction);
    } catch {
      // Fall through to the layout that cannot fail.
    }
  }
  out ??= direction === 'LR' ? transpose(layeredLayout(graph)) : layeredLayout(graph);
  return options.aspect && options.aspect > 0 ? foldLayout(out, direction, options.aspect) : out;
}

/** The layered layout turned on its side: ranks along x, each layer's nodes down y. */
function transpose(pos: Record<string, XY>): Record<string, XY> {
  const out = Object.create(null) as Record<string, XY>;
  const { width, height, rank, node, rankLR } = LAYOUT_SPACING;
  for (const [id, p] of Object.entries(pos)) out[id] = { x: Math.round((p.y / (height + rank)) * (width + rankLR)), y: Math.round((p.x / (width + node)) * (height + node)) };
  return out;
}

/** Gap between two folded bands, flow units (wider than the rank gap, so bands read as separate lines). */
const BAND_GAP = 90;

/**
 * Fold a long layout into bands so that it fills a view of the given aspect: for left to right,
 * the ranks are cut into consecutive runs laid out as rows, one under the other (top to bottom,
 * runs side by side as columns). The number of bands is the one that makes the whole largest at
 * fit (maximises min(aspect / width, 1 / height)); one band leaves the layout as it was. Ranks are
 * the distinct positions along the flow, so a rank is never split and no band's order changes.
 * `sizeOf` gives each node's box when they differ (an open group's frame); default: the node box.
 */
export function foldLayout(pos: Record<string, XY>, direction: LayoutDirection, aspect: number, sizeOf?: (id: string) => Box): Record<string, XY> {
  const ids = Object.keys(pos);
  if (ids.length < 2) return pos;
  const box = sizeOf ?? (() => LAYOUT_BOX);
  const along = (p: XY) => (direction === 'LR' ? p.x : p.y);
  const across = (p: XY) => (direction === 'LR' ? p.y : p.x);
  const alongSize = (id: string) => (direction === 'LR' ? box(id).width : box(id).height);
  const acrossSize = (id: string) => (direction === 'LR' ? box(id).height : box(id).width);
  const ranks = [...new Set(ids.map((id) => along(pos[id])))].sort((a, b) => a - b);
  // How far each rank reaches along the flow: its start plus its longest box.
  const reach = new Map<number, number>();
  for (const id of ids) reach.set(along(pos[id]), Math.max(reach.get(along(pos[id])) ?? -Infinity, along(pos[id]) + alongSize(id)));
  const minAcross = Math.min(...ids.map((id) => across(pos[id])));
  const breadth = Math.max(...ids.map((id) => across(pos[id]) + acrossSize(id))) - minAcross;
  const bands = (k: number) => {
    const per = Math.ceil(ranks.length / k);
    const starts = Array.from({ length: k }, (_, b) => ranks[Math.min(b * per, ranks.length - 1)]);
    const length = Math.max(...starts.map((start, b) => Math.max(...ranks.slice(b * per, (b + 1) * per).map((r) => reach.get(r)!)) - start));
    return { per, starts, length, extent: k * breadth + (k - 1) * BAND_GAP };
  };
  let best = 1;
  let bestScale = 0;
  for (let k = 1; k <= ranks.length; k++) {
    const b = bands(k);
    const [width, height] = direction === 'LR' ? [b.length, b.extent] : [b.extent, b.length];
    const scale = Math.min(aspect / width, 1 / height);
    if (scale > bestScale * 1.02) [best, bestScale] = [k, scale];
  }
  if (best === 1) return pos;
  const { per, starts } = bands(best);
  const bandOf = new Map(ranks.map((r, i) => [r, Math.floor(i / per)]));
  const out = Object.create(null) as Record<string, XY>;
  for (const id of ids) {
    const band = bandOf.get(along(pos[id]))!;
    const a = along(pos[id]) - starts[band];
    const c = across(pos[id]) - minAcross + band * (breadth + BAND_GAP);
    out[id] = direction === 'LR' ? { x: a, y: c } : { x: c, y: a };
  }
  return out;
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

/**
 * dagre's positions (by node index) for the shapes laid out last: direction, node count and edges
 * as index pairs are all dagre reads, and a layout costs milliseconds even for a handful of nodes (its
 * fixed cost), so a design laid out again unchanged (opened again, a saved layout missing a node,
 * Tidy after Undo) does not run it again. The most recently used `DAGRE_MEMO_SIZE` are kept.
 */
const dagreMemo = new Map<string, readonly XY[]>();
const DAGRE_MEMO_SIZE = 64;

function dagreLayout(graph: GraphIR, direction: LayoutDirection): Record<string, XY> {
  const { edges } = indexEdges(graph);
  const shape = `${direction} ${graph.nodes.length} ${edges.join(';')}`;
  const pos = dagreMemo.get(shape) ?? dagrePositions(graph.nodes.length, edges, direction);
  // Most recently used last: the first key is the one to drop.
  dagreMemo.delete(shape);
  dagreMemo.set(shape, pos);
  if (dagreMemo.size > DAGRE_MEMO_SIZE) dagreMemo.delete(dagreMemo.keys().next().value!);
  return toRecord(graph, (i) => ({ x: pos[i].x, y: pos[i].y }));
}

/** dagre's layered layout of `n` node boxes joined by `edges`: each box's top-left corner. */
function dagrePositions(n: number, edges: readonly [number, number][], direction: LayoutDirection): XY[] {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  // Left to right, the gap between ranks carries the edge's shape label (e.g. 64×32×28×28).
  g.setGraph({ rankdir: direction, ranksep: direction === 'LR' ? LAYOUT_SPACING.rankLR : LAYOUT_SPACING.rank, nodesep: LAYOUT_SPACING.node });
  g.setDefaultEdgeLabel(() => ({}));
  const key = (i: number) => `n${i}`;
  for (let i = 0; i < n; i++) g.setNode(key(i), { width: LAYOUT_SPACING.width, height: LAYOUT_SPACING.height });
  edges.forEach(([s, t], e) => g.setEdge(key(s), key(t), {}, `e${e}`));
  dagre.layout(g);
  return Array.from({ length: n }, (_, i) => {
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
  const { rank, layers } = orderedLayers(graph);
  const xs = new Float64Array(graph.nodes.length);
  for (const layer of layers) layer.forEach((v, pos) => (xs[v] = (pos - (layer.length - 1) / 2) * (LAYOUT_SPACING.width + LAYOUT_SPACING.node)));
  return toRecord(graph, (i) => ({ x: Math.round(xs[i]), y: rank[i] * (LAYOUT_SPACING.height + LAYOUT_SPACING.rank) }));
}

/**
 * `layeredLayout` for boxes of different sizes (the levels of a layout with groups, where a box
 * may be an open group's frame), in either direction: each layer starts where the previous
 * layer's longest box ends plus the rank gap, and its boxes are centred across the flow. Linear in
 * nodes and edges, like `layeredLayout` (dagre costs about 17 ms even for a chain of seven).
 */
export function sizedLayeredLayout(graph: GraphIR, sizeOf: (id: string) => Box, direction: LayoutDirection = 'TB'): Record<string, XY> {
  const { layers } = orderedLayers(graph);
  const lr = direction === 'LR';
  const box = graph.nodes.map((n) => sizeOf(n.id));
  const along = (v: number) => (lr ? box[v].width : box[v].height);
  const across = (v: number) => (lr ? box[v].height : box[v].width);
  const gapAlong = lr ? LAYOUT_SPACING.rankLR : LAYOUT_SPACING.rank;
  const pos: XY[] = new Array<XY>(graph.nodes.length);
  let a = 0;
  for (const layer of layers) {
    if (layer.length === 0) continue;
    let c = -(layer.reduce((sum, v) => sum + across(v), 0) + (layer.length - 1) * LAYOUT_SPACING.node) / 2;
    for (const v of layer) {
      pos[v] = lr ? { x: a, y: Math.round(c) } : { x: Math.round(c), y: a };
      c += across(v) + LAYOUT_SPACING.node;
    }
    a += Math.max(...layer.map(along)) + gapAlong;
  }
  return toRecord(graph, (i) => pos[i]);
}

/**
 * The layers of the layered layout, each in its drawing order: a node's layer is its longest path
 * from a source (Kahn's order; nodes on a cycle go below the rest), and within a layer nodes are
 * ordered by the mean position of their inputs.
 */
function orderedLayers(graph: GraphIR): { rank: Int32Array; layers: number[][] } {
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
  const byRank: number[][] = Array.from({ length: maxRank + 1 }, () => []);
  for (let i = 0; i < n; i++) byRank[rank[i]].push(i);
  const slot = new Float64Array(n);
  const layers = byRank.map((layer) => {
    const key = layer.map((v) => {
      const from = ins[v].filter((s) => rank[s] < rank[v]);
      return from.length ? from.reduce((sum, s) => sum + slot[s], 0) / from.length : v;
    });
    const order = layer.map((_, k) => k).sort((a, b) => key[a] - key[b] || layer[a] - layer[b]);
    const ordered = order.map((k) => layer[k]);
    ordered.forEach((v, pos) => (slot[v] = pos));
    return ordered;
  });
  return { rank, layers };
}
