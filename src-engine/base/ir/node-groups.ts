import type { GraphIR, NodeGroup } from './types';

/** Why a `groups` list is not a forest of named node sets of the graph, one line each. */
export interface NodeGroupProblem {
  /** The group (its id, or `groups[i]` when it has none). */
  group: string;
  message: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Check a graph's `groups` (IR v3) against its node ids, and return the groups that are sound. A
 * group is sound when it has a unique non-empty `id`, a string `name`, a `nodes` list of distinct
 * ids of the graph, and a `parent` (if any) that is another sound group holding all its nodes;
 * sibling groups share no node (so the groups form a tree, and a node's groups a chain). A group
 * that is not sound is left out, and so are its descendants, with one problem said for it.
 *
 * @example
 * ```ts
 * checkNodeGroups([{ id: 'b1', name: 'block1', nodes: ['conv', 'relu'] }], new Set(['x', 'conv', 'relu']))
 * // { groups: [{ id: 'b1', name: 'block1', nodes: ['conv', 'relu'] }], problems: [] }
 * ```
 */
export function checkNodeGroups(raw: unknown, nodeIds: ReadonlySet<string>): { groups: NodeGroup[]; problems: NodeGroupProblem[] } {
  const problems: NodeGroupProblem[] = [];
  if (!Array.isArray(raw)) return { groups: [], problems: [{ group: 'groups', message: '"groups" must be a list of node groups ({ id, name, parent?, nodes }).' }] };
  const parsed: NodeGroup[] = [];
  const ids = new Set<string>();
  raw.forEach((g: unknown, i: number) => {
    const where = isRecord(g) && typeof g.id === 'string' && g.id !== '' ? g.id : `groups[${i}]`;
    const bad = (message: string) => void problems.push({ group: where, message });
    if (!isRecord(g) || typeof g.id !== 'string' || g.id === '' || g.id.length > 200 || RESERVED.has(g.id)) return bad(`A group needs an "id" (a non-empty string, not a reserved name).`);
    if (ids.has(g.id)) return bad(`Two groups are called "${g.id}"; group ids must be unique.`);
    if (typeof g.name !== 'string') return bad(`Group "${g.id}" needs a "name" (a string).`);
    if (g.parent !== undefined && typeof g.parent !== 'string') return bad(`Group "${g.id}": "parent" must be a group id.`);
    if (!Array.isArray(g.nodes) || !g.nodes.every((n: unknown) => typeof n === 'string')) return bad(`Group "${g.id}": "nodes" must be a list of node ids.`);
    const nodes = g.nodes as string[];
    const missing = nodes.find((n) => !nodeIds.has(n));
    if (missing !== undefined) return bad(`Group "${g.id}" lists "${missing.slice(0, 80)}", which is not a node.`);
    if (new Set(nodes).size !== nodes.length) return bad(`Group "${g.id}" lists a node twice.`);
    ids.add(g.id);
    parsed.push({ id: g.id, name: g.name, ...(g.parent !== undefined ? { parent: g.parent as string } : {}), nodes: [...nodes] });
  });
  // Keep a group once its parent is kept (parents may come after children in the list).
  const kept = new Map<string, NodeGroup>();
  // `level\0node` → the kept group under that parent (level) holding the node: siblings must not share one.
  const owner = new Map<string, string>();
  let progress = true;
  const pending = new Set(parsed);
  while (progress && pending.size) {
    progress = false;
    for (const g of pending) {
      if (g.parent !== undefined && !kept.has(g.parent)) continue;
      pending.delete(g);
      progress = true;
      const parent = g.parent === undefined ? undefined : kept.get(g.parent)!;
      if (parent) {
        const inParent = new Set(parent.nodes);
        const outside = g.nodes.find((n) => !inParent.has(n));
        if (outside !== undefined) {
          problems.push({ group: g.id, message: `Group "${g.id}" holds "${outside}", which its parent "${parent.id}" does not.` });
          continue;
        }
      }
      const level = parent?.id ?? '';
      const shared = g.nodes.find((n) => owner.has(`${level}\u0000${n}`));
      if (shared !== undefined) {
        problems.push({ group: g.id, message: `Groups "${owner.get(`${level}\u0000${shared}`)}" and "${g.id}" both hold "${shared}"; groups nest, they do not overlap.` });
        continue;
      }
      for (const n of g.nodes) owner.set(`${level}\u0000${n}`, g.id);
      kept.set(g.id, g);
    }
  }
  // What is left waits on a parent that is not a group, was left out, or is on a loop of parents.
  const byId = new Map(parsed.map((g) => [g.id, g]));
  for (const g of pending) {
    if (!ids.has(g.parent!)) {
      problems.push({ group: g.id, message: `Group "${g.id}" has the parent "${g.parent}", which is not a group.` });
      continue;
    }
    const seen = new Set<string>();
    let p: NodeGroup | undefined = g;
    while (p && pending.has(p) && !seen.has(p.id)) {
      seen.add(p.id);
      p = byId.get(p.parent!);
    }
    // Under a group already left out (and said): nothing more to say.
    if (p && pending.has(p)) problems.push({ group: g.id, message: `Group "${g.id}" is its own ancestor: the parents of the groups form a loop.` });
  }
  return { groups: parsed.filter((g) => kept.has(g.id)), problems };
}

/**
 * The groups after some nodes were removed or renamed: ids follow `rename`, nodes not in `keep`
 * are dropped, and a group left with no node goes (its children, if any, are gone too, being
 * subsets). Returns `groups` itself when nothing changed.
 */
export function remapNodeGroups(groups: readonly NodeGroup[], keep: (id: string) => boolean, rename: (id: string) => string = (id) => id): readonly NodeGroup[] {
  let changed = false;
  const out: NodeGroup[] = [];
  for (const g of groups) {
    const nodes = g.nodes.filter(keep).map(rename);
    if (nodes.length === 0) {
      changed = true;
      continue;
    }
    const same = nodes.length === g.nodes.length && nodes.every((n, i) => n === g.nodes[i]);
    changed ||= !same;
    out.push(same ? g : { ...g, nodes });
  }
  if (!changed) return groups;
  const ids = new Set(out.map((g) => g.id));
  return out.map((g) => (g.parent !== undefined && !ids.has(g.parent) ? withoutParent(g) : g));
}

function withoutParent(g: NodeGroup): NodeGroup {
  const { parent: _parent, ...rest } = g;
  return rest;
}

/**
 * Nested groups from hierarchical node names, as torch.onnx writes module scopes
 * (`/features/denseblock1/denselayer3/conv1/Conv`): each scope holding at least two nodes
 * becomes a group named after its last part, inside the group of its enclosing scope. A scope
 * holding exactly the nodes of its only sub-scope adds nothing and is left out (the sub-scope
 * takes its place), as is a scope holding every node of the graph.
 *
 * @param scopes for each node id, its scope path (`['features', 'denseblock1', 'denselayer3']`), in graph order.
 * @returns groups, parents before children, with ids `g:features/denseblock1` (the path; `g:` keeps them apart from node ids).
 */
export function groupsFromScopes(scopes: ReadonlyArray<readonly [nodeId: string, scope: readonly string[]]>): NodeGroup[] {
  interface Scope {
    path: string;
    name: string;
    parent?: Scope;
    nodes: string[];
    children: Scope[];
  }
  const byPath = new Map<string, Scope>();
  const roots: Scope[] = [];
  const scopeOf = (parts: readonly string[]): Scope | undefined => {
    let parent: Scope | undefined;
    for (let depth = 1; depth <= parts.length; depth++) {
      const path = parts.slice(0, depth).join('/');
      let s = byPath.get(path);
      if (!s) {
        s = { path, name: parts[depth - 1], parent, nodes: [], children: [] };
        byPath.set(path, s);
        (parent ? parent.children : roots).push(s);
      }
      parent = s;
    }
    return parent;
  };
  for (const [id, parts] of scopes) {
    for (let s = scopeOf(parts); s; s = s.parent) s.nodes.push(id);
  }
  const out: NodeGroup[] = [];
  const walk = (s: Scope, parent: string | undefined) => {
    const kept = s.nodes.length >= 2 && s.nodes.length < scopes.length && !(s.children.length === 1 && s.children[0].nodes.length === s.nodes.length);
    const id = `g:${s.path}`;
    if (kept) out.push({ id, name: s.name, ...(parent !== undefined ? { parent } : {}), nodes: s.nodes });
    for (const c of s.children) walk(c, kept ? id : parent);
  };
  for (const r of roots) walk(r, undefined);
  return out;
}

/** The groups whose parent is `parent` (undefined: the top-level groups), in list order. */
export function childGroups(graph: Pick<GraphIR, 'groups'>, parent: string | undefined): NodeGroup[] {
  return (graph.groups ?? []).filter((g) => g.parent === parent);
}
