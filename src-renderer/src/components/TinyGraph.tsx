import { useStoreApi, type ReactFlowState } from '@xyflow/react';
import { useEffect, useRef } from 'react';
import { getOp } from '../../../src-engine/facade';
import type { CanvasNode } from '../editor/flow';
import { useWindow } from '../state/window';
import type { DesignAnalysis } from '../editor/analysis';

/**
 * The graph zoomed out past `NAME_MIN_ZOOM`, drawn on one canvas: each node a block of its
 * category's colour (red where it has an error), each edge a line between the handles it ends on,
 * each open group's frame outlined, the selection outlined. At that zoom a card is a coloured block anyway (the DOM cards' `tiny`
 * level of detail), and 1,000 DOM cards and edge paths cost most of a pan frame in layerization
 * and hit testing (bench/canvas.ts, CANVAS_TRACE=1); the canvas is redrawn once per frame in which
 * React Flow's store changed. The cards stay mounted under it, skipped by the browser
 * (`.canvas--tiny`: content-visibility: hidden), so zooming back in shows them at once.
 *
 * Clicks are hit-tested here (`nodeAt`): a click selects the block under it, a double click zooms in
 * on it (Canvas.tsx).
 */
export function TinyGraph() {
  const w = useWindow();
  const ref = useRef<HTMLCanvasElement>(null);
  const store = useStoreApi<CanvasNode>();
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    let frame = 0;
    const draw = () => {
      frame = 0;
      paint(canvas, store.getState(), w.editor.getState().analysis.byNode);
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(draw);
    };
    draw();
    const unsubscribe = store.subscribe(schedule);
    // Errors, the selection and the theme live in the editor's store.
    const unsubscribeEditor = w.editor.subscribe(schedule);
    const resize = new ResizeObserver(schedule);
    resize.observe(canvas);
    return () => {
      unsubscribe();
      unsubscribeEditor();
      resize.disconnect();
      cancelAnimationFrame(frame);
    };
  }, [store, w.editor]);
  return <canvas ref={ref} className="tiny-graph" data-testid="tiny-graph" aria-hidden="true" />;
}

/** The colour of each op category (the `--cat` of `.op-node--<category>` in styles.css), read once per theme. */
const palette = new Map<string, Map<string, string>>();

function colours(canvas: HTMLCanvasElement): { cat: (category: string) => string; bad: string; accent: string; edge: string } {
  const theme = canvas.closest('.app')?.getAttribute('data-theme') ?? '';
  let p = palette.get(theme);
  if (!p) {
    p = new Map();
    palette.set(theme, p);
  }
  const read = (className: string, prop: string): string => {
    const key = `${className}|${prop}`;
    let v = p.get(key);
    if (v === undefined) {
      const probe = document.createElement('div');
      probe.className = className;
      probe.style.display = 'none';
      canvas.parentElement!.appendChild(probe);
      v = getComputedStyle(probe).getPropertyValue(prop).trim() || '#888';
      probe.remove();
      p.set(key, v);
    }
    return v;
  };
  return {
    cat: (category) => read(`op-node op-node--${category}`, '--cat'),
    bad: read('op-node', '--bad'),
    accent: read('op-node', '--accent'),
    edge: read('op-node', '--muted'),
  };
}

/** A node's box in flow coordinates. */
function boxOf(n: ReactFlowState<CanvasNode>['nodeLookup'] extends Map<string, infer I> ? I : never): { x: number; y: number; w: number; h: number } {
  const p = n.internals.positionAbsolute;
  return { x: p.x, y: p.y, w: n.measured.width ?? n.width ?? 180, h: n.measured.height ?? n.height ?? 70 };
}

