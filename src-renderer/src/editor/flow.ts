import type { Edge, Node } from '@xyflow/react';
import type { GraphIR, NodeIR } from '../../../src-engine/facade';
import type { EditorDoc, XY } from './document';
import { UNCONNECTED, type EdgeRef } from './graph';
import { CARD_BOX, FRAME_PAD } from './group-layout';
import { LAYOUT_BOX } from './layout';
import { drawnAs, groupAnchorNode, groupChain, groupFlowId, groupPorts, groupShown, groupTree, openSet, type GroupPorts, type NodeGroup } from './groups';

/** Data carried by a canvas node: the IR node itself (the canvas renders, it does not copy). */
export type OpNodeData = { ir: NodeIR };
export type OpFlowNode = Node<OpNodeData, 'op'>;
/** A collapsed group's card: the group and where it meets the graph (its members are not drawn). */
export type GroupFlowNode = Node<{ group: NodeGroup; ports: GroupPorts; depth: number }, 'op-group'>;
/** The frame drawn behind an open group's members, with the group's name and a button to close it. */
export type GroupFrameNode = Node<{ group: NodeGroup }, 'group-frame'>;
export type CanvasNode = OpFlowNode | GroupFlowNode | GroupFrameNode;
/**
 * `from`: the node whose output the edge carries, when the drawn source is a collapsed group's
 * card (the edge's id still names the real edge, so selecting and deleting it work the same).
 */
export type ShapeFlowEdge = Edge<{ from?: string }, 'shape'>;

export const OUTPUT_HANDLE = 'out';
export const inputHandle = (slot: number): string => `in-${slot}`;
export function slotOfHandle(handle: string | null | undefined): number | undefined {
  const m = /^in-(\d+)$/.exec(handle ?? '');
  return m ? Number(m[1]) : undefined;
}

export const edgeId = (e: EdgeRef): string => `${e.source}->${e.target}:${e.slot}`;

/** The edge an `edgeId` names, or undefined for any other text. */
export function edgeOfId(id: string): EdgeRef | undefined {
  const m = /^(.*)->(.*):(\d+)$/.exec(id);
  return m ? { source: m[1], target: m[2], slot: Number(m[3]) } : undefined;
}

export function edgeRefOf(edge: { source: string; target: string; targetHandle?: string | null }): EdgeRef | undefined {
  const slot = slotOfHandle(edge.targetHandle);
  return slot === undefined ? undefined : { source: edge.source, target: edge.target, slot };
}

/**
 * Reuses flow objects across renders: a canvas node is rebuilt only when its IR node, position or
 * selection changed, so React Flow re-renders only what an edit touched (dragging one node of
 * 1,000 re-renders one).
 */
export class FlowCache {
  private nodes = new Map<string, { ir: NodeIR; pos: XY; selected: boolean; measured?: Measured; node: OpFlowNode }>();
  private edges = new Map<string, { selected: boolean; ends: string; edge: ShapeFlowEdge }>();
  private groups = new Map<string, { key: unknown[]; node: GroupFlowNode | GroupFrameNode }>();

  node(ir: NodeIR, pos: XY, selected: boolean, measured?: Measured): OpFlowNode {
    const hit = this.nodes.get(ir.id);
    if (hit && hit.ir === ir && hit.pos === pos && hit.selected === selected && hit.measured === measured) return hit.node;
    const node: OpFlowNode = { id: ir.id, type: 'op', position: pos, data: { ir }, selected, ...(measured ? { measured } : {}) };
    this.nodes.set(ir.id, { ir, pos, selected, measured, node });
    return node;
  }

  /** An edge, drawn from `source` to `target` (the real ends, or a collapsed group's card). */
  edge(ref: EdgeRef, selected: boolean, source = ref.source, target = ref.target): ShapeFlowEdge {
    const id = edgeId(ref);
    const ends = `${source}\u0000${target}`;
    const hit = this.edges.get(id);
    if (hit && hit.selected === selected && hit.ends === ends) return hit.edge;
    const edge: ShapeFlowEdge = {
      id,
      type: 'shape',
      source,
      sourceHandle: OUTPUT_HANDLE,
      target,
      targetHandle: target === ref.target ? inputHandle(ref.slot) : inputHandle(0),
      selected,
      ...(source !== ref.source ? { data: { from: ref.source } } : {}),
    };
    this.edges.set(id, { selected, ends, edge });
    return edge;
  }

  /** A group's card or frame, rebuilt only when one of `key`'s entries changed. */
  group<N extends GroupFlowNode | GroupFrameNode>(id: string, key: unknown[], make: () => N): N {
    const hit = this.groups.get(id);
    if (hit && hit.key.length === key.length && hit.key.every((k, i) => k === key[i])) return hit.node as N;
    const node = make();
    this.groups.set(id, { key, node });
    return node;
  }

