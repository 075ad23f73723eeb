import type { ErrorCode } from '../../base/errors';
import { isTargetInput } from '../../base/ir/inputs';
import { getOp, listOps } from '../ops/registry';
import { OPTIMIZERS } from '../../catalog/optimizers/registry';
import type { AttrValue, Attrs, OpDef } from '../ops/types';
import type { AttrSpec } from '../../catalog/attr-spec';
import { formatShape } from '../../base/tensor';
import { hasErrors, type Diagnostic } from '../../base/ir/diagnostics';
import { inferShapes } from './infer';
import { migrateGraph } from '../../base/ir/migrate';
import { GRAPH_FORMAT, GRAPH_VERSION, type GraphIR, type NodeGroup, type NodeIR, type TrainingConfig } from '../../base/ir/types';
import { groupNodes, trainingLossNodes } from '../../base/ir/training';
import { startFromProblem } from '../../base/ir/start-from';
import { splitFilesIssue, splitIssue } from '../../base/ir/split';
import { checkNodeGroups, remapNodeGroups } from '../../base/ir/node-groups';
import { checkOptimizerSetting, checkScheduleSetting, checkTransformSetting } from './training-settings';

export type { Diagnostic } from '../../base/ir/diagnostics';

export interface GraphAnalysis {
  /** The normalised graph (attr defaults filled, pairs expanded), present only when there are no errors. */
  graph?: GraphIR;
  /** Node ids in a topological order (present with `graph`). */
  order?: string[];
  /** Output shape of every node that could be inferred (dim 0 = batch; -1 without `batchSize`). */
  shapes: Record<string, number[]>;
  diagnostics: Diagnostic[];
  /** Trainable parameter count. */
  params: number;
  /** Forward FLOPs per sample. */
  flopsPerSample: number;
}

/** Ids that would collide with Object.prototype when used as keys. */
const RESERVED_IDS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_NODES = 10_000;
const MAX_INPUTS = 1_000;

/**
 * Validate any JSON value as a Netwright graph and infer its shapes. Never throws: every problem,
 * from "not an object" to a shape mismatch deep in the graph, comes back as a diagnostic with a
 * stable code (docs/ir.md), and the node it concerns when there is one.
 *
 * Older versions are upgraded first (migrate.ts). The returned `graph` is a normalised copy:
 * attrs have their defaults filled and single-number pairs expanded (`kernelSize: 3` → `[3, 3]`).
 *
 * @example
 * ```ts
 * const a = analyzeGraph(JSON.parse(text), { batchSize: 64 });
 * if (!a.graph) showProblems(a.diagnostics);
 * ```
 */
export function analyzeGraph(json: unknown, opts: { batchSize?: number } = {}): GraphAnalysis {
  const empty = { shapes: Object.create(null) as Record<string, number[]>, params: 0, flopsPerSample: 0 };
  try {
    return analyze(json, opts);
  } catch (e) {
    // A safety net: the checks below are written not to throw, but a bug must not crash the app.
    return { ...empty, diagnostics: [{ code: 'E_INTERNAL', severity: 'error', message: `The graph could not be checked: ${String(e)}` }] };
  }
}

function analyze(json: unknown, opts: { batchSize?: number }): GraphAnalysis {
  const report = new Report();
  const g = readHeader(json, opts, report);
  if (!g) return report.empty();
  const read = readNodes(g.nodes, report);
  if (!read) return report.empty();
  const { nodes, byId, defs } = read;
  checkEdges(nodes, byId, report);
  const order = topoOrder(nodes, byId);
  if (order.length < nodes.length) reportCycles(nodes, order, report);
  const outputs = readOutputs(g.outputs, byId, report);
  const training = g.training === undefined ? undefined : checkTraining(g.training, byId, defs, report.diagnostics);
  const groups = readGroups(g.groups, byId, report);
  // Nodes off the path to an output or a loss: their problems are warnings, as PyTorch ignores a module forward() never calls.
  const unused = unusedNodes(nodes, byId, [...Object.values(outputs), ...lossIds(training)]);
  const broken = report.demote(0, unused);
  const structural = hasErrors(report.diagnostics);
  const sorted = order.map((id) => byId.get(id)!).filter((n) => defs.has(n.id));
  const inferred = inferSortedShapes(sorted, defs, opts, unused, broken, report);
  // Left out of the checked graph: an unused node that cannot be computed, and what it feeds.
  const leftOut = closeOver(broken, nodes, (n, set) => unused.has(n.id) && (!defs.has(n.id) || n.inputs.some((r) => set.has(r) || !byId.has(r))));
  warnUnused(nodes, unused, leftOut, structural, report);
  if (nodes.length === 0) report.error('E_EMPTY', 'The graph has no nodes.');
  warnAllFrozen(inferred.paramNodes.filter((id) => !leftOut.has(id)), byId, training, report);

  const result: GraphAnalysis = { shapes: inferred.shapes, params: inferred.params, flopsPerSample: inferred.flopsPerSample, diagnostics: report.diagnostics };
  if (!hasErrors(report.diagnostics)) {
    const graph: GraphIR = { format: GRAPH_FORMAT, version: GRAPH_VERSION, nodes: leftOut.size ? nodes.filter((n) => !leftOut.has(n.id)) : nodes, outputs };
    if (typeof g.name === 'string') graph.name = g.name;
    if (training) graph.training = training;
    if (groups?.length) graph.groups = leftOut.size ? [...remapNodeGroups(groups, (id) => !leftOut.has(id))] : groups;
    result.graph = graph;
    result.order = leftOut.size ? order.filter((id) => !leftOut.has(id)) : order;
  }
  return result;
}

