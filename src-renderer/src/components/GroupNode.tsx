import { Handle, Position, type NodeProps } from '@xyflow/react';
import { canvasAspect } from './canvas-view';
import { memo, type CSSProperties } from 'react';
import { formatShape, type GraphIR } from '../../../src-engine/facade';
import { groupTree, type NodeGroup } from '../editor/groups';
import type { GroupFlowNode, GroupFrameNode } from '../editor/flow';
import { OUTPUT_HANDLE, inputHandle } from '../editor/flow';
import { formatCount } from './format';
import { ZoomedOutLabel } from './OpNode';
import { useEditor, useWindow } from '../state/window';

const shapeText = (shape: readonly number[] | undefined) => (shape ? formatShape(shape) : '?');

/** Several shapes as one short text: the first, and how many more. */
function shapesText(ids: readonly string[], shapes: Readonly<Record<string, number[]>>): string {
  if (ids.length === 0) return '';
  return `${shapeText(shapes[ids[0]])}${ids.length > 1 ? ` +${ids.length - 1}` : ''}`;
}

const opsByGraph = new WeakMap<GraphIR['nodes'], Map<string, string>>();
/** Each node's op, by id (one map per version of the graph's nodes). */
function opsOf(graph: GraphIR): Map<string, string> {
  let m = opsByGraph.get(graph.nodes);
  if (!m) {
    m = new Map(graph.nodes.map((n) => [n.id, n.op]));
    opsByGraph.set(graph.nodes, m);
  }
  return m;
}

/**
 * What a group holds, in a line: its sub-groups counted by kind (`denselayer1` … `denselayer6`
 * read `6 × denselayer`), then its own nodes' ops, in order.
 */
export function groupSummary(graph: GraphIR, group: NodeGroup): string {
  const tree = groupTree(graph);
  const kinds = new Map<string, number>();
  for (const c of tree.children.get(group.id) ?? []) {
    const kind = c.name.replace(/[_-]?\d+$/, '') || c.name;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const ops = opsOf(graph);
  const own = group.nodes.filter((m) => tree.innermost.get(m) === group.id).map((m) => ops.get(m) ?? '?');
  return [...[...kinds].map(([k, n]) => (n > 1 ? `${n} × ${k}` : k)), ...own].join(' · ');
}

/**
 * A hue for a group's structure (its summary and size): blocks built alike — every dense layer,
 * every transition — share a colour, so repeated blocks read as such at a glance.
 */
function structureHue(summary: string, size: number): number {
  let h = size;
  for (let i = 0; i < summary.length; i++) h = (h * 31 + summary.charCodeAt(i)) | 0;
  return Math.abs(h) % 360;
}

/**
 * A folded group: one card with the group's name, how many nodes it holds, what it is made of
 * (`6 × denselayer · Concat`), the shape that goes in and the shape that comes out, and its
 * parameter count. Double-click or ▸ opens it. Its handles are where the edges into and out of the
 * group end; they take no new connections (open the group to rewire it).
 */
function GroupNodeView({ data, selected }: NodeProps<GroupFlowNode>) {
  const w = useWindow();
  const { group, ports } = data;
  const lr = useEditor((s) => s.ui.layoutDirection === 'LR');
  const summary = useEditor((s) => groupSummary(s.history.present.graph, group));
  const inShape = useEditor((s) => shapesText(ports.sources, s.analysis.shapes));
  const outShape = useEditor((s) => shapesText(ports.exits.length ? ports.exits : group.nodes.slice(-1), s.analysis.shapes));
  const params = useEditor((s) => group.nodes.reduce((sum, m) => sum + (s.analysis.nodeParams[m] ?? 0), 0));
  const problems = useEditor((s) => group.nodes.reduce((sum, m) => sum + (s.analysis.byNode[m]?.length ?? 0), 0));
  const open = () => w.editor.getState().setGroupOpen(group.id, true, canvasAspect());
  const handles = (
    <>
      <Handle type="target" position={lr ? Position.Left : Position.Top} id={inputHandle(0)} className="op-handle op-handle--in" isConnectable={false} />
      <Handle type="source" position={lr ? Position.Right : Position.Bottom} id={OUTPUT_HANDLE} className="op-handle op-handle--out" isConnectable={false} />
    </>
  );
  const className = `op-node group-node${selected ? ' op-node--selected' : ''}${problems ? ' op-node--warning' : ''}`;
  const count = `${group.nodes.length} nodes`;
  return (
    <div
      className={className}
      style={{ '--block-hue': structureHue(summary, group.nodes.length) } as CSSProperties}
      data-testid={`group-${group.id}`}
      data-members={group.nodes.join(' ')}
      data-shape={outShape}
      title={`${group.name} (${count}${params ? `, ${formatCount(params)} parameters` : ''}): ${summary}`}
      onDoubleClick={open}
    >
      {handles}
      <div className="op-node__head">
        <button type="button" className="group-node__toggle nodrag" data-testid={`group-open-${group.id}`} onClick={open} title="Open the group (double-click)">
          ▸
        </button>
        <span className="op-node__op group-node__name">{group.name}</span>
        <span className="op-node__id" data-testid={`group-count-${group.id}`}>
          {count}
        </span>
      </div>
      <div className="op-node__summary group-node__ops" data-testid={`group-ops-${group.id}`}>
        {summary}
      </div>
      <div className="op-node__badges">
        <span className="badge badge--shape" data-testid={`group-shapes-${group.id}`}>
          {inShape ? `${inShape} → ` : ''}
          {outShape}
        </span>
        {params ? <span className="badge">{formatCount(params)}</span> : null}
        {problems ? <span className="badge badge--warning">? {problems}</span> : null}
      </div>
      <ZoomedOutLabel name={group.name} detail={count} />
    </div>
  );
}

/** The frame behind an open group's members: its name and a button that closes it again. */
function GroupFrameView({ data }: NodeProps<GroupFrameNode>) {
  const w = useWindow();
  const { group } = data;
  return (
    <div className="group-frame" data-testid={`group-frame-${group.id}`}>
      <div className="group-frame__title">
        <button type="button" className="group-node__toggle nodrag" data-testid={`group-close-${group.id}`} onClick={() => w.editor.getState().setGroupOpen(group.id, false)} title="Close the group: show it as one card">
          ▾
        </button>
        <span>{group.name}</span>
        <span className="group-frame__count">{group.nodes.length} nodes</span>
      </div>
    </div>
  );
}

export const GroupNode = memo(GroupNodeView);
export const GroupFrame = memo(GroupFrameView);
