/**
 * model.py's repeated blocks: the parts of a network that recur with the same structure (a ResNet's
 * BasicBlock: conv, relu, conv, the input or its downsample added, relu) written once as an
 * `nn.Module` class and instantiated per block, as torchvision writes them, instead of one flat
 * `forward()` of every layer.
 *
 * A block is a run of consecutive layers (in the graph's order) with one way in and one way out:
 * before it only one value is still needed (its input) and after it only its last layer's. Runs of
 * two or more layers that share a structure — the same ops, wired the same way, from the same
 * PyTorch templates — are instances of one class; what differs between them (a width, a stride)
 * becomes the class's arguments. A run that occurs once stays flat.
 */
import type { NodeIR } from '../../base/ir/types';
import { getOp } from '../ops/registry';
import { fillTorchSlots, torchExpressionText, torchModuleParts } from '../ops/export-mapping';

/** What the block finder needs of a planned graph (pytorch.ts `TorchPlan`). */
export interface BlockPlanInput {
  /** The layers, in the graph's order (no Input, no loss). */
  body: readonly NodeIR[];
  /** The feature Inputs' ids. */
  features: readonly string[];
  /** The node ids forward() returns (alive to the end). */
  returns: readonly string[];
  /** Each node's flat Python name (pytorch.ts `pythonNames`). */
  names: ReadonlyMap<string, string>;
  /** Each node's output shape, batch included. */
  shapes: Readonly<Record<string, readonly number[]>>;
}

/** One class model.py defines for a repeated block. */
export interface BlockClass {
  name: string;
  /** The constructor's parameters (what differs between its instances). */
  params: string[];
  /** The ops in order, for its docstring. */
  ops: string[];
  /** How many instances. */
  count: number;
  /** `self.<member> = <module>` lines of `__init__` (modules with parameters in place of what varies). */
  init: string[];
  /** `forward(self, x)`'s lines, `return` included. */
  forward: string[];
}

/** One block of the network: an instance of a class. */
export interface BlockInstance {
  /** Its attribute in Net (and the variable forward() holds its output in). */
  attr: string;
  className: string;
  /** The constructor's arguments, in the order of the class's params (Python literals). */
  args: string[];
  /** The value it reads. */
  entry: string;
  /** Its node ids, in order; the last is its output. */
  nodes: string[];
}

export interface TorchBlocks {
  classes: BlockClass[];
  /** By the id of each instance's first node. */
  instances: Map<string, BlockInstance>;
  /** Each node's module path in Net (`layer1_0.conv1` inside a block, else its flat name). */
  paths: Map<string, string>;
}

export const PY_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);
/** Attributes of nn.Module a submodule must not shadow, and the names model.py itself uses. */
export const RESERVED = new Set(['self', 'torch', 'nn', 'forward', 'training', 'train', 'eval', 'to', 'cuda', 'cpu', 'type', 'float', 'double', 'half', 'apply', 'parameters', 'buffers', 'modules', 'children', 'state_dict', 'load_state_dict', 'zero_grad', 'register_buffer', 'add_module', 'requires_grad_', 'extra_repr', 'outputs', 'load_weights', 'normalize']);

/** Python's built-in names: a node called `input` or `max` would hide the built-in inside forward(). */
export const PY_BUILTINS = new Set(
  'abs all any ascii bin bool breakpoint bytearray bytes callable chr classmethod compile complex delattr dict dir divmod enumerate eval exec filter format frozenset getattr globals hasattr hash help hex id input int isinstance issubclass iter len list locals map max memoryview min next object oct open ord pow print property range repr reversed round set setattr slice sorted staticmethod str sum super tuple vars zip'.split(' '),
);

/** An identifier (from pythonNames, or a snake-cased attr name) kept clear of Python's words, nn.Module's, the built-ins and a block's input `x`. */
function ident(n: string): string {
  const s = /^[0-9]/.test(n) ? `n_${n}` : n;
  return PY_KEYWORDS.has(s) || RESERVED.has(s) || PY_BUILTINS.has(s) || s === 'x' ? `${s}_` : s;
}

/** A placeholder's key as a parameter name: `outChannels` → `out_channels`, `in[1]` → `channels`, `in[-1]` → `features`. */
function paramName(key: string): string {
  const k = key.split(':')[0];
  if (k === 'in[1]') return 'channels';
  if (k === 'in[-1]') return 'features';
  const dim = /^in\[(-?\d+)\]$/.exec(k);
  if (dim) return `size_${dim[1].replace('-', 'last_')}`;
  if (k.startsWith('in[')) return 'shape';
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/[^a-z0-9_]/g, '_');
}

/** A segment: consecutive layers from `from` to `to` (inclusive) of the body, reading `entry` only. */
interface Segment {
  from: number;
  to: number;
  entry: string;
}

/**
 * The single-entry, single-exit runs of the body: after each of their last layers only that layer's
 * value is still needed, and before each first layer only its input's.
 */