/** The diagnostics one analysis collects, in order. */
class Report {
  readonly diagnostics: Diagnostic[] = [];

  error(code: ErrorCode, message: string, nodeId?: string): void {
    this.diagnostics.push(nodeId === undefined ? { code, severity: 'error', message } : { code, severity: 'error', nodeId, message });
  }

  warn(code: ErrorCode, message: string, nodeId?: string): void {
    this.diagnostics.push(nodeId === undefined ? { code, severity: 'warning', message } : { code, severity: 'warning', nodeId, message });
  }

  /** The analysis of a graph that stops at its first problems: nothing inferred. */
  empty(): GraphAnalysis {
    return { shapes: Object.create(null) as Record<string, number[]>, params: 0, flopsPerSample: 0, diagnostics: this.diagnostics };
  }

  /**
   * The errors from diagnostic `from` on that concern an unused node become warnings (it is left
   * out of training); answers the nodes demoted so far, `into`.
   */
  demote(from: number, unused: ReadonlySet<string>, into = new Set<string>()): Set<string> {
    const { diagnostics } = this;
    for (let i = from; i < diagnostics.length; i++) {
      const d = diagnostics[i];
      if (d.severity !== 'error' || d.nodeId === undefined || !unused.has(d.nodeId)) continue;
      into.add(d.nodeId);
      diagnostics[i] = { ...d, severity: 'warning', message: `${d.message} (left out of training: it feeds no output and no loss)` };
    }
    return into;
  }
}

/** The graph's envelope checked (an object, its format and version, the batch size asked) and migrated to the current version; undefined on an error. */
function readHeader(json: unknown, opts: { batchSize?: number }, report: Report): Record<string, unknown> | undefined {
  if (opts.batchSize !== undefined && !(Number.isInteger(opts.batchSize) && opts.batchSize >= 1)) {
    return void report.error('E_BATCH_SIZE', `Batch size must be a positive whole number; got ${String(opts.batchSize)}.`);
  }
  if (!isRecord(json)) return void report.error('E_NOT_OBJECT', `A graph is a JSON object; got ${describe(json)}.`);
  if (json.format !== GRAPH_FORMAT) return void report.error('E_FORMAT', `Not a Netwright graph: "format" must be "${GRAPH_FORMAT}"; got ${describe(json.format)}.`);
  if (typeof json.version !== 'number' || !Number.isInteger(json.version) || json.version < 0) {
    return void report.error('E_VERSION', `"version" must be a whole number; got ${describe(json.version)}.`);
  }
  if (json.version > GRAPH_VERSION) {
    return void report.error('E_VERSION_NEWER', `This graph was saved by a newer Netwright (format version ${json.version}; this one reads up to ${GRAPH_VERSION}). Update Netwright to open it.`);
  }
  const migrated = migrateGraph(json);
  report.diagnostics.push(...migrated.diagnostics);
  if (hasErrors(report.diagnostics)) return undefined;
  for (const step of migrated.applied) report.warn('W_MIGRATED', `Upgraded from an older format: ${step}.`);
  return migrated.json as Record<string, unknown>;
}

/** The nodes, each checked (id, op, inputs, attrs with defaults, arity); undefined when `nodes` is no list or too long. */
function readNodes(raw: unknown, report: Report): { nodes: NodeIR[]; byId: Map<string, NodeIR>; defs: Map<string, OpDef> } | undefined {
  if (!Array.isArray(raw)) return void report.error('E_NODES', `"nodes" must be a list of nodes; got ${describe(raw)}.`);
  if (raw.length > MAX_NODES) return void report.error('E_TOO_LARGE', `The graph has ${raw.length} nodes; the limit is ${MAX_NODES}.`);
  const read = { nodes: [] as NodeIR[], byId: new Map<string, NodeIR>(), defs: new Map<string, OpDef>() };
  raw.forEach((node: unknown, index: number) => readNode(node, index, read, report));
  return read;
}

