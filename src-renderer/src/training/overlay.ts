import type { HealthWarning, ProbeFrame } from '../../../src-engine/protocol';
import { PATH_SCALE, gradColour, gradRange, histogramPath } from './charts';

/** What the canvas draws on one node for one probe frame. */
export interface NodeOverlay {
  /** SVG path of the output histogram in a `SPARK_VIEWBOX` box (drawn on first read). */
  readonly path: string;
  /** Output range, for the tooltip. */
  min: number;
  max: number;
  deadFrac?: number;
  saturatedFrac?: number;
  /** Colour of the edges leaving this node (its output's gradient norm), if it has a gradient. */
  edgeColour?: string;
  gradNorm?: number | null;
  health: readonly HealthWarning[];
}

export const SPARK_W = 64;
export const SPARK_H = 14;
/** The sparkline path's box (whole units, see PATH_SCALE), shown at SPARK_W × SPARK_H px. */
export const SPARK_VIEWBOX = `0 0 ${SPARK_W * PATH_SCALE} ${SPARK_H * PATH_SCALE}`;

const cache = new WeakMap<ProbeFrame, ReadonlyMap<string, NodeOverlay>>();

/**
 * Per-node overlays of a frame, computed once per frame and shared by every node's selector
 * (the selectors return the same object until a new frame arrives, so progress ticks re-render
 * no node, and a new frame re-renders only nodes that have an overlay).
 */
export function overlaysOf(frame: ProbeFrame | undefined): ReadonlyMap<string, NodeOverlay> | undefined {
  if (!frame) return undefined;
  const hit = cache.get(frame);
  if (hit) return hit;
  const range = gradRange(frame);
  const health = new Map<string, HealthWarning[]>();
  for (const h of frame.health) (health.get(h.nodeId) ?? health.set(h.nodeId, []).get(h.nodeId)!).push(h);
  const map = new Map<string, NodeOverlay>();
  for (const l of frame.layers) {
    let path: string | undefined;
    map.set(l.nodeId, {
      // Drawn when a node asks: the canvas renders only the nodes in view.
      get path() {
        return (path ??= histogramPath(l.hist, SPARK_W * PATH_SCALE, SPARK_H * PATH_SCALE));
      },
      min: l.hist.min,
      max: l.hist.max,
      deadFrac: l.deadFrac,
      saturatedFrac: l.saturatedFrac,
      gradNorm: l.gradNorm,
      edgeColour: gradColour(l.gradNorm, range),
      health: health.get(l.nodeId) ?? [],
    });
  }
  for (const [nodeId, list] of health) if (!map.has(nodeId)) map.set(nodeId, { path: '', min: 0, max: 0, health: list });
  cache.set(frame, map);
  return map;
}
