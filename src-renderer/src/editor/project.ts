import { checkNodeGroups, migrateGraph, upgradeProjectGraph, GRAPH_FORMAT, GRAPH_VERSION, type GraphIR, type NodeIR, getOp, type Attrs, type AttrValue, type ErrorCode, ComputeChoice } from '../../../src-engine/facade';
import { VALUE_LIMITS, checkValueLimits } from '../../../src-engine/protocol';
import { PROJECT_FORMAT, PROJECT_VERSION, type EditorDoc, type ProjectFile, type ProjectUi, type XY } from './document';
import { RESERVED_NODE_IDS, UNCONNECTED, copyValue } from './graph';
import { layoutWithGroups } from './group-layout';
import { initiallyOpen, readLegacyGroups } from './groups';
import { autoLayout } from './layout';

/** Why a file could not be opened. Codes are stable; the message is shown to the user as is. */
export interface ProjectError {
  code: string;
  message: string;
}

export const ProjectCode = {
  NOT_JSON: 'E_PROJECT_NOT_JSON',
  FOREIGN: 'E_PROJECT_FOREIGN',
  NEWER: 'E_PROJECT_NEWER',
  CORRUPT: 'E_PROJECT_CORRUPT',
  UNKNOWN_OP: 'E_PROJECT_UNKNOWN_OP',
  /** Nested deeper or holding more values than any Netwright project (VALUE_LIMITS). */
  TOO_DEEP: 'E_PROJECT_TOO_DEEP',
  TOO_LARGE: 'E_PROJECT_TOO_LARGE',
} as const;

export type ProjectParse = { ok: true; doc: EditorDoc; ui?: ProjectUi; notes: string[]; model?: Record<string, unknown>; id?: string } | ({ ok: false } & ProjectError);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isXY = (v: unknown): v is XY => isRecord(v) && Number.isFinite(v.x) && Number.isFinite(v.y);

function fail(code: ErrorCode, message: string): ProjectParse {
  return { ok: false, code, message };
}

/** Attrs with the op's defaults filled in and single numbers for list attrs widened (`3` → `[3, 3]`). */
function normaliseAttrs(node: { op: string; attrs: Record<string, unknown> }): Attrs {
  const def = getOp(node.op)!;
  const attrs: Attrs = {};
  // `__proto__` from JSON is an own key; assigning it would replace this object's prototype.
  for (const [name, value] of Object.entries(node.attrs)) if (name !== '__proto__') attrs[name] = value as AttrValue;
  for (const [name, spec] of Object.entries(def.attrs)) {
    const v = Object.hasOwn(attrs, name) ? attrs[name] : undefined;
    if (v === undefined) attrs[name] = copyValue(spec.default);
    else if (spec.kind === 'ints' && typeof v === 'number') attrs[name] = Array.from({ length: spec.length ?? 1 }, () => v);
  }
  return attrs;
}