/** One node of the list, added to `read` when it is well-formed enough to be referred to. */
function readNode(raw: unknown, index: number, read: { nodes: NodeIR[]; byId: Map<string, NodeIR>; defs: Map<string, OpDef> }, report: Report): void {
  const where = `Node #${index + 1}`;
  if (!isRecord(raw)) return report.error('E_NODE_INVALID', `${where} must be an object with id, op, attrs and inputs; got ${describe(raw)}.`);
  const id = raw.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) {
    return report.error('E_NODE_INVALID', `${where} needs an "id" (a non-empty string of at most 200 characters); got ${describe(id)}.`);
  }
  if (RESERVED_IDS.has(id)) return report.error('E_NODE_INVALID', `${where}: "${id}" is a reserved name; choose another id.`, id);
  if (read.byId.has(id)) return report.error('E_DUPLICATE_ID', `Two nodes are called "${id}"; ids must be unique.`, id);
  if (typeof raw.op !== 'string') return report.error('E_NODE_INVALID', `Node "${id}" needs an "op" (the op name, e.g. "Linear"); got ${describe(raw.op)}.`, id);
  const inputs = raw.inputs === undefined ? [] : raw.inputs;
  if (!Array.isArray(inputs) || inputs.length > MAX_INPUTS || !inputs.every((x: unknown) => typeof x === 'string')) {
    return report.error('E_NODE_INVALID', `Node "${id}": "inputs" must be a list of node ids; got ${describe(raw.inputs)}.`, id);
  }
  const rawAttrs = raw.attrs === undefined ? {} : raw.attrs;
  if (!isRecord(rawAttrs)) return report.error('E_NODE_INVALID', `Node "${id}": "attrs" must be an object; got ${describe(raw.attrs)}.`, id);
  if (raw.frozen !== undefined && typeof raw.frozen !== 'boolean') return report.error('E_NODE_INVALID', `Node "${id}": "frozen" must be true or false; got ${describe(raw.frozen)}.`, id);
  const node: NodeIR = { id, op: raw.op, attrs: {}, inputs: [...(inputs as string[])] };
  if (raw.frozen === true) node.frozen = true;
  read.byId.set(id, node);
  read.nodes.push(node);
  const def = getOp(raw.op);
  if (!def) {
    const guess = listOps().find((o) => o.name.toLowerCase() === String(raw.op).toLowerCase());
    return report.error('E_UNKNOWN_OP', `Node "${id}" uses unknown op "${clip(raw.op)}"${guess ? ` — did you mean "${guess.name}"?` : ''}.`, id);
  }
  node.attrs = checkAttrs(def, id, rawAttrs, report.diagnostics);
  // Shape rules may assume their declared inputs exist: only well-formed nodes get one.
  if (checkArity(def, node, report.diagnostics)) read.defs.set(id, def);
}

function checkEdges(nodes: readonly NodeIR[], byId: ReadonlyMap<string, NodeIR>, report: Report): void {
  for (const node of nodes) {
    for (const ref of node.inputs) {
      if (!byId.has(ref)) report.error('E_DANGLING_INPUT', `Node "${node.id}" takes input from "${clip(ref)}", which does not exist.`, node.id);
    }
  }
}

/**
 * Every cycle among the nodes `order` (Kahn's algorithm) left out, named: one that feeds nothing
 * is demoted to a warning later, with the rest of what is left out, so it must not hide one that
 * an output or a loss depends on.
 */
function reportCycles(nodes: readonly NodeIR[], order: readonly string[], report: Report): void {
  const sorted = new Set(order);
  for (const cycle of findCycles(nodes.filter((n) => !sorted.has(n.id)))) {
    report.error('E_CYCLE', `The graph has a cycle: ${cycle.map((id) => `"${id}"`).join(' → ')}. Remove one of these connections.`, cycle[0]);
  }
}

function readOutputs(raw: unknown, byId: ReadonlyMap<string, NodeIR>, report: Report): Record<string, string> {
  const outputs: Record<string, string> = {};
  if (raw === undefined) {
    report.warn('W_NO_OUTPUTS', 'The graph names no outputs; nothing will be shown as its prediction.');
  } else if (!isRecord(raw)) {
    report.error('E_OUTPUTS', `"outputs" must map names to node ids; got ${describe(raw)}.`);
  } else {
    for (const [name, ref] of Object.entries(raw)) {
      if (RESERVED_IDS.has(name)) report.error('E_OUTPUTS', `"${name}" is a reserved output name.`);
      else if (typeof ref !== 'string' || !byId.has(ref)) report.error('E_OUTPUT_UNKNOWN', `Output "${clip(name)}" refers to ${describe(ref)}, which is not a node.`);
      else outputs[name] = ref;
    }
  }
  return outputs;
}

