import { ArchDiffBanner } from './training/ArchDiffBanner';
import {
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  useStore,
  useStoreApi,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type ReactFlowInstance,
  type ReactFlowState,
  type Viewport,
} from '@xyflow/react';
import { memo, useCallback, useEffect, useMemo, useRef, useState, type Dispatch, type DragEvent, type MouseEvent, type SetStateAction } from 'react';
import { checkConnection } from '../editor/connect';
import { FlowCache, edgeOfId, edgeRefOf, groupAnchor, toFlow, type CanvasNode, type Measured, type ShapeFlowEdge } from '../editor/flow';
import { groupOfFlowId, groupsOf } from '../editor/groups';
import { GroupFrame, GroupNode } from './GroupNode';
import type { EdgeRef } from '../editor/graph';
import { OpNode } from './OpNode';
import { QuickAdd } from './QuickAdd';
import { ShapeEdge, selectDetail, selectFar } from './ShapeEdge';
import { StartPanel } from './StartPanel';
import { LessonProgressCard } from './LessonGallery';
import { TinyGraph, nodeAt } from './TinyGraph';
import { useEditor, useSession, useWindow } from '../state/window';
import type { SessionState } from '../state/session-store';
import type { WindowStores } from '../state/window-stores';

/** MIME type of a palette entry being dragged onto the canvas. */
export const PALETTE_MIME = 'application/x-netwright-op';

const NODE_TYPES = { op: OpNode, 'op-group': GroupNode, 'group-frame': GroupFrame };
const EDGE_TYPES = { shape: ShapeEdge };
const PRO = { hideAttribution: true };
const DELETE_KEYS: string[] = [];
const DEFAULT_VIEWPORT = { x: 40, y: 20, zoom: 1 };

let dragSeq = 0;

/** The edge under a screen point (its wide, invisible hit path counts), as its element and its IR edge. */
function edgeAt(x: number, y: number): { el: Element; ref: EdgeRef } | undefined {
  for (const hit of document.elementsFromPoint(x, y)) {
    if (hit.closest('.react-flow__node')) return undefined; // a node covers the edge here
    const el = hit.closest('.react-flow__edge');
    const ref = el ? edgeOfId(el.getAttribute('data-id') ?? '') : undefined;
    if (el && ref) return { el, ref };
  }
  return undefined;
}

/**
 * The design canvas: a controlled React Flow over the editor store. Every change the user makes
 * becomes one typed edit (moves coalesce per drag); selection and measured sizes are view state.
 */
const transformOf = (s: { transform: readonly [number, number, number] }) => s.transform;

/**
 * The canvas's dot grid, painted by CSS (a radial-gradient tile that follows the viewport) in
 * place of React Flow's `<Background>`.
 * NOTE (measured with a Chromium trace of a training run, dock collapsed): `<Background>` is an
 * SVG sized 100% × 100%, and Blink lays out such an SVG root again, and repaints all of it,
 * whenever the layout around the canvas runs, which every progress tick in the dock header causes.
 * So every UI update re-rasterised the whole canvas (about 20 tiles, 70 ms of raster per 2-epoch
 * MNIST run, competing with the engine for the CPU); a CSS background is repainted only when the
 * viewport moves. The geometry is React Flow's: one dot of diameter `zoom` per `gap × zoom` cell,
 * centred on the cell's corner in flow coordinates.
 */
const DotGrid = memo(function DotGrid({ gap }: { gap: number }) {
  const far = useStore(selectFar);
  return far ? null : <Dots gap={gap} />;
});

/**
 * NOTE: zoomed far out (below `LABEL_MIN_ZOOM`) the dots are under 0.2 px and a cell under 6 px:
 * nothing shows, yet the tile was repainted over the whole canvas on every pan frame (at fit on
 * a 1,000-node graph the zoom is 0.02: a 0.3 px tile). So far out there is no grid at all, and the
 * component that follows the viewport is not even mounted.
 */
