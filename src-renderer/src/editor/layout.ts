import type { GraphIR } from '../../../src-engine/ir/types';
import type { XY } from './document';
import { UNCONNECTED, topoOrder } from './graph';

/** Spacing of the auto-layout, in flow units (a node is about 180×70). */
export const LAYOUT_SPACING = { rank: 120, node: 220 } as const;

/**
 * Positions for every node, top to bottom in data-flow order. The one place the layout algorithm
 * lives: a layered (Sugiyama-style) layout — longest-path ranks, then a few barycentre sweeps to
 * reduce crossings — which is enough for the chain-and-branch shapes of these networks. A
 * library (`@dagrejs/dagre`) can replace the body without touching any caller.
 */
export function autoLayout(graph: GraphIR): Record<string, XY> {
  const order = topoOrder(graph);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const rank = new Map<string, number>();
  for (const id of order) {
    let r = 0;
    for (const s of byId.get(id)!.inputs) if (s !== UNCONNECTED && rank.has(s)) r = Math.max(r, rank.get(s)! + 1);
    rank.set(id, r);
  }
  // Targets (Inputs with source=target) sit beside their loss rather than at the top.
  const consumers = new Map<string, string[]>();
  for (const n of graph.nodes) for (const s of n.inputs) if (s !== UNCONNECTED) (consumers.get(s) ?? consumers.set(s, []).get(s)!).push(n.id);
  for (const n of graph.nodes) {
    const cs = consumers.get(n.id);
    if (n.inputs.length === 0 && cs && cs.length > 0) rank.set(n.id, Math.max(0, Math.min(...cs.map((c) => rank.get(c)!)) - 1));
  }
  const layers: string[][] = [];
  for (const id of order) (layers[rank.get(id)!] ??= []).push(id);
  const pos = new Map<string, number>();
  const place = (layer: string[]) => layer.forEach((id, i) => pos.set(id, i - (layer.length - 1) / 2));
  layers.forEach((l) => l && place(l));
  for (let sweep = 0; sweep < 4; sweep++) {
    for (const layer of layers) {
      if (!layer) continue;
      const bary = new Map<string, number>();
      for (const id of layer) {
        const preds = byId.get(id)!.inputs.filter((s) => s !== UNCONNECTED && pos.has(s));
        bary.set(id, preds.length ? preds.reduce((a, s) => a + pos.get(s)!, 0) / preds.length : pos.get(id)!);
      }
      layer.sort((a, b) => bary.get(a)! - bary.get(b)!);
      place(layer);
    }
  }
  const out: Record<string, XY> = {};
  for (const id of order) out[id] = { x: Math.round(pos.get(id)! * LAYOUT_SPACING.node), y: rank.get(id)! * LAYOUT_SPACING.rank };
  return out;
}
