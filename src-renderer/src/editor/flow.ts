import type { Edge, Node } from '@xyflow/react';
import type { GraphIR, NodeIR } from '../../../src-engine/base/ir/types';
import type { EditorDoc, XY } from './document';
import { UNCONNECTED, type EdgeRef } from './graph';

/** Data carried by a canvas node: the IR node itself (the canvas renders, it does not copy). */
export type OpNodeData = { ir: NodeIR };
export type OpFlowNode = Node<OpNodeData, 'op'>;
export type ShapeFlowEdge = Edge<Record<string, never>, 'shape'>;

export const OUTPUT_HANDLE = 'out';
export const inputHandle = (slot: number): string => `in-${slot}`;
export function slotOfHandle(handle: string | null | undefined): number | undefined {
  const m = /^in-(\d+)$/.exec(handle ?? '');
  return m ? Number(m[1]) : undefined;
}

export const edgeId = (e: EdgeRef): string => `${e.source}->${e.target}:${e.slot}`;

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
  private edges = new Map<string, { selected: boolean; edge: ShapeFlowEdge }>();

  node(ir: NodeIR, pos: XY, selected: boolean, measured?: Measured): OpFlowNode {
    const hit = this.nodes.get(ir.id);
    if (hit && hit.ir === ir && hit.pos === pos && hit.selected === selected && hit.measured === measured) return hit.node;
    const node: OpFlowNode = { id: ir.id, type: 'op', position: pos, data: { ir }, selected, ...(measured ? { measured } : {}) };
    this.nodes.set(ir.id, { ir, pos, selected, measured, node });
    return node;
  }

  edge(ref: EdgeRef, selected: boolean): ShapeFlowEdge {
    const id = edgeId(ref);
    const hit = this.edges.get(id);
    if (hit && hit.selected === selected) return hit.edge;
    const edge: ShapeFlowEdge = { id, type: 'shape', source: ref.source, sourceHandle: OUTPUT_HANDLE, target: ref.target, targetHandle: inputHandle(ref.slot), selected };
    this.edges.set(id, { selected, edge });
    return edge;
  }

  /** Forget entries for ids no longer present (keeps the cache the size of the graph). */
  prune(nodeIds: ReadonlySet<string>, edgeIds: ReadonlySet<string>): void {
    for (const id of this.nodes.keys()) if (!nodeIds.has(id)) this.nodes.delete(id);
    for (const id of this.edges.keys()) if (!edgeIds.has(id)) this.edges.delete(id);
  }
}

const ORIGIN: XY = { x: 0, y: 0 };

/** A node's rendered size as React Flow measured it (kept outside the document: it is not design). */
export type Measured = { width: number; height: number };

/**
 * The document as React Flow nodes and edges: one node per IR node (in IR order), one edge per
 * connected input slot. `fromFlow` inverts it exactly.
 */
export function toFlow(
  doc: EditorDoc,
  selected: ReadonlySet<string> = new Set(),
  cache = new FlowCache(),
  measured: ReadonlyMap<string, Measured> = new Map(),
): { nodes: OpFlowNode[]; edges: ShapeFlowEdge[] } {
  const nodes = doc.graph.nodes.map((n) => cache.node(n, doc.layout[n.id] ?? ORIGIN, selected.has(n.id), measured.get(n.id)));
  const edges: ShapeFlowEdge[] = [];
  for (const n of doc.graph.nodes) {
    n.inputs.forEach((source, slot) => {
      if (source === UNCONNECTED) return;
      const ref = { source, target: n.id, slot };
      edges.push(cache.edge(ref, selected.has(edgeId(ref))));
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
export function fromFlow(nodes: readonly OpFlowNode[], edges: readonly Pick<Edge, 'source' | 'target' | 'targetHandle'>[], meta: Omit<GraphIR, 'nodes'>): EditorDoc {
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
