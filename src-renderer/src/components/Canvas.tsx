import { Background, Controls, MiniMap, ReactFlow, type Edge, type Node } from '@xyflow/react';

const NO_NODES: Node[] = [];
const NO_EDGES: Edge[] = [];

/** The design canvas. Empty for now: the palette and editing arrive with the designer. */
export function Canvas() {
  return (
    <div className="canvas" data-testid="canvas">
      <ReactFlow nodes={NO_NODES} edges={NO_EDGES} fitView proOptions={{ hideAttribution: true }}>
        <Background gap={16} />
        <MiniMap pannable zoomable />
        <Controls />
      </ReactFlow>
    </div>
  );
}
