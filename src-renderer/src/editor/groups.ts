import type { GraphIR, NodeIR } from '../../../src-engine/facade';
import type { XY } from './document';
import type { EditRefusal } from './actions';
import { EditCode } from './actions';
import { NODE_ID_PATTERN, UNCONNECTED, reaches } from './graph';

/**
 * A collapsible group of nodes: view state (saved in the project's `ui.groups`), never part of
 * the IR the engine trains. Collapsed, the canvas draws its members as one card; open, as they
 * are, framed. Kept in the editor document beside the layout, so grouping, opening and closing
 * undo like any edit.
 */
export interface NodeGroup {
  /** Unique among groups; never a node id (see `groupFlowId`). */
  readonly id: string;
  /** Members in the IR's order. */
  readonly members: readonly string[];
  readonly open: boolean;
}

/** The canvas id of a group's card or frame: `group:` cannot start a node id, so the two never collide. */
export const groupFlowId = (id: string): string => `group:${id}`;
export const groupOfFlowId = (flowId: string): string | undefined => (flowId.startsWith('group:') ? flowId.slice(6) : undefined);

/** Where a group meets the rest of the graph: the member fed from outside and the member read from outside. */
export interface GroupPorts {
  /** The member whose inputs come from outside (undefined: the group starts the network, e.g. at an Input). */
  entry?: string;
  /** The member whose output is read outside (undefined: the group ends it, e.g. at a loss). */
  exit?: string;
}

/**
 * Why `members` cannot be a group of `graph`, or undefined when they can. A group is a connected
 * sub-graph with one way in and one way out, so its card can stand for it with one input and one
 * output: at least two nodes, none already in another group, connected through edges among
 * themselves, only one member reading from outside and only one member read from outside, and no
 * path that leaves the group and comes back into it (collapsed, that would draw a cycle).
 *
 * @example
 * ```ts
 * groupProblem(cnn, ['conv1', 'bn1', 'relu1', 'pool1'], []) // undefined: a Conv-BN-ReLU-Pool block
 * groupProblem(cnn, ['conv1', 'relu1'], [])                 // E_GROUP_DISCONNECTED (bn1 is between)
 * ```
 */
export function groupProblem(graph: GraphIR, members: readonly string[], groups: readonly NodeGroup[], ignoreGroup?: string): EditRefusal | undefined {
  const set = new Set(members);
  if (set.size < 2) return { code: EditCode.GROUP_TOO_SMALL, message: 'Select at least two connected nodes to group them.' };
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  for (const id of set) if (!byId.has(id)) return { code: EditCode.UNKNOWN_NODE, message: `No node called "${id}".` };
  for (const g of groups) {
    if (g.id === ignoreGroup) continue;
    const inside = g.members.find((m) => set.has(m));
    if (inside) return { code: EditCode.GROUP_OVERLAP, message: `"${inside}" is already in the group "${g.id}": ungroup it first (groups do not nest).`, nodeId: inside };
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
  const ports = groupPorts(graph, set);
  if (ports.entries.length > 1) {
    return { code: EditCode.GROUP_ENTRIES, message: `A group needs one way in, but ${ports.entries.map((id) => `"${id}"`).join(' and ')} both read from outside it.` };
  }
  if (ports.exits.length > 1) {
    return { code: EditCode.GROUP_EXITS, message: `A group needs one way out, but ${ports.exits.map((id) => `"${id}"`).join(' and ')} are both read outside it.` };
  }
  // No way out and back in: an outside node fed by the group must not feed the group.
  for (const n of graph.nodes) {
    if (set.has(n.id) || !n.inputs.some((s) => set.has(s))) continue;
    const back = [...set].find((m) => reaches(graph, n.id, m));
    if (back) return { code: EditCode.GROUP_LEAKS, message: `"${n.id}" reads from the selection and feeds "${back}" in it: include it, or group less.`, nodeId: n.id };
  }
  return undefined;
}

/** The members fed from outside and the members read from outside (a valid group has at most one of each). */
function groupPorts(graph: GraphIR, set: ReadonlySet<string>): { entries: string[]; exits: string[] } {
  const entries: string[] = [];
  const exits = new Set<string>();
  for (const n of graph.nodes) {
    if (set.has(n.id)) {
      if (n.inputs.some((s) => s !== UNCONNECTED && !set.has(s))) entries.push(n.id);
    } else for (const s of n.inputs) if (set.has(s)) exits.add(s);
  }
  return { entries, exits: [...exits] };
}

/** The entry and exit of a valid group (see `groupProblem`). */
export function portsOf(graph: GraphIR, group: NodeGroup): GroupPorts {
  const { entries, exits } = groupPorts(graph, new Set(group.members));
  return { entry: entries[0], exit: exits[0] };
}

/** A group id not taken by a group or a node: `block1`, `block2`, … */
export function freshGroupId(graph: GraphIR, groups: readonly NodeGroup[]): string {
  const taken = new Set([...graph.nodes.map((n) => n.id), ...groups.map((g) => g.id)]);
  for (let i = 1; ; i++) if (!taken.has(`block${i}`)) return `block${i}`;
}

/**
 * The groups still valid after an edit changed the graph: members that are gone are dropped (a
 * renamed member is followed by the rename edit itself), and a group no longer valid — fewer than
 * two members, split in two, a second way in — is dissolved rather than drawn wrong. Returns the
 * same array when nothing changed.
 */
export function keepValidGroups(graph: GraphIR, groups: readonly NodeGroup[]): readonly NodeGroup[] {
  if (groups.length === 0) return groups;
  const ids = new Set(graph.nodes.map((n) => n.id));
  let changed = false;
  const kept: NodeGroup[] = [];
  for (const g of groups) {
    const members = g.members.filter((m) => ids.has(m));
    const next = members.length === g.members.length ? g : { ...g, members };
    if (groupProblem(graph, next.members, groups, g.id)) {
      changed = true;
      continue;
    }
    changed ||= next !== g;
    kept.push(next);
  }
  return changed ? kept : groups;
}

/**
 * Groups read from a project file's `ui.groups`: anything unreadable or no longer valid for the
 * graph is left out, with a note saying so (a file without groups has none).
 */
export function readGroups(graph: GraphIR, raw: unknown, notes: string[]): NodeGroup[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    notes.push('The saved groups were unreadable and were left out.');
    return [];
  }
  const groups: NodeGroup[] = [];
  for (const g of raw as unknown[]) {
    const r = g as Partial<Record<keyof NodeGroup, unknown>> | null;
    const ok = r !== null && typeof r === 'object' && typeof r.id === 'string' && NODE_ID_PATTERN.test(r.id) && Array.isArray(r.members) && r.members.every((m) => typeof m === 'string');
    const group = ok ? { id: r.id as string, members: [...(r.members as string[])], open: r.open === true } : undefined;
    if (!group || groups.some((o) => o.id === group.id) || groupProblem(graph, group.members, groups)) {
      notes.push(`A saved group${group ? ` ("${group.id}")` : ''} no longer fits the network and was left out.`);
      continue;
    }
    groups.push(group);
  }
  return groups;
}

