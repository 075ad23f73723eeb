import type { AttrValue, GraphIR, NodeIR } from './types';

/** One attribute (or the op, or the wiring) of a node that differs between two graphs. */
export interface NodeChange {
  /** An attribute's name, or `op` / `inputs` / `frozen`. */
  field: string;
  /** Absent: the attribute is not set on that side (the op's default applies). */
  before?: AttrValue | readonly string[];
  after?: AttrValue | readonly string[];
}

/** How graph `b` differs from graph `a`, node by node (nodes are matched by id). */
export interface GraphDiff {
  added: NodeIR[];
  removed: NodeIR[];
  changed: { id: string; op: string; changes: NodeChange[] }[];
  /** Named outputs that point elsewhere, appear or disappear. */
  outputs: { name: string; before?: string; after?: string }[];
}

const same = (x: unknown, y: unknown): boolean => (Array.isArray(x) && Array.isArray(y) ? x.length === y.length && x.every((v, i) => v === y[i]) : x === y);

/**
 * The architecture diff between two graphs: nodes added, removed, and changed (op, wiring, each
 * attribute old → new). Layout and training settings are not part of it. Ids come from files, so
 * lookups use `Map`s, never plain objects.
 *
 * @example
 * ```ts
 * diffGraphs(before, after).changed; // [{ id: 'fc1', op: 'Linear', changes: [{ field: 'outFeatures', before: 128, after: 256 }] }]
 * ```
 */
export function diffGraphs(a: Pick<GraphIR, 'nodes' | 'outputs'>, b: Pick<GraphIR, 'nodes' | 'outputs'>): GraphDiff {
  const before = new Map(a.nodes.map((n) => [n.id, n]));
  const after = new Map(b.nodes.map((n) => [n.id, n]));
  const diff: GraphDiff = { added: [], removed: [], changed: [], outputs: [] };
  for (const n of b.nodes) if (!before.has(n.id)) diff.added.push(n);
  for (const n of a.nodes) {
    const m = after.get(n.id);
    if (!m) {
      diff.removed.push(n);
      continue;
    }
    const changes: NodeChange[] = [];
    if (n.op !== m.op) changes.push({ field: 'op', before: n.op, after: m.op });
    if (!same(n.inputs, m.inputs)) changes.push({ field: 'inputs', before: n.inputs, after: m.inputs });
    // Frozen (fine-tuning) changes what a run learns: it is part of the comparison.
    if ((n.frozen === true) !== (m.frozen === true)) changes.push({ field: 'frozen', before: n.frozen === true, after: m.frozen === true });
    const keys = new Set([...Object.keys(n.attrs), ...Object.keys(m.attrs)]);
    for (const k of [...keys].sort()) {
      const x = Object.hasOwn(n.attrs, k) ? n.attrs[k] : undefined;
      const y = Object.hasOwn(m.attrs, k) ? m.attrs[k] : undefined;
      if (!same(x, y)) changes.push({ field: k, ...(x !== undefined ? { before: x } : {}), ...(y !== undefined ? { after: y } : {}) });
    }
    if (changes.length) diff.changed.push({ id: n.id, op: m.op, changes });
  }
  const outA = new Map(Object.entries(a.outputs ?? {}));
  const outB = new Map(Object.entries(b.outputs ?? {}));
  for (const name of new Set([...outA.keys(), ...outB.keys()])) {
    const x = outA.get(name);
    const y = outB.get(name);
    if (x !== y) diff.outputs.push({ name, ...(x !== undefined ? { before: x } : {}), ...(y !== undefined ? { after: y } : {}) });
  }
  return diff;
}

/** Whether two graphs have the same architecture (nodes, wiring, attributes and outputs). */
export function sameArchitecture(a: Pick<GraphIR, 'nodes' | 'outputs'>, b: Pick<GraphIR, 'nodes' | 'outputs'>): boolean {
  const d = diffGraphs(a, b);
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0 && d.outputs.length === 0;
}

/** A one-line description of a diff for lists and banners, e.g. `+ fc4 (Linear) · fc1: outFeatures 128 → 256`. */
export function describeDiff(d: GraphDiff, max = 4): string {
  const show = (v: NodeChange['before']) => (v === undefined ? '(default)' : Array.isArray(v) ? `[${v.join(', ')}]` : String(v));
  const parts = [
    ...d.added.map((n) => `+ ${n.id} (${n.op})`),
    ...d.removed.map((n) => `− ${n.id} (${n.op})`),
    ...d.changed.flatMap((c) => c.changes.map((x) => `${c.id}: ${x.field} ${show(x.before)} → ${show(x.after)}`)),
    ...d.outputs.map((o) => `output ${o.name}: ${o.before ?? '–'} → ${o.after ?? '–'}`),
  ];
  return parts.length <= max ? parts.join(' · ') : `${parts.slice(0, max).join(' · ')} · and ${parts.length - max} more`;
}
