import { getOp, type Attrs, type AttrValue, type OpDef, type GraphIR, type NodeIR } from '../../../src-engine/facade';

/** The placeholder for an input slot that has no edge yet (the IR keeps slots positional). */
export const UNCONNECTED = '';

/** One edge of the design: `source`'s output feeds input slot `slot` of `target`. */
export interface EdgeRef {
  source: string;
  target: string;
  slot: number;
}

/** A copy of an op's default attrs (arrays copied, so edits never alias the registry). */
export function defaultAttrs(def: OpDef): Attrs {
  const attrs: Attrs = {};
  for (const [name, spec] of Object.entries(def.attrs)) attrs[name] = copyValue(spec.default);
  return attrs;
}

export function copyValue(v: AttrValue): AttrValue {
  return Array.isArray(v) ? [...(v as number[])] : v;
}

/** Whether input slot `slot` of an op exists; a variadic last input accepts any slot from its index on. */
export function slotExists(def: OpDef, slot: number): boolean {
  if (!Number.isInteger(slot) || slot < 0) return false;
  if (slot < def.inputs.length) return true;
  return def.inputs.length > 0 && def.inputs[def.inputs.length - 1].variadic === true;
}

/** Whether `def`'s last input is variadic (Add, Concat). */
export function isVariadic(def: OpDef): boolean {
  return def.inputs.length > 0 && def.inputs[def.inputs.length - 1].variadic === true;
}

/** Display name of input slot `slot` (`x`, `x2`, … for variadic inputs). */
export function slotName(def: OpDef, slot: number): string {
  if (slot < def.inputs.length - (isVariadic(def) ? 1 : 0)) return def.inputs[slot].name;
  const last = def.inputs[def.inputs.length - 1];
  const k = slot - (def.inputs.length - 1);
  return k === 0 ? last.name : `${last.name}${k + 1}`;
}

/** Every edge of the graph, in node order then slot order. Unconnected slots give no edge. */
export function edgesOf(graph: GraphIR): EdgeRef[] {
  const edges: EdgeRef[] = [];
  for (const n of graph.nodes) n.inputs.forEach((source, slot) => source !== UNCONNECTED && edges.push({ source, target: n.id, slot }));
  return edges;
}

/** Whether `to` can be reached from `from` following edges forward (from producers to consumers). */
export function reaches(graph: GraphIR, from: string, to: string): boolean {
  if (from === to) return true;
  const consumers = new Map<string, string[]>();
  for (const n of graph.nodes) for (const s of n.inputs) if (s !== UNCONNECTED) (consumers.get(s) ?? consumers.set(s, []).get(s)!).push(n.id);
  const seen = new Set<string>([from]);
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const c of consumers.get(id) ?? []) {
      if (c === to) return true;
      if (!seen.has(c)) {
        seen.add(c);
        stack.push(c);
      }
    }
  }
  return false;
}

/** Node ids in topological order (producers first); nodes on a cycle come last, in file order. */
export function topoOrder(graph: GraphIR): string[] {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const indegree = new Map<string, number>();
  const consumers = new Map<string, string[]>();
  for (const n of graph.nodes) {
    let d = 0;
    for (const s of n.inputs) {
      if (s === UNCONNECTED || !ids.has(s)) continue;
      d++;
      (consumers.get(s) ?? consumers.set(s, []).get(s)!).push(n.id);
    }
    indegree.set(n.id, d);
  }
  const queue = graph.nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  const order: string[] = [];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i];
    order.push(id);
    for (const c of consumers.get(id) ?? []) {
      const d = indegree.get(c)! - 1;
      indegree.set(c, d);
      if (d === 0) queue.push(c);
    }
  }
  if (order.length < graph.nodes.length) {
    const placed = new Set(order);
    for (const n of graph.nodes) if (!placed.has(n.id)) order.push(n.id);
  }
  return order;
}

/** A readable id for a new node of `op` that is not in `taken`: `linear`, `linear2`, `relu`, … */
export function freshId(op: string, taken: ReadonlySet<string>): string {
  const base = op.toLowerCase().replace(/[^a-z0-9_]/g, '') || 'node';
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}${i}`)) return `${base}${i}`;
}

/**
 * Valid node ids: a letter or `_` first, then letters, digits, `_`, `-`, `.` (they name graph
 * inputs and outputs); not `__proto__`, `constructor` or `prototype`, which the engine's validator
 * refuses too (as keys they reach Object.prototype).
 */
export const NODE_ID_PATTERN = /^(?!(?:__proto__|constructor|prototype)$)[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** Ids the engine refuses as keys (see NODE_ID_PATTERN). */
export const RESERVED_NODE_IDS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A new node of `op` with default attrs and no inputs connected. Throws for an unknown op. */
export function createNode(op: string, taken: ReadonlySet<string>, id?: string): NodeIR {
  const def = getOp(op);
  if (!def) throw new Error(`Unknown op "${op}".`);
  return { id: id ?? freshId(op, taken), op, attrs: defaultAttrs(def), inputs: def.inputs.filter((i) => !i.variadic && !i.optional).map(() => UNCONNECTED) };
}