/** Node groups (v3): they change nothing computed, so a bad one is a warning and is left out. */
function readGroups(raw: unknown, byId: ReadonlyMap<string, NodeIR>, report: Report): NodeGroup[] | undefined {
  if (raw === undefined) return undefined;
  const checked = checkNodeGroups(raw, new Set(byId.keys()));
  for (const p of checked.problems) report.warn('W_NODE_GROUP', `${p.message} The group is left out.`);
  return checked.groups;
}

/** The shapes, over the nodes whose structure is sound, and the losses' inputs checked; an unused node's problems demoted into `broken`. */
function inferSortedShapes(sorted: readonly NodeIR[], defs: Map<string, OpDef>, opts: { batchSize?: number }, unused: ReadonlySet<string>, broken: Set<string>, report: Report) {
  const inferred = inferShapes(sorted, opts);
  const shapeFrom = report.diagnostics.length;
  report.diagnostics.push(...inferred.diagnostics);
  report.demote(shapeFrom, unused, broken);
  if (!hasErrors(report.diagnostics)) checkLossInputs(sorted, defs, inferred.shapes, report.diagnostics);
  report.demote(shapeFrom, unused, broken);
  return inferred;
}

/** Nodes that feed no output and no loss: they cost time and learn nothing (or, left out, nothing at all). */
function warnUnused(nodes: readonly NodeIR[], unused: ReadonlySet<string>, leftOut: ReadonlySet<string>, structural: boolean, report: Report): void {
  const said = new Set(report.diagnostics.map((d) => d.nodeId));
  for (const n of nodes) {
    if (structural || !unused.has(n.id) || said.has(n.id)) continue;
    report.warn('W_UNUSED_NODE', `Node "${n.id}" (${n.op}) feeds no output and no loss${leftOut.has(n.id) ? ': it is left out of training and export' : ''}.`, n.id);
  }
}

/** Fine-tuning with every layer frozen trains nothing: said once, before a run that changes nothing. */
function warnAllFrozen(learning: readonly string[], byId: ReadonlyMap<string, NodeIR>, training: TrainingConfig | undefined, report: Report): void {
  if (training && learning.length > 0 && learning.every((id) => byId.get(id)!.frozen === true)) {
    report.warn('W_ALL_FROZEN', `Every layer with weights is frozen (${learning.length} of them): training would change nothing. Unfreeze the layers to train — when fine-tuning, at least the head (Inspector ▸ Fine-tuning).`);
  }
}

// — attrs —

function checkAttrs(def: OpDef, id: string, raw: Record<string, unknown>, diagnostics: Diagnostic[]): Attrs {
  const out: Record<string, AttrValue> = {};
  for (const key of Object.keys(raw)) {
    if (!Object.prototype.hasOwnProperty.call(def.attrs, key)) {
      diagnostics.push({ code: 'W_UNKNOWN_ATTR', severity: 'warning', nodeId: id, message: `${def.name} has no attribute "${clip(key)}"; it is ignored.` });
    }
  }
  for (const [name, spec] of Object.entries(def.attrs)) {
    const has = Object.prototype.hasOwnProperty.call(raw, name);
    const value = has ? raw[name] : undefined;
    if (value === undefined) {
      out[name] = spec.default;
      continue;
    }
    const r = checkAttr(spec, value);
    if (typeof r === 'string') {
      const code = r.startsWith('range:') ? 'E_ATTR_RANGE' : 'E_ATTR_TYPE';
      diagnostics.push({ code, severity: 'error', nodeId: id, message: `${def.name} "${name}": ${r.replace(/^(range|type):/, '')}` });
      out[name] = spec.default;
    } else {
      out[name] = r.value;
    }
  }
  return out;
}

