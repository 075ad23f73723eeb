import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import { formatShape } from '../../../src-engine/tensor';
import type { ShapeFlowEdge } from '../editor/flow';
import { useEditor } from '../editor/store';

/** An edge labelled with the shape it carries (its source's output shape, e.g. `64×128`). */
function ShapeEdgeView({ id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, selected, markerEnd }: EdgeProps<ShapeFlowEdge>) {
  const shape = useEditor((s) => (s.analysis.shapes[source] ? formatShape(s.analysis.shapes[source]) : ''));
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const slot = id.slice(id.lastIndexOf(':') + 1);
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} className={selected ? 'shape-edge shape-edge--selected' : 'shape-edge'} />
      {shape ? (
        <EdgeLabelRenderer>
          <div
            className="edge-label nodrag nopan"
            data-testid={`edge-label-${source}-${target}-${slot}`}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
          >
            {shape}
          </div>
        </EdgeLabelRenderer>
      ) : null}
    </>
  );
}

export const ShapeEdge = memo(ShapeEdgeView);