function Dots({ gap }: { gap: number }) {
  const [x, y, zoom] = useStore(transformOf);
  const cell = gap * zoom || 1;
  const r = zoom / 2;
  // The tile's dot sits at its centre; React Flow's sits at (x mod cell) − cell/2 + r.
  const px = (v: number) => `${((v % cell) - cell + r).toFixed(2)}px`;
  return (
    <div
      className="react-flow__background canvas-dots"
      aria-hidden="true"
      style={{
        backgroundImage: `radial-gradient(circle at center, var(--xy-background-pattern-color-props, var(--xy-background-pattern-dots-color, var(--xy-background-pattern-dots-color-default))) ${(r * 0.6).toFixed(2)}px, transparent ${(r + 0.5).toFixed(2)}px)`,
        backgroundSize: `${cell}px ${cell}px`,
        backgroundPosition: `${px(x)} ${px(y)}`,
      }}
    />
  );
}

/**
 * Below this canvas height (the Train dock opened tall, a short window) the 88 px minimap would cover
 * a third of the canvas or more: it is left out until there is room again.
 */
const MINIMAP_MIN_HEIGHT = 300;

/**
 * The minimap shows where the view is in a graph larger than it; while every node is in view it
 * would only cover some of them (an imported resnet18 fitted at 1280×800 had its loss node under
 * it), so it is left out until a node is outside the view.
 */
const selectMiniMapShown = (s: ReactFlowState): boolean => {
  if (s.height < MINIMAP_MIN_HEIGHT) return false;
  const [tx, ty, zoom] = s.transform;
  const left = -tx / zoom;
  const top = -ty / zoom;
  const right = left + s.width / zoom;
  const bottom = top + s.height / zoom;
  for (const n of s.nodeLookup.values()) {
    if (n.hidden) continue;
    const { x, y } = n.internals.positionAbsolute;
    if (x < left || y < top || x + (n.measured.width ?? 0) > right || y + (n.measured.height ?? 0) > bottom) return true;
  }
  return false;
};

function CanvasMiniMap() {
  return useStore(selectMiniMapShown) ? <MiniMap pannable zoomable /> : null;
}