function segments(p: BlockPlanInput): Segment[] {
  const lastUse = new Map<string, number>();
  p.body.forEach((n, i) => n.inputs.forEach((id) => lastUse.set(id, Math.max(lastUse.get(id) ?? -1, i))));
  for (const r of p.returns) lastUse.set(r, Infinity);
  const live = new Set(p.features.filter((f) => lastUse.has(f)));
  const cuts: { at: number; value: string }[] = [];
  if (live.size === 1) cuts.push({ at: -1, value: [...live][0] });
  p.body.forEach((n, i) => {
    if ((lastUse.get(n.id) ?? -1) > i) live.add(n.id);
    for (const id of n.inputs) if (lastUse.get(id) === i) live.delete(id);
    if (live.size === 1 && live.has(n.id)) cuts.push({ at: i, value: n.id });
  });
  const out: Segment[] = [];
  for (let k = 1; k < cuts.length; k++) out.push({ from: cuts[k - 1].at + 1, to: cuts[k].at, entry: cuts[k - 1].value });
  return out;
}

/** A segment's layers as a class would write them: structure (the same for every instance of a class) and the slots' texts. */
interface Shape {
  key: string;
  slots: string[];
  /** Its layers' member names (memberNames), which its class uses where every instance agrees. */
  members: string[];
  /** The prefix its layers' names share: the block's attribute in Net. */
  prefix: string;
  ops: string[];
  /** Per layer: its module template and slots, or its forward expression given its inputs' variables. */
  layers: ({ module: string; slots: number[] } | { expr: (refs: readonly string[]) => string })[];
  /** Per layer, its inputs: a layer's index in the block, or -1 for the block's input. */
  inputs: number[][];
}

/** `<op>`, `<op>_2`, … for a block's layers: member names whatever their nodes are called. */
function opMembers(ops: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return ops.map((op) => {
    const base = ident(op.toLowerCase());
    const k = (seen.get(base) ?? 0) + 1;
    seen.set(base, k);
    return k === 1 ? base : `${base}_${k}`;
  });
}

/** Member names for a segment's layers: their flat names less the prefix they share (opMembers where two would be alike). */
function memberNames(nodes: readonly NodeIR[], names: ReadonlyMap<string, string>): { prefix: string; members: string[] } {
  const flat = nodes.map((n) => names.get(n.id)!);
  let prefix = flat.reduce((a, b) => {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return a.slice(0, i);
  });
  // Cut at a word: the prefix is a whole name or ends where each name goes on with '_'.
  if (!flat.every((f) => f.length === prefix.length || f[prefix.length] === '_')) prefix = prefix.slice(0, prefix.lastIndexOf('_') + 1);
  const members = flat.map((f, k) => ident(f.slice(prefix.length).replace(/^_+/, '') || nodes[k].op.toLowerCase()));
  return { prefix: prefix.replace(/_+$/, ''), members: new Set(members).size === members.length ? members : opMembers(nodes.map((n) => n.op)) };
}

function shapeOf(p: BlockPlanInput, s: Segment): Shape | undefined {
  const nodes = p.body.slice(s.from, s.to + 1);
  const local = new Map(nodes.map((n, k) => [n.id, k]));
  const slots: string[] = [];
  const layers: Shape['layers'] = [];
  const inputs: number[][] = [];
  for (const n of nodes) {
    const def = getOp(n.op);
    if (!def) return undefined;
    const refs = n.inputs.map((id) => (id === s.entry ? -1 : local.get(id)));
    if (refs.some((r) => r === undefined)) return undefined;
    inputs.push(refs as number[]);
    const inShape = p.shapes[n.inputs[0]] ?? [];
    const parts = torchModuleParts(def, n.attrs, inShape);
    if (parts) layers.push({ module: parts.template, slots: parts.slots.map((x) => slots.push(x.text) - 1) });
    else if (torchExpressionText(def, n.attrs, inShape, n.inputs) !== undefined) layers.push({ expr: (vars) => torchExpressionText(def, n.attrs, inShape, vars)! });
    else return undefined;
  }
  const ops = nodes.map((n) => n.op);
  // Structure only, in positional names (what the nodes are called differs from block to block);
  // weight inits are written per node in Net, but a layer's `init` is part of what must agree.
  const canonical = inputs.map((refs) => refs.map((r) => (r < 0 ? 'x' : `v${r}`)));
  const key = JSON.stringify([ops, inputs, layers.map((l, k) => ('module' in l ? l.module : l.expr(canonical[k]))), nodes.map((n) => n.attrs.init ?? null)]);
  return { key, slots, ...memberNames(nodes, p.names), ops, layers, inputs };
}

/**
 * The repeated blocks of a planned graph, and every node's module path. Deterministic in the graph
 * alone: pytorch.ts's torchNodeNames gives the state dict's names (weights.pt, safetensors, train.py's
 * checkpoints) from the same call.
 */