function paint(canvas: HTMLCanvasElement, s: ReactFlowState<CanvasNode>, byNode: DesignAnalysis['byNode']): void {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(canvas.clientWidth * dpr);
  const h = Math.round(canvas.clientHeight * dpr);
  if (canvas.width !== w || canvas.height !== h) [canvas.width, canvas.height] = [w, h];
  const g = canvas.getContext('2d');
  if (!g) return;
  g.setTransform(1, 0, 0, 1, 0, 0);
  g.clearRect(0, 0, w, h);
  const [tx, ty, k] = s.transform;
  g.setTransform(k * dpr, 0, 0, k * dpr, tx * dpr, ty * dpr);
  const c = colours(canvas);

  // Edges first, under the blocks: from the source's output handle to the target's input handle.
  g.beginPath();
  for (const e of s.edges) {
    const a = s.nodeLookup.get(e.source);
    const b = s.nodeLookup.get(e.target);
    if (!a || !b || a.hidden || b.hidden) continue;
    const from = handleCentre(a, 'source', e.sourceHandle);
    const to = handleCentre(b, 'target', e.targetHandle);
    g.moveTo(from.x, from.y);
    g.lineTo(to.x, to.y);
  }
  g.lineWidth = 1.5 / k;
  g.strokeStyle = c.edge;
  g.stroke();

  // Open groups' frames, outlined under the blocks (their DOM frames are hidden with the cards).
  const frames = new Path2D();
  for (const n of s.nodeLookup.values()) {
    if (n.hidden || n.type !== 'group-frame') continue;
    const box = boxOf(n);
    frames.rect(box.x, box.y, box.w, box.h);
  }
  g.lineWidth = 2 / k;
  g.strokeStyle = c.accent;
  g.globalAlpha = 0.5;
  g.stroke(frames);
  g.globalAlpha = 1;

  // One path per colour, filled once: a fill per block (with its own fillStyle) cost ~20 ms for
  // 1,000 blocks, most of a frame.
  const byColour = new Map<string, Path2D>();
  const selected: { x: number; y: number; w: number; h: number }[] = [];
  for (const n of s.nodeLookup.values()) {
    if (n.hidden || n.type === 'group-frame') continue;
    const box = boxOf(n);
    const data = n.data as { ir?: { op: string } };
    const errored = byNode[n.id]?.some((d) => d.severity === 'error');
    const colour = errored ? c.bad : data.ir ? c.cat(getOp(data.ir.op)?.category ?? 'unknown') : c.edge;
    let path = byColour.get(colour);
    if (!path) byColour.set(colour, (path = new Path2D()));
    path.rect(box.x, box.y, box.w, box.h);
    if (n.selected) selected.push(box);
  }
  g.globalAlpha = 0.85;
  for (const [colour, path] of byColour) {
    g.fillStyle = colour;
    g.fill(path);
  }
  g.globalAlpha = 1;
  g.lineWidth = 3 / k;
  g.strokeStyle = c.accent;
  for (const b of selected) g.strokeRect(b.x, b.y, b.w, b.h);
}

type Internal = ReactFlowState<CanvasNode>['nodeLookup'] extends Map<string, infer I> ? I : never;

/** Where an edge meets a node: the handle's centre when React Flow measured it, else the box's edge. */
function handleCentre(n: Internal, kind: 'source' | 'target', id: string | null | undefined): { x: number; y: number } {
  const box = boxOf(n);
  const handles = n.internals.handleBounds?.[kind];
  const hb = handles?.find((x) => x.id === id) ?? handles?.[0];
  if (hb) return { x: box.x + hb.x + hb.width / 2, y: box.y + hb.y + hb.height / 2 };
  return kind === 'source' ? { x: box.x + box.w / 2, y: box.y + box.h } : { x: box.x + box.w / 2, y: box.y };
}

/** The node whose block is under the flow position `p` (of overlapping blocks, the last in the store's order), or undefined. */
export function nodeAt(s: ReactFlowState<CanvasNode>, p: { x: number; y: number }): string | undefined {
  let hit: string | undefined;
  for (const n of s.nodeLookup.values()) {
    if (n.hidden || n.type === 'group-frame') continue;
    const b = boxOf(n);
    if (p.x >= b.x && p.x <= b.x + b.w && p.y >= b.y && p.y <= b.y + b.h) hit = n.id;
  }
  return hit;
}