/** Check and normalise a graph's structure. Design mistakes (shapes, ranges) are left for the diagnostics. */
function readGraph(raw: unknown, notes: string[]): { ok: true; graph: GraphIR } | ({ ok: false } & ProjectError) {
  if (!isRecord(raw)) return { ok: false, code: ProjectCode.CORRUPT, message: 'The project has no network in it ("graph" is missing or not an object).' };
  if (raw.format !== GRAPH_FORMAT) return { ok: false, code: ProjectCode.CORRUPT, message: `The project's network is not a Netwright graph ("graph.format" is ${JSON.stringify(raw.format) ?? 'missing'}).` };
  if (typeof raw.version === 'number' && raw.version > GRAPH_VERSION) {
    return { ok: false, code: ProjectCode.NEWER, message: `This network was saved by a newer Netwright (graph version ${raw.version}; this one reads up to ${GRAPH_VERSION}). Update Netwright to open it.` };
  }
  const migrated = migrateGraph(raw);
  const error = migrated.diagnostics.find((d) => d.severity === 'error');
  if (error) return { ok: false, code: ProjectCode.CORRUPT, message: error.message };
  notes.push(...migrated.applied.map((s) => `Upgraded from an older format: ${s}.`));
  const g = migrated.json as Record<string, unknown>;
  if (!Array.isArray(g.nodes)) return { ok: false, code: ProjectCode.CORRUPT, message: 'The network\'s "nodes" is not a list; the file is damaged.' };
  const nodes: NodeIR[] = [];
  const ids = new Set<string>();
  for (const [i, n] of g.nodes.entries()) {
    const where = `node #${i + 1}`;
    if (!isRecord(n) || typeof n.id !== 'string' || n.id === '' || typeof n.op !== 'string') return { ok: false, code: ProjectCode.CORRUPT, message: `The file is damaged: ${where} has no id or op.` };
    if (RESERVED_NODE_IDS.has(n.id)) return { ok: false, code: ProjectCode.CORRUPT, message: `The file is damaged: a node is called "${n.id}", which Netwright does not allow as a node name.` };
    if (ids.has(n.id)) return { ok: false, code: ProjectCode.CORRUPT, message: `The file is damaged: two nodes are called "${n.id}".` };
    if (!getOp(n.op)) return { ok: false, code: ProjectCode.UNKNOWN_OP, message: `Node "${n.id}" uses the op "${n.op}", which this version of Netwright does not have.` };
    const inputs = n.inputs ?? [];
    if (!Array.isArray(inputs) || !inputs.every((s) => typeof s === 'string')) return { ok: false, code: ProjectCode.CORRUPT, message: `The file is damaged: the inputs of "${n.id}" are not a list of node names.` };
    const attrs = n.attrs ?? {};
    if (!isRecord(attrs)) return { ok: false, code: ProjectCode.CORRUPT, message: `The file is damaged: the attributes of "${n.id}" are not an object.` };
    ids.add(n.id);
    nodes.push({ id: n.id, op: n.op, attrs: normaliseAttrs({ op: n.op, attrs }), inputs: [...(inputs as string[])], ...(n.frozen === true ? { frozen: true } : {}) });
  }
  for (const n of nodes) {
    const missing = n.inputs.find((s) => s !== UNCONNECTED && !ids.has(s));
    if (missing !== undefined) return { ok: false, code: ProjectCode.CORRUPT, message: `The file is damaged: "${n.id}" reads from "${missing}", which is not in the network.` };
  }
  const outputs = g.outputs ?? {};
  if (!isRecord(outputs) || !Object.values(outputs).every((v) => typeof v === 'string')) return { ok: false, code: ProjectCode.CORRUPT, message: 'The file is damaged: "outputs" must map names to node names.' };
  if (g.training !== undefined && !isRecord(g.training)) return { ok: false, code: ProjectCode.CORRUPT, message: 'The file is damaged: "training" is not an object.' };
  const graph: GraphIR = { ...(g as object), format: GRAPH_FORMAT, version: GRAPH_VERSION, nodes, outputs: outputs as Record<string, string> } as GraphIR;
  if (g.groups !== undefined) {
    // Groups change nothing computed: one that does not fit is left out, and the file opens.
    const checked = checkNodeGroups(g.groups, ids);
    for (const p of checked.problems) notes.push(`A group was left out: ${p.message}`);
    if (checked.groups.length) graph.groups = checked.groups;
    else delete graph.groups;
  }
  return { ok: true, graph };
}

/**
 * A graph without a layout (a bare graph file, an import) as a document: a group holding most of
 * the network is opened (`initiallyOpen`), the others folded, and it is laid out with its groups,
 * folded to `aspect` when given.
 */
export function bareGraphDoc(graph: GraphIR, aspect?: number, direction?: 'TB' | 'LR'): EditorDoc {
  const open = initiallyOpen(graph);
  const layout = layoutWithGroups(graph, new Set(open), { ...(aspect ? { aspect } : {}), ...(direction ? { direction } : {}) });
  return { graph, layout, ...(open.length ? { open } : {}) };
}

/**
 * Read a project file. Never throws: a file that is not JSON, not Netwright's, from a newer
 * version, or damaged gives a coded error whose message can be shown as is. A bare graph file
 * (`netwright.graph`, as in examples/) opens too, laid out automatically (`bareGraphDoc`, for a
 * view of `view.aspect` when given).
 *
 * @example
 * ```ts
 * const r = parseProject(text);
 * if (!r.ok) showError(r.message); else load(r.doc);
 * ```
 */
