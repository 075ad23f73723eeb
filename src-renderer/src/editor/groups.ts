import { checkNodeGroups, type GraphIR, type NodeGroup } from '../../../src-engine/facade';
import type { EditorDoc } from './document';
import type { EditRefusal } from './actions';
import { EditCode } from './actions';
import { NODE_ID_PATTERN, UNCONNECTED, reaches } from './graph';

export type { NodeGroup };

/**
 * Groups are part of the IR (`graph.groups`, IR v3: named, nested node sets — an imported
 * model's module scopes, or blocks grouped here); which of them are open is view state
 * (`EditorDoc.open`, saved in the project's `ui.openGroups`). Folded, the canvas draws a group
 * as one card; open, as its members (and sub-groups) in a frame.
 */

/** The canvas id of a group's card or frame: `group:` cannot start a node id, so the two never collide. */
export const groupFlowId = (id: string): string => `group:${id}`;
export const groupOfFlowId = (flowId: string): string | undefined => (flowId.startsWith('group:') ? flowId.slice(6) : undefined);

export const groupsOf = (graph: Pick<GraphIR, 'groups'>): readonly NodeGroup[] => graph.groups ?? [];

/** The open groups of a document, as a set. */
export const openSet = (doc: Pick<EditorDoc, 'open'>): ReadonlySet<string> => new Set(doc.open ?? []);

/** The shape of a graph's groups: parents, children, depths, and each node's innermost group. */
export interface GroupTree {
  readonly byId: ReadonlyMap<string, NodeGroup>;
  /** Child groups by parent id (`undefined`: the top level), in list order. */
  readonly children: ReadonlyMap<string | undefined, readonly NodeGroup[]>;
  /** The innermost group holding each grouped node. */
  readonly innermost: ReadonlyMap<string, string>;
  readonly depth: ReadonlyMap<string, number>;
}

const trees = new WeakMap<readonly NodeGroup[], GroupTree>();

/** The tree of `graph.groups` (cached per groups array: documents share it until groups change). */
export function groupTree(graph: Pick<GraphIR, 'groups'>): GroupTree {
  const groups = groupsOf(graph);
  const hit = trees.get(groups);
  if (hit) return hit;
  const byId = new Map(groups.map((g) => [g.id, g]));
  const depth = new Map<string, number>();
  const depthOf = (g: NodeGroup): number => {
    let d = 0;
    for (let p = g.parent; p !== undefined && d < groups.length; p = byId.get(p)?.parent) d++;
    return d;
  };
  for (const g of groups) depth.set(g.id, depthOf(g));
  const children = new Map<string | undefined, NodeGroup[]>();
  for (const g of groups) {
    const list = children.get(g.parent) ?? [];
    list.push(g);
    children.set(g.parent, list);
  }
  const innermost = new Map<string, string>();
  for (const g of [...groups].sort((a, b) => depth.get(a.id)! - depth.get(b.id)!)) for (const n of g.nodes) innermost.set(n, g.id);
  const tree = { byId, children, innermost, depth };
  trees.set(groups, tree);
  return tree;
}

/** A group's ancestors, outermost first, then the group itself. */
export function groupChain(tree: GroupTree, id: string | undefined): NodeGroup[] {
  const chain: NodeGroup[] = [];
  for (let g = id === undefined ? undefined : tree.byId.get(id); g && chain.length <= tree.byId.size; g = g.parent === undefined ? undefined : tree.byId.get(g.parent)) chain.unshift(g);
  return chain;
}

/**
 * What each node is drawn as: itself, or the card of the outermost folded group holding it (every
 * group around that card is open). Only hidden nodes are in the map.
 */
export function drawnAs(graph: Pick<GraphIR, 'groups'>, open: ReadonlySet<string>): Map<string, string> {
  const tree = groupTree(graph);
  const cardOf = new Map<string, string | null>();
  const card = (id: string): string | null => {
    let c = cardOf.get(id);
    if (c !== undefined) return c;
    c = groupChain(tree, id).find((g) => !open.has(g.id))?.id ?? null;
    cardOf.set(id, c);
    return c;
  };
  const out = new Map<string, string>();
  for (const [node, inner] of tree.innermost) {
    const c = card(inner);
    if (c !== null) out.set(node, c);
  }
  return out;
}

