import { freezeNodes, getOp, refitSchedule, remapNodeGroups, replaceHead, type GraphIR, type NodeGroup, type NodeIR } from '../../../src-engine/facade';
import type { EditAction, EditRefusal } from './actions';
import { EditCode } from './actions';
import { attrProblem } from './attrs';
import { adoptLoss, inputsForDataset } from './training-defaults';
import { copyValue as copyValueDeep } from './graph';
import type { EditorDoc, XY } from './document';
import { addGroup, freshGroupId, groupProblem, groupsOf, removeGroup } from './groups';
import { NODE_ID_PATTERN, UNCONNECTED, freshId, isVariadic, reaches, slotExists, type EdgeRef } from './graph';

/** Outcome of an edit: the new document, or why it was refused (the old document stays). */
export type EditResult = { ok: true; doc: EditorDoc } | ({ ok: false } & EditRefusal);

const refuse = (code: string, message: string, nodeId?: string): EditResult => ({ ok: false, code, message, nodeId });

function withGraph(doc: EditorDoc, graph: Partial<GraphIR>, layout = doc.layout): EditorDoc {
  return { ...doc, graph: { ...doc.graph, ...graph }, layout };
}

/** Drop trailing unconnected slots of variadic inputs and trailing optional ones, so the IR stays canonical. */
function trimInputs(node: NodeIR, inputs: string[]): string[] {
  const def = getOp(node.op);
  if (!def) return inputs;
  const required = def.inputs.filter((i) => !i.variadic && !i.optional).length;
  const out = [...inputs];
  if (isVariadic(def)) {
    // Variadic slots close up: an edge removed from the middle shifts the later ones down.
    const fixed = out.slice(0, def.inputs.length - 1);
    const rest = out.slice(def.inputs.length - 1).filter((s) => s !== UNCONNECTED);
    return [...fixed, ...rest];
  }
  while (out.length > required && out[out.length - 1] === UNCONNECTED) out.pop();
  return out;
}

function removeEdges(graph: GraphIR, pred: (source: string, target: string, slot: number) => boolean): NodeIR[] {
  return graph.nodes.map((n) => {
    if (!n.inputs.some((s, slot) => s !== UNCONNECTED && pred(s, n.id, slot))) return n;
    return { ...n, inputs: trimInputs(n, n.inputs.map((s, slot) => (s !== UNCONNECTED && pred(s, n.id, slot) ? UNCONNECTED : s))) };
  });
}

function checkNewNode(graph: GraphIR, node: NodeIR, taken: ReadonlySet<string>): EditRefusal | undefined {
  const def = getOp(node.op);
  if (!def) return { code: EditCode.UNKNOWN_OP, message: `There is no op called "${node.op}".`, nodeId: node.id };
  if (!NODE_ID_PATTERN.test(node.id)) return { code: EditCode.BAD_ID, message: `"${node.id}" is not a valid node name: use letters, digits, _ . - and start with a letter.`, nodeId: node.id };
  if (taken.has(node.id)) return { code: EditCode.DUPLICATE_ID, message: `A node called "${node.id}" already exists.`, nodeId: node.id };
  void graph;
  return undefined;
}

/** Whether connecting `edge` is structurally allowed (no unknown nodes, slot exists, no cycle). */
export function structuralProblem(graph: GraphIR, edge: EdgeRef): EditRefusal | undefined {
  const source = graph.nodes.find((n) => n.id === edge.source);
  const target = graph.nodes.find((n) => n.id === edge.target);
  if (!source || !target) return { code: EditCode.UNKNOWN_NODE, message: `No node called "${source ? edge.target : edge.source}".` };
  const def = getOp(target.op);
  if (!def) return { code: EditCode.UNKNOWN_OP, message: `There is no op called "${target.op}".`, nodeId: target.id };
  if (!slotExists(def, edge.slot)) return { code: EditCode.NO_SUCH_INPUT, message: `${def.name} has no input ${edge.slot + 1}.`, nodeId: target.id };
  if (edge.source === edge.target) return { code: EditCode.SELF_LOOP, message: 'A node cannot feed itself.', nodeId: target.id };
  if (reaches(graph, edge.target, edge.source)) {
    return { code: EditCode.CYCLE, message: `That would make a cycle: "${edge.source}" already depends on "${edge.target}". Networks here are feed-forward.`, nodeId: target.id };
  }
  return undefined;
}