/** The normalised value, or a message prefixed with `type:` or `range:`. */
function checkAttr(spec: AttrSpec, v: unknown): { value: AttrValue } | string {
  const range = (x: number, min?: number, max?: number): string | null => {
    if (min !== undefined && x < min) return `range:must be at least ${min}; got ${x}.`;
    if (max !== undefined && x > max) return `range:must be at most ${max}; got ${x}.`;
    return null;
  };
  switch (spec.kind) {
    case 'int': {
      if (typeof v !== 'number' || !Number.isInteger(v)) return `type:must be a whole number; got ${describe(v)}.`;
      return range(v, spec.min, spec.max) ?? { value: v };
    }
    case 'float': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return `type:must be a number; got ${describe(v)}.`;
      return range(v, spec.min, spec.max) ?? { value: v };
    }
    case 'bool':
      return typeof v === 'boolean' ? { value: v } : `type:must be true or false; got ${describe(v)}.`;
    case 'enum':
      return typeof v === 'string' && spec.values.includes(v) ? { value: v } : `type:must be one of ${spec.values.map((s) => `"${s}"`).join(', ')}; got ${describe(v)}.`;
    case 'ints': {
      // A single number stands for all entries of a fixed-length list (kernelSize: 3 → [3, 3]).
      let list: unknown = v;
      if (typeof v === 'number' && spec.length !== undefined) list = new Array(spec.length).fill(v);
      if (!Array.isArray(list) || list.length > 16 || !list.every((x) => typeof x === 'number' && Number.isInteger(x))) {
        return `type:must be a list of whole numbers${spec.length ? ` (${spec.length} of them, or one for all)` : ''}; got ${describe(v)}.`;
      }
      const ints = list as number[];
      if (spec.length !== undefined && ints.length !== spec.length) {
        const emptyAllowed = ints.length === 0 && spec.default.length === 0;
        if (ints.length === 1) return { value: new Array(spec.length).fill(ints[0]) };
        if (!emptyAllowed) return `type:needs ${spec.length} values (or one for all); got ${ints.length}.`;
      }
      for (const x of ints) {
        const bad = range(x, spec.min, 1 << 24);
        if (bad) return bad;
      }
      return { value: [...ints] };
    }
    case 'floats': {
      if (!Array.isArray(v) || v.length > 1 << 16 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        return `type:must be a list of numbers; got ${describe(v)}.`;
      }
      return { value: [...(v as number[])] };
    }
  }
}

function checkArity(def: OpDef, node: NodeIR, diagnostics: Diagnostic[]): boolean {
  const declared = def.inputs;
  const variadic = declared.length > 0 && declared[declared.length - 1].variadic === true;
  const required = declared.filter((d) => !d.optional && !d.variadic).length + (variadic ? 1 : 0);
  const max = variadic ? Infinity : declared.length;
  const n = node.inputs.length;
  if (n < required) {
    const names = declared.map((d) => d.name).join(', ');
    diagnostics.push({
      code: 'E_MISSING_INPUT',
      severity: 'error',
      nodeId: node.id,
      message: `${def.name} "${node.id}" needs ${variadic ? `at least ${required}` : required} input(s) (${names || 'none'}); it has ${n}. Connect ${n === 0 ? 'an input' : 'the missing input'}.`,
    });
  } else if (n > max) {
    diagnostics.push({
      code: 'E_EXTRA_INPUT',
      severity: 'error',
      nodeId: node.id,
      message: `${def.name} "${node.id}" takes ${max} input(s); it has ${n}. Remove ${n - max} connection(s).`,
    });
  } else {
    return true;
  }
  return false;
}

// — training section —

/** `seed` and every node `joins` (given the set so far), until none joins: a set closed over the graph's edges. */
function closeOver(seed: ReadonlySet<string>, nodes: readonly NodeIR[], joins: (n: NodeIR, set: ReadonlySet<string>) => boolean): ReadonlySet<string> {
  const out = new Set(seed);
  for (let grown = true; grown; ) {
    grown = false;
    for (const n of nodes) {
      if (out.has(n.id) || !joins(n, out)) continue;
      out.add(n.id);
      grown = true;
    }
  }
  return out;
}

/**
 * The nodes no output and no loss depends on (none when the graph names neither: then nothing
 * says what is used). A node such a node feeds is one of them too, so leaving them all out never
 * cuts an edge of a node that stays.
 */
function unusedNodes(nodes: readonly NodeIR[], byId: ReadonlyMap<string, NodeIR>, roots: readonly string[]): ReadonlySet<string> {
  const used = new Set<string>();
  const stack = roots.filter((r) => byId.has(r));
  if (stack.length === 0) return new Set();
  while (stack.length) {
    const id = stack.pop()!;
    if (used.has(id)) continue;
    used.add(id);
    for (const ref of byId.get(id)!.inputs) if (byId.has(ref)) stack.push(ref);
  }
  return new Set(nodes.filter((n) => !used.has(n.id)).map((n) => n.id));
}

function lossIds(training: TrainingConfig | undefined): string[] {
  if (!training) return [];
  return trainingLossNodes(training);
}

