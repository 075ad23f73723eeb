import { BaseEdge, EdgeLabelRenderer, getBezierPath, useStore, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import { formatShape } from '../../../src-engine/facade';
import type { ShapeFlowEdge } from '../editor/flow';
import { overlayFrame } from '../training/model';
import { overlaysOf } from '../training/overlay';
import { useEditor, useRun, useTrainUi } from '../state/window';

/** Below this zoom, labels are too small to read: they are not drawn (keeps pan/zoom fast on big graphs). */
export const LABEL_MIN_ZOOM = 0.35;
export const selectFar = (s: { transform: [number, number, number] }): boolean => s.transform[2] < LABEL_MIN_ZOOM;

/** Below this zoom a node's name (34 px in the far card) would be under ~7 px: nodes are drawn as blocks of their category's colour. */
export const NAME_MIN_ZOOM = 0.2;

/**
 * How much the canvas shows at the current zoom: every card in full with its edges' labels (`near`),
 * each card's name and output shape in large type (`far`, below `LABEL_MIN_ZOOM`: ZoomedOutLabel),
 * or a block of its category's colour (`tiny`: TinyGraph). For the cards, the canvas's class says
 * which and CSS does the rest, so a crossing re-renders no card (Canvas.tsx, OpNode.tsx). Edge
 * labels are unmounted far out: culling turns off at the same zoom, so the edges that see the
 * crossing are the few in view.
 */
export type NodeDetail = 'near' | 'far' | 'tiny';
export const selectDetail = (s: { transform: [number, number, number] }): NodeDetail => (s.transform[2] >= LABEL_MIN_ZOOM ? 'near' : s.transform[2] >= NAME_MIN_ZOOM ? 'far' : 'tiny');

/** An edge labelled with the shape it carries (its source's output shape, e.g. `64×128`). */
function ShapeEdgeView({ id, data, source: drawnSource, target: drawnTarget, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, selected, markerEnd }: EdgeProps<ShapeFlowEdge>) {
  // Drawn from or to a collapsed group's card: the label still names the real edge (its id).
  const source = data?.from ?? drawnSource;
  const target = id.slice(id.indexOf('->') + 2, id.lastIndexOf(':')) || drawnTarget;
  const shape = useEditor((s) => (s.analysis.shapes[source] ? formatShape(s.analysis.shapes[source]) : ''));
  const far = useStore(selectFar);
  const colourByGrad = useTrainUi((s) => s.edgeGradients);
  // The edge carries the source's output; its colour is that tensor's gradient norm in the last probed step.
  const loadSeq = useEditor((s) => s.loadSeq);
  const gradColour = useRun((s) => (colourByGrad ? overlaysOf(overlayFrame(s, loadSeq))?.get(source)?.edgeColour : undefined));
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const slot = id.slice(id.lastIndexOf(':') + 1);
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        markerEnd={markerEnd}
        className={selected ? 'shape-edge shape-edge--selected' : 'shape-edge'}
        style={gradColour && !selected ? { stroke: gradColour, strokeWidth: 2.5 } : undefined}
        data-grad-colour={gradColour}
      />
      {shape && !far ? (
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
