/**
 * Zoomed out to blocks, the canvas (TinyGraph) draws the graph and hit-tests clicks itself:
 * `nodeAt` finds the block under a flow position from React Flow's node lookup (positions and
 * measured sizes), the topmost where blocks overlap, and skips hidden nodes and group frames.
 */
import { describe, expect, it } from 'vitest';
import type { ReactFlowState } from '@xyflow/react';
import { nodeAt } from '../../../src-renderer/src/components/TinyGraph';
import type { CanvasNode } from '../../../src-renderer/src/editor/flow';

function state(nodes: { id: string; x: number; y: number; w?: number; h?: number; hidden?: boolean; type?: string }[]): ReactFlowState<CanvasNode> {
  const nodeLookup = new Map(
    nodes.map((n) => [n.id, { id: n.id, type: n.type ?? 'op', hidden: n.hidden, measured: { width: n.w ?? 180, height: n.h ?? 70 }, internals: { positionAbsolute: { x: n.x, y: n.y } } }]),
  );
  return { nodeLookup } as unknown as ReactFlowState<CanvasNode>;
}

describe('TinyGraph hit test', () => {
  const s = state([
    { id: 'a', x: 0, y: 0 },
    { id: 'b', x: 0, y: 120 },
    { id: 'c', x: 100, y: 30 }, // overlaps a's right half; drawn after it, so on top
    { id: 'hidden', x: 500, y: 500, hidden: true },
    { id: 'frame', x: -50, y: -50, w: 1000, h: 1000, type: 'group-frame' },
    { id: 'wide', x: 300, y: 0, w: 400, h: 40 },
  ]);
  it('finds the block under a point, the topmost where they overlap', () => {
    expect(nodeAt(s, { x: 10, y: 10 })).toBe('a');
    expect(nodeAt(s, { x: 150, y: 50 })).toBe('c');
    expect(nodeAt(s, { x: 90, y: 150 })).toBe('b');
    expect(nodeAt(s, { x: 650, y: 20 })).toBe('wide'); // its measured size, not the default card
  });
  it('nothing between blocks, under a hidden node, or only inside a group frame', () => {
    expect(nodeAt(s, { x: 90, y: 100 })).toBeUndefined();
    expect(nodeAt(s, { x: 550, y: 550 })).toBeUndefined();
    expect(nodeAt(s, { x: -40, y: 900 })).toBeUndefined();
  });
});