function checkTraining(raw: unknown, byId: Map<string, NodeIR>, defs: Map<string, OpDef>, diagnostics: Diagnostic[]): TrainingConfig | undefined {
  const err = (code: ErrorCode, message: string, nodeId?: string): void => {
    diagnostics.push(nodeId === undefined ? { code, severity: 'error', message } : { code, severity: 'error', nodeId, message });
  };
  if (!isRecord(raw)) {
    err('E_TRAINING', `"training" must be an object; got ${describe(raw)}.`);
    return undefined;
  }
  const losses = raw.loss === undefined ? [] : Array.isArray(raw.loss) ? raw.loss : [raw.loss];
  if (losses.length === 0) {
    const candidates = [...defs.entries()].filter(([, d]) => d.isLoss).map(([id]) => `"${id}"`);
    err('E_NO_LOSS', `Training needs a loss to minimise: set "training.loss" to a loss node${candidates.length ? ` (e.g. ${candidates.join(', ')})` : '; add a loss node (e.g. CrossEntropyLoss) fed by the prediction and a target Input'}.`);
  }
  refuseRepeatedLosses(losses, '"training.loss"', err);
  for (const l of losses) {
    if (typeof l !== 'string' || !byId.has(l)) err('E_NO_LOSS', `"training.loss" refers to ${describe(l)}, which is not a node.`);
    else if (defs.has(l) && !defs.get(l)!.isLoss) err('E_NOT_A_LOSS', `"training.loss" names "${l}", a ${defs.get(l)!.name}; it must be a loss node (e.g. CrossEntropyLoss, MSELoss).`, l);
  }
  const posInt = (key: string): void => {
    const v = raw[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1e9) err('E_TRAINING', `"training.${key}" must be a positive whole number; got ${describe(v)}.`);
  };
  posInt('batchSize');
  posInt('epochs');
  if (typeof raw.seed !== 'number' || !Number.isInteger(raw.seed)) err('E_TRAINING', `"training.seed" must be a whole number; got ${describe(raw.seed)}.`);
  checkOptimizerSetting(raw.optimizer, err, () => err('E_TRAINING', `"training.optimizer" must have a "kind" (${OPTIMIZERS.map((o) => o.kind).join(', ')}) and a non-negative "lr"; got ${describe(raw.optimizer)}.`));
  if (raw.schedule !== undefined) checkScheduleSetting(raw.schedule, err);
  if (!isRecord(raw.dataset) || typeof raw.dataset.name !== 'string') err('E_TRAINING', `"training.dataset" must have a "name"; got ${describe(raw.dataset)}.`);
  else {
    if (raw.dataset.transform !== undefined) checkTransformSetting(raw.dataset.transform, err);
    const split = raw.dataset.split === undefined ? undefined : splitIssue(raw.dataset.split);
    if (split) err('E_TRAINING', `"training.dataset.split": ${split}`);
    const files = raw.dataset.splitFiles === undefined ? undefined : splitFilesIssue(raw.dataset.splitFiles);
    if (files) err('E_TRAINING', `"training.dataset.splitFiles": ${files}`);
  }
  if (raw.metrics !== undefined && (!Array.isArray(raw.metrics) || !raw.metrics.every((m: unknown) => typeof m === 'string'))) {
    err('E_TRAINING', `"training.metrics" must be a list of metric names; got ${describe(raw.metrics)}.`);
  }
  if (raw.groups !== undefined) checkGroups(raw.groups, byId, defs, err);
  const start = raw.startFrom === undefined ? undefined : startFromProblem(raw.startFrom);
  if (start) err('E_TRAINING', start);
  // Ranges of optimizer/schedule settings and dataset options belong to the trainer that reads them.
  // A shallow copy: nested options are passed through to the trainer as they are.
  const cfg = { ...raw } as unknown as TrainingConfig;
  if (!Array.isArray(cfg.metrics)) cfg.metrics = [];
  return cfg;
}

/**
 * A loss listed twice in one list (`training.loss`, or a group's `loss`) would count twice in the
 * forward loss but once in the gradient: `E_DUPLICATE_LOSS`.
 */
function refuseRepeatedLosses(losses: readonly unknown[], where: string, err: (code: ErrorCode, message: string, nodeId?: string) => void): void {
  const seen = new Set<unknown>();
  for (const l of losses) {
    if (seen.has(l)) err('E_DUPLICATE_LOSS', `${where} lists "${String(l)}" twice; list each loss node once.`, typeof l === 'string' ? l : undefined);
    seen.add(l);
  }
}

/**
 * `training.groups` (IR v2): named, unique; each names existing nodes and loss nodes, trains at
 * least one node with parameters, and no node's parameters are in two groups.
 */