function connect(doc: EditorDoc, edge: EdgeRef): EditResult {
  const problem = structuralProblem(doc.graph, edge);
  if (problem) return { ok: false, ...problem };
  const nodes = doc.graph.nodes.map((n) => {
    if (n.id !== edge.target) return n;
    const def = getOp(n.op)!;
    const inputs = [...n.inputs];
    if (isVariadic(def) && edge.slot >= def.inputs.length - 1 && edge.slot >= inputs.length) inputs.push(edge.source);
    else {
      while (inputs.length <= edge.slot) inputs.push(UNCONNECTED);
      inputs[edge.slot] = edge.source;
    }
    return { ...n, inputs: trimInputs(n, inputs) };
  });
  return { ok: true, doc: withGraph(doc, { nodes }) };
}

function setAttrs(doc: EditorDoc, nodeIds: readonly string[], attrs: NodeIR['attrs']): EditResult {
  const wanted = new Set(nodeIds);
  for (const id of nodeIds) {
    const node = doc.graph.nodes.find((n) => n.id === id);
    if (!node) return refuse(EditCode.UNKNOWN_NODE, `No node called "${id}".`);
    const def = getOp(node.op);
    if (!def) return refuse(EditCode.UNKNOWN_OP, `There is no op called "${node.op}".`, id);
    for (const [name, value] of Object.entries(attrs)) {
      const spec = def.attrs[name];
      if (!spec) return refuse(EditCode.BAD_ATTR, `${def.name} has no attribute "${name}".`, id);
      const problem = attrProblem(spec, value);
      if (problem) return refuse(EditCode.BAD_ATTR, `${def.name}.${name}: ${problem}`, id);
    }
  }
  const nodes = doc.graph.nodes.map((n) => {
    if (!wanted.has(n.id)) return n;
    const next = { ...n.attrs };
    for (const [name, value] of Object.entries(attrs)) next[name] = copyValueDeep(value);
    return { ...n, attrs: next };
  });
  return { ok: true, doc: withGraph(doc, { nodes }) };
}

function setOp(doc: EditorDoc, nodeId: string, op: string, attrs: NodeIR['attrs']): EditResult {
  const node = doc.graph.nodes.find((n) => n.id === nodeId);
  if (!node) return refuse(EditCode.UNKNOWN_NODE, `No node called "${nodeId}".`);
  const def = getOp(op);
  if (!def) return refuse(EditCode.UNKNOWN_OP, `There is no op called "${op}".`, nodeId);
  const was = getOp(node.op);
  if (!was || was.inputs.length !== def.inputs.length) return refuse(EditCode.UNKNOWN_OP, `${node.op} cannot become ${op}: they take different inputs.`, nodeId);
  const replaced = withGraph(doc, { nodes: doc.graph.nodes.map((n) => (n.id === nodeId ? { ...n, op, attrs: {} } : n)) });
  return Object.keys(attrs).length ? setAttrs(replaced, [nodeId], attrs) : { ok: true, doc: replaced };
}

function rename(doc: EditorDoc, from: string, to: string): EditResult {
  if (from === to) return { ok: true, doc };
  if (!doc.graph.nodes.some((n) => n.id === from)) return refuse(EditCode.UNKNOWN_NODE, `No node called "${from}".`);
  if (!NODE_ID_PATTERN.test(to)) return refuse(EditCode.BAD_ID, `"${to}" is not a valid node name: use letters, digits, _ . - and start with a letter.`, from);
  if (doc.graph.nodes.some((n) => n.id === to)) return refuse(EditCode.DUPLICATE_ID, `A node called "${to}" already exists.`, from);
  const r = (s: string) => (s === from ? to : s);
  const nodes = doc.graph.nodes.map((n) => (n.id === from || n.inputs.includes(from) ? { ...n, id: r(n.id), inputs: n.inputs.map(r) } : n));
  const outputs = Object.fromEntries(Object.entries(doc.graph.outputs).map(([k, v]) => [k, r(v)]));
  let training = doc.graph.training;
  if (training) {
    const loss = Array.isArray(training.loss) ? training.loss.map(r) : r(training.loss);
    training = { ...training, loss };
  }
  const layout: Record<string, XY> = {};
  for (const [k, v] of Object.entries(doc.layout)) layout[r(k)] = v;
  const groups = doc.graph.groups && remapNodeGroups(doc.graph.groups, () => true, r);
  return { ok: true, doc: withGraph(doc, { nodes, outputs, ...(training ? { training } : {}), ...(groups ? { groups: [...groups] } : {}) }, layout) };
}

