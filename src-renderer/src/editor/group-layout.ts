import type { GraphIR, NodeIR } from '../../../src-engine/facade';
import type { XY } from './document';
import { UNCONNECTED } from './graph';
import { groupAnchorNode, groupChain, groupTree, type GroupTree } from './groups';
import { LAYOUT_BOX, autoLayout, foldLayout, sizedLayeredLayout, type Box, type LayoutOptions } from './layout';

/** Space around an open group's members inside its frame; the top leaves room for its title bar. */
export const FRAME_PAD = { side: 16, top: 34 } as const;
/** A folded group's card, as the layout sizes it (GroupNode.tsx: at most 220 wide, three rows). */
export const CARD_BOX: Box = { width: 220, height: 84 };

/** Inside a group, a level of at most this many ranks is not folded to the view's aspect. */
const FOLD_MIN_RANKS = 8;

/** A level's layout: positions of its nodes (every member, however deep), relative to its box. */
interface Placed {
  pos: Map<string, XY>;
  size: Box;
}

/**
 * Auto-layout with groups, level by level (a compound layout): each group's members and
 * sub-groups are laid out on their own, as one box each — a folded sub-group is its card, an open
 * one the frame around its own layout — and that group is then one box of the level above. So an
 * open group's frame never covers a node outside it, and a folded group's members keep a tidy
 * arrangement of their own: opened, the block is as it was laid out, its first node where the card
 * stood. Each level is laid out by `sizedLayeredLayout` (linear time; dagre's fixed cost per call
 * would add up over a model's dozens of groups) and folded to the view's `aspect` when one is
 * given (inside a group, only a level longer than `FOLD_MIN_RANKS` ranks). Without groups this is
 * `autoLayout`.
 *
 * @returns top-left positions of every node (members of folded groups included).
 */
export function layoutWithGroups(graph: GraphIR, open: ReadonlySet<string>, opts: LayoutOptions = {}): Record<string, XY> {
  if (!graph.groups?.length) return autoLayout(graph, opts);
  const tree = groupTree(graph);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  // Each node's groups, outermost first: the item it belongs to at each level.
  const chains = new Map<string, string[]>();
  for (const n of graph.nodes) chains.set(n.id, groupChain(tree, tree.innermost.get(n.id)).map((g) => g.id));
  const placed = layoutLevel(graph, tree, undefined, 0, open, opts, byId, chains);
  const out = Object.create(null) as Record<string, XY>;
  for (const [id, p] of placed.pos) out[id] = p;
  return out;
}

function layoutLevel(
  graph: GraphIR,
  tree: GroupTree,
  group: string | undefined,
  depth: number,
  open: ReadonlySet<string>,
  opts: LayoutOptions,
  byId: ReadonlyMap<string, NodeIR>,
  chains: ReadonlyMap<string, readonly string[]>,
): Placed {
  const members = group === undefined ? graph.nodes.map((n) => n.id) : tree.byId.get(group)!.nodes;
  // Items of this level: its own nodes and its child groups (a node's group at this depth). Ids of
  // nodes and groups may coincide, so they are keyed apart.
  const itemKey = (node: string) => {
    const chain = chains.get(node)!;
    return chain.length > depth ? `g\u0000${chain[depth]}` : `n\u0000${node}`;
  };
  const inner = new Map<string, Placed>();
  const sizes = new Map<string, Box>();
  const items: NodeIR[] = [];
  const seen = new Set<string>();
  const inLevel = new Set(members);
  for (const m of members) {
    const k = itemKey(m);
    if (seen.has(k)) continue;
    seen.add(k);
    const isGroup = k.startsWith('g\u0000');
    if (isGroup) {
      const id = k.slice(2);
      const p = layoutLevel(graph, tree, id, depth + 1, open, opts, byId, chains);
      inner.set(k, p);
      sizes.set(k, open.has(id) ? { width: p.size.width + 2 * FRAME_PAD.side, height: p.size.height + FRAME_PAD.top + FRAME_PAD.side } : CARD_BOX);
    } else sizes.set(k, LAYOUT_BOX);
    items.push({ id: k, op: 'Identity', attrs: {}, inputs: [] });
  }
  // Edges between items of this level (an edge inside one item is that item's business).
  const inputs = new Map<string, Set<string>>(items.map((i) => [i.id, new Set()]));
  for (const m of members) {
    const to = itemKey(m);
    for (const s of byId.get(m)!.inputs) {
      if (s === UNCONNECTED || !inLevel.has(s)) continue;
      const from = itemKey(s);
      if (from !== to) inputs.get(to)!.add(from);
    }
  }
  const level: GraphIR = { ...graph, groups: undefined, nodes: items.map((i) => ({ ...i, inputs: [...inputs.get(i.id)!] })) };
  const sizeOf = (id: string) => sizes.get(id)!;
  const direction = opts.direction ?? 'TB';
  const laid = sizedLayeredLayout(level, sizeOf, direction);
  // A group's own short chain reads best as it is (a dense layer's six nodes, one under another);
  // a long level is folded to the view like the whole design.
  const ranks = new Set(Object.values(laid).map((p) => (direction === 'LR' ? p.x : p.y))).size;
  const fold = opts.aspect !== undefined && opts.aspect > 0 && (group === undefined || ranks > FOLD_MIN_RANKS);
  const at = fold ? foldLayout(laid, direction, opts.aspect!, sizeOf) : laid;
  // Normalise to the level's box, then place every member.
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const i of items) {
    const p = at[i.id];
    const s = sizes.get(i.id)!;
    [x0, y0, x1, y1] = [Math.min(x0, p.x), Math.min(y0, p.y), Math.max(x1, p.x + s.width), Math.max(y1, p.y + s.height)];
  }
  const pos = new Map<string, XY>();
  for (const i of items) {
    const p = { x: at[i.id].x - x0, y: at[i.id].y - y0 };
    const sub = inner.get(i.id);
    if (!sub) {
      pos.set(i.id.slice(2), p);
      continue;
    }
    const id = i.id.slice(2);
    // Open: the members inside the frame's padding. Folded: the first node where the card stands.
    const origin = open.has(id) ? { x: p.x + FRAME_PAD.side, y: p.y + FRAME_PAD.top } : minus(p, sub.pos.get(groupAnchorNode(tree.byId.get(id)!))!);
    for (const [node, q] of sub.pos) pos.set(node, { x: origin.x + q.x, y: origin.y + q.y });
  }
  return { pos, size: { width: x1 - x0, height: y1 - y0 } };
}

const minus = (a: XY, b: XY): XY => ({ x: a.x - b.x, y: a.y - b.y });
