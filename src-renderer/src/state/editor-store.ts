import { createStore, type StoreApi } from 'zustand';
import { getOp, isGraphInput, type ComputeChoice, type GraphIR } from '../../../src-engine/facade';
import { EditCode, type EditAction, type EditRefusal } from '../editor/actions';
import { analyzeDesign, type DesignAnalysis } from '../editor/analysis';
import type { DesignRun } from '../../../src-engine/facade';
import { copyNodes, pasteAction, type Clipboard } from '../editor/clipboard';
import { blockEdits, type BlockTemplate } from '../editor/block-templates';
import { insertionProblem } from '../editor/connect';
import { emptyDoc, newProjectId, type EditorDoc, type ProjectUi, type XY } from '../editor/document';
import { edgeOfId, frameCoversOthers } from '../editor/flow';
import { layoutWithGroups } from '../editor/group-layout';
import { groupFlowId, groupOfFlowId, groupsOf, openSet } from '../editor/groups';
import { createNode, type EdgeRef } from '../editor/graph';
import { canRedo, canUndo, createHistory, push, redo, undo, type History } from '../editor/history';
import type { LayoutOptions } from '../editor/layout';
import { newInputAttrs } from '../editor/training-defaults';
import { applyEdit, type EditResult } from '../editor/reducer';
import type { Notice, NoticeExtra, SessionState } from './session-store';
import type { EngineStore } from './engine-store';

/** The open document's file: `path` is undefined until first saved. */
export interface FileInfo {
  path?: string;
  name: string;
  /** The file's version as opened or last saved (the host's SHA-256): Save writes only over that version without asking. */
  version?: string;
  /** The document as last saved/opened: dirty = the present document is a different object. */
  saved: EditorDoc;
  /** The project's id, from its file or new (`newProjectId`): runs record it, so they stay this project's through Save As and renames. */
  projectId: string;
}

export interface EditorState {
  history: History<EditorDoc>;
  /** Selected node ids and edge ids (edge ids as in flow.ts). Not part of undo. */
  selectedNodes: ReadonlySet<string>;
  selectedEdges: ReadonlySet<string>;
  analysis: DesignAnalysis;
  /** Whether `analysis` is behind the document (an analysis is scheduled). */
  analysisPending: boolean;
  file: FileInfo;
  ui: ProjectUi;
  clipboard?: Clipboard;
  /** Bumped by `load`: the canvas fits the new document into view. */
  loadSeq: number;

  /** Apply one edit; refused edits leave everything unchanged and show why. */
  edit(action: EditAction, opts?: { at?: XY; quiet?: boolean }): EditResult;
  undo(): void;
  redo(): void;
  select(nodes: Iterable<string>, edges?: Iterable<string>): void;
  addOp(op: string, position: XY): string | undefined;
  /** Add a block template (the Transformer block) at `position`: its nodes and the group around them, one undo step. */
  addBlock(template: BlockTemplate, position: XY): void;
  /**
   * Add an op dropped on an edge: inserted on it (source → new → target, one undo step) when the
   * shapes allow, else placed where it was dropped, unconnected, with a notice saying why.
   */
  insertOp(op: string, position: XY, edge: EdgeRef, at?: XY): string | undefined;
  removeSelection(): void;
  /** Group the selected nodes (one collapsed card; refused with the reason when they cannot be one). */
  groupSelection(): void;
  /** Ungroup the selected groups' cards (and the groups of selected nodes). */
  ungroupSelection(): void;
  /**
   * Open or close a group. Opened where a layout that closed its space up left it, its members
   * would cover their neighbours: then the design is laid out again (`aspect` as for `layout`), in
   * the same undo step.
   */
  setGroupOpen(groupId: string, open: boolean, aspect?: number): void;
  /** Open every group, or fold every one, and lay the design out again (`aspect` as for `layout`); one undo step. */
  setAllGroupsOpen(open: boolean, aspect?: number): void;
  copySelection(): void;
  paste(offset?: XY): void;
  duplicateSelection(): void;
  /**
   * Auto-layout the document, in `direction` (default: the document's own) and folded to the
   * view's `aspect` when given. Choosing a direction makes it the document's (saved with it).
   */
  layout(opts?: LayoutOptions): void;
  /** Replace the document (new, open, template, restore); history starts over and dialogs close. */
  /** `file.projectId`: the project's id from its file; a new one when absent (a new project, a template, a file saved before ids). */
  load(doc: EditorDoc, file: { path?: string; name: string; version?: string; projectId?: string }, ui?: ProjectUi, dirty?: boolean): void;
  markSaved(doc: EditorDoc, file: { path: string; name: string; version?: string }): void;
  /** Tell the user (the session's notice, `useSession`): refused edits and file commands say why through it. */
  notify(kind: Notice['kind'], message: string, extra?: NoticeExtra): void;
  setViewport(v: NonNullable<ProjectUi['viewport']>): void;
  /** Where this project's runs train (saved with the project's UI state; `auto` is left out of the file). */
  setDevice(device: ComputeChoice): void;
  /** Select a node and ask the canvas to centre on it (the session's focus request). */
  focusNode(nodeId: string): void;
  /** Run the pending analysis now (tests, and before saving). */
  analyzeNow(): void;
}