/** The view follows the document: to a node the app asks to focus, and to a newly loaded design (its saved viewport, or fit). */
function useViewFollows(flow: ReactFlowInstance<CanvasNode, ShapeFlowEdge>, layout: Readonly<Record<string, { x: number; y: number }>>, focus: SessionState['focus'], loadSeq: number): void {
  const w = useWindow();
  useEffect(() => {
    if (!focus) return;
    const p = layout[focus.nodeId];
    if (p) void flow.setCenter(p.x + 90, p.y + 35, { zoom: Math.max(flow.getZoom(), 1), duration: 300 });
    // Only a new focus request moves the view, not document edits.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focus]);

  useEffect(() => {
    if (loadSeq === 0) return;
    const ui = w.editor.getState().ui;
    // Wait a frame or two so the new nodes are measured before fitting them.
    const t = setTimeout(() => void (ui.viewport ? flow.setViewport(ui.viewport) : flow.fitView({ maxZoom: 1, padding: 0.15 })), 60);
    return () => clearTimeout(t);
  }, [loadSeq, flow, w.editor]);
}

/**
 * React Flow's node changes as editor edits: selection, moves (a folded group's card moves its
 * members; one drag is one undo step), and the cards' measured sizes.
 */
function useNodeChanges(setMeasured: Dispatch<SetStateAction<ReadonlyMap<string, Measured>>>): (changes: NodeChange<CanvasNode>[]) => void {
  const w = useWindow();
  const drag = useRef<string | undefined>(undefined);
  return useCallback((changes: NodeChange<CanvasNode>[]) => {
    const store = w.editor.getState();
    const moves: Record<string, { x: number; y: number }> = {};
    let dragging = false;
    let sizes: Map<string, Measured> | undefined;
    let selection: Set<string> | undefined;
    for (const c of changes) {
      if (c.type === 'select') {
        selection ??= new Set(store.selectedNodes);
        if (c.selected) selection.add(c.id);
        else selection.delete(c.id);
      }
      const group = c.type === 'position' && c.position ? groupOfFlowId(c.id) : undefined;
      if (group !== undefined && c.type === 'position' && c.position) {
        // A folded group's card moves its members with it (its place is its first node's).
        const doc = store.history.present;
        const g = groupsOf(doc.graph).find((x) => x.id === group);
        if (!g) continue;
        const at = groupAnchor(doc, g);
        for (const m of g.nodes) {
          const p = doc.layout[m] ?? at;
          moves[m] = { x: p.x + c.position.x - at.x, y: p.y + c.position.y - at.y };
        }
        dragging ||= c.dragging === true;
      } else if (c.type === 'position' && c.position) {
        moves[c.id] = c.position;
        dragging ||= c.dragging === true;
      } else if (c.type === 'dimensions' && c.dimensions) {
        sizes ??= new Map();
        sizes.set(c.id, { width: c.dimensions.width, height: c.dimensions.height });
      }
    }
    if (selection) store.select(selection, store.selectedEdges);
    if (sizes) {
      const next = sizes;
      setMeasured((m) => {
        const merged = new Map(m);
        for (const [k, v] of next) {
          const old = merged.get(k);
          if (!old || old.width !== v.width || old.height !== v.height) merged.set(k, v);
        }
        return merged;
      });
    }
    if (Object.keys(moves).length > 0) {
      drag.current ??= `drag:${++dragSeq}`;
      store.edit({ kind: 'move', positions: moves, coalesce: drag.current });
      if (!dragging) drag.current = undefined;
    }
  }, [setMeasured, w.editor]);
}

/** React Flow's edge changes: only selection (edges are removed with the Delete key, one path for every deletion). */
function onEdgesChange(editor: WindowStores['editor'], changes: EdgeChange<ShapeFlowEdge>[]): void {
  const store = editor.getState();
  let selection: Set<string> | undefined;
  for (const c of changes) {
    if (c.type !== 'select') continue;
    selection ??= new Set(store.selectedEdges);
    if (c.selected) selection.add(c.id);
    else selection.delete(c.id);
  }
  if (selection) store.select(store.selectedNodes, selection);
}

/** Dropping a palette op on the canvas: on an edge (which lights up under the cursor) it is inserted there, elsewhere added. */
function usePaletteDrop(flow: ReactFlowInstance<CanvasNode, ShapeFlowEdge>) {
  const w = useWindow();
  const dropEdge = useRef<Element | undefined>(undefined);
  const markDropEdge = (el: Element | undefined) => {
    if (dropEdge.current === el) return;
    dropEdge.current?.classList.remove('react-flow__edge--drop');
    el?.classList.add('react-flow__edge--drop');
    dropEdge.current = el;
  };

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(PALETTE_MIME)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      // The edge under the cursor lights up: dropping there inserts the op on it.
      markDropEdge(edgeAt(e.clientX, e.clientY)?.el);
    }
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      markDropEdge(undefined);
      const op = e.dataTransfer.getData(PALETTE_MIME);
      if (!op) return;
      e.preventDefault();
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const position = { x: Math.round(p.x - 90), y: Math.round(p.y - 20) };
      const edge = edgeAt(e.clientX, e.clientY)?.ref;
      if (edge) w.editor.getState().insertOp(op, position, edge, { x: e.clientX, y: e.clientY });
      else w.editor.getState().addOp(op, position);
    },
    [flow, w.editor],
  );
  return { onDragOver, onDrop, markDropEdge };
}