  /** Forget entries for ids no longer present (keeps the cache the size of the graph). */
  prune(nodeIds: ReadonlySet<string>, edgeIds: ReadonlySet<string>): void {
    for (const id of this.nodes.keys()) if (!nodeIds.has(id)) this.nodes.delete(id);
    for (const id of this.edges.keys()) if (!edgeIds.has(id)) this.edges.delete(id);
    for (const id of this.groups.keys()) if (!nodeIds.has(id)) this.groups.delete(id);
  }
}

const ORIGIN: XY = { x: 0, y: 0 };

/** A node's rendered size as React Flow measured it (kept outside the document: it is not design). */
export type Measured = { width: number; height: number };

/** The layout's node box (what a node not yet measured is taken to be). */
const BOX: Measured = LAYOUT_BOX;
/** A folded group's card not yet measured. */
const CARD: Measured = CARD_BOX;

/** Where a folded group's card sits: at its first node (the layout puts that node where the card goes). */
export function groupAnchor(doc: EditorDoc, group: NodeGroup): XY {
  return doc.layout[groupAnchorNode(group)] ?? ORIGIN;
}

const portsCache = new WeakMap<NodeGroup, { nodes: readonly NodeIR[]; ports: GroupPorts }>();
/** A group's ports, computed again only when the graph's nodes or the group changed. */
function portsOf(graph: GraphIR, group: NodeGroup): GroupPorts {
  const hit = portsCache.get(group);
  if (hit && hit.nodes === graph.nodes) return hit.ports;
  const ports = groupPorts(graph, group.nodes);
  portsCache.set(group, { nodes: graph.nodes, ports });
  return ports;
}

/**
 * The document as React Flow nodes and edges: one node per IR node (in IR order), one edge per
 * connected input slot. A folded group (`graph.groups`, not in `doc.open`) is one card instead of
 * its members: edges inside it are not drawn, edges into or out of it end on the card. An open
 * group adds a frame behind its members, around its sub-groups' frames and cards; groups inside a
 * folded one are not drawn. Without groups, `fromFlow` inverts it exactly.
 */
export function toFlow(
  doc: EditorDoc,
  selected: ReadonlySet<string> = new Set(),
  cache = new FlowCache(),
  measured: ReadonlyMap<string, Measured> = new Map(),
): { nodes: CanvasNode[]; edges: ShapeFlowEdge[] } {
  const open = openSet(doc);
  const hidden = drawnAs(doc.graph, open);
  const nodes: CanvasNode[] = [];
  const groups = doc.graph.groups ?? [];
  if (groups.length) {
    const tree = groupTree(doc.graph);
    const shown = groups.filter((g) => groupShown(tree, g.id, open));
    // Frames' boxes, innermost first: a frame holds its own nodes, its folded sub-groups' cards and its open sub-groups' frames.
    const frames = new Map<string, [number, number, number, number]>();
    const boxOf = (g: NodeGroup): [number, number, number, number] => {
      const hit = frames.get(g.id);
      if (hit) return hit;
      let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
      const add = (p: XY, size: Measured) => ([x0, y0, x1, y1] = [Math.min(x0, p.x), Math.min(y0, p.y), Math.max(x1, p.x + size.width), Math.max(y1, p.y + size.height)]);
      for (const m of g.nodes) if (tree.innermost.get(m) === g.id) add(doc.layout[m] ?? ORIGIN, measured.get(m) ?? BOX);
      for (const c of tree.children.get(g.id) ?? []) {
        if (open.has(c.id)) {
          const [a, b, w, h] = boxOf(c);
          add({ x: a, y: b }, { width: w, height: h });
        } else add(groupAnchor(doc, c), measured.get(groupFlowId(c.id)) ?? CARD);
      }
      const box: [number, number, number, number] = [x0 - FRAME_PAD.side, y0 - FRAME_PAD.top, x1 - x0 + 2 * FRAME_PAD.side, y1 - y0 + FRAME_PAD.top + FRAME_PAD.side];
      frames.set(g.id, box);
      return box;
    };
    // Frames first, outer before inner: React Flow draws nodes in array order, so each sits behind
    // what it holds. They are in the nodes' layer, above the edges (an edge crossing a frame's
    // title must not take the clicks of its ▾); a frame lets pointer events through elsewhere.
    for (const g of [...shown].filter((x) => open.has(x.id)).sort((a, b) => tree.depth.get(a.id)! - tree.depth.get(b.id)!)) {
      const id = groupFlowId(g.id);
      const [x, y, width, height] = boxOf(g);
      nodes.push(cache.group(id, [g, x, y, width, height], () => ({ id, type: 'group-frame', position: { x, y }, width, height, data: { group: g }, selectable: false, draggable: false, connectable: false })));
    }
    for (const g of shown) {
      if (open.has(g.id)) continue;
      const id = groupFlowId(g.id);
      const ports = portsOf(doc.graph, g);
      const position = groupAnchor(doc, g);
      const isSelected = selected.has(id);
      const size = measured.get(id);
      const depth = tree.depth.get(g.id)!;
      nodes.push(cache.group(id, [g, position, isSelected, size, ports, depth], () => ({ id, type: 'op-group', position, data: { group: g, ports, depth }, selected: isSelected, connectable: false, ...(size ? { measured: size } : {}) })));
    }
  }
  for (const n of doc.graph.nodes) if (!hidden.has(n.id)) nodes.push(cache.node(n, doc.layout[n.id] ?? ORIGIN, selected.has(n.id), measured.get(n.id)));
  const edges: ShapeFlowEdge[] = [];
  for (const n of doc.graph.nodes) {
    n.inputs.forEach((source, slot) => {
      if (source === UNCONNECTED) return;
      const ref = { source, target: n.id, slot };
      const from = hidden.get(source);
      const to = hidden.get(n.id);
      if (from !== undefined && from === to) return;
      edges.push(cache.edge(ref, selected.has(edgeId(ref)), from === undefined ? source : groupFlowId(from), to === undefined ? n.id : groupFlowId(to)));
    });
  }
  cache.prune(new Set(nodes.map((n) => n.id)), new Set(edges.map((e) => e.id)));
  return { nodes, edges };
}