export function findBlocks(p: BlockPlanInput): TorchBlocks {
  // The smallest single-entry, single-exit runs; those of two or more layers that recur are the
  // blocks' cores, each then grown over the runs that follow every one of them alike (a
  // BasicBlock's core ends at its Add: the ReLU after it is a run of its own).
  const segs = segments(p);
  const cores = new Map<string, number[]>();
  segs.forEach((s, i) => {
    if (s.to === s.from) return;
    const shape = shapeOf(p, s);
    if (shape) cores.set(shape.key, [...(cores.get(shape.key) ?? []), i]);
  });
  const repeated = [...cores.values()].filter((g) => g.length >= 2);
  const claimed = new Set(repeated.flat());
  const groups: { s: Segment; shape: Shape }[][] = [];
  for (const g of repeated) {
    const runOf = (i: number, k: number): Segment => ({ from: segs[i].from, to: segs[i + k].to, entry: segs[i].entry });
    let grown = 0;
    for (;;) {
      const next = g.map((i) => i + grown + 1);
      if (next.some((j) => j >= segs.length || claimed.has(j))) break;
      const keys = g.map((i) => shapeOf(p, runOf(i, grown + 1))?.key);
      if (keys.some((k) => k === undefined || k !== keys[0])) break;
      grown++;
      next.forEach((j) => claimed.add(j));
    }
    groups.push(g.map((i) => ({ s: runOf(i, grown), shape: shapeOf(p, runOf(i, grown))! })));
  }
  const classes: BlockClass[] = [];
  const instances = new Map<string, BlockInstance>();
  const paths = new Map<string, string>(p.body.map((n) => [n.id, p.names.get(n.id)!]));
  const used = new Set(p.names.values());
  const attrs = new Set<string>();
  for (const group of groups) {
    const name = `Block${classes.length + 1}`;
    const first = group[0].shape;
    // The layers' names where every block agrees on them (conv1, relu, …), else by op.
    const members = group.every((g) => g.shape.members.join('\0') === first.members.join('\0')) ? first.members : opMembers(first.ops);
    // A slot whose text is the same in every instance is written as it is; the others are
    // parameters, one per distinct column of texts (channels in = channels out: one parameter).
    const params: string[] = [];
    const columns = new Map<string, string>();
    /** Per slot: its parameter, or undefined where every instance writes the same text. */
    const paramOfSlot = first.slots.map((text, k) => {
      const column = group.map((g) => g.shape.slots[k]);
      if (column.every((t) => t === text)) return undefined;
      const key = JSON.stringify(column);
      let param = columns.get(key);
      if (!param) {
        const layer = first.layers.findIndex((l) => 'module' in l && l.slots.includes(k));
        const l = first.layers[layer] as { module: string; slots: number[] };
        const slotKey = [...l.module.matchAll(/\{([^{}]+)\}/g)][l.slots.indexOf(k)][1];
        let candidate = ident(paramName(slotKey));
        if (params.includes(candidate)) candidate = ident(`${members[layer]}_${paramName(slotKey)}`);
        const base = candidate;
        for (let n = 2; params.includes(candidate); n++) candidate = `${base}_${n}`;
        param = candidate;
        params.push(param);
        columns.set(key, param);
      }
      return param;
    });
    const slotText = first.slots.map((text, k) => paramOfSlot[k] ?? text);
    const init: string[] = [];
    const forward: string[] = [];
    first.layers.forEach((l, k) => {
      const m = members[k];
      const vars = first.inputs[k].map((r) => (r < 0 ? 'x' : members[r]));
      if ('module' in l) {
        init.push(`self.${m} = ${fillTorchSlots(l.module, l.slots.map((i) => slotText[i]))}`);
        forward.push(`${m} = self.${m}(${vars.join(', ')})`);
      } else forward.push(`${m} = ${l.expr(vars)}`);
    });
    forward.push(`return ${members[members.length - 1]}`);
    classes.push({ name, params, ops: first.ops, count: group.length, init, forward });
    for (const { s, shape } of group) {
      const ids = p.body.slice(s.from, s.to + 1).map((n) => n.id);
      const { prefix } = shape;
      let attr = ident(prefix || name.toLowerCase());
      // Its inner layers' flat names go with it (they are attributes of the block now), but not another block's.
      for (const id of ids) used.delete(p.names.get(id)!);
      for (let n = 2; used.has(attr) || attrs.has(attr); n++) attr = `${ident(prefix || name.toLowerCase())}_${n}`;
      attrs.add(attr);
      const byParam = new Map<string, string>();
      shape.slots.forEach((t, k) => {
        if (paramOfSlot[k]) byParam.set(paramOfSlot[k]!, t);
      });
      instances.set(ids[0], { attr, className: name, args: params.map((q) => byParam.get(q)!), entry: s.entry, nodes: ids });
      ids.forEach((id, k) => paths.set(id, `${attr}.${members[k]}`));
    }
  }
  return { classes, instances, paths };
}