/** Auto-layout positions for every node; a folded group is laid out as the one card it is drawn as (group-layout.ts). */
function layoutPositions(doc: EditorDoc, opts: LayoutOptions): Record<string, XY> {
  return layoutWithGroups(doc.graph, openSet(doc), opts);
}

/** The card a node hidden in folded groups is drawn as: the outermost folded group holding it. */
function outermostFolded(doc: EditorDoc, node: string): string {
  const open = openSet(doc);
  return groupsOf(doc.graph)
    .filter((g) => !open.has(g.id) && g.nodes.includes(node))
    .sort((a, b) => b.nodes.length - a.nodes.length)[0].id;
}

/** Debounce of the live compile after an edit, ms. */
export const ANALYSIS_DEBOUNCE_MS = 120;

/** What the action groups below share with the store: its state, and committing an edited document as one undo step. */
interface StoreKit {
  set: StoreApi<EditorState>['setState'];
  get: StoreApi<EditorState>['getState'];
  /** Make `next` the history (the selection pruned to what still exists, the analysis scheduled). */
  commit(next: History<EditorDoc>): void;
  /** Say why an edit was refused, where the user is looking. */
  refuse(r: EditRefusal, at?: XY): void;
}

/** Ops from the palette: added where dropped (an Input second is the target, a loss the `loss` output), or inserted on an edge. */
function paletteActions({ get }: StoreKit): Pick<EditorState, 'addOp' | 'insertOp'> {
  return {
    insertOp(op, position, edge, at) {
      const doc = get().history.present;
      if (!getOp(op)) return undefined;
      const node = createNode(op, new Set(doc.graph.nodes.map((n) => n.id)));
      const problem = insertionProblem(doc, get().analysis.shapes, node, edge);
      if (problem) {
        const id = get().addOp(op, position);
        if (id) get().notify('info', `Added ${op} beside the edge, not on it: ${problem.message}`, { code: problem.code, at });
        return id;
      }
      const r = get().edit({ kind: 'insert-node', node, position, edge }, { at });
      if (!r.ok) return undefined;
      get().select([node.id]);
      return node.id;
    },
    addOp(op, position) {
      const doc = get().history.present;
      const def = getOp(op);
      if (!def) return undefined;
      const node = createNode(op, new Set(doc.graph.nodes.map((n) => n.id)));
      // The second Input of a design is its target (class labels), the first shaped like the data.
      if (isGraphInput({ op })) node.attrs = { ...node.attrs, ...newInputAttrs(doc.graph) };
      // A loss is what training minimises: name it as the graph output `loss` so the IR is trainable as drawn.
      const output = def.isLoss && doc.graph.outputs.loss === undefined ? 'loss' : undefined;
      const r = get().edit({ kind: 'add-node', node, position, ...(output ? { output } : {}) });
      if (!r.ok) return undefined;
      get().select([node.id]);
      return node.id;
    },
  };
}