/** Whether every group around `id` is open (so it is drawn, as a card or a frame). */
export function groupShown(tree: GroupTree, id: string, open: ReadonlySet<string>): boolean {
  return groupChain(tree, id)
    .slice(0, -1)
    .every((g) => open.has(g.id));
}

/** Where a group meets the rest of the graph: members that read from outside, and members read outside. */
export interface GroupPorts {
  entries: readonly string[];
  exits: readonly string[];
  /** The nodes outside the group that its entries read, in graph order, without repeats. */
  sources: readonly string[];
}

export function groupPorts(graph: GraphIR, members: Iterable<string>): GroupPorts {
  const set = new Set(members);
  const entries: string[] = [];
  const exits = new Set<string>();
  const sources = new Set<string>();
  for (const n of graph.nodes) {
    if (set.has(n.id)) {
      const outside = n.inputs.filter((s) => s !== UNCONNECTED && !set.has(s));
      if (outside.length) entries.push(n.id);
      for (const s of outside) sources.add(s);
    } else for (const s of n.inputs) if (set.has(s)) exits.add(s);
  }
  return { entries, exits: graph.nodes.filter((n) => exits.has(n.id)).map((n) => n.id), sources: [...sources] };
}

/** The node a folded group's card stands at: its first node (the layout places it where the card goes). */
export const groupAnchorNode = (group: NodeGroup): string => group.nodes[0];

/**
 * Why `members` cannot become a new group of `graph`, or undefined when they can: at least two
 * nodes, connected through edges among themselves, no path that leaves the selection and comes
 * back into it (folded, that would draw a cycle), and nested with every existing group — each
 * holds all of the selection, none of it, or only nodes of it — and not the same set as one.
 *
 * @example
 * ```ts
 * groupProblem(cnn, ['conv1', 'bn1', 'relu1', 'pool1']) // undefined: a Conv-BN-ReLU-Pool block
 * groupProblem(cnn, ['conv1', 'relu1'])                 // E_GROUP_DISCONNECTED (bn1 is between)
 * ```
 */
export function groupProblem(graph: GraphIR, members: readonly string[]): EditRefusal | undefined {
  const set = new Set(members);
  if (set.size < 2) return { code: EditCode.GROUP_TOO_SMALL, message: 'Select at least two connected nodes to group them.' };
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  for (const id of set) if (!byId.has(id)) return { code: EditCode.UNKNOWN_NODE, message: `No node called "${id}".` };
  for (const g of groupsOf(graph)) {
    const inside = g.nodes.filter((m) => set.has(m)).length;
    if (inside === 0 || inside === g.nodes.length) {
      if (inside === set.size) return { code: EditCode.GROUP_OVERLAP, message: `These nodes are the group "${g.name}" already.` };
      continue;
    }
    if (inside === set.size) continue; // the selection lies inside g: the new group nests in it
    const apart = g.nodes.find((m) => !set.has(m))!;
    return { code: EditCode.GROUP_OVERLAP, message: `The selection holds part of the group "${g.name}" ("${apart}" is left out): select all of it, or only nodes inside it.`, nodeId: apart };
  }
  // Connected through edges among the members (either direction).
  const links = new Map<string, string[]>([...set].map((id) => [id, []]));
  for (const id of set) {
    for (const s of byId.get(id)!.inputs) {
      if (s === UNCONNECTED || !set.has(s)) continue;
      links.get(id)!.push(s);
      links.get(s)!.push(id);
    }
  }
  const first = members[0];
  const seen = new Set([first]);
  const stack = [first];
  while (stack.length) {
    for (const next of links.get(stack.pop()!)!) {
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(next);
    }
  }
  if (seen.size !== set.size) {
    const apart = [...set].find((id) => !seen.has(id))!;
    return { code: EditCode.GROUP_DISCONNECTED, message: `"${apart}" is not connected to the rest of the selection: a group is one connected block.`, nodeId: apart };
  }
  // No way out and back in: an outside node fed by the group must not feed the group.
  for (const n of graph.nodes) {
    if (set.has(n.id) || !n.inputs.some((s) => set.has(s))) continue;
    const back = [...set].find((m) => reaches(graph, n.id, m));
    if (back) return { code: EditCode.GROUP_LEAKS, message: `"${n.id}" reads from the selection and feeds "${back}" in it: include it, or group less.`, nodeId: n.id };
  }
  return undefined;
}