/**
 * Rebuild the document from canvas nodes and edges (the IR's graph-level fields — format,
 * version, name, outputs, training — come from `meta`). Each node's inputs are rebuilt from the
 * edges into its slots; slots without an edge stay unconnected.
 */
export function fromFlow(all: readonly CanvasNode[], edges: readonly Pick<Edge, 'source' | 'target' | 'targetHandle'>[], meta: Omit<GraphIR, 'nodes'>): EditorDoc {
  const nodes = all.filter((n): n is OpFlowNode => n.type === 'op');
  const inputs = new Map<string, string[]>();
  for (const n of nodes) inputs.set(n.id, n.data.ir.inputs.map(() => UNCONNECTED));
  for (const e of edges) {
    const slot = slotOfHandle(e.targetHandle);
    const list = inputs.get(e.target);
    if (slot === undefined || !list) continue;
    while (list.length <= slot) list.push(UNCONNECTED);
    list[slot] = e.source;
  }
  const layout: Record<string, XY> = {};
  const irNodes: NodeIR[] = nodes.map((n) => {
    layout[n.id] = { x: n.position.x, y: n.position.y };
    return { id: n.id, op: n.data.ir.op, attrs: n.data.ir.attrs, inputs: inputs.get(n.id)! };
  });
  return { graph: { ...meta, nodes: irNodes }, layout };
}

/** The graph-level fields of a document (everything but nodes). */
export function graphMeta(graph: GraphIR): Omit<GraphIR, 'nodes'> {
  const { nodes: _nodes, ...meta } = graph;
  return meta;
}

/**
 * Whether an open group's frame, or the frame of a group around it (grown with it), as `toFlow`
 * draws them, overlaps a card, node or frame outside that group (after opening a group laid out
 * folded: then the design needs laying out again).
 */
export function frameCoversOthers(doc: EditorDoc, groupId: string): boolean {
  const { nodes } = toFlow(doc);
  const tree = groupTree(doc.graph);
  const chain = groupChain(tree, groupId);
  return chain.some((group, depth) => {
    const frame = nodes.find((n): n is GroupFrameNode => n.id === groupFlowId(group.id) && n.type === 'group-frame');
    if (!frame) return false;
    const inside = new Set(group.nodes);
    const around = new Set(chain.slice(0, depth + 1).map((g) => groupFlowId(g.id)));
    const [fx, fy, fw, fh] = [frame.position.x, frame.position.y, frame.width!, frame.height!];
    return nodes.some((n) => {
      if (around.has(n.id)) return false;
      if (n.type === 'op') {
        if (inside.has(n.id)) return false;
      } else if (n.data.group.nodes.every((m) => inside.has(m))) return false;
      const size = n.type === 'group-frame' ? { width: n.width!, height: n.height! } : n.type === 'op-group' ? CARD : BOX;
      return n.position.x < fx + fw && fx < n.position.x + size.width && n.position.y < fy + fh && fy < n.position.y + size.height;
    });
  });
}