/** Blocks: gather the selection into a group, take groups apart, fold and unfold them, add a block template. */
function groupActions({ get, commit, refuse }: StoreKit): Pick<EditorState, 'groupSelection' | 'ungroupSelection' | 'setGroupOpen' | 'setAllGroupsOpen' | 'addBlock'> {
  return {
  groupSelection() {
    // Selected cards stand for their members: a selection may gather blocks into a bigger one.
    const graph = get().history.present.graph;
    const nodeIds = [...get().selectedNodes].flatMap((id) => {
      const g = groupOfFlowId(id);
      return g === undefined ? [id] : (groupsOf(graph).find((x) => x.id === g)?.nodes ?? []);
    });
    const before = new Set(groupsOf(graph).map((g) => g.id));
    const r = get().edit({ kind: 'group', nodeIds: [...new Set(nodeIds)] });
    const made = r.ok ? groupsOf(r.doc.graph).find((g) => !before.has(g.id)) : undefined;
    if (made) get().select([groupFlowId(made.id)]);
  },
  ungroupSelection() {
    const doc = get().history.present;
    const groups = groupsOf(doc.graph);
    const sel = get().selectedNodes;
    // A selected card's group, else the innermost group of each selected node.
    const innermost = (m: string) => groups.filter((g) => g.nodes.includes(m)).sort((a, b) => a.nodes.length - b.nodes.length)[0]?.id;
    const ids = [...new Set([...groups.filter((g) => sel.has(groupFlowId(g.id))).map((g) => g.id), ...[...sel].map(innermost).filter((id): id is string => id !== undefined)])];
    if (ids.length === 0) return get().notify('info', 'Select a group (or a node in one) to ungroup it.', { code: EditCode.UNKNOWN_GROUP });
    // One undo step for all of them: the edits go through the reducer on a scratch document.
    let next = doc;
    for (const groupId of ids) {
      const r = applyEdit(next, { kind: 'ungroup', groupId });
      if (r.ok) next = r.doc;
    }
    commit(push(get().history, next));
    const open = openSet(next);
    const folded = new Map(groupsOf(next.graph).filter((g) => !open.has(g.id)).flatMap((g) => g.nodes.map((m) => [m, g])));
    // The members, or the cards still standing for some of them.
    get().select([...new Set(groups.filter((g) => ids.includes(g.id)).flatMap((g) => g.nodes.map((m) => (folded.has(m) ? groupFlowId(outermostFolded(next, m)) : m))))]);
  },
  setGroupOpen(groupId, open, aspect) {
    const h = get().history;
    const r = applyEdit(h.present, { kind: 'set-group-open', groupId, open });
    if (!r.ok) return refuse(r);
    let doc = r.doc;
    if (open && frameCoversOthers(doc, groupId)) {
      const laid = applyEdit(doc, { kind: 'layout', positions: layoutPositions(doc, { direction: get().ui.layoutDirection ?? 'TB', aspect }) });
      if (laid.ok) doc = laid.doc;
    }
    commit(push(h, doc));
    get().select(open ? [] : [groupFlowId(groupId)]);
  },
  setAllGroupsOpen(open, aspect) {
    const h = get().history;
    const groups = groupsOf(h.present.graph);
    if (groups.length === 0) return;
    const { open: _old, ...rest } = h.present;
    const doc: EditorDoc = open ? { ...rest, open: groups.map((g) => g.id) } : rest;
    const laid = applyEdit(doc, { kind: 'layout', positions: layoutPositions(doc, { direction: get().ui.layoutDirection ?? 'TB', aspect }) });
    commit(push(h, laid.ok ? laid.doc : doc));
    get().select([]);
  },
  addBlock(template, position) {
    let doc = get().history.present;
    const edits = blockEdits(doc, template, position);
    for (const action of edits) {
      const r = applyEdit(doc, action);
      if (!r.ok) return void get().notify('error', r.message, { code: r.code });
      doc = r.doc;
    }
    commit(push(get().history, doc));
    const made = doc.graph.groups?.find((g) => g.nodes.includes(edits[0].nodes[0].id));
    if (made) get().select([groupFlowId(made.id)]);
  },
  };
}