/**
 * The graph as the canvas draws it, for auto-layout: each collapsed group is one node (its card's
 * id, in its entry's place in the order) reading what the group reads from outside. Open groups
 * and ungrouped nodes are as they are.
 */
export function collapsedGraph(graph: GraphIR, groups: readonly NodeGroup[]): GraphIR {
  const closed = groups.filter((g) => !g.open);
  if (closed.length === 0) return graph;
  const cardOf = new Map<string, string>();
  for (const g of closed) for (const m of g.members) cardOf.set(m, groupFlowId(g.id));
  const drawn = (id: string) => cardOf.get(id) ?? id;
  const nodes: NodeIR[] = [];
  for (const n of graph.nodes) {
    const card = cardOf.get(n.id);
    if (card === undefined) nodes.push({ ...n, inputs: n.inputs.map((s) => (s === UNCONNECTED ? s : drawn(s))) });
    else if (!nodes.some((x) => x.id === card)) {
      const g = closed.find((x) => groupFlowId(x.id) === card)!;
      const outside = graph.nodes.filter((x) => g.members.includes(x.id)).flatMap((x) => x.inputs.filter((s) => s !== UNCONNECTED && !g.members.includes(s)));
      nodes.push({ id: card, op: n.op, attrs: {}, inputs: [...new Set(outside.map(drawn))] });
    }
  }
  return { ...graph, nodes };
}

/**
 * Positions for every node from positions of the drawn graph (`collapsedGraph`): a collapsed
 * group's entry goes where its card was placed and its other members keep their places relative
 * to it (opened, the block is as it was drawn).
 */
export function expandPositions(layout: Readonly<Record<string, XY>>, placed: Readonly<Record<string, XY>>, graph: GraphIR, groups: readonly NodeGroup[]): Record<string, XY> {
  const out: Record<string, XY> = {};
  for (const [id, p] of Object.entries(placed)) if (groupOfFlowId(id) === undefined) out[id] = p;
  for (const g of groups) {
    const at = placed[groupFlowId(g.id)];
    if (g.open || !at) continue;
    const anchor = portsOf(graph, g).entry ?? g.members[0];
    const from = layout[anchor] ?? at;
    for (const m of g.members) {
      const p = layout[m] ?? from;
      out[m] = { x: at.x + p.x - from.x, y: at.y + p.y - from.y };
    }
  }
  return out;
}

/** Whether a member's box (the layout's 180×70) overlaps a node outside the group. */
export function membersCoverOthers(graph: GraphIR, layout: Readonly<Record<string, XY>>, group: NodeGroup): boolean {
  const inside = new Set(group.members);
  const hit = (a: XY, b: XY) => Math.abs(a.x - b.x) < 180 && Math.abs(a.y - b.y) < 70;
  const others = graph.nodes.filter((n) => !inside.has(n.id) && layout[n.id]).map((n) => layout[n.id]);
  return group.members.some((m) => layout[m] !== undefined && others.some((o) => hit(layout[m], o)));
}
