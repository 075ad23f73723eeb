import type { NodeIR } from '../../base/ir/types';

/**
 * A frozen prefix keeps no activations (#59): in a plan that trains, a node no backward reads —
 * it needs no gradient, none of the nodes that read it runs a backward, and some node after it
 * does (it feeds what trains: a frozen backbone) — needs its output only until the last node that
 * reads it has run forward, and its workspace only during its own forward. Such outputs and
 * workspaces share one arena, each at an offset no other tensor live at the same step holds
 * (`packIntervals`), rather than each its own storage for the whole run: resnet18's frozen
 * backbone at batch 64 holds ~2.4 GiB of outputs and normalised inputs, of which at most a few
 * hundred MiB are live at once.
 */

/** Floats an arena offset is a multiple of: 64 bytes, the CPU heap's alignment (a cache line). */
export const ARENA_ALIGN = 16;

/**
 * The nodes of a plan whose outputs and workspaces may share the arena: not an Input, a loss or a
 * graph output, no gradient (`reaches`), no reader that runs a backward (which may read its
 * inputs' values), and upstream of a node that runs one (what only an unrelated branch reads,
 * a prediction after the loss, is kept: a caller reads it after the forward).
 *
 * @param order the plan's nodes in forward order.
 */
export function transientNodes(order: readonly string[], byId: ReadonlyMap<string, NodeIR>, reaches: ReadonlySet<string>, keep: ReadonlySet<string>): Set<string> {
  const readers = new Map<string, string[]>();
  for (const id of order) for (const i of byId.get(id)!.inputs) (readers.get(i) ?? readers.set(i, []).get(i)!).push(id);
  const feedsTraining = new Set<string>();
  const out = new Set<string>();
  for (let p = order.length - 1; p >= 0; p--) {
    const id = order[p];
    const after = readers.get(id) ?? [];
    if (reaches.has(id) || after.some((r) => feedsTraining.has(r))) feedsTraining.add(id);
    const node = byId.get(id)!;
    if (keep.has(id) || node.inputs.length === 0 || reaches.has(id) || !feedsTraining.has(id)) continue;
    if (after.some((r) => reaches.has(r))) continue;
    out.add(id);
  }
  return out;
}

/** A tensor live from step `start` to step `end` of a forward (inclusive), of `size` floats. */
export interface LiveRange {
  readonly start: number;
  readonly end: number;
  readonly size: number;
}

/**
 * Offsets in one arena (floats, multiples of ARENA_ALIGN) for tensors of which no two live at
 * the same step overlap, and the arena's size: first fit, in order of first use.
 */
export function packIntervals(ranges: readonly LiveRange[]): { offsets: number[]; floats: number } {
  const offsets: number[] = new Array<number>(ranges.length).fill(0);
  const byStart = ranges.map((_, i) => i).sort((a, b) => ranges[a].start - ranges[b].start || ranges[b].size - ranges[a].size);
  // The blocks placed so far that are still live, by offset.
  let live: { at: number; size: number; end: number }[] = [];
  let floats = 0;
  for (const i of byStart) {
    const r = ranges[i];
    const size = Math.ceil(r.size / ARENA_ALIGN) * ARENA_ALIGN;
    live = live.filter((b) => b.end >= r.start);
    let at = 0;
    for (const b of live) {
      if (b.at - at >= size) break;
      at = Math.max(at, b.at + b.size);
    }
    offsets[i] = at;
    live.push({ at, size, end: r.end });
    live.sort((a, b) => a.at - b.at);
    floats = Math.max(floats, at + size);
  }
  return { offsets, floats };
}