/**
 * The groups with a new one holding `members` (valid per `groupProblem`): inside the smallest
 * group that holds them all, and the parent of the groups it holds that were that group's children.
 */
export function addGroup(graph: GraphIR, id: string, members: readonly string[]): NodeGroup[] {
  const set = new Set(members);
  const groups = groupsOf(graph);
  const tree = groupTree(graph);
  const around = groups.filter((g) => members.every((m) => g.nodes.includes(m)));
  const parent = around.sort((a, b) => tree.depth.get(b.id)! - tree.depth.get(a.id)!)[0]?.id;
  const nodes = graph.nodes.filter((n) => set.has(n.id)).map((n) => n.id);
  const moved = groups.map((g) => (g.parent === parent && g.nodes.every((m) => set.has(m)) ? { ...g, parent: id } : g));
  return [...moved, { id, name: id, ...(parent !== undefined ? { parent } : {}), nodes }];
}

/** The groups without `id`; its children move up to its parent. */
export function removeGroup(groups: readonly NodeGroup[], id: string): NodeGroup[] {
  const gone = groups.find((g) => g.id === id);
  return groups
    .filter((g) => g.id !== id)
    .map((g) => {
      if (g.parent !== id) return g;
      const { parent: _p, ...rest } = g;
      return gone?.parent !== undefined ? { ...rest, parent: gone.parent } : rest;
    });
}

/** A group id not taken by a group or a node: `block1`, `block2`, … */
export function freshGroupId(graph: GraphIR): string {
  const taken = new Set([...graph.nodes.map((n) => n.id), ...groupsOf(graph).map((g) => g.id)]);
  for (let i = 1; ; i++) if (!taken.has(`block${i}`)) return `block${i}`;
}

/**
 * Groups saved by an older Netwright in the project's `ui.groups` (`{ id, members, open }`, flat,
 * view state only): read into the IR's groups, and the open ones. Anything unreadable or no
 * longer fitting the graph is left out, with a note saying so.
 */
export function readLegacyGroups(graph: GraphIR, raw: unknown, notes: string[]): { groups: NodeGroup[]; open: string[] } {
  if (raw === undefined) return { groups: [], open: [] };
  if (!Array.isArray(raw)) {
    notes.push('The saved groups were unreadable and were left out.');
    return { groups: [], open: [] };
  }
  const candidates: NodeGroup[] = [];
  const open: string[] = [];
  for (const g of raw as unknown[]) {
    const r = g as { id?: unknown; members?: unknown; open?: unknown } | null;
    if (r === null || typeof r !== 'object' || typeof r.id !== 'string' || !NODE_ID_PATTERN.test(r.id) || !Array.isArray(r.members)) {
      notes.push('A saved group no longer fits the network and was left out.');
      continue;
    }
    candidates.push({ id: r.id, name: r.id, nodes: (r.members as unknown[]).map(String) });
    if (r.open === true) open.push(r.id);
  }
  const checked = checkNodeGroups([...groupsOf(graph), ...candidates], new Set(graph.nodes.map((n) => n.id)));
  for (const p of checked.problems) notes.push(`A saved group ("${p.group}") no longer fits the network and was left out.`);
  const kept = new Set(checked.groups.map((g) => g.id));
  return { groups: checked.groups, open: open.filter((id) => kept.has(id)) };
}

/**
 * The groups opened when a model is first shown: a group holding more than half of the network
 * (a backbone such as torchvision's `features`) is opened, as are such groups inside it, so the
 * first view shows the blocks, each folded, rather than one card.
 */
export function initiallyOpen(graph: GraphIR): string[] {
  const tree = groupTree(graph);
  const open: string[] = [];
  let level: string | undefined;
  for (;;) {
    const big = (tree.children.get(level) ?? []).find((g) => g.nodes.length * 2 > graph.nodes.length);
    if (!big) return open;
    open.push(big.id);
    level = big.id;
  }
}