function addNodes(doc: EditorDoc, added: readonly NodeIR[], positions: Readonly<Record<string, XY>>): EditResult {
  const taken = new Set(doc.graph.nodes.map((n) => n.id));
  for (const node of added) {
    const problem = checkNewNode(doc.graph, node, taken);
    if (problem) return { ok: false, ...problem };
    taken.add(node.id);
  }
  for (const node of added) {
    for (const s of node.inputs) if (s !== UNCONNECTED && !taken.has(s)) return refuse(EditCode.UNKNOWN_NODE, `"${node.id}" reads from "${s}", which does not exist.`, node.id);
  }
  const layout = { ...doc.layout };
  for (const node of added) layout[node.id] = positions[node.id] ?? { x: 0, y: 0 };
  const fresh = added.map((n) => ({ ...n, attrs: structuredClone(n.attrs), inputs: [...n.inputs] }));
  const next = withGraph(doc, { nodes: [...doc.graph.nodes, ...fresh] }, layout);
  // A pasted group must not close a cycle with itself (ids are fresh, so it cannot reach the old graph).
  for (const n of fresh) for (const s of n.inputs) if (s !== UNCONNECTED && reaches(next.graph, n.id, s)) return refuse(EditCode.CYCLE, `The pasted nodes form a cycle at "${n.id}".`, n.id);
  return { ok: true, doc: next };
}

/** Rewire `edge` through a new node: source → node (its first input) → target's slot. */
function insertNode(doc: EditorDoc, node: NodeIR, position: XY, edge: EdgeRef): EditResult {
  const target = doc.graph.nodes.find((n) => n.id === edge.target);
  if (!target || target.inputs[edge.slot] !== edge.source) return refuse(EditCode.NO_SUCH_EDGE, `There is no edge from "${edge.source}" into "${edge.target}" (input ${edge.slot + 1}).`);
  const def = getOp(node.op);
  if (def && (def.inputs.length === 0 || def.isLoss)) {
    return refuse(EditCode.CANNOT_INSERT, `${def.name} cannot sit on an edge: ${def.isLoss ? 'a loss ends the network' : 'it has no input'}.`, node.id);
  }
  if (def && def.inputs.filter((i) => !i.variadic && !i.optional).length > 1) {
    return refuse(EditCode.CANNOT_INSERT, `${def.name} needs more than one input: drop it beside the edge and connect it by hand.`, node.id);
  }
  const added = addNodes(doc, [{ ...node, inputs: [edge.source] }], { [node.id]: position });
  if (!added.ok) return added;
  const nodes = added.doc.graph.nodes.map((n) => (n.id === edge.target ? { ...n, inputs: n.inputs.map((s, slot) => (slot === edge.slot ? node.id : s)) } : n));
  return { ok: true, doc: withGraph(added.doc, { nodes }, added.doc.layout) };
}

