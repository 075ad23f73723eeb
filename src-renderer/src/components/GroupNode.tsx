import { Handle, Position, type NodeProps } from '@xyflow/react';
import { canvasAspect } from './canvas-view';
import { memo } from 'react';
import { formatShape } from '../../../src-engine/facade';
import type { GroupFlowNode, GroupFrameNode } from '../editor/flow';
import { OUTPUT_HANDLE, inputHandle } from '../editor/flow';
import { UNCONNECTED } from '../editor/graph';
import { useEditor } from '../state/editor-store';
import { formatCount } from './format';
import { ZoomedOutLabel } from './OpNode';

const shapeText = (shape: readonly number[] | undefined) => (shape ? formatShape(shape) : '?');

/**
 * A collapsed group: one card with the group's name, its ops in order, the shape that goes in and
 * the shape that comes out, and its parameter count. Double-click or ▸ opens it. Its handles are
 * where the edges into and out of the group end; they take no new connections (open the group to
 * rewire it).
 */
function GroupNodeView({ data, selected }: NodeProps<GroupFlowNode>) {
  const { group, ports } = data;
  const lr = useEditor((s) => s.ui.layoutDirection === 'LR');
  const ops = useEditor((s) => group.members.map((m) => s.history.present.graph.nodes.find((n) => n.id === m)?.op ?? '?').join(' · '));
  // The shape going in: what the entry reads from outside the group.
  const inShape = useEditor((s) => {
    const entry = ports.entry ? s.history.present.graph.nodes.find((n) => n.id === ports.entry) : undefined;
    const source = entry?.inputs.find((x) => x !== UNCONNECTED && !group.members.includes(x));
    return source ? shapeText(s.analysis.shapes[source]) : '';
  });
  const outShape = useEditor((s) => shapeText(s.analysis.shapes[ports.exit ?? group.members[group.members.length - 1]]));
  const params = useEditor((s) => group.members.reduce((sum, m) => sum + (s.analysis.nodeParams[m] ?? 0), 0));
  const problems = useEditor((s) => group.members.reduce((sum, m) => sum + (s.analysis.byNode[m]?.length ?? 0), 0));
  const open = () => useEditor.getState().setGroupOpen(group.id, true, canvasAspect());
  const handles = (
    <>
      <Handle type="target" position={lr ? Position.Left : Position.Top} id={inputHandle(0)} className="op-handle op-handle--in" isConnectable={false} />
      <Handle type="source" position={lr ? Position.Right : Position.Bottom} id={OUTPUT_HANDLE} className="op-handle op-handle--out" isConnectable={false} />
    </>
  );
  const className = `op-node group-node${selected ? ' op-node--selected' : ''}${problems ? ' op-node--warning' : ''}`;
  return (
    <div className={className} data-testid={`group-${group.id}`} data-members={group.members.join(' ')} data-shape={outShape} title={`${group.id}: ${ops}`} onDoubleClick={open}>
      {handles}
      <div className="op-node__head">
        <button type="button" className="group-node__toggle nodrag" data-testid={`group-open-${group.id}`} onClick={open} title="Open the group (double-click)">
          ▸
        </button>
        <span className="op-node__op">{group.id}</span>
        <span className="op-node__id">{params ? `${formatCount(params)} params` : `${group.members.length} ops`}</span>
      </div>
      <div className="op-node__summary group-node__ops" data-testid={`group-ops-${group.id}`}>
        {ops}
      </div>
      <div className="op-node__badges">
        <span className="badge badge--shape" data-testid={`group-shapes-${group.id}`}>
          {inShape ? `${inShape} → ` : ''}
          {outShape}
        </span>
        {problems ? <span className="badge badge--warning">? {problems}</span> : null}
      </div>
      <ZoomedOutLabel name={`▸ ${group.id}`} detail={outShape} />
    </div>
  );
}

/** The frame behind an open group's members: its name and a button that closes it again. */
function GroupFrameView({ data }: NodeProps<GroupFrameNode>) {
  const { group } = data;
  return (
    <div className="group-frame" data-testid={`group-frame-${group.id}`}>
      <div className="group-frame__title">
        <button type="button" className="group-node__toggle nodrag" data-testid={`group-close-${group.id}`} onClick={() => useEditor.getState().setGroupOpen(group.id, false)} title="Close the group: show it as one card">
          ▾
        </button>
        <span>{group.id}</span>
      </div>
    </div>
  );
}

export const GroupNode = memo(GroupNodeView);
export const GroupFrame = memo(GroupFrameView);