function checkGroups(raw: unknown, byId: Map<string, NodeIR>, defs: Map<string, OpDef>, err: (code: ErrorCode, message: string, nodeId?: string) => void): void {
  if (!Array.isArray(raw) || raw.length === 0) {
    err('E_GROUPS', `"training.groups" must be a non-empty list of optimizer groups; got ${describe(raw)}.`);
    return;
  }
  const names = new Set<string>();
  const owner = new Map<string, string>();
  raw.forEach((g: unknown, i) => {
    const at = `"training.groups[${i}]"`;
    if (!isRecord(g) || typeof g.name !== 'string' || g.name === '') {
      err('E_GROUPS', `${at} must be an object with a non-empty "name"; got ${describe(g)}.`);
      return;
    }
    if (names.has(g.name)) err('E_GROUPS', `Two optimizer groups are named "${g.name}"; group names must be unique.`);
    names.add(g.name);
    const losses = g.loss === undefined ? [] : Array.isArray(g.loss) ? g.loss : [g.loss];
    if (losses.length === 0) err('E_GROUPS', `Group "${g.name}" needs a "loss": the loss node(s) it minimises.`);
    refuseRepeatedLosses(losses, `${at} ("${g.name}")`, err);
    for (const l of losses) {
      if (typeof l !== 'string' || !byId.has(l)) err('E_GROUPS', `Group "${g.name}" minimises ${describe(l)}, which is not a node.`);
      else if (defs.has(l) && !defs.get(l)!.isLoss) err('E_NOT_A_LOSS', `Group "${g.name}" minimises "${l}", a ${defs.get(l)!.name}; it must be a loss node.`, l);
    }
    if (g.optimizer !== undefined) checkOptimizerSetting(g.optimizer, err, () => err('E_GROUPS', `Group "${g.name}": "optimizer" must have a "kind" and a non-negative "lr"; got ${describe(g.optimizer)}.`));
    if (g.schedule !== undefined) checkScheduleSetting(g.schedule, err);
    const p = g.params;
    const between = isRecord(p) ? p.between : undefined;
    const listed = isRecord(p) ? p.nodes : undefined;
    if (!isRecord(p) || (listed === undefined && between === undefined)) {
      err('E_GROUPS', `Group "${g.name}" must say which parameters it trains: "params": {"nodes": [...]} or {"between": {"from": [...], "to": "..."}}.`);
      return;
    }
    if (listed !== undefined && (!Array.isArray(listed) || !listed.every((n) => typeof n === 'string' && byId.has(n)))) {
      err('E_GROUPS', `Group "${g.name}": "params.nodes" must list node ids of this graph; got ${describe(listed)}.`);
      return;
    }
    if (between !== undefined && (!isRecord(between) || !Array.isArray(between.from) || !between.from.every((n) => typeof n === 'string' && byId.has(n)) || typeof between.to !== 'string' || !byId.has(between.to))) {
      err('E_GROUPS', `Group "${g.name}": "params.between" must be {"from": [node ids], "to": node id} of this graph; got ${describe(between)}.`);
      return;
    }
    const nodes = groupNodes({ nodes: [...byId.values()] }, p as NonNullable<TrainingConfig['groups']>[number]['params']);
    let trained = 0;
    for (const id of nodes) {
      const def = defs.get(id);
      if (!def?.params) continue;
      trained++;
      const other = owner.get(id);
      if (other !== undefined && other !== g.name) err('E_GROUP_OVERLAP', `The parameters of "${id}" are in groups "${other}" and "${g.name}"; each node belongs to at most one group.`, id);
      owner.set(id, g.name);
    }
    if (trained === 0) err('E_GROUPS', `Group "${g.name}" trains no parameters: none of its nodes has weights.`);
  });
}

/** A loss's target should come from an Input(source='target'); warn when it does not. */
function checkLossInputs(sorted: readonly NodeIR[], defs: Map<string, OpDef>, shapes: Record<string, number[]>, diagnostics: Diagnostic[]): void {
  const byId = new Map(sorted.map((n) => [n.id, n]));
  for (const node of sorted) {
    const def = defs.get(node.id);
    if (!def?.isLoss || node.inputs.length < 2) continue;
    const target = byId.get(node.inputs[1]);
    if (target && !isTargetInput(target)) {
      diagnostics.push({
        code: 'W_LOSS_TARGET',
        severity: 'warning',
        nodeId: node.id,
        message: `${def.name} "${node.id}" compares against "${target.id}" (${formatShape(shapes[target.id] ?? [])}); its second input is usually an Input with source "target".`,
      });
    }
  }
}

// — graph algorithms —