function replaceHeadEdit(doc: EditorDoc, nodeId: string, classes: number, newId?: string): EditResult {
  const old = doc.graph.nodes.find((n) => n.id === nodeId);
  if (!old) return refuse(EditCode.UNKNOWN_NODE, `No node called "${nodeId}".`);
  const width = getOp(old.op)?.widthAttr;
  if (width === undefined) return refuse(EditCode.BAD_ATTR, `${old.op} has no output width to set: a head is a Linear or a convolution.`, nodeId);
  const problem = attrProblem(getOp(old.op)!.attrs[width], classes);
  if (problem) return refuse(EditCode.BAD_ATTR, `${old.op}.${width}: ${problem}`, nodeId);
  const taken = new Set(doc.graph.nodes.map((n) => n.id));
  const id = newId ?? freshId('head', taken);
  const bad = checkNewNode(doc.graph, { ...old, id }, taken);
  if (bad) return { ok: false, ...bad };
  const replaced = replaceHead(doc.graph, nodeId, classes, id);
  // The new head takes the old one's place in its groups.
  const graph = doc.graph.groups ? { ...replaced, groups: [...remapNodeGroups(doc.graph.groups, () => true, (m) => (m === nodeId ? id : m))] } : replaced;
  const layout: Record<string, XY> = {};
  for (const [k, v] of Object.entries(doc.layout)) layout[k === nodeId ? id : k] = v;
  return { ok: true, doc: withGraph(doc, graph, layout) };
}

/**
 * Apply one edit to a document. Pure: the input is never mutated, and unchanged nodes keep their
 * identity. An edit that would break the document (unknown node, cycle, invalid attr value,
 * duplicate id) is refused with a code and a message, and nothing changes.
 */
export function applyEdit(doc: EditorDoc, action: EditAction): EditResult {
  const r = applyGraphEdit(doc, action);
  // Groups follow the graph: removed nodes leave them, a group left empty goes (and its open state).
  if (!r.ok || !r.doc.graph.groups || r.doc.graph.nodes === doc.graph.nodes) return r;
  const ids = new Set(r.doc.graph.nodes.map((n) => n.id));
  const groups = remapNodeGroups(r.doc.graph.groups, (id) => ids.has(id));
  return groups === r.doc.graph.groups ? r : { ok: true, doc: setGroups(r.doc, groups) };
}

/** The document with these groups (none: the field is left out), and only open ids that are still groups. */
function setGroups(doc: EditorDoc, groups: readonly NodeGroup[], open = doc.open): EditorDoc {
  const { groups: _old, ...graph } = doc.graph;
  const { open: _open, ...rest } = doc;
  const ids = new Set(groups.map((g) => g.id));
  const kept = (open ?? []).filter((id) => ids.has(id));
  return { ...rest, graph: groups.length ? { ...graph, groups: [...groups] } : graph, ...(kept.length ? { open: kept } : {}) };
}