/** Copy, paste (each paste further offset) and duplicate the selection. */
function clipboardActions({ set, get }: StoreKit): Pick<EditorState, 'copySelection' | 'paste' | 'duplicateSelection'> {
  return {
  copySelection() {
    const clip = copyNodes(get().history.present, get().selectedNodes);
    if (clip) set({ clipboard: clip });
  },
  paste(offset) {
    const clip = get().clipboard;
    if (!clip) return;
    const action = pasteAction(get().history.present, clip, offset);
    const r = get().edit(action);
    if (r.ok) {
      get().select(action.nodes.map((n) => n.id));
      // Pasting again offsets further, like every editor does.
      set({ clipboard: { ...clip, layout: Object.fromEntries(Object.entries(clip.layout).map(([k, p]) => [k, { x: p.x + 40, y: p.y + 40 }])) } });
    }
  },
  duplicateSelection() {
    const doc = get().history.present;
    const clip = copyNodes(doc, get().selectedNodes);
    if (!clip) return;
    const action = pasteAction(doc, clip, { x: 40, y: 40 });
    if (get().edit(action).ok) get().select(action.nodes.map((n) => n.id));
  },
  };
}

/**
 * The document store: the design and its undo history, the file it belongs to, its live analysis,
 * the selection and clipboard the edits act on, and the project's UI state saved with it. The
 * window's session (theme, dialogs, notices, focus requests) is `useSession`, apart. Components
 * select narrow slices (`useEditor(s => s.analysis.shapes[id])`) so an edit re-renders what it
 * changed; the engine-status store is separate, so engine and chart updates never re-render the canvas.
 * Each window (and each test that wants one) makes its own, with the session store it tells
 * (`useEditor` is the window's); nothing is shared between two, not even the pending analysis.
 */