function topoOrder(nodes: readonly NodeIR[], byId: Map<string, NodeIR>): string[] {
  const indegree = new Map<string, number>();
  const consumers = new Map<string, string[]>();
  for (const n of nodes) {
    indegree.set(n.id, 0);
    consumers.set(n.id, []);
  }
  for (const n of nodes) {
    for (const ref of n.inputs) {
      if (!byId.has(ref)) continue;
      indegree.set(n.id, indegree.get(n.id)! + 1);
      consumers.get(ref)!.push(n.id);
    }
  }
  const queue = nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  const order: string[] = [];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i];
    order.push(id);
    for (const c of consumers.get(id)!) {
      const d = indegree.get(c)! - 1;
      indegree.set(c, d);
      if (d === 0) queue.push(c);
    }
  }
  return order;
}

/**
 * One cycle in each strongly connected part of `nodes` that has one (Tarjan's algorithm,
 * iterative), ordered by where their first nodes are listed: what `findCycle` finds first in one
 * part never hides another. Inputs outside `nodes` are ignored.
 */
function findCycles(nodes: readonly NodeIR[]): string[][] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const parts: string[][] = [];
  for (const root of nodes) {
    if (index.has(root.id)) continue;
    const walk: { id: string; next: number }[] = [{ id: root.id, next: 0 }];
    index.set(root.id, index.size);
    low.set(root.id, index.get(root.id)!);
    stack.push(root.id);
    onStack.add(root.id);
    while (walk.length) {
      const top = walk[walk.length - 1];
      const inputs = byId.get(top.id)!.inputs;
      if (top.next < inputs.length) {
        const ref = inputs[top.next++];
        if (!byId.has(ref)) continue;
        if (!index.has(ref)) {
          index.set(ref, index.size);
          low.set(ref, index.get(ref)!);
          stack.push(ref);
          onStack.add(ref);
          walk.push({ id: ref, next: 0 });
        } else if (onStack.has(ref)) low.set(top.id, Math.min(low.get(top.id)!, index.get(ref)!));
        continue;
      }
      walk.pop();
      if (walk.length) {
        const parent = walk[walk.length - 1].id;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.id)!));
      }
      if (low.get(top.id) !== index.get(top.id)) continue;
      const part: string[] = [];
      for (let id = ''; id !== top.id; ) {
        id = stack.pop()!;
        onStack.delete(id);
        part.push(id);
      }
      parts.push(part);
    }
  }
  const cycles: string[][] = [];
  for (const part of parts) {
    const members = new Set(part);
    if (part.length === 1 && !byId.get(part[0])!.inputs.includes(part[0])) continue;
    const inPart = nodes.filter((n) => members.has(n.id));
    cycles.push(findCycle(inPart, new Map(inPart.map((n) => [n.id, n]))));
  }
  const rank = new Map(nodes.map((n, i) => [n.id, i]));
  return cycles.sort((a, b) => rank.get(a[0])! - rank.get(b[0])!);
}

/** One cycle, as ids in edge order with the first repeated at the end (iterative DFS: no recursion limit). */
function findCycle(nodes: readonly NodeIR[], byId: Map<string, NodeIR>): string[] {
  const state = new Map<string, 1 | 2>(); // 1 = on the stack, 2 = done
  for (const start of nodes) {
    if (state.has(start.id)) continue;
    const path: string[] = [];
    const stack: { id: string; next: number }[] = [{ id: start.id, next: 0 }];
    state.set(start.id, 1);
    path.push(start.id);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const node = byId.get(top.id)!;
      if (top.next < node.inputs.length) {
        const ref = node.inputs[top.next++];
        if (!byId.has(ref)) continue;
        const s = state.get(ref);
        if (s === 1) {
          // Edges point producer → consumer; the DFS walked consumer → producer, so reverse.
          const cyc = path.slice(path.indexOf(ref)).reverse();
          // Start at the node listed first in the file, so the message is stable.
          const rank = new Map(nodes.map((n, i) => [n.id, i]));
          let first = 0;
          for (let i = 1; i < cyc.length; i++) if (rank.get(cyc[i])! < rank.get(cyc[first])!) first = i;
          const rotated = [...cyc.slice(first), ...cyc.slice(0, first)];
          return [...rotated, rotated[0]];
        }
        if (s === undefined) {
          state.set(ref, 1);
          path.push(ref);
          stack.push({ id: ref, next: 0 });
        }
      } else {
        state.set(top.id, 2);
        path.pop();
        stack.pop();
      }
    }
  }
  return [];
}

// — helpers —

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clip(v: unknown): string {
  const s = String(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** A short description of a JSON value for messages. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length <= 4 && v.every((x) => typeof x === 'number') ? `[${v.join(', ')}]` : `a list of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `"${clip(v)}"`;
  return clip(v);
}