function applyGraphEdit(doc: EditorDoc, action: EditAction): EditResult {
  switch (action.kind) {
    case 'group': {
      const problem = groupProblem(doc.graph, action.nodeIds);
      if (problem) return { ok: false, ...problem };
      const id = action.id ?? freshGroupId(doc.graph);
      if (!NODE_ID_PATTERN.test(id) || groupsOf(doc.graph).some((g) => g.id === id)) return refuse(EditCode.BAD_ID, `"${id}" is not a free group name.`);
      return { ok: true, doc: setGroups(doc, addGroup(doc.graph, id, action.nodeIds)) };
    }
    case 'ungroup':
    case 'set-group-open': {
      const groups = groupsOf(doc.graph);
      if (!groups.some((g) => g.id === action.groupId)) return refuse(EditCode.UNKNOWN_GROUP, `No group called "${action.groupId}".`);
      if (action.kind === 'ungroup') return { ok: true, doc: setGroups(doc, removeGroup(groups, action.groupId)) };
      const open = doc.open ?? [];
      if (open.includes(action.groupId) === action.open) return { ok: true, doc };
      const next = action.open ? [...open, action.groupId] : open.filter((id) => id !== action.groupId);
      const { open: _o, ...rest } = doc;
      return { ok: true, doc: next.length ? { ...rest, open: next } : rest };
    }
    case 'add-node': {
      const r = addNodes(doc, [action.node], { [action.node.id]: action.position });
      if (!r.ok) return r;
      // Settings that name no loss node yet train the loss added now (no trip to the Loss select).
      const training = adoptLoss(r.doc.graph, action.node);
      if (action.output === undefined && !training) return r;
      const outputs = action.output === undefined ? r.doc.graph.outputs : { ...r.doc.graph.outputs, [action.output]: action.node.id };
      return { ok: true, doc: withGraph(r.doc, { outputs, ...(training ? { training } : {}) }, r.doc.layout) };
    }
    case 'paste':
      return addNodes(doc, action.nodes, action.layout);
    case 'insert-node':
      return insertNode(doc, action.node, action.position, action.edge);
    case 'remove': {
      const gone = new Set(action.nodeIds);
      for (const id of gone) if (!doc.graph.nodes.some((n) => n.id === id)) return refuse(EditCode.UNKNOWN_NODE, `No node called "${id}".`);
      const edgeKeys = new Set((action.edges ?? []).map((e) => `${e.source}\u0000${e.target}\u0000${e.slot}`));
      const kept = { ...doc.graph, nodes: doc.graph.nodes.filter((n) => !gone.has(n.id)) };
      const nodes = removeEdges(kept, (s, t, slot) => gone.has(s) || edgeKeys.has(`${s}\u0000${t}\u0000${slot}`));
      const layout = Object.fromEntries(Object.entries(doc.layout).filter(([id]) => !gone.has(id)));
      const outputs = Object.fromEntries(Object.entries(doc.graph.outputs).filter(([, v]) => !gone.has(v)));
      return { ok: true, doc: withGraph(doc, { nodes, outputs }, layout) };
    }
    case 'move':
    case 'layout': {
      const layout = { ...doc.layout };
      for (const [id, p] of Object.entries(action.positions)) {
        if (!doc.graph.nodes.some((n) => n.id === id)) return refuse(EditCode.UNKNOWN_NODE, `No node called "${id}".`);
        layout[id] = { x: p.x, y: p.y };
      }
      return { ok: true, doc: { ...doc, layout } };
    }
    case 'connect':
      return connect(doc, action.edge);
    case 'disconnect': {
      const keys = new Set(action.edges.map((e) => `${e.source}\u0000${e.target}\u0000${e.slot}`));
      return { ok: true, doc: withGraph(doc, { nodes: removeEdges(doc.graph, (s, t, slot) => keys.has(`${s}\u0000${t}\u0000${slot}`)) }) };
    }
    case 'set-attrs':
      return setAttrs(doc, action.nodeIds, action.attrs);
    case 'set-op':
      return setOp(doc, action.nodeId, action.op, action.attrs);
    case 'rename':
      return rename(doc, action.from, action.to);
    case 'set-name':
      return { ok: true, doc: withGraph(doc, { name: action.name }) };
    case 'set-training': {
      const graph = { ...doc.graph };
      if (action.training) {
        graph.training = structuredClone(action.training);
        // Fewer epochs or another rate: a schedule fitted to the run follows it (a cosine spans the epochs).
        if (doc.graph.training) {
          const schedule = refitSchedule(doc.graph.training, action.training);
          if (schedule !== action.training.schedule) graph.training.schedule = schedule;
        }
      } else delete graph.training;
      // Choosing a dataset shapes the features Inputs still at the default [1] like its samples.
      const dataset = action.training?.dataset.name;
      if (dataset !== undefined && dataset !== doc.graph.training?.dataset.name) {
        const fit = inputsForDataset(doc.graph, dataset);
        if (Object.keys(fit).length > 0) graph.nodes = graph.nodes.map((n) => (Object.hasOwn(fit, n.id) ? { ...n, attrs: { ...n.attrs, ...fit[n.id] } } : n));
      }
      return { ok: true, doc: { ...doc, graph } };
    }
    case 'set-frozen': {
      for (const id of action.nodeIds) if (!doc.graph.nodes.some((n) => n.id === id)) return refuse(EditCode.UNKNOWN_NODE, `No node called "${id}".`);
      return { ok: true, doc: withGraph(doc, { nodes: freezeNodes(doc.graph.nodes, action.nodeIds, action.frozen) }) };
    }
    case 'replace-head':
      return replaceHeadEdit(doc, action.nodeId, action.classes, action.newId);
    case 'set-output': {
      const outputs = { ...doc.graph.outputs };
      if (action.nodeId === undefined) delete outputs[action.name];
      else {
        if (!doc.graph.nodes.some((n) => n.id === action.nodeId)) return refuse(EditCode.UNKNOWN_NODE, `No node called "${action.nodeId}".`);
        outputs[action.name] = action.nodeId;
      }
      return { ok: true, doc: withGraph(doc, { outputs }) };
    }
  }
}