export function Canvas() {
  const w = useWindow();
  const doc = useEditor((s) => s.history.present);
  const selectedNodes = useEditor((s) => s.selectedNodes);
  const selectedEdges = useEditor((s) => s.selectedEdges);
  const theme = useSession((s) => s.theme);
  const focus = useSession((s) => s.focus);
  const loadSeq = useEditor((s) => s.loadSeq);
  const detail = useStore(selectDetail);
  const flowStore = useStoreApi<CanvasNode>();
  const flow = useReactFlow<CanvasNode, ShapeFlowEdge>();
  const [cache] = useState(() => new FlowCache());
  const [measured, setMeasured] = useState<ReadonlyMap<string, Measured>>(new Map());
  const pointer = useRef({ x: 0, y: 0 });
  const [quickAdd, setQuickAdd] = useState<{ screen: { x: number; y: number } } | undefined>();

  const selected = useMemo(() => new Set([...selectedNodes, ...selectedEdges]), [selectedNodes, selectedEdges]);
  const { nodes, edges } = useMemo(() => toFlow(doc, selected, cache, measured), [doc, selected, measured, cache]);

  useViewFollows(flow, doc.layout, focus, loadSeq);

  const onNodesChange = useNodeChanges(setMeasured);

  const onConnect = useCallback((c: Connection) => {
    const store = w.editor.getState();
    const edge = edgeRefOf(c);
    if (!edge) return;
    const problem = checkConnection(store.history.present, store.analysis.shapes, edge);
    if (problem) {
      w.session.getState().notify('error', problem.message, { code: problem.code, at: { ...pointer.current } });
      return;
    }
    store.edit({ kind: 'connect', edge }, { at: { ...pointer.current } });
  }, [w.editor, w.session]);

  const { onDragOver, onDrop, markDropEdge } = usePaletteDrop(flow);

  /** Zoomed out to blocks (TinyGraph), the node drawn under a pointer position. */
  const tinyNodeAt = useCallback(
    (e: MouseEvent): string | undefined => (selectDetail(flowStore.getState()) === 'tiny' ? nodeAt(flowStore.getState(), flow.screenToFlowPosition({ x: e.clientX, y: e.clientY })) : undefined),
    [flow, flowStore],
  );

  const onDoubleClick = useCallback(
    (e: MouseEvent) => {
      if (!(e.target as HTMLElement).classList.contains('react-flow__pane')) return;
      // A double click on a block zooms in on it, to its full card.
      const hit = tinyNodeAt(e);
      const at = hit ? flowStore.getState().nodeLookup.get(hit) : undefined;
      if (at) {
        const p = at.internals.positionAbsolute;
        void flow.setCenter(p.x + (at.measured.width ?? 180) / 2, p.y + (at.measured.height ?? 70) / 2, { zoom: 1, duration: 300 });
        return;
      }
      setQuickAdd({ screen: { x: e.clientX, y: e.clientY } });
    },
    [flow, flowStore, tinyNodeAt],
  );

  // Zoomed out to blocks, the cards are not hit-tested: a click selects the block under it (with
  // Ctrl/⌘, adds it to or removes it from the selection).
  const onPaneClick = useCallback(
    (e: MouseEvent) => {
      const hit = tinyNodeAt(e);
      if (!hit) return;
      const store = w.editor.getState();
      const next = e.ctrlKey || e.metaKey ? new Set(store.selectedNodes) : new Set<string>();
      if (next.has(hit)) next.delete(hit);
      else next.add(hit);
      store.select(next, new Set());
    },
    [tinyNodeAt, w.editor],
  );

  const onMoveEnd = useCallback((_e: unknown, v: Viewport) => w.editor.getState().setViewport(v), [w.editor]);

  return (
    <div
      className={detail === 'near' ? 'canvas' : detail === 'far' ? 'canvas canvas--far' : 'canvas canvas--far canvas--tiny'}
      data-testid="canvas"
      data-detail={detail}
      data-nodes={doc.graph.nodes.length}
      onPointerMove={(e) => (pointer.current = { x: e.clientX, y: e.clientY })}
      onPointerUp={(e) => (pointer.current = { x: e.clientX, y: e.clientY })}
      onDoubleClick={onDoubleClick}
      // On the wrapper, so a layer dropped on the start panel lands on the canvas under it too.
      onDragOver={onDragOver}
      onDragLeave={() => markDropEdge(undefined)}
      onDrop={onDrop}
    >
      <ArchDiffBanner />
      <StartPanel />
      <LessonProgressCard />
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        edgeTypes={EDGE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={(changes) => onEdgesChange(w.editor, changes)}
        onConnect={onConnect}
        onMoveEnd={onMoveEnd}
        onPaneClick={onPaneClick}
        deleteKeyCode={DELETE_KEYS}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Meta', 'Control']}
        zoomOnDoubleClick={false}
        // Culling pays zoomed in, where a pan brings few cards in and out of view; zoomed out nearly
        // everything is visible, and culling would mount and unmount cards at the edges every frame
        // of a pan (47 against 60 fps at fit on 1,000 nodes, bench/canvas.ts).
        onlyRenderVisibleElements={detail === 'near'}
        colorMode={theme}
        minZoom={0.02}
        defaultViewport={DEFAULT_VIEWPORT}
        proOptions={PRO}
      >
        <DotGrid gap={16} />
        {detail === 'tiny' ? <TinyGraph /> : null}
        <CanvasMiniMap />
        <Controls />
      </ReactFlow>
      {quickAdd ? (
        <QuickAdd
          at={quickAdd.screen}
          onPick={(op) => {
            const p = flow.screenToFlowPosition(quickAdd.screen);
            w.editor.getState().addOp(op, { x: Math.round(p.x - 90), y: Math.round(p.y - 20) });
            setQuickAdd(undefined);
          }}
          onClose={() => setQuickAdd(undefined)}
        />
      ) : null}
    </div>
  );
}