export function parseProject(text: string, view: { aspect?: number; direction?: 'TB' | 'LR' } = {}): ProjectParse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(ProjectCode.NOT_JSON, `This file is not a Netwright project: it is not valid JSON (${(e as Error).message}).`);
  }
  if (!isRecord(json)) return fail(ProjectCode.FOREIGN, 'This file is not a Netwright project: it holds no project object.');
  // Before anything walks it: a value nested thousands deep opens, but saving it, training it or
  // sending it anywhere overflows the stack (JSON.stringify, structured clone).
  const over = checkValueLimits(json, VALUE_LIMITS, 'This file');
  if (over) return fail(over.code === 'E_PROTOCOL_TOO_DEEP' ? ProjectCode.TOO_DEEP : ProjectCode.TOO_LARGE, `${over.message} It is damaged or not a Netwright project.`);
  const notes: string[] = [];
  if (json.format === GRAPH_FORMAT) {
    const r = readGraph(json, notes);
    if (!r.ok) return r;
    notes.push('Opened a bare network file; the layout was generated.');
    return { ok: true, doc: bareGraphDoc(r.graph, view.aspect, view.direction), notes };
  }
  if (json.format !== PROJECT_FORMAT) {
    return fail(ProjectCode.FOREIGN, `This file is not a Netwright project (its format is ${json.format === undefined ? 'not stated' : JSON.stringify(json.format)}; expected "${PROJECT_FORMAT}").`);
  }
  if (typeof json.version !== 'number' || !Number.isInteger(json.version) || json.version < 1) return fail(ProjectCode.CORRUPT, 'The file is damaged: its "version" is missing or not a whole number.');
  if (json.version > PROJECT_VERSION) {
    return fail(ProjectCode.NEWER, `This project was saved by a newer Netwright (project version ${json.version}; this one reads up to ${PROJECT_VERSION}). Update Netwright to open it.`);
  }
  const r = readGraph(json.graph, notes);
  if (!r.ok) return r;
  const rawLayout = json.layout ?? {};
  if (!isRecord(rawLayout)) return fail(ProjectCode.CORRUPT, 'The file is damaged: "layout" is not an object.');
  // Keyed by node ids from the file: no prototype, and only own keys of the file's layout are read.
  const layout = Object.create(null) as Record<string, XY>;
  let missing = false;
  for (const n of r.graph.nodes) {
    const p = Object.hasOwn(rawLayout, n.id) ? rawLayout[n.id] : undefined;
    if (isXY(p)) layout[n.id] = { x: p.x, y: p.y };
    else missing = true;
  }
  if (missing) {
    const auto = autoLayout(r.graph);
    for (const n of r.graph.nodes) if (!Object.hasOwn(layout, n.id)) layout[n.id] = auto[n.id];
    notes.push('Some nodes had no position; they were placed automatically.');
  }
  // Which groups are open is view state; in memory it lives in the document, so it undoes. Groups
  // an older Netwright kept in `ui.groups` join the graph's.
  const { groups: legacy, openGroups, ...ui } = isRecord(json.ui) ? (json.ui as ProjectUi & Record<string, unknown>) : { groups: undefined, openGroups: undefined };
  const old = readLegacyGroups(r.graph, legacy, notes);
  // The trained model is the engine's to check (model.load): here it is only carried.
  const model = isRecord(json.model) ? json.model : undefined;
  const read = upgradeProjectGraph(json.version, r.graph, model !== undefined);
  const graph = old.groups.length ? { ...read, groups: old.groups } : read;
  const groupIds = new Set((graph.groups ?? []).map((g) => g.id));
  const open = [...new Set([...(Array.isArray(openGroups) ? openGroups.filter((id): id is string => typeof id === 'string' && groupIds.has(id)) : []), ...old.open])];
  if (ui.device !== undefined && !ComputeChoice.safeParse(ui.device).success) {
    notes.push(`The saved Device "${String(ui.device)}" is not one of ${ComputeChoice.options.join(', ')}; it is Auto now.`);
    delete ui.device;
  }
  const id = typeof json.id === 'string' && /^[0-9a-f]{16}$/.test(json.id) ? json.id : undefined;
  return { ok: true, doc: { graph, layout, ...(open.length ? { open } : {}) }, ...(isRecord(json.ui) ? { ui } : {}), ...(model ? { model } : {}), ...(id ? { id } : {}), notes };
}

/**
 * The project file for a document (pretty-printed JSON, stable key order), with the trained
 * model when there is one (its long base64 strings stay one line each).
 */
export function serializeProject(doc: EditorDoc, ui?: ProjectUi, model?: Record<string, unknown>, id?: string): string {
  const withOpen = doc.open?.length ? { ...ui, openGroups: doc.open } : ui;
  const file: ProjectFile = { format: PROJECT_FORMAT, version: PROJECT_VERSION, ...(id ? { id } : {}), graph: doc.graph, layout: { ...doc.layout }, ...(withOpen ? { ui: withOpen } : {}), ...(model ? { model } : {}) };
  return JSON.stringify(file, null, 2) + '\n';
}