export function createEditorStore(session: Pick<StoreApi<SessionState>, 'getState'>, engine?: Pick<StoreApi<EngineStore>, 'getState'>, runOf?: (graph: GraphIR) => DesignRun) {
  // The engine's memory limits (its hello's memory field), for the memory verdict Start gives; none
  // before it answers. `runOf`: what is known of the run besides the design (`designRun`).
  const analyze = (graph: GraphIR) => analyzeDesign(graph, engine?.getState().info?.memory ?? {}, runOf?.(graph) ?? {});
  return createStore<EditorState>((set, get) => {
    // The pending live analysis of this store's document (debounced after each edit).
    let timer: ReturnType<typeof setTimeout> | undefined;
    const scheduleAnalysis = (doc: EditorDoc, prev: EditorDoc) => {
      if (doc.graph === prev.graph) return;
      set({ analysisPending: true });
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => get().analyzeNow(), ANALYSIS_DEBOUNCE_MS);
    };
    const commit = (next: History<EditorDoc>) => {
      const prev = get().history.present;
      const present = next.present;
      const sel = get().selectedNodes;
      if (sel.size > 0 && (present.graph.nodes !== prev.graph.nodes || present.graph.groups !== prev.graph.groups || present.open !== prev.open)) {
        // Selected ids are nodes, and folded groups' cards (groupFlowId).
        const open = openSet(present);
        const ids = new Set([...present.graph.nodes.map((n) => n.id), ...groupsOf(present.graph).filter((g) => !open.has(g.id)).map((g) => groupFlowId(g.id))]);
        const kept = [...sel].filter((id) => ids.has(id));
        set({ history: next, ...(kept.length !== sel.size ? { selectedNodes: new Set(kept) } : {}) });
      } else set({ history: next });
      scheduleAnalysis(present, prev);
    };
    const refuse = (r: EditRefusal, at?: XY) => get().notify('error', r.message, { code: r.code, at });
    const kit: StoreKit = { set, get, commit, refuse };
    const initial = emptyDoc();
    return {
      history: createHistory(initial),
      selectedNodes: new Set(),
      selectedEdges: new Set(),
      analysis: analyze(initial.graph),
      analysisPending: false,
      file: { name: 'Untitled', saved: initial, projectId: newProjectId() },
      ui: {},
      loadSeq: 0,

      edit(action, opts) {
        const h = get().history;
        const r = applyEdit(h.present, action);
        if (!r.ok) {
          if (!opts?.quiet) refuse(r, opts?.at);
          return r;
        }
        const key = 'coalesce' in action ? action.coalesce : undefined;
        commit(push(h, r.doc, key));
        // A project never saved goes by its design's name (a template's, an import's): a new name is its name too (the title, its runs).
        const file = get().file;
        if (action.kind === 'set-name' && !file.path && file.name === h.present.graph.name && action.name.trim()) set({ file: { ...file, name: action.name } });
        return r;
      },
      undo() {
        const h = get().history;
        if (canUndo(h)) commit(undo(h));
      },
      redo() {
        const h = get().history;
        if (canRedo(h)) commit(redo(h));
      },
      select(nodes, edges = []) {
        // An open group is drawn as a frame, which is not selectable: its card's id (a click on the
        // card's ▸ selects the card as it opens) must not stay selected and stand for its members.
        const open = get().history.present.open;
        const kept = open?.length ? [...nodes].filter((id) => !open.includes(groupOfFlowId(id) ?? '\u0000')) : nodes;
        set({ selectedNodes: new Set(kept), selectedEdges: new Set(edges) });
      },
      ...paletteActions(kit),
      removeSelection() {
        const { selectedNodes, selectedEdges } = get();
        if (selectedNodes.size === 0 && selectedEdges.size === 0) return;
        const edges: EdgeRef[] = [];
        for (const id of selectedEdges) {
          const edge = edgeOfId(id);
          if (edge) edges.push(edge);
        }
        // A folded group's card stands for its members.
        const groups = new Map(groupsOf(get().history.present.graph).map((g) => [groupFlowId(g.id), g.nodes]));
        const nodeIds = [...selectedNodes].flatMap((id) => groups.get(id) ?? [id]);
        const r = get().edit({ kind: 'remove', nodeIds, edges });
        if (r.ok) get().select([], []);
      },
      ...groupActions(kit),
      ...clipboardActions(kit),
      layout(opts = {}) {
        const doc = get().history.present;
        const direction = opts.direction ?? get().ui.layoutDirection ?? 'TB';
        if (direction !== (get().ui.layoutDirection ?? 'TB')) set({ ui: { ...get().ui, layoutDirection: direction } });
        if (doc.graph.nodes.length > 0) get().edit({ kind: 'layout', positions: layoutPositions(doc, { ...opts, direction }) });
      },
      load(doc, file, ui = {}, dirty = false) {
        if (timer !== undefined) clearTimeout(timer);
        const saved = dirty ? emptyDoc() : doc;
        set({
          history: createHistory(doc),
          selectedNodes: new Set(),
          selectedEdges: new Set(),
          analysis: analyze(doc.graph),
          analysisPending: false,
          file: { ...file, saved, projectId: file.projectId ?? newProjectId() },
          ui,
          loadSeq: get().loadSeq + 1,
        });
        session.getState().setDialog('none');
      },
      markSaved(doc, file) {
        set({ file: { ...file, saved: doc, projectId: get().file.projectId } });
      },
      notify(kind, message, extra) {
        session.getState().notify(kind, message, extra);
      },
      setViewport(viewport) {
        set({ ui: { ...get().ui, viewport } });
      },
      setDevice(device) {
        const { device: _old, ...ui } = get().ui;
        set({ ui: device === 'auto' ? ui : { ...ui, device } });
      },
      focusNode(nodeId) {
        set({ selectedNodes: new Set([nodeId]), selectedEdges: new Set() });
        session.getState().requestFocus(nodeId);
      },
      analyzeNow() {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        set({ analysis: analyze(get().history.present.graph), analysisPending: false });
      },
    };
  });
}


/** Whether the document differs from the file on disk. */
export const selectDirty = (s: EditorState): boolean => s.history.present !== s.file.saved;
export const selectDoc = (s: EditorState): EditorDoc => s.history.present;
